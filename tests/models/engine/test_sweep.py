"""The sweep on real SQLite and PostgreSQL: what it queues, for whom, and when it looks again.

Every instant is fixed; delivery (where a test needs it) goes to a real aiosmtpd server.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, insert
from sqlmodel import col, select

from models.domain.calendar import WorkCalendar
from models.domain.enums import OutboxStatus
from models.domain.ladder import LadderClock, next_fire_after, owed
from models.engine.mail_context import item_context, with_items
from models.engine.outbox import Claimed, claim
from models.engine.reminders import ladder_for, load_ladders, sweep
from models.records.items import cancel_item, complete_item, update_item
from models.records.units import add_person
from models.reports.views import deadline_of
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.next_actions import next_action_of, next_actions, set_next_action, set_next_actions
from models.store.tables import Item, Outbox, Person, Unit
from tests.support.bureau import CONFIG, CONTACT, HEAD, LEADER, SENDER, SUPERVISORS, add_people, outbox
from tests.support.clock import NOW, SHANGHAI, at
from tests.support.factories import T0, make_item, make_unit
from tests.support.smtp import deliver_to


@pytest.fixture
def bureau(engine):
    """One unit (contact 刘洋, leader 吴立新), a head and two supervisors."""
    with session_scope(engine) as session:
        make_unit(session)
        add_people(session)
    return engine


def new_item(engine, unit: str = "优抚褒扬科", *, now: datetime = T0, **fields) -> int:
    with session_scope(engine) as session:
        return make_item(session, unit, now=now, **fields).id


def item(engine, item_id: int) -> Item:
    with session_scope(engine) as session:
        found = session.get(Item, item_id)
        assert found is not None
        return found


def scheduled(engine, item_id: int) -> datetime | None:
    with session_scope(engine) as session:
        return next_action_of(session, item_id)


def mail_context(engine, row: Outbox, now: datetime = NOW) -> dict | None:
    """What delivery at ``now`` would give the row's templates (without claiming it)."""
    claimed = Claimed(row.id, row.item_id, row.reminder, row.stage, row.recipient,  # type: ignore[arg-type]
                      row.recipient_name, row.cc,
                      {**row.context, "recipient_name": row.recipient_name}, row.message_id,
                      row.attempts)
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
        [context] = with_items(session.connection(), [claimed], now=now, config=CONFIG,
                               calendar=calendar)
    return context


def summary(rows: list[Outbox]) -> set[tuple[str, str, str]]:
    return {(r.reminder.value, r.stage, r.recipient) for r in rows}


def run_deliver(engine, server, now: datetime):
    return deliver_to(engine, server, now=now, config=CONFIG, sender=SENDER)


# --- idempotence and cost -------------------------------------------------------------------

def test_running_the_sweep_twice_adds_nothing(bureau):
    item_id = new_item(bureau, deadline="2026-11-20")
    first = sweep(bureau, now=NOW, config=CONFIG)
    assert first.items == 1 and first.total == 5
    assert dict(first.queued) == {"逾期催办": 1, "督办": 1, "通报": 3}
    before = summary(outbox(bureau))

    again = sweep(bureau, now=NOW, config=CONFIG)
    assert (again.items, again.total) == (0, 0)

    # Even when the item is looked at again (its next time forced back), the unique key holds.
    with session_scope(bureau) as session:
        set_next_action(session, item_id, T0)
    forced = sweep(bureau, now=NOW, config=CONFIG)
    assert (forced.items, forced.total) == (1, 0)
    assert summary(outbox(bureau)) == before
    assert len(outbox(bureau)) == 5


