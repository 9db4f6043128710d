"""Recurring templates on real SQLite and PostgreSQL: validation, idempotent generation (also
from concurrent processes on PostgreSQL), the horizon, lead time and end date, editing a
template mid-way, pausing and resuming. Every instant is fixed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time as wallclock
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, text
from sqlmodel import col, select

from duban import migrations
from models.domain.calendar import DayOverride
from models.domain.enums import ItemKind, ItemStatus, OutboxStatus, ReminderKind
from models.domain.recurrence import Freq, HolidayPolicy, Rule
from models.engine.reminders import sweep
from models.errors import InputError, NotFound, Refused
from models.records.items import add_progress
from models.records.recurring import (
    HORIZON_DAYS,
    TemplateInput,
    add_template,
    generate,
    get_template,
    occurrences_of,
    set_paused,
    update_template,
)
from models.records.submissions import submit
from models.records.units import add_person
from models.store import db
from models.store.calendar_store import calendar_from_db, save_overrides
from models.store.db import session_scope
from models.store.events import history
from models.store.next_actions import next_action_of
from models.store.tables import Event, Item, Outbox, Recurrence, Submission
from tests.support.bureau import CONFIG
from tests.support.factories import make_unit, reload

TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
STREETS = ("示例一街道办事处", "示例二街道办事处", "示例三街道办事处")
A, B, C = STREETS


def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=TZ)


def d(day: str) -> date:
    return date.fromisoformat(day)


def build_bureau(session, streets=STREETS) -> None:
    """办公室 and 优抚褒扬科 (科室), street offices, a head; 2027's 元旦 loaded as an override."""
    t0 = at("2026-09-01 09:00")
    make_unit(session, "办公室", contact_name="李静", contact_email="bangongshi@example.org", now=t0)
    make_unit(session, "优抚褒扬科", now=t0)
    for n, name in enumerate(streets, start=1):
        make_unit(session, name, "街道办事处", contact_name=f"站长{n}",
                  contact_email=f"jiedao{n:02d}@example.org", now=t0)
    add_person(session, name="赵明远", role="主要负责人", email="juzhang@example.org", phone=None,
               actor="test", now=t0)
    save_overrides(session, [DayOverride(d("2027-01-01"), False, "元旦")], actor="test", now=t0)


@pytest.fixture
def bureau(session):
    """On SQLite and on PostgreSQL: for what runs SQL of its own (generation, withdrawal)."""
    build_bureau(session)
    session.flush()
    return session


@pytest.fixture
def local(migrated_sqlite_url):
    """SQLite only: for rules decided in Python, whose SQL is the same on both databases."""
    engine = db.make_engine(migrated_sqlite_url)
    with session_scope(engine) as session:
        build_bureau(session)
        session.flush()
        yield session
    engine.dispose()


def template(name: str = "周汇报", *, kind: str = "报送节点", rule: Rule | None = None,
             due_time: time | None = time(17, 0), **kw) -> TemplateInput:
    if kind == "报送节点" and "units" not in kw and "all_street_offices" not in kw:
        kw["units"] = (A,)
    return TemplateInput(name=name, kind=kind, rule=rule or Rule(Freq.WEEKLY, weekdays=(5,)),
                         due_time=due_time, **kw)


def add(session, data: TemplateInput, now: str = "2026-11-02 09:00") -> Recurrence:
    """Past starts here record history (--backfill); tests/models/records/test_schedules_follow
    covers a past start without it."""
    return add_template(session, replace(data, backfill=True), actor="test", now=at(now), tz=TZ)


def gen(session, now: str, **kw):
    """Generate as the sweep does, which reads the templates afresh in a transaction of its own."""
    session.flush()
    session.expire_all()
    return generate(session, now=at(now), tz=TZ, calendar=calendar_from_db(session), **kw)


def occurrences(session, template_id: int) -> list[tuple[str, str]]:
    """(deadline date, unit) of every occurrence, sorted."""
    session.flush()
    session.expire_all()
    return sorted((str(i.deadline_date), unit) for i, unit in occurrences_of(session, template_id))


def dates(session, template_id: int, unit: str = A) -> list[str]:
    return [day for day, u in occurrences(session, template_id) if u == unit]


def item_at(session, template_id: int, unit: str, day: str) -> Item:
    session.flush()
    session.expire_all()
    [found] = [i for i, u in occurrences_of(session, template_id)
               if u == unit and str(i.deadline_date) == day]
    return found


def count(session, model, *where) -> int:
    session.flush()
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def add_message(session, item_id: int, status: OutboxStatus, *, to: str = "jiedao01@example.org",
                sent: str = "2026-11-10 09:00") -> None:
    """A reminder row about the item, as the sweep and delivery leave it."""
    session.add(Outbox(dedupe_key=f"item:{item_id}:{to}", item_id=item_id,
                       reminder=ReminderKind.DUE_SOON, stage="due_soon_3", recipient=to,
                       recipient_name="联系人", status=status, send_after=at(sent),
                       last_error="550 user unknown" if status is OutboxStatus.FAILED else None,
                       message_id=f"<{item_id}@x>", created_at=at(sent)))


