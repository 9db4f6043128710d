"""Read models: items as rows for the CLI's tables and JSON, and the supervision overview."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline, light, workdays_overdue
from models.domain.enums import Light
from models.store.tables import Item, Unit


@dataclass(frozen=True)
class Clock:
    """Everything status arithmetic needs besides the item: the instant, zone and calendar."""

    now: datetime
    tz: ZoneInfo
    calendar: WorkCalendar


def deadline_of(item: Item) -> Deadline:
    return Deadline(item.deadline_date, item.deadline_time)


def item_light(item: Item, clock: Clock) -> Light:
    return light(item.status, deadline_of(item), item.due_at,
                 now=clock.now, tz=clock.tz, calendar=clock.calendar)


def item_row(item: Item, unit: Unit, clock: Clock) -> dict[str, Any]:
    """The public shape of an item (CLI --json, exports): stable keys, local times."""
    deadline = deadline_of(item)
    return {
        "id": item.id,
        "code": item.code,
        "kind": item.kind.value,
        "title": item.title,
        "unit": unit.name,
        "person": item.person,
        "deadline": deadline.isoformat(clock.tz),
        "status": item.status.value,
        "light": item_light(item, clock).value,
        "completed_at": (
            item.completed_at.astimezone(clock.tz).isoformat(timespec="minutes")
            if item.completed_at else None
        ),
        "days_overdue": workdays_overdue(item.status, deadline, item.due_at, now=clock.now,
                                         tz=clock.tz, calendar=clock.calendar),
        "measure": item.measure,
        "source": item.source,
        "detail": item.detail,
    }


def light_counts(rows: list[tuple[Item, Unit]], clock: Clock) -> dict[str, int]:
    counts = Counter(item_light(item, clock) for item, _ in rows)
    return {lt.value: counts.get(lt, 0) for lt in Light}


def light_case(clock: Clock):
    """SQL for item_light(): the same rule, evaluated in the database for whole tables.

    临期 ⇔ workdays_between(today, deadline) ≤ 3 ⇔ deadline < the 4th working day after today.
    """
    from sqlalchemy import case, literal

    from models.domain.deadlines import DUE_SOON_WORKDAYS
    from models.domain.enums import ItemStatus

    today = clock.now.astimezone(clock.tz).date()
    soon_limit = clock.calendar.add_workdays(today, DUE_SOON_WORKDAYS + 1)
    table = Item.__table__  # type: ignore[attr-defined]
    return case(
        (table.c.status == ItemStatus.DONE.value, literal(Light.DONE.value)),
        (table.c.status == ItemStatus.CANCELLED.value, literal(Light.CANCELLED.value)),
        (table.c.due_at < clock.now, literal(Light.RED.value)),
        (table.c.deadline_date < soon_limit, literal(Light.YELLOW.value)),
        else_=literal(Light.GREEN.value),
    )


def light_counts_by_unit(session, clock: Clock) -> dict[str, dict[str, int]]:
    """{unit name: {light: count}} for every unit with items, computed by the database."""
    from sqlalchemy import func, select

    lights = light_case(clock).label("light")
    item, unit = Item.__table__, Unit.__table__  # type: ignore[attr-defined]
    query = (
        select(unit.c.name, lights, func.count())
        .select_from(item.join(unit, item.c.unit_id == unit.c.id))
        .group_by(unit.c.name, lights)
    )
    result: dict[str, dict[str, int]] = {}
    for name, lt, n in session.execute(query):
        result.setdefault(name, {lt_.value: 0 for lt_ in Light})[lt] = n
    return result