def test_items_not_due_are_not_visited(bureau):
    late = new_item(bureau, title="逾期事项", deadline="2026-11-20")
    far = new_item(bureau, title="远期事项", deadline="2026-12-18")
    closed = new_item(bureau, title="已办结事项", deadline="2026-11-10")
    with session_scope(bureau) as session:
        complete_item(session, closed, at=None, actor="test", now=T0)

    # Freshly added items are looked at once (their next time is when they were added) ...
    first = sweep(bureau, now=NOW, config=CONFIG)
    assert first.items == 2
    assert {r.item_id for r in outbox(bureau)} == {late}
    # ... and each is pushed to its next rung, past now.
    assert scheduled(bureau, far) == at("2026-12-15 09:00")  # due_soon_3 of Fri 12-18
    assert scheduled(bureau, late) == at("2026-12-03 09:00")  # next 催办
    assert scheduled(bureau, closed) is None

    # Later the same day nothing is due: nothing is visited.
    assert sweep(bureau, now=at("2026-12-01 17:00"), config=CONFIG).items == 0
    # Two days later only the overdue item is due again.
    later = sweep(bureau, now=at("2026-12-03 10:00"), config=CONFIG)
    assert (later.items, dict(later.queued)) == (1, {"逾期催办": 1})
    assert scheduled(bureau, far) == at("2026-12-15 09:00")
    assert scheduled(bureau, late) == at("2026-12-07 09:00")
    with session_scope(bureau) as session:
        times = next_actions(session, [late, far, closed])
    assert set(times) == {late, far}
    assert all(t > at("2026-12-03 10:00") for t in times.values())


# --- closing and re-dating ------------------------------------------------------------------

@pytest.mark.parametrize("close", ["done", "cancel"])
def test_closing_an_item_drops_its_pending_reminders(bureau, smtp_server, close):
    item_id = new_item(bureau, deadline="2026-11-20")
    other = new_item(bureau, title="另一事项", deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)
    assert len(outbox(bureau, item_id=item_id)) == 5

    later = NOW + timedelta(minutes=30)
    with session_scope(bureau) as session:
        if close == "done":
            complete_item(session, item_id, at=None, actor="test", now=later)
        else:
            cancel_item(session, item_id, actor="test", now=later)
    reason = "事项已办结" if close == "done" else "事项已撤销"
    dropped = outbox(bureau, item_id=item_id)
    assert {(r.status, r.last_error) for r in dropped} == {(OutboxStatus.DROPPED, reason)}
    assert scheduled(bureau, item_id) is None
    assert {r.status for r in outbox(bureau, item_id=other)} == {OutboxStatus.PENDING}

    # The closed item is never visited again, and its reminders never go out.
    assert sweep(bureau, now=at("2026-12-03 10:00"), config=CONFIG).items == 1
    report = run_deliver(bureau, smtp_server, at("2026-12-03 10:00"))
    assert report.sent == 5  # the other item's 督办, 通报 ×3, and its latest 催办 (overdue#4)
    titles = {m.message["Subject"] for m in smtp_server.messages}
    assert all("另一事项" in t for t in titles)


def test_re_dating_drops_old_reminders_and_starts_a_new_ladder(bureau):
    item_id = new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)
    old = outbox(bureau)
    assert len(old) == 5

    moved = NOW + timedelta(hours=1)
    with session_scope(bureau) as session:
        update_item(session, item_id, {"deadline": "2026-12-04"}, actor="test", now=moved,
                    tz=SHANGHAI)
    assert {(r.status, r.last_error) for r in outbox(bureau)} == {
        (OutboxStatus.DROPPED, "完成时限已变更")}
    assert scheduled(bureau, item_id) == moved

    report = sweep(bureau, now=moved, config=CONFIG)
    assert dict(report.queued) == {"临期提醒": 1}
    [new] = outbox(bureau, status=OutboxStatus.PENDING)
    new_due = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 12-04 ends at 24:00 Shanghai
    assert new.dedupe_key == f"item:{item_id}:{new_due.isoformat()}:due_soon_3:{CONTACT}"
    assert new.dedupe_key not in {r.dedupe_key for r in old}
    assert (new.stage, new.recipient, new.send_after) == ("due_soon_3", CONTACT,
                                                          at("2026-12-01 09:00"))
    assert new.context == {}
    said = mail_context(bureau, new, moved)
    assert (said["item"]["deadline"], said["item"]["workdays_left"]) == ("2026-12-04", 3)
    assert sweep(bureau, now=moved, config=CONFIG).total == 0