# -- validating templates ----------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"units": ("不存在的街道办事处",)}, "责任单位", "单位不存在"),
    ({"units": (A, "示例十四街道办事处")}, "责任单位", "单位不存在"),
    ({"units": (), "all_street_offices": False}, "责任单位", "二选一"),
    ({"units": (A,), "all_street_offices": True}, "责任单位", "二选一"),
    ({"start": d("2026-12-01"), "end": d("2026-11-30")}, "结束日期", "早于开始日期 2026-12-01"),
    ({"end": d("2026-11-01")}, "结束日期", "早于开始日期 2026-11-02"),  # start defaults to today
    ({"kind": "整改事项"}, "类别", "报送节点、会议 或 任务"),
    ({"kind": "杂项"}, "类别", "报送节点、会议 或 任务"),
    ({"rule": Rule(Freq.MONTHLY, day=31)}, "日", "请指定小月处理方式"),
    ({"rule": Rule(Freq.WEEKLY, weekdays=(8,))}, "星期", "应为 1（周一）到 7（周日）"),
    ({"lead_workdays": 61}, "提前生成", "0 到 60"),
    ({"name": ""}, "名称", ""),
])
def test_a_bad_template_is_refused_and_nothing_is_stored(local, changes, field, reason):
    with pytest.raises(InputError) as caught:
        add(local, replace(template(), **changes))
    assert caught.value.field == field
    assert reason in str(caught.value)
    assert count(local, Recurrence) == 0


MEETING = dict(kind="会议", rule=Rule(Freq.WEEKLY, weekdays=(1,)), due_time=time(9, 0),
               organiser="办公室", attendee_units=("优抚褒扬科",), minutes_due_workdays=2)


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"organiser": None}, "组织单位", "会议须指定组织单位"),
    ({"due_time": None}, "时间", "会议须指定开始时间"),
    ({"organiser": "不存在的科"}, "组织单位", "单位不存在"),
    ({"attendee_units": ("优抚褒扬科", "不存在的科")}, "参会单位", "单位不存在"),
    ({"attendee_people": ("无名氏",)}, "参会人员", "人员不存在"),
    ({"duration_minutes": 2}, "时长", "5 到 1440"),
    ({"minutes_due_workdays": 31}, "纪要时限", "0 到 30"),
])
def test_a_bad_meeting_template_is_refused(local, changes, field, reason):
    data = replace(TemplateInput(name="周研判", **MEETING), **changes)
    with pytest.raises(InputError) as caught:
        add(local, data)
    assert caught.value.field == field
    assert reason in str(caught.value)
    assert count(local, Recurrence) == 0


def test_a_valid_template_is_stored_with_its_rule_and_an_event(local):
    t = add(local, template("优抚资金材料", rule=Rule(Freq.MONTHLY, nth_workday=5),
                            all_street_offices=True, start=d("2026-10-01")))
    stored = reload(local, Recurrence, t.id)
    assert Rule.from_json(stored.rule) == Rule(Freq.MONTHLY, nth_workday=5)
    assert stored.all_street_offices and stored.unit_ids == []
    assert stored.start_date == d("2026-10-01") and stored.generated_until is None
    assert stored.paused is False and stored.item_kind is ItemKind.SUBMISSION
    [event] = history(local, "recurrence", t.id)
    assert event.action == "create" and event.after["name"] == "优抚资金材料"


# -- generating --------------------------------------------------------------------------------

def test_a_monthly_node_is_generated_for_every_street_office(bureau):
    t = add(bureau, template("优抚资金材料", rule=Rule(Freq.MONTHLY, nth_workday=5),
                             all_street_offices=True, start=d("2026-10-01"),
                             source="2024年报告·存在的不足"))
    report = gen(bureau, "2026-11-02 09:00")  # window 2026-10-01 … 2027-01-01
    assert (report.templates, report.created, report.minutes) == (1, 9, 0)
    assert occurrences(bureau, t.id) == [(day, unit) for day in ("2026-10-13", "2026-11-06", "2026-12-07")
                                         for unit in sorted(STREETS)]
    node = item_at(bureau, t.id, B, "2026-12-07")
    assert node.kind is ItemKind.SUBMISSION and node.status is ItemStatus.NOT_STARTED
    assert node.title == "优抚资金材料" and node.source == "2024年报告·存在的不足"
    assert node.deadline_time == time(17, 0)
    assert node.due_at == at("2026-12-07 17:00")
    assert node.person == "站长2" and node.parent_id is None
    assert node.code == f"ZQ{node.template_id}-20261207-{node.unit_id}"
    assert next_action_of(bureau, node.id) == at("2026-11-02 09:00")
    assert [(e.action, e.after) for e in history(bureau, "item", node.id)] == [
        ("create", {"template_id": t.id})]
    assert reload(bureau, Recurrence, t.id).generated_until == d("2027-01-01")


