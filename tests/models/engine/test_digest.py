"""The weekly digest: once per ISO week per active supervisor, from the week's first working day
at the start of office hours, with counts, the overdue list and failed deliveries; and it
arrives at a real SMTP server."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from models.domain.calendar import WorkCalendar
from models.domain.enums import OutboxStatus
from models.engine.digest import digest_due_at, queue_digest
from models.engine.outbox import enqueue, message_id_for
from models.records.items import cancel_item, complete_item, update_item
from models.records.units import add_person
from models.store.db import session_scope
from models.store.tables import Outbox, Person
from tests.support.bureau import CONFIG
from tests.support.factories import T0, make_item, make_unit
from tests.support.smtp import deliver_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENDER = "区退役军人事务局督办 <duban@example.org>"
SUPERVISORS = {"duban1@example.org": "钱立群", "duban2@example.org": "孙雅文"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def bureau(engine):
    with session_scope(engine) as session:
        make_unit(session)
        make_unit(session, "示例三街道办事处", "街道办事处", contact_name="朱军",
                  contact_email="jiedao03@example.org")
        add_person(session, name="赵明远", role="主要负责人", email="juzhang@example.org",
                   phone=None, actor="test", now=T0)
        for email, name in SUPERVISORS.items():
            add_person(session, name=name, role="督办人员", email=email, phone=None,
                       actor="test", now=T0)
    return engine


def digests(engine) -> list[Outbox]:
    with session_scope(engine) as session:
        return list(session.exec(select(Outbox).where(Outbox.reminder == "周报")
                                 .order_by(col(Outbox.id))))


def run_deliver(engine, server, now: datetime):
    return deliver_to(engine, server, now=now, config=CONFIG, sender=SENDER)


# --- when -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("now", "week", "due"), [
    ("2026-11-30 08:00", "2026-W49", "2026-11-30 09:00"),  # an ordinary Monday
    ("2026-12-06 23:00", "2026-W49", "2026-11-30 09:00"),  # its Sunday
    ("2026-10-05 12:00", "2026-W41", "2026-10-08 09:00"),  # National Day: Mon–Wed off
    ("2026-10-10 10:00", "2026-W41", "2026-10-08 09:00"),  # the 调休 Saturday of that week
    ("2026-09-28 10:00", "2026-W40", "2026-09-28 09:00"),  # holiday starts Thursday
    # Spring Festival 2026 (02-15..23 off): no working day in W08 at all; it falls to 02-24.
    ("2026-02-18 10:00", "2026-W08", "2026-02-24 09:00"),
    ("2026-02-24 10:00", "2026-W09", "2026-02-24 09:00"),
])
def test_digest_falls_due_on_the_weeks_first_working_day(now, week, due):
    assert digest_due_at(at(now), CONFIG, WorkCalendar()) == (week, at(due))


def test_queued_once_per_week_per_active_supervisor(bureau):
    with session_scope(bureau) as session:
        add_person(session, name="已调离", role="督办人员", email="gone@example.org",
                   phone=None, actor="test", now=T0)
        session.exec(select(Person).where(Person.email == "gone@example.org")).one().active = False

    assert queue_digest(bureau, now=at("2026-11-30 08:59"), config=CONFIG) == 0
    assert digests(bureau) == []
    assert queue_digest(bureau, now=at("2026-11-30 09:00"), config=CONFIG) == 2
    rows = digests(bureau)
    assert {r.recipient: r.recipient_name for r in rows} == SUPERVISORS  # not the head
    assert {r.stage for r in rows} == {"digest:2026-W49"}
    assert {r.send_after for r in rows} == {at("2026-11-30 09:00")}
    assert {r.item_id for r in rows} == {None}
    assert {r.dedupe_key for r in rows} == {f"digest:2026-W49:{e}" for e in SUPERVISORS}
    assert {r.message_id for r in rows} == {
        message_id_for(f"digest:2026-W49:{e}", "duban.example.org") for e in SUPERVISORS}

    for later in ("2026-11-30 09:10", "2026-12-02 15:00", "2026-12-06 23:59"):
        assert queue_digest(bureau, now=at(later), config=CONFIG) == 0
    assert len(digests(bureau)) == 2

    assert queue_digest(bureau, now=at("2026-12-07 08:59"), config=CONFIG) == 0
    assert queue_digest(bureau, now=at("2026-12-07 09:00"), config=CONFIG) == 2
    assert [r.stage for r in digests(bureau)][2:] == ["digest:2026-W50"] * 2


def test_a_supervisor_added_mid_week_gets_this_weeks_digest(bureau):
    assert queue_digest(bureau, now=at("2026-11-30 09:00"), config=CONFIG) == 2
    with session_scope(bureau) as session:
        add_person(session, name="新同事", role="督办人员", email="duban3@example.org",
                   phone=None, actor="test", now=at("2026-12-02 10:00"))
    assert queue_digest(bureau, now=at("2026-12-02 10:10"), config=CONFIG) == 1
    assert digests(bureau)[-1].recipient == "duban3@example.org"
    assert queue_digest(bureau, now=at("2026-12-02 10:20"), config=CONFIG) == 0


def test_monday_holiday_week_waits_for_thursday(bureau):
    cal = WorkCalendar()
    assert [cal.is_workday(date(2026, 10, d)) for d in range(5, 10)] == [
        False, False, False, True, True]
    for early in ("2026-10-05 09:00", "2026-10-07 16:00", "2026-10-08 08:59"):
        assert queue_digest(bureau, now=at(early), config=CONFIG) == 0, early
    assert queue_digest(bureau, now=at("2026-10-08 09:00"), config=CONFIG) == 2
    assert {(r.stage, r.send_after) for r in digests(bureau)} == {
        ("digest:2026-W41", at("2026-10-08 09:00"))}
    # The 调休 Saturday of the same week adds nothing.
    assert queue_digest(bureau, now=at("2026-10-10 09:00"), config=CONFIG) == 0


def test_no_supervisors_no_digest(engine):
    with session_scope(engine) as session:
        make_unit(session)
        add_person(session, name="赵明远", role="主要负责人", email="juzhang@example.org",
                   phone=None, actor="test", now=T0)
    assert queue_digest(engine, now=at("2026-11-30 09:00"), config=CONFIG) == 0


# --- what it says ---------------------------------------------------------------------------

NOW = at("2026-11-30 09:30")


def setup_items(engine) -> None:
    with session_scope(engine) as session:
        first = make_item(session, code="DB-1", title="逾期一", deadline="2026-11-20")
        make_item(session, "示例三街道办事处", code="DB-2", title="逾期二", deadline="2026-11-10")
        make_item(session, code="DB-3", title="临期事项", deadline="2026-12-03")
        make_item(session, code="DB-4", title="正常事项", deadline="2026-12-18")
        done = make_item(session, code="DB-5", title="已办结事项", deadline="2026-11-20")
        gone = make_item(session, code="DB-6", title="已撤销事项", deadline="2026-11-20")
        complete_item(session, done.id, at=None, actor="test", now=T0)
        cancel_item(session, gone.id, actor="test", now=T0)
        # Its title comes from its item: reminder rows store none.
        failed = {"dedupe_key": "old-failure", "item_id": first.id, "reminder": "逾期催办",
                  "stage": "overdue#0", "recipient": "nobody@example.org",
                  "recipient_name": "某人", "cc": [], "context": {},
                  "status": "failed", "send_after": NOW - timedelta(days=2), "attempts": 1,
                  "message_id": message_id_for("old-failure", "duban.example.org"),
                  "created_at": NOW - timedelta(days=20), "failed_at": NOW - timedelta(days=2),
                  "last_error": "550 5.1.1 user unknown"}
        # Queued recently, but it failed before the digest's week.
        stale = {**failed, "dedupe_key": "older-failure", "created_at": NOW - timedelta(days=9),
                 "failed_at": NOW - timedelta(days=8),
                 "message_id": message_id_for("older-failure", "duban.example.org")}
        # Failed this week, nothing to say when: not listed rather than guessed.
        unknown = {**failed, "dedupe_key": "unknown-failure", "created_at": NOW - timedelta(days=1),
                   "failed_at": None, "message_id": message_id_for("unknown-failure", "duban.example.org")}
        enqueue(session, [failed, stale, unknown])


def test_digest_context_counts_lists_and_failures(bureau):
    setup_items(bureau)
    assert queue_digest(bureau, now=NOW, config=CONFIG) == 2
    row = digests(bureau)[0]
    ctx = row.context
    assert ctx["recipient_name"] == "钱立群"
    assert ctx["bureau"] == "区退役军人事务局"
    assert ctx["now"] == "2026-11-30 09:30"
    assert ctx["counts"] == {"正常": 1, "临期": 1, "逾期": 2, "已办结": 1, "已撤销": 1}
    assert ctx["units"] == [
        {"unit": "优抚褒扬科", "逾期": 1, "临期": 1, "正常": 1},
        {"unit": "示例三街道办事处", "逾期": 1, "临期": 0, "正常": 0},
    ]
    assert [(o["code"], o["title"], o["days_overdue"], o["deadline"]) for o in ctx["overdue"]] == [
        ("DB-2", "逾期二", 14, "2026-11-10"), ("DB-1", "逾期一", 6, "2026-11-20")]
    assert ctx["failed"] == [{"recipient": "nobody@example.org", "subject": "逾期催办：逾期一",
                              "error": "550 5.1.1 user unknown"}]


def test_failed_deliveries_are_listed_under_their_items_current_title(bureau):
    with session_scope(bureau) as session:
        item = make_item(session, title="旧标题", deadline="2026-11-20")
        update_item(session, item.id, {"title": "新标题"}, actor="test", now=T0, tz=SHANGHAI)
        base = {"reminder": "逾期催办", "stage": "overdue#0", "recipient": "nobody@example.org",
                "recipient_name": "某人", "cc": [], "context": {}, "status": "failed",
                "send_after": NOW - timedelta(days=2), "attempts": 1,
                "created_at": NOW - timedelta(days=3), "failed_at": NOW - timedelta(days=2),
                "last_error": "550 5.1.1 user unknown"}
        enqueue(session, [
            {**base, "dedupe_key": "about-item", "item_id": item.id,
             "message_id": message_id_for("about-item", "duban.example.org")},
            # A failed digest is about no item: its subject has no title.
            {**base, "dedupe_key": "digest:2026-W47:x@example.org", "item_id": None,
             "reminder": "周报", "stage": "digest:2026-W47",
             "message_id": message_id_for("digest:2026-W47:x@example.org", "duban.example.org")},
        ])
    queue_digest(bureau, now=NOW, config=CONFIG)
    assert [f["subject"] for f in digests(bureau)[-1].context["failed"]] == [
        "逾期催办：新标题", "周报："]


def test_the_digest_mail_arrives(bureau, smtp_server):
    setup_items(bureau)
    queue_digest(bureau, now=NOW, config=CONFIG)
    report = run_deliver(bureau, smtp_server, NOW)
    assert report.sent == 2
    received = {m.rcpt_tos[0]: m for m in smtp_server.messages}
    assert set(received) == set(SUPERVISORS)
    by_id = {r.message_id: r for r in digests(bureau)}
    for email, got in received.items():
        msg = got.message
        assert by_id[msg["Message-ID"]].recipient == email
        assert msg["Subject"] == "督办周报（截至 2026-11-30 09:30）"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for part in (text, html):
            assert SUPERVISORS[email] in part
            assert "逾期二" in part and "逾期一" in part
            assert "示例三街道办事处" in part
            assert "550 5.1.1 user unknown" in part
        assert "正常 1 项，临期 1 项，逾期 2 项，已办结 1 项，已撤销 1 项" in text
        assert "《逾期二》（DB-2，示例三街道办事处）办理时限 2026-11-10，已逾期 14 个工作日" in text
    assert {r.status for r in digests(bureau)} == {OutboxStatus.SENT}
    assert run_deliver(bureau, smtp_server, NOW + timedelta(minutes=10)).claimed == 0