# --- recipients -----------------------------------------------------------------------------

def test_escalation_goes_to_the_leader_copying_the_contact(bureau):
    new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)
    [esc] = outbox(bureau, stage="escalation")
    assert (esc.reminder.value, esc.recipient, esc.recipient_name, esc.cc) == (
        "督办", LEADER, "吴立新", [CONTACT])
    assert esc.send_after == at("2026-11-25 09:00")  # 3 working days after Fri 11-20
    said = mail_context(bureau, esc)
    assert (said["item"]["days_overdue"], said["leader"]) == (7, "吴立新")
    [urge] = outbox(bureau, reminder="逾期催办")
    assert (urge.recipient, urge.recipient_name, urge.cc) == (CONTACT, "刘洋", [])


def test_circulation_goes_to_every_active_head_and_supervisor(bureau):
    with session_scope(bureau) as session:
        add_person(session, name="钱副局长", role="主要负责人", email="fujuzhang@example.org",
                   phone=None, actor="test", now=T0)
        add_person(session, name="已调离", role="督办人员", email="gone@example.org", phone=None,
                   actor="test", now=T0)
        gone = session.exec(select(Person).where(Person.email == "gone@example.org")).one()
        gone.active = False
    new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)
    rows = outbox(bureau, reminder="通报")
    assert sorted(r.recipient for r in rows) == sorted(
        [HEAD, "fujuzhang@example.org", *SUPERVISORS])
    assert {r.stage for r in rows} == {"circulation"}
    assert {r.send_after for r in rows} == {at("2026-11-27 09:00")}
    assert all(r.cc == [] for r in rows)
    assert {r.recipient_name for r in rows} == {"赵明远", "钱副局长", "督办员1", "督办员2"}


def test_a_unit_without_a_leader_escalates_to_the_bureau_head(bureau):
    with session_scope(bureau) as session:
        make_unit(session, "示例三街道办事处", "街道办事处", contact_name="朱军",
                  contact_email="jiedao03@example.org", leader_name=None, leader_email=None)
    new_item(bureau, "示例三街道办事处", deadline="2026-11-20")
    report = sweep(bureau, now=NOW, config=CONFIG)
    assert report.no_recipient == 0
    [esc] = outbox(bureau, reminder="督办")
    assert (esc.recipient, esc.recipient_name, esc.cc) == (HEAD, "赵明远",
                                                           ["jiedao03@example.org"])


def test_reminders_without_anyone_to_receive_them_are_counted(engine):
    with session_scope(engine) as session:
        make_unit(session, leader_name=None, leader_email=None)
    new_item(engine, deadline="2026-11-20")
    report = sweep(engine, now=NOW, config=CONFIG)
    # No leader, no head (escalation) and no bureau people at all (circulation).
    assert report.no_recipient == 2
    assert summary(outbox(engine)) == {("逾期催办", "overdue#3", CONTACT)}


# --- time -----------------------------------------------------------------------------------

def test_a_night_sweep_queues_and_the_next_office_hour_sends(bureau, smtp_server):
    new_item(bureau, deadline="2026-11-20")
    night = at("2026-12-01 22:00")
    assert sweep(bureau, now=night, config=CONFIG).total == 5
    assert len(outbox(bureau, status=OutboxStatus.PENDING)) == 5

    report = run_deliver(bureau, smtp_server, night)
    assert (report.office_open, report.claimed, report.sent) == (False, 0, 0)
    early = run_deliver(bureau, smtp_server, at("2026-12-02 08:59"))
    assert (early.office_open, early.sent) == (False, 0)
    assert smtp_server.messages == []
    assert len(outbox(bureau, status=OutboxStatus.PENDING)) == 5

    morning = run_deliver(bureau, smtp_server, at("2026-12-02 09:00"))
    assert (morning.office_open, morning.sent) == (True, 5)
    assert len(smtp_server.messages) == 5
    assert {r.sent_at for r in outbox(bureau)} == {at("2026-12-02 09:00")}