def test_a_unit_list_and_the_default_source(local):
    t = add(local, template(units=(A, C), start=d("2026-11-02")))
    gen(local, "2026-11-02 09:00", horizon_days=7)
    assert occurrences(local, t.id) == [("2026-11-06", A), ("2026-11-06", C)]
    assert item_at(local, t.id, A, "2026-11-06").source == "周期任务：周汇报"


def test_a_date_only_node_ends_at_midnight(local):
    t = add(local, template(due_time=None, start=d("2026-11-02")))
    gen(local, "2026-11-02 09:00", horizon_days=7)
    node = item_at(local, t.id, A, "2026-11-06")
    assert node.deadline_time is None
    assert node.due_at == at("2026-11-07 00:00")


def test_generating_twice_adds_nothing(bureau):
    t = add(bureau, template("优抚资金材料", rule=Rule(Freq.MONTHLY, nth_workday=5),
                             all_street_offices=True, start=d("2026-10-01")))
    assert gen(bureau, "2026-11-02 09:00").created == 9
    events = count(bureau, Event, Event.entity == "item")
    again = gen(bureau, "2026-11-02 09:00")
    assert (again.templates, again.created) == (0, 0)
    # Even with its bookkeeping lost, the database's unique key adds nothing twice.
    reload(bureau, Recurrence, t.id).generated_until = None
    lost = gen(bureau, "2026-11-02 10:00")
    assert (lost.templates, lost.created) == (1, 0)
    assert count(bureau, Item) == 9
    assert count(bureau, Event, Event.entity == "item") == events
    # A month later only January's node is new.
    later = gen(bureau, "2026-12-01 09:00")
    assert later.created == 3
    assert dates(bureau, t.id) == ["2026-10-13", "2026-11-06", "2026-12-07", "2027-01-08"]


def test_generation_crosses_the_year_end_with_the_loaded_new_year(local):
    t = add(local, template(start=d("2026-12-14")))
    gen(local, "2026-12-14 09:00", horizon_days=30)  # to 2027-01-13
    assert dates(local, t.id) == ["2026-12-18", "2026-12-25", "2027-01-04", "2027-01-08"]


def test_generation_around_national_day_follows_the_holiday_policy(local):
    nxt = add(local, template("周汇报", start=d("2026-09-21")))
    prev = add(local, template("周汇报（提前）", start=d("2026-09-21"),
                               rule=Rule(Freq.WEEKLY, weekdays=(5,), holiday=HolidayPolicy.PREVIOUS)))
    gen(local, "2026-09-21 09:00", horizon_days=20)  # to 2026-10-11
    assert dates(local, nxt.id) == ["2026-09-28", "2026-10-08", "2026-10-09"]
    assert dates(local, prev.id) == ["2026-09-24", "2026-09-30", "2026-10-09"]
    moved = item_at(local, nxt.id, A, "2026-10-08")
    assert moved.due_at == at("2026-10-08 17:00")


def test_the_default_horizon_is_60_days(local):
    assert HORIZON_DAYS == 60
    t = add(local, template(rule=Rule(Freq.WEEKLY, weekdays=(3,)), start=d("2026-11-02")))
    gen(local, "2026-11-02 09:00")  # to 2027-01-01
    assert dates(local, t.id) == ["2026-11-04", "2026-11-11", "2026-11-18", "2026-11-25",
                                   "2026-12-02", "2026-12-09", "2026-12-16", "2026-12-23",
                                   "2026-12-30"]
    assert gen(local, "2026-11-06 09:00").created == 0  # to 2027-01-05: no Wednesday added
    assert gen(local, "2026-11-07 09:00").created == 1  # to 2027-01-06
    assert dates(local, t.id)[-1] == "2027-01-06"


def test_lead_time_generates_a_few_working_days_ahead(local):
    t = add(local, template(lead_workdays=3, start=d("2026-11-02")))
    first = gen(local, "2026-11-02 09:00")  # Monday + 3 working days = Thursday
    assert (first.templates, first.created) == (1, 0)
    assert gen(local, "2026-11-03 09:00").created == 1  # Tuesday + 3 = Friday 6 November
    assert gen(local, "2026-11-04 09:00").created == 0
    assert dates(local, t.id) == ["2026-11-06"]


def test_lead_time_counts_working_days_across_national_day(local):
    t = add(local, template(lead_workdays=2, start=d("2026-09-28")), now="2026-09-28 09:00")
    gen(local, "2026-09-29 09:00")  # Tuesday 29 September + 2 working days = 8 October
    assert dates(local, t.id) == ["2026-10-08"]  # Friday 2 October's node, moved


