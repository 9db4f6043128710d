"""Generating occurrences from recurring templates, and withdrawing the untouched future ones.

Generation follows its inputs: each pass compares the units a template owes (all street
offices, or its list) with the units it generated for last time (``generated_units``). A unit
that joined gets its occurrences from the next slot after today up to the horizon already
generated (not from the end of that horizon: a street office added on 1 December owes the
Friday report of 4 December); a unit that left has its untouched future occurrences withdrawn.
Nothing due before the template existed is ever made (no meeting already "held" when created).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, delete, exists, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline, local_date
from models.domain.enums import ItemKind, ItemStatus, OutboxStatus, UnitKind
from models.domain.recurrence import Rule
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.events import record_event
from models.store.next_actions import set_next_actions
from models.store.tables import Item, Outbox, ProgressEntry, Recurrence, Submission, Unit

HORIZON_DAYS = 60
HOLIDAY_MARGIN = timedelta(days=31)  # more than any run of days off moves a date
ITEM = Item.__table__  # type: ignore[attr-defined]
RECURRENCE = Recurrence.__table__  # type: ignore[attr-defined]


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
                    today: date, reason: str, unit_ids: list[int] | None = None,
                    only_day: date | None = None) -> int:
    """Delete untouched future occurrences (and their minutes items), of ``unit_ids`` and on
    ``only_day`` only when given; returns how many."""
    query = select(ITEM.c.id).where(_untouched_future(template.id, today))
    if unit_ids is not None:
        query = query.where(ITEM.c.unit_id.in_(unit_ids))
    if only_day is not None:
        query = query.where(ITEM.c.deadline_date == only_day)
    ids = list(session.execute(query).scalars())
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


# -- generation --------------------------------------------------------------------------------

@dataclass
class GenerationReport:
    templates: int = 0
    created: int = 0
    minutes: int = 0
    joined: int = 0  # occurrences made for units that joined a template's targets
    left: int = 0  # future occurrences withdrawn from units that left them
    without_units: list[str] = field(default_factory=list)  # templates nobody owes


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


def _created_before(template: Recurrence, row: dict[str, Any], tz: ZoneInfo) -> bool:
    """Due before the template existed, when it was not made to record the past (``--backfill``
    keeps a start before its creation day): such an occurrence is never invented."""
    created = template.created_at
    return template.start_date >= local_date(created, tz) and row["due_at"] < created


def _make(session: Session, template: Recurrence, assignees: list[Unit], days: list[date], *,
          now: datetime, tz: ZoneInfo, calendar: WorkCalendar, units_by_id: dict[int, Unit],
          report: GenerationReport, actor: str) -> list[int]:
    """Insert the occurrences (and minutes items) of ``days`` × ``assignees`` not there yet."""
    rows = [_occurrence_row(template, unit, day, now=now, tz=tz)
            for day in days for unit in assignees]
    created = _insert_ignoring_duplicates(
        session, [r for r in rows if not _created_before(template, r, tz)])
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
    return created


def _follow_units(session: Session, template: Recurrence, assignees: list[Unit], *,
                  today: date, **make) -> None:
    """Bring the generated horizon in line with the template's current units (module doc)."""
    now, report = make["now"], make["report"]
    current = sorted(u.id for u in assignees)  # type: ignore[misc]
    known = template.generated_units
    if known == current:
        return
    if template.generated_until is not None and template.generated_until > today:
        left = sorted(set(known or ()) - set(current))
        if left:
            report.left += withdraw_future(session, template, actor=make["actor"], now=now,
                                           today=today, unit_ids=left,
                                           reason="责任单位已不在该周期任务的范围内")
        # Units unknown before (all of them on a template generated before units were
        # recorded): the horizon already generated, from tomorrow; existing slots are skipped.
        joined = [u for u in assignees if u.id not in set(known or ())]
        if joined:
            window = (max(template.start_date, today + timedelta(days=1)),
                      template.generated_until)
            days = _days_in_window(template, Rule.from_json(template.rule), window,
                                   make["calendar"])
            report.joined += len(_make(session, template, joined, days, **make))
    template.generated_units = current


def generate(session: Session, *, now: datetime, tz: ZoneInfo, calendar: WorkCalendar,
             horizon_days: int = HORIZON_DAYS, actor: str = "duban") -> GenerationReport:
    """Create the occurrences due up to the horizon that do not exist yet, and follow changes
    in the units each template is owed by (see the module doc)."""
    report = GenerationReport()
    today = local_date(now, tz)
    units = list(session.execute(select(Unit)).scalars())
    units_by_id = {u.id: u for u in units}
    street_offices = [u for u in units if u.kind is UnitKind.STREET_OFFICE]
    templates = session.execute(select(Recurrence).where(col(Recurrence.paused).is_(False))).scalars()
    for template in list(templates):
        assignees = _assignees(template, street_offices, units_by_id)
        if not assignees:
            report.without_units.append(template.name)
        make = {"now": now, "tz": tz, "calendar": calendar, "units_by_id": units_by_id,
                "report": report, "actor": actor}
        _follow_units(session, template, assignees, today=today, **make)
        window = _window(template, today, horizon_days, calendar)
        if window is None:
            continue
        report.templates += 1
        rule = Rule.from_json(template.rule)
        _make(session, template, assignees, _days_in_window(template, rule, window, calendar),
              **make)
        session.execute(
            update(RECURRENCE)
            .where(RECURRENCE.c.id == template.id,
                   or_(RECURRENCE.c.generated_until.is_(None),
                       RECURRENCE.c.generated_until < window[1]))
            .values(generated_until=window[1])
        )
        session.expire(template, ["generated_until"])  # read afresh by whoever looks next
    return report


def generate_all(engine: Engine, *, now: datetime, tz: ZoneInfo,
                 horizon_days: int = HORIZON_DAYS) -> GenerationReport:
    with session_scope(engine) as session:
        return generate(session, now=now, tz=tz, calendar=calendar_from_db(session),
                        horizon_days=horizon_days)



