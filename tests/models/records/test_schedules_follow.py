"""Schedules follow their inputs (issue 14 §4): units joining or leaving a template's targets,
a calendar load, templates without units, and starts in the past."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col

from models.domain.calendar import DayOverride
from models.domain.enums import ItemKind, ItemStatus, UnitKind
from models.domain.recurrence import Freq, Rule
from models.records.items import add_progress
from models.records.recurring import (
    TemplateInput,
    add_template,
    generate,
    occurrences_of,
    template_notices,
)
from models.records.reschedule import follow_calendar
from models.store.calendar_store import calendar_from_db, save_overrides
from models.store.tables import Item, Unit
from tests.support.factories import make_unit

TZ = ZoneInfo("Asia/Shanghai")
STREETS = ("示例一街道办事处", "示例二街道办事处")
WEEKLY = dict(name="周汇报", kind="报送节点", rule=Rule(Freq.WEEKLY, weekdays=(5,)),
              due_time=time(17, 0), all_street_offices=True)


def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=TZ)


def gen(session, now: str):
    session.flush()
    session.expire_all()
    return generate(session, now=at(now), tz=TZ, calendar=calendar_from_db(session))


def add(session, data: TemplateInput, now: str):
    return add_template(session, data, actor="test", now=at(now), tz=TZ)


def dates(session, template_id: int, unit: str) -> list[str]:
    session.flush()
    session.expire_all()
    return [str(i.deadline_date) for i, u in occurrences_of(session, template_id) if u == unit]


def streets(session, names=STREETS, now="2026-11-02 09:00") -> None:
    for n, name in enumerate(names, start=1):
        make_unit(session, name, "街道办事处", contact_email=f"jd{n}@example.org", now=at(now))


def test_a_street_office_added_on_12_01_gets_the_next_friday(session):
    streets(session)
    t = add(session, TemplateInput(**WEEKLY), "2026-11-02 09:00")
    gen(session, "2026-11-02 10:00")  # generated to 2027-01-01
    gen(session, "2026-11-30 10:00")
    make_unit(session, "新设街道办事处", "街道办事处", contact_email="new@example.org",
              now=at("2026-12-01 09:00"))
    report = gen(session, "2026-12-01 10:00")

    got = dates(session, t.id, "新设街道办事处")
    assert got[0] == "2026-12-04"  # not 2027-02-05
    fridays = [str(date(2026, 12, 4) + timedelta(weeks=k)) for k in range(len(got))]
    assert got == fridays and got[-1] >= "2027-01-29"  # no week missing up to the horizon
    assert report.joined == report.created == len(got)  # the backfill, then the window
    assert dates(session, t.id, STREETS[0])[0] == "2026-11-06"  # the others unchanged
    assert gen(session, "2026-12-01 10:00").created == 0  # and nothing twice


def test_a_unit_removed_from_the_targets_gets_nothing_after_today(session):
    streets(session)
    t = add(session, TemplateInput(**WEEKLY), "2026-11-02 09:00")
    gen(session, "2026-11-02 10:00")
    leaving = session.execute(select(Unit).where(Unit.name == STREETS[1])).scalar_one()
    acted = next(i for i, u in occurrences_of(session, t.id)
                 if u == STREETS[1] and str(i.deadline_date) == "2026-12-11")
    add_progress(session, acted.id, "已着手", author="站长", at=at("2026-12-01 09:00"),
                 now=at("2026-12-01 09:00"))
    leaving.kind = UnitKind.OTHER  # a ledger import re-classes it, say
    report = gen(session, "2026-12-01 10:00")

    left = dates(session, t.id, STREETS[1])
    assert [d for d in left if d > "2026-12-01"] == ["2026-12-11"]  # only what was acted on
    assert "2026-11-27" in left  # the past stays
    assert report.left >= 4
    assert gen(session, "2026-12-20 10:00").created > 0
    assert [d for d in dates(session, t.id, STREETS[1]) if d > "2026-12-01"] == ["2026-12-11"]


def test_a_template_made_before_any_street_office_is_told_and_serves_them_later(session):
    data = TemplateInput(**WEEKLY)
    t = add(session, data, "2026-11-02 09:00")
    assert template_notices(session, t, data, today=date(2026, 11, 2)) == [
        "目前没有街道办事处，暂不生成任何事项；新增街道办事处后，从下一期起自动生成"]
    assert gen(session, "2026-11-02 10:00").without_units == ["周汇报"]
    streets(session, now="2026-12-01 09:00")
    gen(session, "2026-12-01 10:00")
    assert dates(session, t.id, STREETS[0])[0] == "2026-12-04"


def test_a_past_start_invents_no_past_meeting(session):
    make_unit(session, "办公室", now=at("2026-11-02 09:00"))
    data = TemplateInput(name="周研判", kind="会议", rule=Rule(Freq.WEEKLY, weekdays=(1,)),
                         due_time=time(9, 0), organiser="办公室", minutes_due_workdays=2,
                         start=date(2026, 10, 1))
    t = add(session, data, "2026-12-01 10:00")
    assert t.start_date == date(2026, 12, 1)
    [notice] = template_notices(session, t, data, today=date(2026, 12, 1))
    assert notice.startswith("开始日期 2026-10-01 早于今天，已改为从今天（2026-12-01）开始生成")
    gen(session, "2026-12-01 10:00")
    meetings = session.execute(select(Item).where(Item.kind == ItemKind.MEETING)).scalars().all()
    assert min(m.deadline_date for m in meetings) == date(2026, 12, 7)
    minutes = session.execute(select(Item).where(col(Item.parent_id).is_not(None))).scalars()
    assert all(m.deadline_date > date(2026, 12, 1) for m in minutes)


def test_backfill_keeps_the_past_on_purpose(session):
    make_unit(session, "办公室", now=at("2026-11-02 09:00"))
    data = TemplateInput(name="周研判", kind="会议", rule=Rule(Freq.WEEKLY, weekdays=(1,)),
                         due_time=time(9, 0), organiser="办公室", start=date(2026, 11, 2),
                         backfill=True)
    t = add(session, data, "2026-12-01 10:00")
    gen(session, "2026-12-01 10:00")
    assert dates(session, t.id, "办公室")[0] == "2026-11-02"


@pytest.fixture
def january(session):
    """A monthly "3rd working day" node generated on 12-01 while 2027 is still Monday–Friday."""
    streets(session, names=STREETS[:1])
    data = TemplateInput(name="年初材料", kind="报送节点", rule=Rule(Freq.MONTHLY, nth_workday=3),
                         due_time=time(17, 0), all_street_offices=True)
    with pytest.warns(UserWarning):
        t = add(session, data, "2026-12-01 09:00")
        gen(session, "2026-12-01 10:00")
    assert dates(session, t.id, STREETS[0]) == ["2026-12-03", "2027-01-05"]
    return t


def test_a_calendar_load_moves_the_3rd_working_day_of_january(session, january):
    save_overrides(session, [DayOverride(date(2027, 1, 1), False, "元旦")], actor="test",
                   now=at("2026-12-02 09:00"))
    session.flush()
    report = follow_calendar(session, now=at("2026-12-02 09:00"), tz=TZ, actor="test",
                             days=[date(2027, 1, 1)])

    assert dates(session, january.id, STREETS[0]) == ["2026-12-03", "2027-01-06"]
    assert report.grouped() == [("年初材料", date(2027, 1, 5), date(2027, 1, 6), [STREETS[0]])]
    moved = session.execute(select(Item).where(Item.template_id == january.id,
                                               Item.deadline_date == date(2027, 1, 6))).scalar_one()
    assert moved.due_at == at("2027-01-06 17:00")
    again = follow_calendar(session, now=at("2026-12-02 09:00"), tz=TZ, actor="test")
    assert again.moved == [] and again.created == 0


def test_an_occurrence_someone_acted_on_stays_and_is_reported(session, january):
    item = session.execute(select(Item).where(Item.template_id == january.id,
                                              Item.deadline_date == date(2027, 1, 5))).scalar_one()
    item.status = ItemStatus.IN_PROGRESS
    save_overrides(session, [DayOverride(date(2027, 1, 1), False, "元旦")], actor="test",
                   now=at("2026-12-02 09:00"))
    session.flush()
    report = follow_calendar(session, now=at("2026-12-02 09:00"), tz=TZ, actor="test")
    assert dates(session, january.id, STREETS[0]) == ["2026-12-03", "2027-01-05"]
    assert [(k.old, k.new) for k in report.kept] == [(date(2027, 1, 5), None)]