def test_the_end_date_stops_generation(local):
    t = add(local, template(start=d("2026-11-02"), end=d("2026-11-20")))
    gen(local, "2026-11-02 09:00")
    assert dates(local, t.id) == ["2026-11-06", "2026-11-13", "2026-11-20"]
    assert gen(local, "2026-11-21 09:00").templates == 0
    assert gen(local, "2027-01-04 09:00").created == 0
    assert dates(local, t.id) == ["2026-11-06", "2026-11-13", "2026-11-20"]


def test_the_last_nodes_nominal_date_decides_under_the_end_date(local):
    # Ending on Friday 2 October (国庆): that week's node, moved to 8 October, is still owed;
    # starting on Monday 28 September: the node of Friday 25 September (中秋), moved to the
    # 28th, belongs to the week before.
    t = add(local, template(start=d("2026-09-28"), end=d("2026-10-02")), now="2026-09-21 09:00")
    gen(local, "2026-09-21 09:00")
    assert dates(local, t.id) == ["2026-10-08"]


def test_a_future_start_waits(local):
    t = add(local, template(start=d("2027-01-04")))
    assert gen(local, "2026-11-02 09:00").created == 0
    assert dates(local, t.id) == []
    gen(local, "2026-11-09 09:00")  # horizon reaches 2027-01-08
    assert dates(local, t.id) == ["2027-01-08"]


def test_meetings_are_generated_for_the_organiser_with_a_minutes_item(bureau):
    t = add(bureau, TemplateInput(name="周研判", place="局三楼会议室", start=d("2026-11-30"),
                                  **MEETING))
    report = gen(bureau, "2026-11-30 08:00", horizon_days=14)
    assert (report.created, report.minutes) == (3, 3)
    assert occurrences(bureau, t.id) == [("2026-11-30", "办公室"), ("2026-12-07", "办公室"),
                                         ("2026-12-14", "办公室")]
    meeting = item_at(bureau, t.id, "办公室", "2026-12-07")
    assert meeting.kind is ItemKind.MEETING and meeting.due_at == at("2026-12-07 09:00")
    assert meeting.ics_sequence == 0
    minutes = bureau.exec(select(Item).where(Item.parent_id == meeting.id)).one()
    assert minutes.kind is ItemKind.TASK and minutes.title == "周研判会议纪要"
    assert minutes.template_id is None
    assert (minutes.deadline_date, minutes.deadline_time) == (d("2026-12-09"), None)
    assert minutes.due_at == at("2026-12-10 00:00")
    reload(bureau, Recurrence, t.id).generated_until = None
    again = gen(bureau, "2026-11-30 08:30", horizon_days=14)
    assert (again.created, again.minutes) == (0, 0)
    assert count(bureau, Item) == 6


def test_minutes_due_zero_is_the_meeting_day_itself(local):
    t = add(local, TemplateInput(name="周研判", start=d("2026-11-30"),
                                 **{**MEETING, "minutes_due_workdays": 0}))
    gen(local, "2026-11-30 08:00", horizon_days=1)
    meeting = item_at(local, t.id, "办公室", "2026-11-30")
    minutes = local.exec(select(Item).where(Item.parent_id == meeting.id)).one()
    assert minutes.deadline_date == d("2026-11-30")


def test_a_meeting_without_a_minutes_deadline_has_no_minutes_item(local):
    t = add(local, TemplateInput(name="周研判", start=d("2026-11-30"),
                                 **{**MEETING, "minutes_due_workdays": None}))
    report = gen(local, "2026-11-30 08:00", horizon_days=7)
    assert (report.created, report.minutes) == (2, 0)
    assert [i.kind for i, _ in occurrences_of(local, t.id)] == [ItemKind.MEETING] * 2


def test_a_paused_template_is_not_generated(local):
    t = add(local, template(start=d("2026-11-02")))
    set_paused(local, t.id, True, actor="test", now=at("2026-11-02 08:00"), tz=TZ)
    report = gen(local, "2026-11-02 09:00")
    assert (report.templates, report.created) == (0, 0)
    assert dates(local, t.id) == []


# -- editing mid-way ---------------------------------------------------------------------------

