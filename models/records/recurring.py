"""Recurring duties: templates, and the occurrences generated from them.

An occurrence is an ordinary item (a 报送节点 for one unit, or a 会议 for its organiser) tied
to its template by ``template_id``. The database keeps one per (template, unit, due date), so
generating twice, or in two processes at once, adds nothing. Editing, pausing or resuming a
template regenerates the future occurrences nobody has touched, and leaves the past, and
anything with a submission, a note or a sent reminder, alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, delete, exists, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from models.domain import validation
from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline, local_date
from models.domain.enums import ItemKind, ItemStatus, OutboxStatus, UnitKind, parse_enum
from models.domain.recurrence import Rule
from models.errors import InputError, NotFound, Refused
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.events import record_event, snapshot
from models.store.next_actions import set_next_actions
from models.store.tables import (
    Item,
    Outbox,
    Person,
    ProgressEntry,
    Recurrence,
    Submission,
    Unit,
)

HORIZON_DAYS = 60
HOLIDAY_MARGIN = timedelta(days=31)  # more than any run of days off moves a date
RECURRING_KINDS = (ItemKind.SUBMISSION, ItemKind.MEETING, ItemKind.TASK)
ITEM = Item.__table__  # type: ignore[attr-defined]


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
    values = validate_template(session, data, today=local_date(now, tz))
    template = Recurrence(**values, paused=False, generated_until=None,
                          created_at=now, updated_at=now)
    session.add(template)
    session.flush()
    record_event(session, entity="recurrence", entity_id=template.id,  # type: ignore[arg-type]
                 action="create", actor=actor, at=now, after=snapshot(template))
    return template


def occurrences_of(session: Session, template_id: int) -> list[tuple[Item, str]]:
    rows = session.execute(
        select(Item, Unit.name).join(Unit, col(Unit.id) == col(Item.unit_id))
        .where(Item.template_id == template_id)
        .order_by(col(Item.deadline_date), col(Unit.name)))
    return [(item, name) for item, name in rows]


def list_templates(session: Session) -> list[Recurrence]:
    return list(session.execute(select(Recurrence).order_by(col(Recurrence.id))).scalars())


def _acted_on(item):
    """Someone or something acted on this item: it left 未开始, has a submission or progress,
    or a message about it went further than pending (sent, sending, failed or withdrawn: those
    rows are the record supervisors read, and they keep the item in place)."""
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    return or_(
        item.c.status != ItemStatus.NOT_STARTED.value,
        exists().where(Submission.__table__.c.item_id == item.c.id),  # type: ignore[attr-defined]
        exists().where(ProgressEntry.__table__.c.item_id == item.c.id),  # type: ignore[attr-defined]
        exists().where(and_(outbox.c.item_id == item.c.id,
                            outbox.c.status != OutboxStatus.PENDING.value)),
    )


def _untouched_future(template_id: int, today: date):
    """Occurrences after today that nobody has acted on (nor on their minutes item): safe to
    withdraw and regenerate."""
    item, minutes = ITEM, ITEM.alias("minutes")
    return and_(
        item.c.template_id == template_id,
        item.c.deadline_date > today,
        not_(_acted_on(item)),
        not_(exists().where(and_(minutes.c.parent_id == item.c.id, _acted_on(minutes)))),
    )


def withdraw_future(session: Session, template: Recurrence, *, actor: str, now: datetime,
                    today: date, reason: str) -> int:
    """Delete untouched future occurrences (and their minutes items); returns how many."""
    ids = list(session.execute(select(ITEM.c.id).where(_untouched_future(template.id, today)))
               .scalars())
    if not ids:
        return 0
    children = list(session.execute(select(ITEM.c.id).where(ITEM.c.parent_id.in_(ids))).scalars())
    doomed = ids + children
    # The schedule first (deleting the items would cascade to it anyway): on PostgreSQL it
    # waits for a sweep queueing for these items, whose rows the outbox delete then sees.
    set_next_actions(session, [(item_id, None) for item_id in doomed])
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    session.execute(delete(outbox).where(outbox.c.item_id.in_(doomed),
                                         outbox.c.status == OutboxStatus.PENDING.value))
    for item_id in doomed:
        record_event(session, entity="item", entity_id=item_id, action="delete", actor=actor,
                     at=now, after={"reason": reason})
    session.execute(delete(ITEM).where(ITEM.c.id.in_(children)))
    session.execute(delete(ITEM).where(ITEM.c.id.in_(ids)))
    return len(ids)


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


# -- generation --------------------------------------------------------------------------------

@dataclass
class GenerationReport:
    templates: int = 0
    created: int = 0
    minutes: int = 0


def _window(template: Recurrence, today: date, horizon_days: int,
            calendar: WorkCalendar) -> tuple[date, date] | None:
    end = today + timedelta(days=horizon_days)
    if template.lead_workdays is not None:
        end = min(end, calendar.add_workdays(today, template.lead_workdays))
    if template.end_date is not None:
        end = min(end, template.end_date)
    start = template.start_date
    if template.generated_until is not None:
        start = max(start, template.generated_until + timedelta(days=1))
    return (start, end) if start <= end else None


def _days_in_window(template: Recurrence, rule: Rule, window: tuple[date, date],
                    calendar: WorkCalendar) -> list[date]:
    """The occurrences a window owns: those whose actual (holiday-adjusted) date falls in it.

    So consecutive windows, and regeneration after today, neither lose nor repeat an occurrence
    whose nominal date lies on the other side of the edge (Friday 2 October → 8 October). The
    template's start and end bound the nominal dates; the window reaching the end date is the
    last, so it also owns what its final nominal dates move beyond it.
    """
    first = max(template.start_date, window[0] - HOLIDAY_MARGIN)
    last = window[1] + HOLIDAY_MARGIN
    final = template.end_date is not None and window[1] >= template.end_date
    if template.end_date is not None:
        last = min(last, template.end_date)
    return [day for day in rule.occurrences(first, last, calendar)
            if window[0] <= day and (final or day <= window[1])]


def _assignees(template: Recurrence, street_offices: list[Unit],
               units_by_id: dict[int, Unit]) -> list[Unit]:
    if template.item_kind is ItemKind.MEETING:
        return [units_by_id[template.organiser_unit_id]]  # type: ignore[index]
    if template.all_street_offices:
        return street_offices
    return [units_by_id[i] for i in template.unit_ids if i in units_by_id]


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert_ = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ITEM)
    # Any unique key counts (the slot, the 编号, a meeting's one minutes item).
    stmt = insert_.values(rows).on_conflict_do_nothing()
    return list(session.execute(stmt.returning(ITEM.c.id)).scalars())


def _occurrence_row(template: Recurrence, unit: Unit, day: date, *, now: datetime,
                    tz: ZoneInfo) -> dict[str, Any]:
    deadline = Deadline(day, template.due_time)
    return {
        # The 编号 names the slot (template, nominal day, unit): ledgers can carry the item,
        # and an occurrence moved to another day keeps its slot from being generated again.
        "code": f"ZQ{template.id}-{day:%Y%m%d}-{unit.id}",
        "kind": template.item_kind.value, "title": template.name,
        "detail": template.detail, "measure": None,
        "source": template.source or f"周期任务：{template.name}",
        "unit_id": unit.id, "person": unit.contact_name,
        "deadline_date": day, "deadline_time": template.due_time,
        "due_at": deadline.ends_at(tz), "status": ItemStatus.NOT_STARTED.value,
        "completed_at": None, "created_at": now, "updated_at": now,
        "template_id": template.id, "parent_id": None, "ics_sequence": 0,
    }


def _minutes_row(template: Recurrence, meeting_id: int, day: date, *, now: datetime,
                 tz: ZoneInfo, calendar: WorkCalendar, organiser: Unit) -> dict[str, Any]:
    due = calendar.add_workdays(day, template.minutes_due_workdays or 0)
    return {
        "code": f"ZQ{template.id}-{day:%Y%m%d}-JY",
        "kind": ItemKind.TASK.value, "title": f"{template.name}会议纪要",
        "detail": f"{day.isoformat()} {template.name} 的会议纪要", "measure": None,
        "source": f"会议纪要：{template.name}", "unit_id": organiser.id,
        "person": organiser.contact_name, "deadline_date": due, "deadline_time": None,
        "due_at": Deadline(due).ends_at(tz), "status": ItemStatus.NOT_STARTED.value,
        "completed_at": None, "created_at": now, "updated_at": now,
        "template_id": None, "parent_id": meeting_id, "ics_sequence": 0,
    }


def generate(session: Session, *, now: datetime, tz: ZoneInfo, calendar: WorkCalendar,
             horizon_days: int = HORIZON_DAYS, actor: str = "duban") -> GenerationReport:
    """Create the occurrences due up to the horizon that do not exist yet."""
    report = GenerationReport()
    today = local_date(now, tz)
    units = list(session.execute(select(Unit)).scalars())
    units_by_id = {u.id: u for u in units}
    street_offices = [u for u in units if u.kind is UnitKind.STREET_OFFICE]
    templates = session.execute(select(Recurrence).where(col(Recurrence.paused).is_(False))).scalars()
    for template in list(templates):
        window = _window(template, today, horizon_days, calendar)
        if window is None:
            continue
        report.templates += 1
        rule = Rule.from_json(template.rule)
        days = _days_in_window(template, rule, window, calendar)
        assignees = _assignees(template, street_offices, units_by_id)
        rows = [_occurrence_row(template, unit, day, now=now, tz=tz)
                for day in days for unit in assignees]
        created = _insert_ignoring_duplicates(session, rows)
        report.created += len(created)
        if created and template.item_kind is ItemKind.MEETING and \
                template.minutes_due_workdays is not None:
            organiser = units_by_id[template.organiser_unit_id]  # type: ignore[index]
            meetings = session.execute(
                select(ITEM.c.id, ITEM.c.deadline_date).where(ITEM.c.id.in_(created))).all()
            minutes = [_minutes_row(template, m.id, m.deadline_date, now=now, tz=tz,
                                    calendar=calendar, organiser=organiser) for m in meetings]
            made = _insert_ignoring_duplicates(session, minutes)
            report.minutes += len(made)
            created += made
        set_next_actions(session, [(item_id, now) for item_id in created], new=True)
        for item_id in created:
            record_event(session, entity="item", entity_id=item_id, action="create",
                         actor=actor, at=now, after={"template_id": template.id})
        session.execute(
            update(Recurrence.__table__)  # type: ignore[attr-defined]
            .where(Recurrence.__table__.c.id == template.id,  # type: ignore[attr-defined]
                   or_(Recurrence.__table__.c.generated_until.is_(None),  # type: ignore[attr-defined]
                       Recurrence.__table__.c.generated_until < window[1]))  # type: ignore[attr-defined]
            .values(generated_until=window[1])
        )
        session.expire(template, ["generated_until"])  # read afresh by whoever looks next
    return report


def generate_all(engine: Engine, *, now: datetime, tz: ZoneInfo,
                 horizon_days: int = HORIZON_DAYS) -> GenerationReport:
    with session_scope(engine) as session:
        return generate(session, now=now, tz=tz, calendar=calendar_from_db(session),
                        horizon_days=horizon_days)


