"""按期报送率 per unit, by month and by year, computed by SQLite and by PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from models.domain.enums import ItemKind
from models.records.items import cancel_item, complete_item
from models.records.submissions import submit
from models.reports.stats import UnitTimeliness, period, timeliness
from models.store.tables import Item, Unit
from tests.support.factories import make_item, make_unit

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 18, 10, 0, tzinfo=TZ)
A, B, C, D = "示例一街道办事处", "示例二街道办事处", "示例三街道办事处", "示例四街道办事处"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def node(session, unit: str, deadline: str, *, kind: str = "报送节点") -> int:
    return make_item(session, unit, kind=kind, title="优抚资金材料", deadline=deadline).id


def hand_in(session, item_id: int, when: str) -> None:
    submit(session, item_id, at=at(when), by="站长", note="已报送", files=[], actor="test", now=NOW)


@pytest.fixture
def ledger(session):
    """Four street offices' nodes in November and December 2026, as seen on 18 December."""
    for n, name in enumerate((A, B, C, D), start=1):
        make_unit(session, name, "街道办事处", contact_email=f"jiedao{n:02d}@example.org")
    make_unit(session, "优抚褒扬科")
    # A: November on time; December on time, late, and one not yet due.
    hand_in(session, node(session, A, "2026-11-06 17:00"), "2026-11-06 10:00")
    hand_in(session, node(session, A, "2026-12-07 17:00"), "2026-12-07 16:00")
    hand_in(session, node(session, A, "2026-12-14 17:00"), "2026-12-15 10:00")
    node(session, A, "2026-12-21 17:00")
    # B: December missing, on time at the very deadline, not yet due; one cancelled.
    node(session, B, "2026-12-07 17:00")
    hand_in(session, node(session, B, "2026-12-14 17:00"), "2026-12-14 17:00")
    node(session, B, "2026-12-21 17:00")
    cancel_item(session, node(session, B, "2026-12-04 17:00"), actor="test", now=NOW)
    # B in November: late; and next January (another year).
    hand_in(session, node(session, B, "2026-11-06 17:00"), "2026-11-09 09:00")
    node(session, B, "2027-01-08 17:00")
    # C: a date-only node handed in that evening; D: only a node not yet due.
    hand_in(session, node(session, C, "2026-12-07"), "2026-12-07 23:00")
    node(session, D, "2026-12-31 17:00")
    # Not nodes: a rectification item and a task of A's, done late, are not counted.
    late_task = node(session, A, "2026-12-01", kind="整改事项")
    complete_item(session, late_task, at=at("2026-12-10 09:00"), actor="test", now=NOW)
    node(session, "优抚褒扬科", "2026-12-01", kind="任务")
    session.flush()
    return session


def row(unit, due, on_time, late, missing, pending, rate) -> UnitTimeliness:
    return UnitTimeliness(unit, due, on_time, late, missing, pending, rate)


def test_december_per_unit_best_rate_first(ledger):
    assert timeliness(ledger, year=2026, month=12, now=NOW) == [
        row(C, 1, 1, 0, 0, 0, 1.0),
        row(A, 3, 1, 1, 0, 1, 0.5),  # ties on rate: fewer missing first
        row(B, 3, 1, 0, 1, 1, 0.5),
        row(D, 1, 0, 0, 0, 1, None),  # nothing due yet: no rate, ranked last
    ]


def test_the_year_2026(ledger):
    assert timeliness(ledger, year=2026, month=None, now=NOW) == [
        row(C, 1, 1, 0, 0, 0, 1.0),
        row(A, 4, 2, 1, 0, 1, 0.6667),
        row(B, 4, 1, 1, 1, 1, 0.3333),
        row(D, 1, 0, 0, 0, 1, None),
    ]


def test_november_and_an_empty_month(ledger):
    assert timeliness(ledger, year=2026, month=11, now=NOW) == [
        row(A, 1, 1, 0, 0, 0, 1.0), row(B, 1, 0, 1, 0, 0, 0.0)]
    assert timeliness(ledger, year=2026, month=10, now=NOW) == []
    assert timeliness(ledger, year=2027, month=1, now=NOW) == [row(B, 1, 0, 0, 0, 1, None)]


