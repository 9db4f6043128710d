"""Recurring duties: templates, and the occurrences generated from them.

An occurrence is an ordinary item (a 报送节点 for one unit, or a 会议 for its organiser) tied
to its template by ``template_id``. The database keeps one per (template, unit, due date), so
generating twice, or in two processes at once, adds nothing. Editing, pausing or resuming a
template regenerates the future occurrences nobody has touched, and leaves the past, and
anything with a submission, a note or a sent reminder, alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from models.domain import validation
from models.domain.deadlines import local_date
from models.domain.enums import ItemKind, UnitKind, parse_enum
from models.domain.recurrence import Rule
from models.errors import InputError, NotFound, Refused
from models.records.generation import (  # noqa: F401  (the recurring API in one place)
    HORIZON_DAYS,
    GenerationReport,
    generate,
    generate_all,
    withdraw_future,
)
from models.store.events import record_event, snapshot
from models.store.tables import Item, Person, Recurrence, Unit

RECURRING_KINDS = (ItemKind.SUBMISSION, ItemKind.MEETING, ItemKind.TASK)


@dataclass(frozen=True)
class TemplateInput:
    """A template as a user gives it: names, not ids. Meeting fields only for 会议."""

    name: str
    kind: str
    rule: Rule
    due_time: time | None = None
    units: tuple[str, ...] = ()
    all_street_offices: bool = False
    start: date | None = None
    end: date | None = None
    lead_workdays: int | None = None
    detail: str | None = None
    source: str | None = None
    organiser: str | None = None  # meetings: the unit that holds it and owes the minutes
    place: str | None = None
    duration_minutes: int | None = None
    attendee_units: tuple[str, ...] = ()
    attendee_people: tuple[str, ...] = ()
    minutes_due_workdays: int | None = None
    backfill: bool = False  # a start before today also makes the past occurrences (records)


def _unit_id(session: Session, name: str, label: str) -> int:
    unit_id = session.execute(select(Unit.id).where(Unit.name == name.strip())).scalar_one_or_none()
    if unit_id is None:
        raise InputError(label, name, "单位不存在")
    return unit_id


def _person_id(session: Session, name: str) -> int:
    person_id = session.execute(select(Person.id).where(Person.name == name.strip())).scalars().first()
    if person_id is None:
        raise InputError("参会人员", name, "人员不存在（请先用 duban person add 添加）")
    return person_id


def validate_template(session: Session, data: TemplateInput, *, today: date) -> dict[str, Any]:
    """Checked column values for a Recurrence, or InputError naming the bad field."""
    kind = parse_enum(ItemKind, data.kind)
    if kind not in RECURRING_KINDS:
        raise InputError("类别", data.kind, "周期任务的类别应为 报送节点、会议 或 任务")
    rule = data.rule.validate()
    start = data.start or today
    if data.end is not None and data.end < start:
        raise InputError("结束日期", data.end.isoformat(), f"早于开始日期 {start.isoformat()}")
    if data.lead_workdays is not None and not 0 <= data.lead_workdays <= 60:
        raise InputError("提前生成", data.lead_workdays, "应为 0 到 60 个工作日")
    values: dict[str, Any] = {
        "name": validation.text(data.name, "名称", max_len=100),
        "item_kind": kind, "rule": rule.to_json(), "due_time": data.due_time,
        "start_date": start, "end_date": data.end, "lead_workdays": data.lead_workdays,
        "detail": validation.text(data.detail, "说明", max_len=10_000, required=False,
                                  multiline=True),
        "source": validation.text(data.source, "来源", max_len=200, required=False),
        "all_street_offices": False, "unit_ids": [], "organiser_unit_id": None,
        "place": None, "duration_minutes": None, "attendee_unit_ids": [],
        "attendee_person_ids": [], "minutes_due_workdays": None,
    }
    if kind is ItemKind.MEETING:
        if not data.organiser:
            raise InputError("组织单位", "", "会议须指定组织单位（--organiser）")
        if data.due_time is None:
            raise InputError("时间", "", "会议须指定开始时间（--time）")
        duration = data.duration_minutes or 60
        if not 5 <= duration <= 24 * 60:
            raise InputError("时长", duration, "应为 5 到 1440 分钟")
        if data.minutes_due_workdays is not None and not 0 <= data.minutes_due_workdays <= 30:
            raise InputError("纪要时限", data.minutes_due_workdays, "应为 0 到 30 个工作日")
        values.update(
            organiser_unit_id=_unit_id(session, data.organiser, "组织单位"),
            place=validation.text(data.place, "地点", max_len=100, required=False),
            duration_minutes=duration,
            attendee_unit_ids=[_unit_id(session, n, "参会单位") for n in data.attendee_units],
            attendee_person_ids=[_person_id(session, n) for n in data.attendee_people],
            minutes_due_workdays=data.minutes_due_workdays,
        )
    else:
        if data.all_street_offices == bool(data.units):
            raise InputError("责任单位", "、".join(data.units),
                             "须指定责任单位（--units）或全部街道办事处（--all-street-offices），二选一")
        values["all_street_offices"] = data.all_street_offices
        values["unit_ids"] = [_unit_id(session, n, "责任单位") for n in data.units]
    return values


def get_template(session: Session, template_id: int) -> Recurrence:
    template = session.get(Recurrence, template_id)
    if template is None:
        raise NotFound("周期任务", template_id)
    return template


def add_template(session: Session, data: TemplateInput, *, actor: str, now: datetime,
                 tz: ZoneInfo) -> Recurrence:
    today = local_date(now, tz)
    values = validate_template(session, data, today=today)
    if values["start_date"] < today and not data.backfill:
        values["start_date"] = today  # nothing already past is invented (template_notices)
    template = Recurrence(**values, paused=False, generated_until=None,
                          created_at=now, updated_at=now)
    session.add(template)
    session.flush()
    record_event(session, entity="recurrence", entity_id=template.id,  # type: ignore[arg-type]
                 action="create", actor=actor, at=now, after=snapshot(template))
    return template


def target_units(session: Session, template: Recurrence) -> list[str]:
    """The names of the units that owe the template's occurrences now."""
    if template.item_kind is ItemKind.MEETING:
        query = select(Unit.name).where(Unit.id == template.organiser_unit_id)
    elif template.all_street_offices:
        query = select(Unit.name).where(Unit.kind == UnitKind.STREET_OFFICE)
    else:
        query = select(Unit.name).where(col(Unit.id).in_(template.unit_ids))
    return list(session.execute(query.order_by(Unit.id)).scalars())


