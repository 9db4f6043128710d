"""Supervised items: deadlines become UTC instants, changes are logged, overdue is exact."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import func, select

from models.domain.enums import ItemKind, ItemStatus
from models.errors import InputError, NotFound, Refused
from models.records.items import (
    add_item,
    add_progress,
    cancel_item,
    complete_item,
    list_items,
    overdue_items,
    progress_of,
    update_item,
)
from models.store.events import history
from models.store.tables import Event, Item
from tests.support.factories import SHANGHAI, T0, make_item, make_unit, reload

T1 = datetime(2026, 11, 10, 14, 30, tzinfo=SHANGHAI)
T2 = datetime(2026, 11, 20, 16, 0, tzinfo=SHANGHAI)


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _actions(session, item_id: int) -> list[str]:
    return [e.action for e in history(session, "item", item_id)]


@pytest.fixture
def unit(session):
    return make_unit(session, "优抚褒扬科")


# --- add_item -----------------------------------------------------------------------------------

def test_date_only_deadline_ends_at_midnight_shanghai(session, unit):
    item = make_item(session, unit, deadline="2026-11-30")

    stored = reload(session, Item, item.id)
    assert stored.deadline_date == date(2026, 11, 30)
    assert stored.deadline_time is None
    assert stored.due_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert stored.due_at == _local(2026, 12, 1, 0, 0)
    assert stored.due_at.utcoffset() == timedelta(0)
    assert (stored.status, stored.kind, stored.unit_id) == (
        ItemStatus.NOT_STARTED, ItemKind.RECTIFICATION, unit.id)
    assert stored.created_at == stored.updated_at == T0
    assert stored.completed_at is None


def test_dated_and_timed_deadline_is_local_wall_clock(session, unit):
    item = make_item(session, unit, deadline="2026年11月30日 17:00")

    stored = reload(session, Item, item.id)
    assert (stored.deadline_date, stored.deadline_time) == (date(2026, 11, 30), time(17, 0))
    assert stored.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert stored.due_at.utcoffset() == timedelta(0)


def test_due_at_comes_back_in_utc_whatever_the_connection_zone(session, unit):
    item = make_item(session, unit, deadline="2026-11-30 17:00")
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SET TIME ZONE 'America/New_York'")

    stored = reload(session, Item, item.id)
    assert stored.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert stored.due_at.utcoffset() == timedelta(0)
    assert stored.created_at.utcoffset() == timedelta(0)


def test_add_item_stores_every_field(session, unit):
    item = add_item(session, {
        "code": " DB-2026-001 ", "kind": "报送节点", "title": "报送季度统计表",
        "detail": "第一行\n第二行", "measure": "按时报送", "source": "市局通报",
        "unit": " 优抚褒扬科 ", "person": "刘洋", "deadline": "2026/12/5",
        "status": "进行中",
    }, actor="督办室", now=T0, tz=SHANGHAI)

    stored = reload(session, Item, item.id)
    assert (stored.code, stored.kind, stored.title, stored.detail, stored.measure, stored.source,
            stored.unit_id, stored.person, stored.deadline_date, stored.status) == (
        "DB-2026-001", ItemKind.SUBMISSION, "报送季度统计表", "第一行\n第二行", "按时报送",
        "市局通报", unit.id, "刘洋", date(2026, 12, 5), ItemStatus.IN_PROGRESS)


def test_add_item_logs_a_create_event_with_the_whole_row(session, unit):
    item = make_item(session, unit, deadline="2026-11-30")

    [event] = history(session, "item", item.id)
    assert (event.action, event.actor, event.at, event.before) == ("create", "test", T0, None)
    assert event.after["id"] == item.id
    assert event.after["status"] == "未开始"
    assert event.after["deadline_date"] == "2026-11-30"
    assert event.after["deadline_time"] is None
    assert event.after["due_at"] == "2026-11-30T16:00:00+00:00"


def test_add_item_to_an_unknown_unit_is_not_found(session, unit):
    with pytest.raises(NotFound, match="单位 “安置科” 不存在"):
        make_item(session, "安置科")

    assert _count(session, Item) == 0


def test_duplicate_code_is_refused(session, unit):
    first = make_item(session, unit, code="DB-2026-001")

    with pytest.raises(Refused, match=f"编号 “DB-2026-001” 已被事项 {first.id} 使用"):
        make_item(session, unit, code="DB-2026-001", title="另一个事项")

    assert _count(session, Item) == 1


def test_items_without_code_do_not_clash(session, unit):
    make_item(session, unit, code="")
    make_item(session, unit, code=None)

    assert [i.code for i, _ in list_items(session)] == [None, None]


@pytest.mark.parametrize("status", ["已办结", "已撤销", "done"])
def test_a_new_item_may_not_start_closed(session, unit, status):
    with pytest.raises(Refused, match="不能是已办结或已撤销"):
        make_item(session, unit, status=status)

    assert _count(session, Item) == 0


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"title": ""}, "事项名称", "必填"),
    ({"deadline": None}, "完成时限", "必填"),
    ({"kind": "杂项"}, "类别", "应为 整改事项、报送节点、会议、任务 之一"),
    ({"deadline": "2026-02-30"}, "完成时限", "不是有效日期"),
    ({"deadline": "下周五"}, "完成时限", "无法识别"),
    ({"status": "暂停"}, "状态", "应为"),
    ({"title": "做好\n优待证办理工作"}, "事项名称", "控制字符"),
])
def test_add_item_refuses_bad_fields_naming_the_column(session, unit, fields, field, reason):
    with pytest.raises(InputError) as err:
        make_item(session, unit, **fields)

    assert err.value.field == field
    assert reason in str(err.value)
    assert _count(session, Item) == 0


# --- update_item --------------------------------------------------------------------------------

def test_update_logs_only_the_fields_that_changed(session, unit):
    item = make_item(session, unit, person="刘洋")

    update_item(session, item.id, {"title": "优待证办理提速", "person": "刘洋", "kind": "整改事项"},
                actor="督办室", now=T1, tz=SHANGHAI)

    stored = reload(session, Item, item.id)
    assert (stored.title, stored.person, stored.updated_at, stored.created_at) == (
        "优待证办理提速", "刘洋", T1, T0)
    create, update = history(session, "item", item.id)
    assert create.action == "create"
    assert (update.action, update.actor, update.at) == ("update", "督办室", T1)
    assert update.before == {"title": "做好优待证办理工作"}
    assert update.after == {"title": "优待证办理提速"}


def test_a_no_op_update_records_nothing(session, unit):
    item = make_item(session, unit, code="DB-1", person="刘洋", deadline="2026-11-30 17:00")

    update_item(session, item.id, {
        "code": "DB-1", "title": " 做好优待证办理工作 ", "person": "刘洋", "unit": "优抚褒扬科",
        "deadline": "2026/11/30 17:00:00", "kind": "整改事项", "status": "未开始", "detail": "",
    }, actor="督办室", now=T1, tz=SHANGHAI)

    assert _actions(session, item.id) == ["create"]
    assert reload(session, Item, item.id).updated_at == T0


def test_redating_recomputes_due_at(session, unit):
    item = make_item(session, unit, deadline="2026-11-30")

    update_item(session, item.id, {"deadline": "2026-12-15 17:30"}, actor="督办室", now=T1, tz=SHANGHAI)

    stored = reload(session, Item, item.id)
    assert (stored.deadline_date, stored.deadline_time) == (date(2026, 12, 15), time(17, 30))
    assert stored.due_at == datetime(2026, 12, 15, 9, 30, tzinfo=UTC)
    event = history(session, "item", item.id)[-1]
    assert event.action == "update"
    assert event.before == {"deadline_date": "2026-11-30", "deadline_time": None,
                            "due_at": "2026-11-30T16:00:00+00:00"}
    assert event.after == {"deadline_date": "2026-12-15", "deadline_time": "17:30:00",
                           "due_at": "2026-12-15T09:30:00+00:00"}

    update_item(session, item.id, {"deadline": "2026-12-15"}, actor="督办室", now=T2, tz=SHANGHAI)

    stored = reload(session, Item, item.id)
    assert (stored.deadline_date, stored.deadline_time) == (date(2026, 12, 15), None)
    assert stored.due_at == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
    assert history(session, "item", item.id)[-1].before == {
        "deadline_time": "17:30:00", "due_at": "2026-12-15T09:30:00+00:00"}


def test_moving_an_item_to_another_unit(session, unit):
    other = make_unit(session, "东华门街道办事处", kind="街道办事处", contact_email="dhm@example.org")
    item = make_item(session, unit)

    update_item(session, item.id, {"unit": "东华门街道办事处"}, actor="督办室", now=T1, tz=SHANGHAI)

    assert reload(session, Item, item.id).unit_id == other.id
    event = history(session, "item", item.id)[-1]
    assert (event.before, event.after) == ({"unit_id": unit.id}, {"unit_id": other.id})
    with pytest.raises(NotFound):
        update_item(session, item.id, {"unit": "安置科"}, actor="督办室", now=T2, tz=SHANGHAI)


def test_status_may_move_between_open_states_through_update(session, unit):
    item = make_item(session, unit)

    update_item(session, item.id, {"status": "进行中"}, actor="督办室", now=T1, tz=SHANGHAI)

    assert reload(session, Item, item.id).status is ItemStatus.IN_PROGRESS
    event = history(session, "item", item.id)[-1]
    assert (event.action, event.before, event.after) == (
        "status", {"status": "未开始"}, {"status": "进行中"})


@pytest.mark.parametrize("status", ["已办结", "已撤销", "DONE"])
def test_update_may_not_close_an_item(session, unit, status):
    item = make_item(session, unit, status="进行中")

    with pytest.raises(Refused, match="item done"):
        update_item(session, item.id, {"status": status, "title": "新标题"},
                    actor="督办室", now=T1, tz=SHANGHAI)

    stored = reload(session, Item, item.id)
    assert (stored.status, stored.title, stored.completed_at) == (
        ItemStatus.IN_PROGRESS, "做好优待证办理工作", None)
    assert _actions(session, item.id) == ["create"]


def test_update_may_not_clear_a_required_field(session, unit):
    item = make_item(session, unit)

    with pytest.raises(InputError) as err:
        update_item(session, item.id, {"title": "  "}, actor="督办室", now=T1, tz=SHANGHAI)

    assert err.value.field == "事项名称"
    assert reload(session, Item, item.id).title == "做好优待证办理工作"


def test_update_to_another_items_code_is_refused(session, unit):
    first = make_item(session, unit, code="DB-1")
    second = make_item(session, unit, code="DB-2")

    with pytest.raises(Refused, match="DB-1"):
        update_item(session, second.id, {"code": "DB-1"}, actor="督办室", now=T1, tz=SHANGHAI)

    assert reload(session, Item, second.id).code == "DB-2"
    assert reload(session, Item, first.id).code == "DB-1"


def test_update_unknown_item_is_not_found(session, unit):
    with pytest.raises(NotFound, match="事项 “999” 不存在"):
        update_item(session, 999, {"title": "x"}, actor="督办室", now=T1, tz=SHANGHAI)


@pytest.mark.parametrize("close", ["done", "cancel"])
def test_a_closed_item_may_not_be_changed(session, unit, close):
    item = make_item(session, unit)
    if close == "done":
        complete_item(session, item.id, at=None, actor="督办室", now=T1)
    else:
        cancel_item(session, item.id, actor="督办室", now=T1)

    with pytest.raises(Refused, match="不能再修改"):
        update_item(session, item.id, {"title": "新标题"}, actor="督办室", now=T2, tz=SHANGHAI)
    with pytest.raises(Refused):
        update_item(session, item.id, {"status": "进行中"}, actor="督办室", now=T2, tz=SHANGHAI)

    stored = reload(session, Item, item.id)
    assert (stored.title, stored.updated_at) == ("做好优待证办理工作", T1)
    assert _actions(session, item.id) == ["create", "status"]


# --- complete_item / cancel_item ----------------------------------------------------------------

def test_complete_item_at_now(session, unit):
    item = make_item(session, unit, status="进行中")

    complete_item(session, item.id, at=None, actor="督办室", now=T1)

    stored = reload(session, Item, item.id)
    assert (stored.status, stored.completed_at, stored.updated_at) == (ItemStatus.DONE, T1, T1)
    assert stored.completed_at.utcoffset() == timedelta(0)
    event = history(session, "item", item.id)[-1]
    assert (event.action, event.actor, event.at) == ("status", "督办室", T1)
    assert event.before == {"status": "进行中", "completed_at": None}
    assert event.after == {"status": "已办结", "completed_at": "2026-11-10T14:30:00+08:00"}


def test_complete_item_at_an_earlier_time(session, unit):
    item = make_item(session, unit)
    finished = _local(2026, 11, 9, 17, 45)

    complete_item(session, item.id, at=finished, actor="督办室", now=T1)

    stored = reload(session, Item, item.id)
    assert (stored.completed_at, stored.updated_at) == (finished, T1)


def test_a_second_completion_is_refused(session, unit):
    item = make_item(session, unit)
    complete_item(session, item.id, at=None, actor="督办室", now=T1)

    with pytest.raises(Refused, match="已是“已办结”状态"):
        complete_item(session, item.id, at=None, actor="督办室", now=T2)

    assert reload(session, Item, item.id).completed_at == T1
    assert _actions(session, item.id) == ["create", "status"]


def test_a_completion_in_the_future_is_refused(session, unit):
    item = make_item(session, unit)

    with pytest.raises(InputError) as err:
        complete_item(session, item.id, at=T1 + timedelta(seconds=1), actor="督办室", now=T1)

    assert err.value.field == "完成时间"
    assert "不能晚于当前时间" in str(err.value)
    stored = reload(session, Item, item.id)
    assert (stored.status, stored.completed_at) == (ItemStatus.NOT_STARTED, None)
    assert _actions(session, item.id) == ["create"]


def test_complete_unknown_item_is_not_found(session, unit):
    with pytest.raises(NotFound):
        complete_item(session, 42, at=None, actor="督办室", now=T1)


def test_cancel_item(session, unit):
    item = make_item(session, unit, status="已提交")

    cancel_item(session, item.id, actor="督办室", now=T1)

    stored = reload(session, Item, item.id)
    assert (stored.status, stored.completed_at, stored.updated_at) == (
        ItemStatus.CANCELLED, None, T1)
    event = history(session, "item", item.id)[-1]
    assert (event.action, event.before, event.after) == (
        "status", {"status": "已提交", "completed_at": None},
        {"status": "已撤销", "completed_at": None})
    with pytest.raises(Refused, match="已是“已撤销”状态"):
        cancel_item(session, item.id, actor="督办室", now=T2)
    with pytest.raises(Refused, match="已撤销"):
        complete_item(session, item.id, at=None, actor="督办室", now=T2)
    assert reload(session, Item, item.id).status is ItemStatus.CANCELLED


# --- the event log ------------------------------------------------------------------------------

def test_every_change_writes_an_event(session, unit):
    item = make_item(session, unit)
    update_item(session, item.id, {"title": "新标题"}, actor="甲", now=_local(2026, 11, 3, 9, 0), tz=SHANGHAI)
    update_item(session, item.id, {"status": "进行中"}, actor="乙", now=_local(2026, 11, 4, 9, 0),
                tz=SHANGHAI)
    add_progress(session, item.id, "材料已收齐", author="刘洋", at=_local(2026, 11, 5, 8, 0),
                 now=_local(2026, 11, 5, 9, 0))
    update_item(session, item.id, {"status": "已提交", "person": "刘洋"}, actor="丙",
                now=_local(2026, 11, 6, 9, 0), tz=SHANGHAI)
    complete_item(session, item.id, at=None, actor="丁", now=_local(2026, 11, 7, 9, 0))

    events = history(session, "item", item.id)
    assert [(e.action, e.actor, e.at.astimezone(SHANGHAI).day) for e in events] == [
        ("create", "test", 2), ("update", "甲", 3), ("status", "乙", 4), ("progress", "刘洋", 5),
        ("update", "丙", 6), ("status", "丁", 7)]
    assert all(e.entity == "item" and e.entity_id == item.id for e in events)
    assert events[3].after["note"] == "材料已收齐"
    assert events[4].before == {"status": "进行中", "person": None}
    assert [p.note for p in progress_of(session, item.id)] == ["材料已收齐"]
    assert _count(session, Event) == 1 + len(events)  # plus the unit's own create


def test_history_is_per_item(session, unit):
    first = make_item(session, unit)
    second = make_item(session, unit, title="第二个事项")
    update_item(session, second.id, {"person": "刘洋"}, actor="督办室", now=T1, tz=SHANGHAI)

    assert _actions(session, first.id) == ["create"]
    assert _actions(session, second.id) == ["create", "update"]


# --- overdue_items ------------------------------------------------------------------------------

def _overdue_ids(session, now: datetime, unit: str | None = None) -> list[int]:
    return [item.id for item, _ in overdue_items(session, now=now, unit=unit)]


def test_a_date_only_deadline_is_overdue_only_after_local_midnight(session, unit):
    item = make_item(session, unit, deadline="2026-11-30")

    assert _overdue_ids(session, _local(2026, 11, 30, 23, 59)) == []
    assert _overdue_ids(session, _local(2026, 11, 30, 23, 59, 59, 999999)) == []
    assert _overdue_ids(session, _local(2026, 12, 1, 0, 0, 0)) == []
    assert _overdue_ids(session, _local(2026, 12, 1, 0, 0, 1)) == [item.id]
    assert _overdue_ids(session, datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC)) == [item.id]


def test_a_timed_deadline_is_not_overdue_at_its_exact_instant(session, unit):
    item = make_item(session, unit, deadline="2026-11-30 17:00")

    assert _overdue_ids(session, _local(2026, 11, 30, 16, 59, 59)) == []
    assert _overdue_ids(session, _local(2026, 11, 30, 17, 0, 0)) == []
    assert _overdue_ids(session, _local(2026, 11, 30, 17, 0, 1)) == [item.id]
    assert _overdue_ids(session, datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)) == [item.id]


def test_closed_items_are_never_overdue(session, unit):
    done = make_item(session, unit, title="已办结的", deadline="2026-11-05")
    cancelled = make_item(session, unit, title="已撤销的", deadline="2026-11-05")
    submitted = make_item(session, unit, title="已提交的", deadline="2026-11-05", status="已提交")
    started = make_item(session, unit, title="进行中的", deadline="2026-11-05", status="进行中")
    complete_item(session, done.id, at=None, actor="督办室", now=_local(2026, 11, 3, 9, 0))
    cancel_item(session, cancelled.id, actor="督办室", now=_local(2026, 11, 3, 9, 0))

    assert _overdue_ids(session, _local(2027, 1, 1, 0, 0)) == [submitted.id, started.id]


def test_overdue_items_filtered_by_unit(session, unit):
    other = make_unit(session, "东华门街道办事处", kind="街道办事处", contact_email="dhm@example.org")
    ours = make_item(session, unit, deadline="2026-11-10")
    theirs = make_item(session, other, deadline="2026-11-09")
    make_unit(session, "安置科", contact_email="anzhi@example.org")
    now = _local(2026, 12, 1, 10, 0)

    rows = overdue_items(session, now=now, unit="东华门街道办事处")
    assert [(item.id, u.id) for item, u in rows] == [(theirs.id, other.id)]
    assert _overdue_ids(session, now, unit="优抚褒扬科") == [ours.id]
    assert _overdue_ids(session, now, unit="安置科") == []
    assert _overdue_ids(session, now) == [theirs.id, ours.id]
    with pytest.raises(NotFound, match="单位 “民政科” 不存在"):
        overdue_items(session, now=now, unit="民政科")


def test_overdue_items_come_oldest_deadline_first(session, unit):
    late = make_item(session, unit, title="C", deadline="2026-11-20")
    day_end = make_item(session, unit, title="B2", deadline="2026-11-12")
    afternoon = make_item(session, unit, title="B1", deadline="2026-11-12 17:00")
    early = make_item(session, unit, title="A", deadline="2026-11-03 09:00")
    tie = make_item(session, unit, title="C'", deadline="2026-11-20")
    make_item(session, unit, title="not yet", deadline="2026-12-31")

    rows = overdue_items(session, now=_local(2026, 12, 1, 10, 0))

    assert [item.id for item, _ in rows] == [early.id, afternoon.id, day_end.id, late.id, tie.id]
    assert all(u.id == unit.id for _, u in rows)
    assert [i.title for i, _ in list_items(session)] == ["A", "B1", "B2", "C", "C'", "not yet"]