def test_editing_a_template_mid_way(bureau):
    """Fridays 17:00 become Thursdays 16:00 on Wednesday 18 November."""
    t = add(bureau, template(units=(A, B), start=d("2026-10-01")))
    gen(bureau, "2026-11-09 09:00")  # to 2027-01-08
    fridays = ["2026-10-08", "2026-10-09", "2026-10-16", "2026-10-23", "2026-10-30", "2026-11-06",
               "2026-11-13", "2026-11-20", "2026-11-27", "2026-12-04", "2026-12-11", "2026-12-18",
               "2026-12-25", "2027-01-04", "2027-01-08"]
    assert dates(bureau, t.id, A) == fridays and dates(bureau, t.id, B) == fridays
    now = at("2026-11-18 10:00")

    past = {(str(i.deadline_date), u): i.id for i, u in occurrences_of(bureau, t.id)
            if i.deadline_date <= d("2026-11-18")}
    assert len(past) == 14
    handed_in = item_at(bureau, t.id, A, "2026-11-13")
    submit(bureau, handed_in.id, at=at("2026-11-13 15:00"), by="站长1", note="已报送", files=[],
           actor="test", now=now)
    early = item_at(bureau, t.id, A, "2026-11-27")  # a future node already handed in
    submit(bureau, early.id, at=now, by="站长1", note="提前报送", files=[], actor="test", now=now)
    in_hand = item_at(bureau, t.id, B, "2026-12-04")  # a future node with progress noted
    add_progress(bureau, in_hand.id, "正在汇总", author="站长2", at=now, now=now)
    past_events = {i: len(history(bureau, "item", i)) for i in past.values()}

    edited, withdrawn = update_template(
        bureau, t.id, template(units=(A, B), rule=Rule(Freq.WEEKLY, weekdays=(4,)),
                               due_time=time(16, 0), start=d("2026-10-01")),
        actor="test", now=now, tz=TZ)
    assert withdrawn == 2 * 8 - 2  # the future Fridays, but for the two touched ones
    assert edited.generated_until == d("2026-11-18")
    report = gen(bureau, "2026-11-18 10:00")  # to 2027-01-17
    thursdays = ["2026-11-19", "2026-11-26", "2026-12-03", "2026-12-10", "2026-12-17",
                 "2026-12-24", "2026-12-31", "2027-01-07", "2027-01-14"]
    assert report.created == 2 * len(thursdays)

    # The past and its history are untouched.
    now_past = {(str(i.deadline_date), u): i.id for i, u in occurrences_of(bureau, t.id)
                if i.deadline_date <= d("2026-11-18")}
    assert now_past == past
    assert {i: len(history(bureau, "item", i)) for i in past.values()} == past_events
    [sub] = bureau.exec(select(Submission).where(Submission.item_id == handed_in.id)).all()
    assert sub.late is False and sub.at == at("2026-11-13 15:00")
    assert reload(bureau, Item, handed_in.id).status is ItemStatus.DONE
    # The touched future nodes stay as they were; the rest follow the new rule.
    assert reload(bureau, Item, early.id).due_at == at("2026-11-27 17:00")
    assert reload(bureau, Item, in_hand.id).due_at == at("2026-12-04 17:00")
    future = [(day, u) for day, u in occurrences(bureau, t.id) if day > "2026-11-18"]
    assert future == sorted([(day, u) for day in thursdays for u in (A, B)]
                            + [("2026-11-27", A), ("2026-12-04", B)])
    assert item_at(bureau, t.id, B, "2026-11-19").due_at == at("2026-11-19 16:00")
    # Withdrawals are on the record, and so is the edit.
    deletes = bureau.exec(select(Event).where(Event.entity == "item",
                                              Event.action == "delete")).all()
    assert len(deletes) == withdrawn
    assert all("重新生成" in e.after["reason"] for e in deletes)
    update = history(bureau, "recurrence", t.id)[-1]
    assert update.action == "update"
    assert update.before["rule"]["weekdays"] == [5] and update.after["rule"]["weekdays"] == [4]
    assert update.after["due_time"] == "16:00:00"


def test_an_edit_keeps_nodes_whose_reminders_went_out(local):
    t = add(local, template(start=d("2026-11-02")))
    gen(local, "2026-11-02 09:00", horizon_days=14)
    node = item_at(local, t.id, A, "2026-11-13")
    add_message(local, node.id, OutboxStatus.SENT)
    _, withdrawn = update_template(local, t.id, template(due_time=time(12, 0), start=d("2026-11-02")),
                                  actor="test", now=at("2026-11-10 10:00"), tz=TZ)
    assert withdrawn == 0
    assert reload(local, Item, node.id).due_at == at("2026-11-13 17:00")


@pytest.mark.parametrize("status", [OutboxStatus.FAILED, OutboxStatus.DROPPED])
def test_an_edit_survives_nodes_with_failed_or_dropped_messages(bureau, status):
    """A failed (or withdrawn) reminder is on the record; the node is kept, not broken."""
    t = add(bureau, template(start=d("2026-11-02")))
    gen(bureau, "2026-11-02 09:00", horizon_days=14)
    node = item_at(bureau, t.id, A, "2026-11-13")
    add_message(bureau, node.id, status)
    update_template(bureau, t.id, template(due_time=time(12, 0), start=d("2026-11-02")),
                    actor="test", now=at("2026-11-10 10:00"), tz=TZ)
    bureau.flush()
    assert reload(bureau, Item, node.id).due_at == at("2026-11-13 17:00")
    assert count(bureau, Outbox) == 1