def test_missing_starts_just_after_the_deadline(ledger):
    edge = at("2026-12-21 17:00")
    assert [(r.unit, r.missing, r.pending) for r in timeliness(ledger, year=2026, month=12, now=edge)
            if r.unit in (A, B)] == [(A, 0, 1), (B, 1, 1)]
    after = at("2026-12-21 17:00:01")
    assert [(r.unit, r.missing, r.pending, r.rate) for r in timeliness(ledger, year=2026, month=12, now=after)
            if r.unit in (A, B)] == [(A, 1, 0, 0.3333), (B, 2, 0, 0.3333)]


def test_handing_in_a_missing_node_late_counts_it_late(ledger):
    [before] = [r for r in timeliness(ledger, year=2026, month=12, now=NOW) if r.unit == B]
    missing = ledger.exec(select(Item).join(Unit, col(Unit.id) == col(Item.unit_id)).where(
        Unit.name == B, Item.deadline_date == date(2026, 12, 7))).one()
    hand_in(ledger, missing.id, "2026-12-18 09:00")
    [after] = [r for r in timeliness(ledger, year=2026, month=12, now=NOW) if r.unit == B]
    assert (after.due, after.on_time, after.late, after.missing, after.pending) == (
        before.due, before.on_time, before.late + 1, before.missing - 1, before.pending)
    assert after.rate == before.rate == 0.5


def test_another_kind_can_be_counted(ledger):
    assert timeliness(ledger, year=2026, month=12, now=NOW, kind=ItemKind.RECTIFICATION) == [
        row(A, 1, 0, 1, 0, 0, 0.0)]


@pytest.mark.parametrize(("year", "month", "expected"), [
    (2026, 12, (date(2026, 12, 1), date(2026, 12, 31))),
    (2028, 2, (date(2028, 2, 1), date(2028, 2, 29))),
    (2027, 2, (date(2027, 2, 1), date(2027, 2, 28))),
    (2026, None, (date(2026, 1, 1), date(2026, 12, 31))),
])
def test_periods(year, month, expected):
    assert period(year, month) == expected


def test_rows_as_dicts_for_json():
    assert row(A, 3, 1, 1, 0, 1, 0.5).as_dict() == {
        "unit": A, "due": 3, "on_time": 1, "late": 1, "missing": 0, "pending": 1, "rate": 0.5,
        "extended": 0}


def test_extended_items_are_judged_by_their_original_deadline(session):
    """考核 keeps the original deadline: an item extended and done by the new deadline but after
    the original counts late; one waiting for 审核 counts as pending, not missing."""
    from models.records import extensions, loop

    make_unit(session, A, "街道办事处", contact_email="jiedao01@example.org")
    rect = "整改事项"
    extended = node(session, A, "2026-12-04", kind=rect)
    request = extensions.request_extension(session, extended, to="2026-12-11", reason="协调中",
                                           actor="站长", now=at("2026-12-01 10:00"), tz=TZ)
    extensions.approve_extension(session, request.id, actor="张敏", now=at("2026-12-01 11:00"),
                                 tz=TZ)
    submit(session, extended, at=at("2026-12-10 10:00"), by="站长", note="已整改", files=[],
           actor="站长", now=at("2026-12-10 10:00"))
    loop.accept(session, extended, actor="张敏", now=at("2026-12-10 11:00"))
    done = session.get(Item, extended)
    assert done.completed_at <= done.due_at  # on time by the deadline in force
    waiting = node(session, A, "2026-12-08", kind=rect)
    submit(session, waiting, at=at("2026-12-07 10:00"), by="站长", note="已整改", files=[],
           actor="站长", now=at("2026-12-07 10:00"))
    session.flush()
    [stats] = timeliness(session, year=2026, month=12, now=NOW, kind=ItemKind.RECTIFICATION)
    assert (stats.due, stats.on_time, stats.late, stats.missing, stats.pending, stats.extended) == (
        2, 0, 1, 0, 1, 1)
