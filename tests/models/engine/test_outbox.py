"""The outbox on real SQLite and PostgreSQL: unique keys, compare-and-swap claims, leases,
recorded outcomes with backoff, and withdrawn reminders."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Text, cast
from sqlalchemy import select as sa_select
from sqlmodel import select

from models.domain.enums import OutboxStatus
from models.engine.outbox import (
    MAX_ATTEMPTS,
    NewRow,
    Outcome,
    Recorded,
    backoff,
    claim,
    drop_pending,
    drop_superseded,
    enqueue,
    insert_new,
    message_id_for,
    record,
)
from models.store.db import session_scope
from models.store.tables import Outbox
from tests.support.factories import make_item, make_unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
LEASE = timedelta(minutes=10)
LATER = NOW + timedelta(days=2)


def row(key: str, *, send_after: datetime = NOW, item_id: int | None = None,
        status: str = "pending", recipient: str = "youfu@example.org",
        reminder: str = "逾期催办") -> dict:
    return {
        "dedupe_key": key, "item_id": item_id, "reminder": reminder, "stage": "overdue#0",
        "recipient": recipient, "recipient_name": "刘洋", "cc": [],
        "context": {"k": key}, "status": status, "send_after": send_after, "attempts": 0,
        "message_id": message_id_for(key, "duban.example.org"), "created_at": NOW,
    }


def put(engine, *rows: dict) -> list[dict]:
    with session_scope(engine) as session:
        return enqueue(session, list(rows))


def all_rows(engine) -> dict[str, Outbox]:
    with session_scope(engine) as session:
        return {r.dedupe_key: r for r in session.exec(select(Outbox).order_by(Outbox.id))}


def test_enqueue_adds_each_key_once(engine):
    assert [r["dedupe_key"] for r in put(engine, row("a"), row("b"))] == ["a", "b"]
    assert put(engine, row("a"), row("b")) == []
    assert [r["dedupe_key"] for r in put(engine, row("b"), row("c"), row("a"))] == ["c"]
    assert put(engine) == []
    assert sorted(all_rows(engine)) == ["a", "b", "c"]


def test_message_id_is_stable_per_key_and_distinct_between_keys():
    a = message_id_for("item:1:2026-11-20T16:00:00+00:00:overdue#0:x@example.org", "example.org")
    assert a == message_id_for("item:1:2026-11-20T16:00:00+00:00:overdue#0:x@example.org",
                               "example.org")
    assert a != message_id_for("item:1:2026-11-20T16:00:00+00:00:overdue#1:x@example.org",
                               "example.org")
    assert a.startswith("<") and a.endswith("@example.org>")


def test_claim_takes_only_ready_rows_oldest_first_up_to_the_limit(engine):
    put(engine,  # one recipient each: a recipient's rows of one kind are claimed together
        row("later", send_after=NOW + timedelta(seconds=1)),
        row("ready-2", send_after=NOW, recipient="b@example.org"),
        row("ready-1", send_after=NOW - timedelta(hours=1), recipient="c@example.org"),
        row("ready-3", send_after=NOW - timedelta(minutes=1), recipient="d@example.org"),
        row("sent", status="sent"), row("failed", status="failed"),
        row("dropped", status="dropped"))
    first = claim(engine, worker="w1", now=NOW, lease=LEASE, limit=2)
    assert {c.context["k"] for c in first} == {"ready-1", "ready-3"}
    assert all(c.attempts == 1 for c in first)
    second = claim(engine, worker="w2", now=NOW, lease=LEASE, limit=10)
    assert [c.context["k"] for c in second] == ["ready-2"]
    assert claim(engine, worker="w3", now=NOW, lease=LEASE, limit=10) == []

    rows = all_rows(engine)
    for key, worker in (("ready-1", "w1"), ("ready-3", "w1"), ("ready-2", "w2")):
        assert rows[key].status is OutboxStatus.SENDING
        assert rows[key].claimed_by == worker
        assert rows[key].claimed_until == NOW + LEASE
    assert rows["later"].status is OutboxStatus.PENDING and rows["later"].attempts == 0
    assert {rows[k].status for k in ("sent", "failed", "dropped")} == {
        OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.DROPPED}


def test_claimed_rows_return_what_the_sender_needs(engine):
    put(engine, row("a"))
    [c] = claim(engine, worker="w", now=NOW, lease=LEASE, limit=1)
    assert (c.reminder.value, c.stage, c.recipient, c.recipient_name, c.cc) == (
        "逾期催办", "overdue#0", "youfu@example.org", "刘洋", [])
    # The name is its own column; templates find it in the context too.
    assert c.context == {"k": "a", "recipient_name": "刘洋"}
    assert c.message_id == message_id_for("a", "duban.example.org")


def test_a_live_lease_is_respected_and_an_expired_one_reclaimed(engine):
    put(engine, row("a"), row("b"))
    assert len(claim(engine, worker="first", now=NOW, lease=LEASE, limit=10)) == 2
    # Within the lease (its last instant included) nobody else may take them.
    assert claim(engine, worker="second", now=NOW + LEASE - timedelta(seconds=1), lease=LEASE,
                 limit=10) == []
    assert claim(engine, worker="second", now=NOW + LEASE, lease=LEASE, limit=10) == []
    later = NOW + LEASE + timedelta(seconds=1)
    taken = claim(engine, worker="second", now=later, lease=LEASE, limit=10)
    assert [c.attempts for c in taken] == [2, 2]
    rows = all_rows(engine)
    assert {r.claimed_by for r in rows.values()} == {"second"}
    assert {r.claimed_until for r in rows.values()} == {later + LEASE}

    # The first sender wakes up late: its outcome is not recorded over the new holder's claim.
    record(engine, worker="first", now=later, outcomes=[Outcome(c.id, sent=True) for c in taken])
    assert {r.status for r in all_rows(engine).values()} == {OutboxStatus.SENDING}
    counts = record(engine, worker="second", now=later,
                    outcomes=[Outcome(c.id, sent=True, attempts=2) for c in taken])
    assert counts == Recorded(sent=2, retried=0, failed=0)
    assert {r.status for r in all_rows(engine).values()} == {OutboxStatus.SENT}


def test_record_stores_sent_retried_and_failed(engine):
    put(engine, *(row(k) for k in ("ok", "again", "bad", "worn-out")))
    claimed = {c.context["k"]: c for c in claim(engine, worker="w", now=NOW, lease=LEASE, limit=10)}
    at = NOW + timedelta(seconds=5)
    counts = record(engine, worker="w", now=at, outcomes=[
        Outcome(claimed["ok"].id, sent=True, error="部分收件人被拒：x@example.org 550 no"),
        Outcome(claimed["again"].id, sent=False, error="无法连接邮件服务器", attempts=1),
        Outcome(claimed["bad"].id, sent=False, permanent=True, error="550 5.1.1 user unknown"),
        Outcome(claimed["worn-out"].id, sent=False, error="451 稍后再试", attempts=MAX_ATTEMPTS),
    ])
    assert counts == Recorded(sent=1, retried=1, failed=2)
    rows = all_rows(engine)
    ok, again, bad, worn = rows["ok"], rows["again"], rows["bad"], rows["worn-out"]
    assert (ok.status, ok.sent_at, ok.claimed_until) == (OutboxStatus.SENT, at, None)
    assert ok.last_error == "部分收件人被拒：x@example.org 550 no"
    assert (again.status, again.send_after, again.sent_at) == (
        OutboxStatus.PENDING, at + timedelta(minutes=1), None)
    assert again.last_error == "无法连接邮件服务器"
    assert (bad.status, bad.last_error, bad.send_after) == (
        OutboxStatus.FAILED, "550 5.1.1 user unknown", NOW)
    assert worn.status is OutboxStatus.FAILED
    assert (bad.failed_at, worn.failed_at, ok.failed_at, again.failed_at) == (at, at, None, None)
    assert worn.last_error == f"重试 {MAX_ATTEMPTS} 次仍失败：451 稍后再试"
    # Only the retried row comes back, and only once its backoff has passed.
    assert claim(engine, worker="w", now=at + timedelta(seconds=59), lease=LEASE, limit=10) == []
    [c] = claim(engine, worker="w", now=at + timedelta(minutes=1), lease=LEASE, limit=10)
    assert (c.context["k"], c.attempts) == ("again", 2)


@pytest.mark.parametrize(("attempts", "delay"), [
    (1, timedelta(minutes=1)), (2, timedelta(minutes=2)), (3, timedelta(minutes=4)),
    (6, timedelta(minutes=32)), (7, timedelta(hours=1)), (20, timedelta(hours=1)),
])
def test_backoff_doubles_and_is_capped_at_an_hour(attempts, delay):
    assert backoff(attempts) == delay


def test_drop_pending_withdraws_only_the_items_unclaimed_rows(engine):
    with session_scope(engine) as session:
        make_unit(session)
        one = make_item(session, title="事项一").id
        two = make_item(session, title="事项二").id
    put(engine, row("one-a", item_id=one), row("one-b", item_id=one, recipient="b@example.org"),
        row("one-sent", item_id=one, status="sent"), row("two", item_id=two, recipient="c@example.org"))
    claim(engine, worker="w", now=NOW, lease=LEASE, limit=1)  # takes one-a, the oldest id
    with session_scope(engine) as session:
        assert drop_pending(session, one, reason="事项已办结") == 1
    rows = all_rows(engine)
    assert rows["one-a"].status is OutboxStatus.SENDING
    assert (rows["one-b"].status, rows["one-b"].last_error) == (OutboxStatus.DROPPED, "事项已办结")
    assert rows["one-sent"].status is OutboxStatus.SENT
    assert rows["two"].status is OutboxStatus.PENDING


def test_a_recipients_ready_rows_of_one_kind_are_claimed_together(engine):
    put(engine,
        row("a-1", recipient="a@example.org", send_after=NOW - timedelta(hours=2)),
        row("b-1", recipient="b@example.org", send_after=NOW - timedelta(hours=1)),
        row("a-2", recipient="a@example.org", send_after=NOW),
        row("a-esc", recipient="a@example.org", reminder="督办"),  # another kind: its own group
        row("a-later", recipient="a@example.org", send_after=NOW + timedelta(minutes=1)),
        row("a-meeting", recipient="a@example.org", reminder="会议提醒"),  # never listed
        row("a-meeting-2", recipient="a@example.org", reminder="会议提醒"))
    first = claim(engine, worker="w1", now=NOW, lease=LEASE, limit=1)
    assert [c.context["k"] for c in first] == ["a-1", "a-2"]
    second = claim(engine, worker="w2", now=NOW, lease=LEASE, limit=1)
    assert [c.context["k"] for c in second] == ["b-1"]
    rest = claim(engine, worker="w3", now=NOW, lease=LEASE, limit=1)
    assert [c.context["k"] for c in rest] == ["a-esc"]
    assert [c.context["k"] for c in claim(engine, worker="w4", now=NOW, lease=LEASE, limit=1)] == [
        "a-meeting"]
    assert all_rows(engine)["a-later"].status is OutboxStatus.PENDING


@pytest.mark.parametrize("recipients", [600, 30])
def test_concurrent_claimers_never_share_a_row_nor_split_a_group(engine, recipients):
    total = 600
    put(engine, *(row(f"r{i:04d}", recipient=f"p{i % recipients}@example.org")
                  for i in range(total)))
    taken: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work(name: str) -> None:
        try:
            start.wait()
            mine = taken.setdefault(name, [])
            while batch := claim(engine, worker=name, now=NOW, lease=LEASE, limit=25):
                mine.extend(c.id for c in batch)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    ids = [i for mine in taken.values() for i in mine]
    assert len(ids) == len(set(ids)) == total
    rows = all_rows(engine).values()
    assert {r.attempts for r in rows} == {1}
    by_worker = {name: {r.id for r in rows if r.claimed_by == name} for name in taken}
    assert by_worker == {name: set(mine) for name, mine in taken.items()}
    holders = {}
    for r in rows:
        holders.setdefault(r.recipient, set()).add(r.claimed_by)
    assert all(len(names) == 1 for names in holders.values()), holders


def test_drop_superseded_withdraws_only_unsent_stages_no_longer_owed(engine):
    with session_scope(engine) as session:
        make_unit(session)
        one = make_item(session, title="事项一").id
        two = make_item(session, title="事项二").id

    def ladder_row(item_id: int, stage: str, status: str = "pending") -> dict:
        r = row(f"item:{item_id}:due:{stage}:x@example.org", item_id=item_id, status=status)
        return {**r, "stage": stage}

    put(engine, ladder_row(one, "due_soon_3"), ladder_row(one, "overdue#0"),
        ladder_row(one, "overdue#1", status="sent"), ladder_row(one, "escalation"),
        ladder_row(two, "due_soon_3"),
        {**row(f"meeting:{one}:seq1:x@example.org", item_id=one), "stage": "seq1"})
    with session_scope(engine) as session:
        assert drop_superseded(session, {}, now=LATER) == 0
        # Rows queued at this very instant are what is owed now: never superseded.
        assert drop_superseded(session, {one: {"overdue#2"}}, now=NOW) == 0
        assert drop_superseded(session, {one: {"overdue#2", "escalation"}}, now=LATER) == 2
    status = {k.split(":", 1)[1]: (r.status, r.last_error) for k, r in all_rows(engine).items()}
    dropped = (OutboxStatus.DROPPED, "已被后续提醒取代")
    assert status == {
        f"{one}:due:due_soon_3:x@example.org": dropped,
        f"{one}:due:overdue#0:x@example.org": dropped,
        f"{one}:due:overdue#1:x@example.org": (OutboxStatus.SENT, None),
        f"{one}:due:escalation:x@example.org": (OutboxStatus.PENDING, None),
        f"{two}:due:due_soon_3:x@example.org": (OutboxStatus.PENDING, None),  # not asked about
        f"{one}:seq1:x@example.org": (OutboxStatus.PENDING, None),  # a meeting notice
    }


def test_enqueue_takes_more_rows_than_one_statement_may_bind(engine):
    # 6,000 rows × 13 columns is past PostgreSQL's 65,535 bind parameters per statement (a
    # bureau whose 1,000 overdue items all reach 通报 owes about that many in one batch).
    rows = [row(f"bulk-{n}") for n in range(6000)]
    assert len(put(engine, *rows)) == 6000
    assert put(engine, *rows[:10], row("bulk-new")) == [row("bulk-new")]


def new_row(key: str, *, item_id: int | None = None, reminder: str = "逾期催办",
            cc: list[str] | None = None, context: dict | None = None,
            any_hour: bool = False) -> NewRow:
    return NewRow(key, item_id, reminder, "overdue#0", "youfu@example.org", "刘洋",
                  json.dumps(cc or []), json.dumps(context or {"k": key}), NOW, any_hour,
                  message_id_for(key, "duban.example.org"))


def insert(engine, *rows: NewRow, now: datetime = NOW) -> dict[str, int]:
    with session_scope(engine) as session:
        return dict(insert_new(session, list(rows), now=now))


def test_insert_new_stores_what_enqueue_stores(engine):
    with session_scope(engine) as session:
        make_unit(session)
        item_id = make_item(session).id
    context = {"item": {"title": '关于"引号"与\\反斜杠的事项', "code": None, "days": 3},
               "list": [1, None, "二"], "bureau": "区退役军人事务局"}
    cc = ["wu.lixin@example.org", "duban1@example.org"]
    for suffix, owner, any_hour in (("item", item_id, True), ("none", None, False)):
        put(engine, {**row(f"old-{suffix}", item_id=owner), "cc": cc, "context": context,
                     "any_hour": any_hour})
        assert insert(engine, new_row(f"new-{suffix}", item_id=owner, cc=cc, context=context,
                                      any_hour=any_hour)) == {"逾期催办": 1}
    rows = all_rows(engine)
    columns = [c for c in Outbox.model_fields if c not in ("id", "dedupe_key", "message_id")]
    for suffix in ("item", "none"):
        old, new = rows[f"old-{suffix}"], rows[f"new-{suffix}"]
        assert {c: getattr(new, c) for c in columns} == {c: getattr(old, c) for c in columns}
        assert new.message_id == message_id_for(f"new-{suffix}", "duban.example.org")
    # Byte for byte too (PostgreSQL's json type keeps the text as given).
    with session_scope(engine) as session:
        texts = dict(session.execute(sa_select(Outbox.dedupe_key, cast(Outbox.context, Text))).all())
    assert texts["new-item"] == texts["old-item"] == json.dumps(context)


def test_insert_new_counts_only_the_rows_it_added_by_kind_and_keeps_their_order(engine):
    assert insert(engine) == {}
    assert insert(engine, new_row("a"), new_row("b", reminder="督办"),
                  new_row("c", reminder="督办")) == {"逾期催办": 1, "督办": 2}
    # Existing keys and a key twice in one call are added (and counted) once.
    assert insert(engine, new_row("b", reminder="督办"), new_row("d", reminder="通报"),
                  new_row("a"), new_row("e", reminder="督办"),
                  new_row("d", reminder="通报")) == {"通报": 1, "督办": 1}
    assert insert(engine, new_row("a"), new_row("e", reminder="督办")) == {}
    assert list(all_rows(engine)) == ["a", "b", "c", "d", "e"]  # ordered by id
    assert {r.status for r in all_rows(engine).values()} == {OutboxStatus.PENDING}


def test_insert_new_takes_more_rows_than_one_statement_may_bind(engine):
    # 6,000 rows × 11 values: past PostgreSQL's 65,535 bind parameters per statement.
    rows = [new_row(f"bulk-{n}") for n in range(6000)]
    assert insert(engine, *rows) == {"逾期催办": 6000}
    assert insert(engine, *rows[:10], new_row("bulk-new")) == {"逾期催办": 1}
    assert len(all_rows(engine)) == 6001