def test_an_edit_withdraws_pending_reminders_with_their_node(local):
    t = add(local, template(start=d("2026-11-02")))
    gen(local, "2026-11-02 09:00", horizon_days=14)
    node = item_at(local, t.id, A, "2026-11-13")
    add_message(local, node.id, OutboxStatus.PENDING)
    _, withdrawn = update_template(local, t.id, template(due_time=time(12, 0), start=d("2026-11-02")),
                                  actor="test", now=at("2026-11-10 08:00"), tz=TZ)
    assert withdrawn == 1
    assert count(local, Outbox) == 0
    gen(local, "2026-11-10 08:00", horizon_days=4)
    assert item_at(local, t.id, A, "2026-11-13").due_at == at("2026-11-13 12:00")


def test_an_edit_during_a_holiday_regenerates_the_moved_node(local):
    """Friday 2 October's node falls on 8 October; editing on 3 October must not lose it."""
    t = add(local, template(start=d("2026-09-21")), now="2026-09-21 09:00")
    gen(local, "2026-09-21 09:00", horizon_days=21)
    assert dates(local, t.id) == ["2026-09-28", "2026-10-08", "2026-10-09"]
    _, withdrawn = update_template(local, t.id, template(due_time=time(16, 0), start=d("2026-09-21")),
                                  actor="test", now=at("2026-10-03 10:00"), tz=TZ)
    assert withdrawn == 2
    gen(local, "2026-10-03 10:00", horizon_days=8)
    assert dates(local, t.id) == ["2026-09-28", "2026-10-08", "2026-10-09"]
    assert item_at(local, t.id, A, "2026-10-08").due_at == at("2026-10-08 16:00")
    assert item_at(local, t.id, A, "2026-09-28").due_at == at("2026-09-28 17:00")


def test_editing_a_meeting_withdraws_its_minutes_too(bureau):
    t = add(bureau, TemplateInput(name="周研判", start=d("2026-11-30"), **MEETING))
    gen(bureau, "2026-11-30 08:00", horizon_days=14)
    assert count(bureau, Item) == 6
    _, withdrawn = update_template(
        bureau, t.id, TemplateInput(name="周研判", start=d("2026-11-30"),
                                    **{**MEETING, "due_time": time(14, 30)}),
        actor="test", now=at("2026-12-01 10:00"), tz=TZ)
    assert withdrawn == 2  # 7 and 14 December, with their minutes items
    assert count(bureau, Item) == 2
    gen(bureau, "2026-12-01 10:00", horizon_days=14)
    assert count(bureau, Item) == 6
    assert item_at(bureau, t.id, "办公室", "2026-12-07").due_at == at("2026-12-07 14:30")


def test_an_edit_keeps_a_meeting_whose_minutes_reminder_went_out(bureau):
    """Minutes due on the meeting day are reminded before the meeting; that record stays."""
    t = add(bureau, TemplateInput(name="周研判", start=d("2026-11-30"),
                                  **{**MEETING, "minutes_due_workdays": 0}))
    gen(bureau, "2026-11-30 08:00", horizon_days=14)
    meeting = item_at(bureau, t.id, "办公室", "2026-12-07")
    minutes = bureau.exec(select(Item).where(Item.parent_id == meeting.id)).one()
    add_message(bureau, minutes.id, OutboxStatus.SENT, to="bangongshi@example.org", sent="2026-12-02 09:00")
    _, withdrawn = update_template(
        bureau, t.id, TemplateInput(name="周研判", start=d("2026-11-30"),
                                    **{**MEETING, "minutes_due_workdays": 0, "due_time": time(15)}),
        actor="test", now=at("2026-12-02 10:00"), tz=TZ)
    assert withdrawn == 1  # 14 December only
    assert reload(bureau, Item, meeting.id).due_at == at("2026-12-07 09:00")
    assert reload(bureau, Item, minutes.id).parent_id == meeting.id


def test_an_edit_before_the_first_generation_keeps_the_start_date(local):
    t = add(local, template(start=d("2026-10-26")))
    update_template(local, t.id, template(due_time=time(12, 0), start=d("2026-10-26")),
                   actor="test", now=at("2026-11-02 09:30"), tz=TZ)
    gen(local, "2026-11-02 10:00", horizon_days=7)
    assert dates(local, t.id) == ["2026-10-30", "2026-11-06"]  # as if added that way


def test_a_refused_edit_changes_nothing(local):
    t = add(local, template(start=d("2026-11-02")))
    gen(local, "2026-11-02 09:00", horizon_days=14)
    with pytest.raises(InputError, match="单位不存在"):
        update_template(local, t.id, template(units=("不存在的街道办事处",), start=d("2026-11-02")),
                       actor="test", now=at("2026-11-03 10:00"), tz=TZ)
    assert dates(local, t.id) == ["2026-11-06", "2026-11-13"]
    assert reload(local, Recurrence, t.id).unit_ids != []


# -- pausing and resuming ----------------------------------------------------------------------