def test_a_week_of_downtime_queues_each_stage_once_and_no_due_soon(bureau):
    new_item(bureau, deadline="2026-11-20")  # Friday; nothing ran until Tuesday 12-01 10:00
    report = sweep(bureau, now=NOW, config=CONFIG)
    assert dict(report.queued) == {"逾期催办": 1, "督办": 1, "通报": 3}
    rows = outbox(bureau)
    assert summary(rows) == {
        ("逾期催办", "overdue#3", CONTACT),
        ("督办", "escalation", LEADER),
        *(("通报", "circulation", p) for p in (HEAD, *SUPERVISORS)),
    }
    assert not [r for r in rows if r.reminder.value == "临期提醒"]
    assert {r.stage: r.send_after for r in rows} == {
        "overdue#3": at("2026-12-01 09:00"), "escalation": at("2026-11-25 09:00"),
        "circulation": at("2026-11-27 09:00")}
    # The rest of the day adds nothing; the next 催办 comes two working days later.
    assert sweep(bureau, now=at("2026-12-01 17:20"), config=CONFIG).total == 0
    assert summary(outbox(bureau)) == summary(rows)
    assert sweep(bureau, now=at("2026-12-03 09:00"), config=CONFIG).queued == {"逾期催办": 1}


def test_the_ladder_across_national_day_and_its_tiaoxiu_saturday(bureau, smtp_server):
    cal = WorkCalendar()
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, a 调休 working day
    new_item(bureau, deadline="2026-10-09", now=at("2026-09-20 10:00"))

    def day(now: str) -> list[str]:
        """Sweep then deliver at ``now``: the stages that reached the server."""
        seen = len(smtp_server.messages)
        sweep(bureau, now=at(now), config=CONFIG)
        run_deliver(bureau, smtp_server, at(now))
        ids = {r.message_id: r.stage for r in outbox(bureau)}
        return sorted(ids[m.message["Message-ID"]] for m in smtp_server.messages[seen:])

    assert day("2026-09-28 10:00") == []
    assert day("2026-09-29 10:00") == ["due_soon_3"]
    assert day("2026-10-05 10:00") == []  # holiday: nothing new, nothing sent
    assert day("2026-10-08 10:00") == ["due_soon_1"]
    assert day("2026-10-09 10:00") == ["due_today"]
    # The first 催办 goes out on the 调休 Saturday, the first working day after the deadline.
    assert day("2026-10-10 10:00") == ["overdue#0"]
    assert day("2026-10-11 10:00") == []  # Sunday
    assert day("2026-10-12 10:00") == []
    assert day("2026-10-13 10:00") == ["escalation", "overdue#1"]
    assert day("2026-10-15 10:00") == ["circulation", "circulation", "circulation", "overdue#2"]
    first_urge = outbox(bureau, stage="overdue#0")[0]
    assert first_urge.sent_at == at("2026-10-10 10:00")
    assert mail_context(bureau, first_urge, at("2026-10-10 10:00"))["item"]["days_overdue"] == 1


def test_a_holiday_sweep_waits_for_the_first_working_day(bureau, smtp_server):
    new_item(bureau, deadline="2026-09-25", now=at("2026-09-01 10:00"))
    holiday = at("2026-10-03 11:00")
    report = sweep(bureau, now=holiday, config=CONFIG)
    # Three working days late (09-28..30): 催办 and 督办; 通报 is not due until 10-09.
    assert dict(report.queued) == {"逾期催办": 1, "督办": 1}
    assert run_deliver(bureau, smtp_server, holiday).office_open is False
    assert run_deliver(bureau, smtp_server, at("2026-10-07 16:00")).office_open is False
    assert smtp_server.messages == []
    assert run_deliver(bureau, smtp_server, at("2026-10-08 09:00")).sent == 2
    assert len(smtp_server.messages) == 2


