"""The sweep's SQL fan-out (models.engine.fanout) against its oracle, the Python path.

The same items are swept twice from the same state: once as in production (plain items' rows
built by the database), once with every item sent through ``reminders._rows_for_item``. The
rows must be the same in every column (contexts and cc compared decoded), in the same id order.
(A plain item's context is ``{}`` either way; what its mail says is read at delivery.)
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete, insert, update
from sqlmodel import col, select

from models.domain.enums import ItemStatus, ReminderKind
from models.engine import reminders
from models.engine.reminders import sweep
from models.records.units import add_person
from models.store.db import session_scope
from models.store.next_actions import next_actions, set_next_actions
from models.store.tables import Item, LadderRung, Outbox, Person, Unit
from tests.models.engine.test_sweep import CONFIG, NOW, add_people
from tests.support.factories import T0, make_item, make_unit

COLUMNS = ("dedupe_key", "item_id", "reminder", "stage", "recipient", "recipient_name", "cc",
           "context", "status", "send_after", "attempts", "message_id", "any_hour", "created_at")


def snapshot(engine) -> list[tuple]:
    with session_scope(engine) as session:
        rows = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
        return [tuple(getattr(r, c) for c in COLUMNS) for r in rows]


def schedule(engine) -> dict[int, tuple]:
    with session_scope(engine) as session:
        items = session.exec(select(Item)).all()
        times = next_actions(session, [i.id for i in items])
        return {i.id: (times.get(i.id), i.status) for i in items}


def reset(engine, before: dict[int, tuple]) -> None:
    """Back to before the first sweep (meetings it marked held included)."""
    with session_scope(engine) as session:
        session.execute(delete(Outbox))
        for item_id, (_, status) in before.items():
            session.execute(update(Item).where(col(Item.id) == item_id).values(status=status))
        set_next_actions(session, [(item_id, at) for item_id, (at, _) in before.items()])


@pytest.fixture
def varied(engine):
    """Units with and without a leader, one whose leader is its contact (other case), two
    heads, an inactive supervisor, a head and a supervisor sharing an email (other case), a
    custom ladder with cc to the bureau and to the leader, items on several deadlines, and a
    meeting between them."""
    with session_scope(engine) as session:
        make_unit(session)
        make_unit(session, "示例三街道办事处", "街道办事处", contact_name="朱军",
                  contact_email="jiedao03@example.org", leader_name=None, leader_email=None)
        make_unit(session, "综合科", contact_name="王芳", contact_email="zonghe@example.org",
                  leader_name="王芳", leader_email="ZongHe@Example.org")
        add_people(session)
        add_person(session, name="钱副局长", role="主要负责人", email="fujuzhang@example.org",
                   phone=None, actor="test", now=T0)
        add_person(session, name="同名邮箱", role="督办人员", email="FuJuZhang@example.org",
                   phone=None, actor="test", now=T0)
        add_person(session, name="已调离", role="督办人员", email="gone@example.org", phone=None,
                   actor="test", now=T0)
        gone = session.exec(select(Person).where(Person.email == "gone@example.org")).one()
        gone.active = False
        for key, reminder, offset, to, cc, repeat in (
                ("t_before", "临期提醒", -1, "contact", "leader", None),
                ("t_over", "逾期催办", 1, "contact", "bureau", 1),
                ("t_lead", "督办", 2, "leader", "contact", None),
                ("t_all", "通报", 3, "bureau", "leader", None)):
            session.execute(insert(LadderRung).values(
                item_kind="任务", key=key, reminder=reminder, offset_workdays=offset,
                audience=to, cc_audience=cc, repeat_every=repeat, minutes_before=None,
                any_hour=False))
        for unit in ("优抚褒扬科", "示例三街道办事处", "综合科"):
            for kind in ("整改事项", "任务"):
                for deadline in ("2026-11-20", "2026-11-26", "2026-12-02", "2026-12-03 15:00"):
                    make_item(session, unit, kind=kind, deadline=deadline)
            make_item(session, unit, kind="会议", title="调度会", deadline="2026-11-30 15:00")
            # The loop: one not acknowledged (owes a 签收提醒), one waiting for 审核 though due
            # a look (owes nothing).
            make_item(session, unit, kind="整改事项", deadline="2026-11-26", acked=False)
            waiting = make_item(session, unit, kind="任务", deadline="2026-11-20")
            waiting.status = ItemStatus.SUBMITTED
    return engine


def test_fanned_rows_equal_the_python_paths_in_every_column_and_order(varied, monkeypatch):
    before = schedule(varied)
    reports = []
    for now in (NOW, NOW, datetime(2026, 12, 4, 10, 0, tzinfo=NOW.tzinfo)):
        reports.append(sweep(varied, now=now, config=CONFIG, batch_size=7, connections=1))
    fanned, pushed = snapshot(varied), schedule(varied)

    reset(varied, before)
    monkeypatch.setattr(reminders, "_plain", lambda item: False)
    oracle_reports = []
    for now in (NOW, NOW, datetime(2026, 12, 4, 10, 0, tzinfo=NOW.tzinfo)):
        oracle_reports.append(sweep(varied, now=now, config=CONFIG, batch_size=7, connections=1))

    assert len(fanned) > 100
    assert sum(row[2] == ReminderKind.ACK for row in fanned) == 3
    oracle = snapshot(varied)
    # Items tied on their next action time come in item order (the sweep orders by both).
    assert fanned == oracle
    assert pushed == schedule(varied)
    assert reports == oracle_reports
    assert reports[1].total == 0  # the rerun adds nothing


def test_batches_queued_over_two_connections_equal_one_connections(varied):
    """The same rows (ids aside: the connections' batches interleave), schedule and counts."""
    def by_key(rows: list[tuple]) -> dict[str, tuple]:
        return {row[0]: row for row in rows}

    before = schedule(varied)
    later = datetime(2026, 12, 4, 10, 0, tzinfo=NOW.tzinfo)
    one = [sweep(varied, now=now, config=CONFIG, batch_size=3, connections=1)
           for now in (NOW, later)]
    rows, pushed = by_key(snapshot(varied)), schedule(varied)

    reset(varied, before)
    two = [sweep(varied, now=now, config=CONFIG, batch_size=3, connections=2)
           for now in (NOW, later)]
    assert len(rows) > 100
    assert by_key(snapshot(varied)) == rows
    assert schedule(varied) == pushed
    assert two == one
    assert one[0].items > 3 * 2  # more batches than connections


def test_a_unit_without_a_leader_escalates_to_every_active_head(varied):
    sweep(varied, now=NOW, config=CONFIG)
    with session_scope(varied) as session:
        rows = [r for r in session.exec(select(Outbox).where(Outbox.reminder == "督办"))
                if r.cc == ["jiedao03@example.org"]]
        assert {r.recipient for r in rows} == {"juzhang@example.org", "fujuzhang@example.org"}


def test_duplicate_emails_get_one_row_and_a_recipient_is_not_copied(varied):
    sweep(varied, now=NOW, config=CONFIG)
    with session_scope(varied) as session:
        rows = session.exec(select(Outbox)).all()
    keys = [r.dedupe_key for r in rows]
    assert len(keys) == len(set(keys))
    circulated = {r.recipient for r in rows if r.stage == "circulation"}
    assert "gone@example.org" not in circulated
    assert len([e for e in circulated if e.lower() == "fujuzhang@example.org"]) == 1
    for r in rows:
        assert r.recipient.lower() not in {c.lower() for c in r.cc}
    # 综合科's leader is its contact: its escalation is copied to no one.
    with session_scope(varied) as session:
        [item_id] = session.exec(
            select(Item.id).join(Unit).where(Unit.name == "综合科", Item.kind == "整改事项",
                                             Item.deadline_date == date(2026, 11, 20))).all()
    [esc] = [r for r in rows if r.stage == "escalation" and r.item_id == item_id]
    assert (esc.recipient, esc.recipient_name, esc.cc) == ("ZongHe@Example.org", "王芳", [])