def template_notices(session: Session, template: Recurrence, data: TemplateInput, *,
                     today: date) -> list[str]:
    """What the person who made ``template`` from ``data`` should be told."""
    notices = []
    if data.start is not None and data.start < today and not data.backfill:
        notices.append(f"开始日期 {data.start} 早于今天，已改为从今天（{today}）开始生成，"
                       "不补生成过去的事项或会议；如确需补录历史，请加 --backfill")
    elif data.start is not None and data.start < today:
        notices.append(f"开始日期 {data.start} 早于今天：将补生成 {data.start} 以来的各期"
                       "（已过期的会立即显示为逾期）")
    if not target_units(session, template):
        who = "街道办事处" if template.all_street_offices else "责任单位"
        notices.append(f"目前没有{who}，暂不生成任何事项；新增{who}后，从下一期起自动生成")
    return notices


def occurrences_of(session: Session, template_id: int) -> list[tuple[Item, str]]:
    rows = session.execute(
        select(Item, Unit.name).join(Unit, col(Unit.id) == col(Item.unit_id))
        .where(Item.template_id == template_id)
        .order_by(col(Item.deadline_date), col(Unit.name)))
    return [(item, name) for item, name in rows]


def list_templates(session: Session) -> list[Recurrence]:
    return list(session.execute(select(Recurrence).order_by(col(Recurrence.id))).scalars())



def update_template(session: Session, template_id: int, data: TemplateInput, *, actor: str,
                    now: datetime, tz: ZoneInfo) -> tuple[Recurrence, int]:
    """Replace the template's definition; future untouched occurrences are regenerated.

    Returns the template and how many future occurrences were withdrawn.
    """
    template = get_template(session, template_id)
    today = local_date(now, tz)
    values = validate_template(session, replace(data, start=data.start or template.start_date),
                               today=today)
    before = snapshot(template)
    for key, value in values.items():
        setattr(template, key, value)
    template.updated_at = now
    withdrawn = withdraw_future(session, template, actor=actor, now=now, today=today,
                                reason="周期任务已修改，未开始的后续事项重新生成")
    if template.generated_until is not None:  # never generated: generate as a new template
        template.generated_until = min(template.generated_until, today)
    after = snapshot(template)
    record_event(session, entity="recurrence", entity_id=template_id, action="update",
                 actor=actor, at=now,
                 before={k: v for k, v in before.items() if after.get(k) != v},
                 after={k: v for k, v in after.items() if before.get(k) != v})
    return template, withdrawn


def set_paused(session: Session, template_id: int, paused: bool, *, actor: str, now: datetime,
               tz: ZoneInfo) -> tuple[Recurrence, int]:
    """Pause (withdraw untouched future occurrences, generate no more) or resume."""
    template = get_template(session, template_id)
    if template.paused == paused:
        raise Refused(f"周期任务 {template_id} 已{'暂停' if paused else '在运行'}")
    today = local_date(now, tz)
    withdrawn = 0
    if paused:
        withdrawn = withdraw_future(session, template, actor=actor, now=now, today=today,
                                    reason="周期任务已暂停")
    template.paused = paused
    # Pausing regenerates nothing after today; resuming starts after today too: the weeks it
    # was paused owe nothing (they must not come back as overdue occurrences).
    template.generated_until = min(template.generated_until or today, today) if paused \
        else max(template.generated_until or today, today)
    template.updated_at = now
    record_event(session, entity="recurrence", entity_id=template_id,
                 action="pause" if paused else "resume", actor=actor, at=now,
                 before={"paused": not paused}, after={"paused": paused})
    return template, withdrawn