def test_reminders_left_unsent_are_superseded_not_sent_late(bureau, smtp_server):
    """The mail server was down for a week: when it is back, the contact gets today's 催办,
    not also last week's "3 working days left" for an item that is now overdue."""
    new_item(bureau, deadline="2026-12-04")  # Friday
    assert dict(sweep(bureau, now=NOW, config=CONFIG).queued) == {"临期提醒": 1}
    smtp_server.stop()
    assert run_deliver(bureau, smtp_server, NOW).retried == 1
    smtp_server.start()

    monday = at("2026-12-07 10:00")
    report = sweep(bureau, now=monday, config=CONFIG)
    assert dict(report.queued) == {"逾期催办": 1}
    assert report.superseded == 1
    [stale] = outbox(bureau, stage="due_soon_3")
    assert (stale.status, stale.last_error) == (OutboxStatus.DROPPED, "已被后续提醒取代")
    assert run_deliver(bureau, smtp_server, monday).sent == 1
    assert [m.message["Subject"] for m in smtp_server.messages] == [
        "关于《做好优待证办理工作》逾期未办结的催办通知"]


def test_an_unsent_催办_gives_way_to_the_next_one_and_other_stages_stay(bureau, smtp_server):
    new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)  # overdue#3, escalation, circulation ×3; not sent
    report = sweep(bureau, now=at("2026-12-03 10:00"), config=CONFIG)
    assert (dict(report.queued), report.superseded) == ({"逾期催办": 1}, 1)
    assert {(r.stage, r.status) for r in outbox(bureau)} == {
        ("overdue#3", OutboxStatus.DROPPED), ("overdue#4", OutboxStatus.PENDING),
        ("escalation", OutboxStatus.PENDING), ("circulation", OutboxStatus.PENDING)}
    assert run_deliver(bureau, smtp_server, at("2026-12-03 10:00")).sent == 5
    # Sent reminders are history: nothing sent is ever withdrawn.
    sweep(bureau, now=at("2026-12-07 10:00"), config=CONFIG)
    assert {r.status for r in outbox(bureau) if r.stage != "overdue#3"} == {OutboxStatus.SENT,
                                                                          OutboxStatus.PENDING}
    assert [r.stage for r in outbox(bureau, status=OutboxStatus.PENDING)] == ["overdue#5"]


# --- batches: plain rows, one plan per deadline, one statement per batch --------------------

def test_items_sharing_a_date_but_not_a_ladder_or_a_time_each_get_their_own_reminders(bureau):
    # The sweep plans each (ladder, deadline, due instant) once per run; nothing may carry
    # over between items that share only part of that. The oracle is the pure ladder itself.
    ids = [
        new_item(bureau, deadline="2026-12-02"),
        new_item(bureau, title="同日限时", deadline="2026-12-02 15:00"),
        new_item(bureau, title="同日会议", kind="会议", deadline="2026-12-02 15:00"),
        new_item(bureau, title="同日任务", kind="任务", deadline="2026-12-02"),
        new_item(bureau, title="逾期一", deadline="2026-11-20"),
        new_item(bureau, title="逾期二", deadline="2026-11-25"),
        new_item(bureau, title="逾期三", deadline="2026-11-20 12:00"),
    ]
    report = sweep(bureau, now=NOW, config=CONFIG)
    assert report.items == len(ids)

    with session_scope(bureau) as session:
        calendar = calendar_from_db(session)
        ladders = load_ladders(session)
        items = {i: session.get(Item, i) for i in ids}
        times = next_actions(session, ids)
        unit = session.exec(select(Unit)).one()
    clock = LadderClock(tz=SHANGHAI, calendar=calendar, office_start=CONFIG.office_start)
    stages = {}
    for item_id, it in items.items():
        ladder = ladder_for(ladders, it.kind)
        owed_now = owed(ladder, deadline_of(it), it.due_at, now=NOW, clock=clock)
        stages[item_id] = {d.stage for d in owed_now}
        rows = outbox(bureau, item_id=item_id)
        assert {r.stage for r in rows} == stages[item_id]
        assert {(r.stage, r.send_after) for r in rows} == {(d.stage, d.fire_at) for d in owed_now}
        assert times.get(item_id) == next_fire_after(ladder, deadline_of(it), now=NOW, clock=clock)
        expected = item_context(it, unit, now=NOW, config=CONFIG, calendar=calendar)
        for r in rows:
            assert set(r.context) == ({"meeting", "ics"} if it.kind.value == "会议" else set())
            said = mail_context(bureau, r)
            assert {k: said[k] for k in expected} == expected
            assert r.dedupe_key.startswith(f"item:{item_id}:{it.due_at.isoformat()}:")
    # The same date owes different things by ladder and by time of day.
    assert stages[ids[0]] != stages[ids[2]]
    assert len({frozenset(stages[i]) for i in ids[4:]}) > 1