def test_pausing_withdraws_untouched_future_nodes_and_stops_new_ones(bureau):
    t = add(bureau, template(rule=Rule(Freq.WEEKLY, weekdays=(3,)), start=d("2026-11-02")))
    gen(bureau, "2026-11-02 09:00")
    assert len(dates(bureau, t.id)) == 9  # 4 November … 30 December
    now = at("2026-11-18 10:00")
    in_hand = item_at(bureau, t.id, A, "2026-11-25")
    add_progress(bureau, in_hand.id, "正在汇总", author="站长1", at=now, now=now)

    paused, withdrawn = set_paused(bureau, t.id, True, actor="test", now=now, tz=TZ)
    assert paused.paused and withdrawn == 5  # 2 … 30 December
    kept = ["2026-11-04", "2026-11-11", "2026-11-18", "2026-11-25"]
    assert dates(bureau, t.id) == kept  # today's node, the past and the touched one stay
    with pytest.raises(Refused, match="已暂停"):
        set_paused(bureau, t.id, True, actor="test", now=now, tz=TZ)
    assert gen(bureau, "2026-11-18 10:00").created == 0
    assert gen(bureau, "2026-12-01 10:00").created == 0
    assert dates(bureau, t.id) == kept
    assert [e.action for e in history(bureau, "recurrence", t.id)] == ["create", "pause"]


def test_resuming_generates_from_the_day_of_resumption_not_the_paused_weeks(bureau):
    t = add(bureau, template(rule=Rule(Freq.WEEKLY, weekdays=(3,)), start=d("2026-11-02")))
    gen(bureau, "2026-11-02 09:00")
    set_paused(bureau, t.id, True, actor="test", now=at("2026-11-18 10:00"), tz=TZ)
    resumed, _ = set_paused(bureau, t.id, False, actor="test", now=at("2026-12-09 10:00"), tz=TZ)
    assert resumed.paused is False
    with pytest.raises(Refused, match="已在运行"):
        set_paused(bureau, t.id, False, actor="test", now=at("2026-12-09 10:00"), tz=TZ)
    gen(bureau, "2026-12-09 10:00")  # to 2027-02-07
    found = dates(bureau, t.id)
    # Nothing is owed for the weeks it was paused: no overdue node for 25 November or 2 December.
    assert found[:3] == ["2026-11-04", "2026-11-11", "2026-11-18"]
    assert "2026-11-25" not in found and "2026-12-02" not in found
    assert found[-8:] == ["2026-12-16", "2026-12-23", "2026-12-30", "2027-01-06", "2027-01-13",
                          "2027-01-20", "2027-01-27", "2027-02-03"]
    assert [e.action for e in history(bureau, "recurrence", t.id)] == ["create", "pause", "resume"]


def test_pausing_over_a_holiday_and_resuming_keeps_the_moved_node(local):
    t = add(local, template(start=d("2026-09-21")), now="2026-09-21 09:00")
    gen(local, "2026-09-21 09:00", horizon_days=21)
    set_paused(local, t.id, True, actor="test", now=at("2026-10-03 10:00"), tz=TZ)
    assert dates(local, t.id) == ["2026-09-28"]
    set_paused(local, t.id, False, actor="test", now=at("2026-10-05 10:00"), tz=TZ)
    gen(local, "2026-10-05 10:00", horizon_days=6)
    assert dates(local, t.id) == ["2026-09-28", "2026-10-08", "2026-10-09"]


def test_get_template_of_an_unknown_id(local):
    with pytest.raises(NotFound, match="周期任务 “99” 不存在"):
        get_template(local, 99)


# -- the sweep generates, idempotently ---------------------------------------------------------

def test_two_sweeps_generate_once(engine):
    with session_scope(engine) as session:
        build_bureau(session)
        add(session, template("优抚资金材料", rule=Rule(Freq.MONTHLY, nth_workday=5),
                              all_street_offices=True, start=d("2026-10-01")))
        add(session, TemplateInput(name="周研判", start=d("2026-11-02"), **MEETING))
    first = sweep(engine, now=at("2026-11-02 10:00"), config=CONFIG)
    second = sweep(engine, now=at("2026-11-02 10:00"), config=CONFIG)
    assert first.generated == 9 + 2 * 9  # nodes; meetings 2 Nov … 28 Dec with their minutes
    assert second.generated == 0
    with session_scope(engine) as session:
        assert count(session, Item) == 27
        creates = count(session, Event, Event.entity == "item", Event.action == "create")
        assert creates == 27
    # The 2 November meeting (09:00–10:00) is over by the first sweep: marked held.
    assert first.meetings_held == 1 and second.meetings_held == 0


# -- two processes on PostgreSQL ---------------------------------------------------------------

BARRIER = 4242
CHILD = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from sqlalchemy import text
from models.store import db

url, mode, now = sys.argv[1], sys.argv[2], sys.argv[3]
engine = db.make_engine(url)
with engine.connect() as conn:  # wait until the test lets every process go at once
    conn.execute(text("SELECT pg_advisory_lock_shared(BARRIER)"))
    conn.execute(text("SELECT pg_advisory_unlock_shared(BARRIER)"))
    conn.commit()
