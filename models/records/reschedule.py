"""After a calendar load: move the untouched future occurrences the new holidays move.

A template's dates depend on the calendar ("3rd working day of January" is 5 January when 1
January is a working day, 6 January when it is 元旦). When holidays are loaded, each template's
already-generated future (after today, up to ``generated_until``) is worked out again; an
occurrence nobody has acted on is moved to its new date (through ``items.update_item``, so the
history records it and its reminders follow), a date that no longer exists is withdrawn, and a
new one is made. Occurrences someone has acted on stay where they are and are reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from models.domain.deadlines import Deadline, local_date
from models.domain.enums import OPEN_STATUSES, UnitKind
from models.domain.holidays import day_off_words
from models.domain.recurrence import Rule
from models.records import generation
from models.records.items import update_item
from models.store.calendar_store import calendar_from_db
from models.store.tables import Item, Recurrence, Unit

ITEM = generation.ITEM


@dataclass(frozen=True)
class Moved:
    template: str
    unit: str
    old: date
    new: date | None  # None: the date is gone and the occurrence withdrawn


@dataclass
class RescheduleReport:
    moved: list[Moved] = field(default_factory=list)
    created: int = 0
    kept: list[Moved] = field(default_factory=list)  # acted on: left on its old date
    holiday_items: list[str] = field(default_factory=list)  # open items now due on a day off

    def grouped(self, moves: list[Moved] | None = None) -> list[tuple[str, date, date | None, list[str]]]:
        """(template, old, new, units): one line per move shared by several units."""
        groups: dict[tuple, list[str]] = defaultdict(list)
        for m in self.moved if moves is None else moves:
            groups[(m.template, m.old, m.new)].append(m.unit)
        return [(t, old, new, units) for (t, old, new), units in
                sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def follow_calendar(session: Session, *, now: datetime, tz: ZoneInfo, actor: str,
                    days: list[date] | None = None) -> RescheduleReport:
    """Regenerate the untouched future of every running template under the calendar now in
    the database; ``days`` (the days just loaded) are checked for open items due on them."""
    calendar = calendar_from_db(session)
    today = local_date(now, tz)
    report = RescheduleReport()
    units = {u.id: u for u in session.execute(select(Unit)).scalars()}
    street_offices = [u for u in units.values() if u.kind is UnitKind.STREET_OFFICE]
    templates = session.execute(select(Recurrence).where(
        col(Recurrence.paused).is_(False), col(Recurrence.generated_until) > today)).scalars()
    for template in list(templates):
        window = (max(template.start_date, today + timedelta(days=1)), template.generated_until)
        wanted = set(generation._days_in_window(template, Rule.from_json(template.rule),
                                                window, calendar))
        untouched = set(session.execute(select(ITEM.c.id).where(
            generation._untouched_future(template.id, today))).scalars())
        have: dict[int, dict[date, int]] = defaultdict(dict)
        for item_id, unit_id, day in session.execute(
                select(ITEM.c.id, ITEM.c.unit_id, ITEM.c.deadline_date).where(
                    ITEM.c.template_id == template.id, ITEM.c.deadline_date > today,
                    ITEM.c.deadline_date <= template.generated_until)):
            have[unit_id][day] = item_id
        owing = generation._assignees(template, street_offices, units)
        for unit in owing:
            mine = have.get(unit.id, {})  # type: ignore[arg-type]
            gone = sorted(d for d in mine if d not in wanted)
            new = sorted(d for d in wanted if d not in mine)
            for old in gone:
                item_id = mine[old]
                if item_id not in untouched:
                    report.kept.append(Moved(template.name, unit.name, old, None))
                    if new:
                        new.pop(0)  # its slot is still served by the acted-on occurrence
                    continue
                if new:
                    day = new.pop(0)
                    update_item(session, item_id, {"deadline": Deadline(day, template.due_time)},
                                actor=actor, now=now, tz=tz)
                    report.moved.append(Moved(template.name, unit.name, old, day))
                else:
                    _withdraw(session, template, item_id, actor=actor, now=now, today=today)
                    report.moved.append(Moved(template.name, unit.name, old, None))
            if new:
                made = generation._make(
                    session, template, [unit], new, now=now, tz=tz, calendar=calendar,
                    units_by_id=units, report=generation.GenerationReport(), actor=actor)
                report.created += len(made)
    if days:
        report.holiday_items = _items_on_days_off(session, days, calendar)
    return report


def _withdraw(session: Session, template: Recurrence, item_id: int, *, actor: str,
              now: datetime, today: date) -> None:
    unit_id, day = session.execute(
        select(ITEM.c.unit_id, ITEM.c.deadline_date).where(ITEM.c.id == item_id)).one()
    # withdraw_future by unit, bounded to this one day: the same checks and events
    generation.withdraw_future(session, template, actor=actor, now=now,
                               today=day - timedelta(days=1), unit_ids=[unit_id],
                               reason="日历调整后该日期不再有这一期", only_day=day)


def _items_on_days_off(session: Session, days: list[date], calendar) -> list[str]:
    rows = session.execute(
        select(Item.id, Item.title, Item.deadline_date, Item.deadline_time)
        .where(col(Item.status).in_(OPEN_STATUSES), col(Item.deadline_date).in_(days))
        .order_by(col(Item.deadline_date), col(Item.id)))
    found = []
    for item_id, title, day, at in rows:
        words = day_off_words(day, calendar)
        if words is not None:
            found.append(f"事项 {item_id}《{title}》完成时限 {Deadline(day, at)} 现为{words}")
    return found