def test_reminders_store_no_item_fields_and_claims_add_the_recipients_name(bureau):
    new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)
    stored = outbox(bureau)
    assert stored and all(r.context == {} for r in stored)
    claimed = claim(bureau, worker="w", now=NOW, lease=timedelta(minutes=5), limit=100)
    assert len(claimed) == len(stored)
    assert all(c.context == {"recipient_name": c.recipient_name} for c in claimed)
    assert {c.item_id for c in claimed} == {stored[0].item_id}


def test_a_batch_of_closed_items_only_is_pushed_to_never(bureau):
    closed = [new_item(bureau, title=f"已办结{n}", deadline="2026-11-10") for n in range(3)]
    with session_scope(bureau) as session:
        for item_id in closed:
            complete_item(session, item_id, at=None, actor="test", now=T0)
        set_next_actions(session, [(i, T0) for i in closed])  # looked at once more
    report = sweep(bureau, now=NOW, config=CONFIG, batch_size=2)
    assert (report.items, report.total) == (3, 0)
    assert [scheduled(bureau, i) for i in closed] == [None, None, None]


def test_a_rerun_counts_only_the_reminders_it_added(bureau):
    item_id = new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=NOW, config=CONFIG)
    with session_scope(bureau) as session:
        # Forget one circulation and the escalation, then look at the item again.
        session.execute(delete(Outbox).where(col(Outbox.recipient) == HEAD))
        session.execute(delete(Outbox).where(col(Outbox.stage) == "escalation"))
        set_next_action(session, item_id, T0)
    again = sweep(bureau, now=NOW, config=CONFIG)
    assert (again.items, dict(again.queued)) == (1, {"通报": 1, "督办": 1})
    assert len(outbox(bureau)) == 5


def test_a_batch_owing_more_values_than_one_statement_may_bind(bureau):
    # 1,000 items at the 通报 stage with five bureau people owe 7 rows each: 7,000 rows of 11
    # values, past PostgreSQL's 65,535 bind parameters, all in one batch.
    with session_scope(bureau) as session:
        for n in (3, 4):
            add_person(session, name=f"督办员{n}", role="督办人员", email=f"duban{n}@example.org",
                       phone=None, actor="test", now=T0)
    first = new_item(bureau, deadline="2026-11-20")
    table = Item.__table__  # type: ignore[attr-defined]
    with session_scope(bureau) as session:
        template = dict(session.execute(select(table).where(table.c.id == first)).mappings().one())
        del template["id"]
        session.execute(insert(table), [{**template, "title": f"批量事项{n}"} for n in range(999)])
        added = session.execute(select(table.c.id).where(table.c.id != first)).scalars()
        set_next_actions(session, [(item_id, T0) for item_id in added], new=True)
    report = sweep(bureau, now=NOW, config=CONFIG, batch_size=1000)
    assert report.items == 1000
    assert dict(report.queued) == {"逾期催办": 1000, "督办": 1000, "通报": 5000}
    assert len(outbox(bureau)) == 7000
    assert len({r.message_id for r in outbox(bureau)}) == 7000