if mode == "generate":
    from models.records.recurring import generate_all
    report = generate_all(engine, now=datetime.fromisoformat(now).replace(tzinfo=ZoneInfo("Asia/Shanghai")),
                          tz=ZoneInfo("Asia/Shanghai"))
    print(json.dumps({"created": report.created, "minutes": report.minutes}))
else:
    from duban.cli import main
    sys.argv = ["duban", "sweep", "--now", now]
    main()
""".replace("BARRIER", str(BARRIER))


def run_together(pg_url: str, mode: str, now: str, n: int, env: dict[str, str]) -> list[str]:
    """Start n processes that block on an advisory lock; release it once all wait."""
    admin = db.make_engine(pg_url)
    with admin.connect() as gate:
        gate.execute(text(f"SELECT pg_advisory_lock({BARRIER})"))
        gate.commit()
        procs = [subprocess.Popen([sys.executable, "-c", CHILD, pg_url, mode, now], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(n)]
        deadline = wallclock.monotonic() + 60
        waiting = 0
        while waiting < n and wallclock.monotonic() < deadline:
            waiting = gate.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                f"AND objid = {BARRIER}")).scalar_one()
            gate.commit()
        assert waiting == n, "the processes never reached the starting line"
        gate.execute(text(f"SELECT pg_advisory_unlock({BARRIER})"))
        gate.commit()
        outputs = []
        for p in procs:
            stdout, stderr = p.communicate(timeout=120)
            assert p.returncode == 0, stderr[-3000:]
            outputs.append(stdout)
    admin.dispose()
    return outputs


def thirteen_street_offices(url: str, *, daily: bool = True) -> None:
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    with session_scope(engine) as session:
        build_bureau(session, streets=[f"示例{n}号街道办事处" for n in range(1, 14)])
        if daily:
            add(session, template("日研判报送", rule=Rule(Freq.DAILY), all_street_offices=True,
                                  start=d("2026-10-01")))
        add(session, template("周汇报", all_street_offices=True, start=d("2026-10-01")))
        add(session, template("优抚资金材料", rule=Rule(Freq.MONTHLY, nth_workday=5),
                              all_street_offices=True, start=d("2026-10-01")))
        add(session, TemplateInput(name="周研判", start=d("2026-10-01"), **MEETING))
    engine.dispose()


# Window 1 October 2026 … 8 January 2027 for 13 offices: 67 working days, 15 Fridays (2 October
# moved to the 8th, 1 January to the 4th), 4 monthly nodes; 14 Monday meetings (5 October moved
# to the 8th) each with its minutes item.
EXPECTED_ITEMS = 13 * (67 + 15 + 4) + 14 + 14


def counts(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    with session_scope(engine) as session:
        dupes = session.execute(text(
            "SELECT count(*) FROM (SELECT template_id, unit_id, deadline_date FROM item "
            "WHERE template_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d")).scalar_one()
        result = {
            "items": count(session, Item),
            "meetings": count(session, Item, Item.kind == ItemKind.MEETING),
            "minutes": count(session, Item, col(Item.parent_id).is_not(None)),
            "creates": count(session, Event, Event.entity == "item", Event.action == "create"),
            "outbox": count(session, Outbox),
            "dupes": dupes,
        }
    engine.dispose()
    return result


def child_env(tmp_path, pg_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(DUBAN_HOME=str(tmp_path / "home"), DUBAN_DATABASE_URL=pg_url,
               PYTHONPATH=str(ROOT))
    return env


def test_four_processes_generating_at_once_add_each_occurrence_once(pg_url, tmp_path):
    thirteen_street_offices(pg_url)
    outputs = run_together(pg_url, "generate", "2026-11-09T09:00", 4, child_env(tmp_path, pg_url))
    reports = [json.loads(o) for o in outputs]
    after = counts(pg_url)
    assert after["items"] == EXPECTED_ITEMS
    assert after["dupes"] == 0
    assert sum(r["created"] for r in reports) + sum(r["minutes"] for r in reports) == after["items"]
    assert after["creates"] == after["items"]  # each occurrence recorded as created once
    assert after["minutes"] == after["meetings"] == 14


def test_four_duban_sweeps_at_once_generate_and_queue_once(pg_url, tmp_path):
    thirteen_street_offices(pg_url, daily=False)
    env = child_env(tmp_path, pg_url)
    outputs = run_together(pg_url, "sweep", "2026-11-09T09:00", 4, env)
    after = counts(pg_url)
    assert after["items"] == EXPECTED_ITEMS - 13 * 67
    assert after["dupes"] == 0 and after["creates"] == after["items"]
    queued = sum(int(o.split("新增提醒 ")[1].split(" 条")[0]) for o in outputs)
    assert queued == after["outbox"] > 0
    # And once more, one after the other: nothing new.
    run_together(pg_url, "sweep", "2026-11-09T09:00", 2, env)
    assert counts(pg_url) == after
