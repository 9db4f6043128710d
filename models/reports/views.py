"""Read models: items as rows for the CLI's tables and JSON, and the supervision overview."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline, light, workdays_late
from models.domain.enums import ExtensionStatus, ItemStatus, Light
from models.domain.loop import ACK_OPEN_STATUSES, LoopRules, ack_cutoff, ack_overdue
from models.store.tables import Extension, Item, Unit


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


def unacked(item: Item, clock: Clock, rules: LoopRules) -> bool:
    """未签收: owes a 签收, is open and not submitted, and the working day for it has passed."""
    return (item.acked_at is None and item.status in ACK_OPEN_STATUSES
            and rules.needs_ack(item.kind, item.parent_id, item.template_id)
            and ack_overdue(item.created_at, now=clock.now, tz=clock.tz, calendar=clock.calendar))


def shown_time(iso: str | None) -> str:
    """An ISO instant or deadline of ``item_row`` as people read it: 2026-12-08 17:00, or the
    date alone."""
    if not iso:
        return ""
    return iso.replace("T", " ")[:16]


def item_row(item: Item, unit: Unit, clock: Clock, *, rules: LoopRules = LoopRules(),
             pending_extension: bool = False) -> dict[str, Any]:
    """The public shape of an item (CLI --json, exports): stable keys, local times.
    ``pending_extension``: whether it has a 延期申请 waiting (``pending_extension_ids``)."""
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
        # for an item done late, the working days it was late by
        "days_overdue": workdays_late(item.status, deadline, item.due_at, item.completed_at,
                                      now=clock.now, tz=clock.tz, calendar=clock.calendar),
        "measure": item.measure,
        "source": item.source,
        "detail": item.detail,
        "acked": item.acked_at is not None,
        "unacked": unacked(item, clock, rules),  # 未签收
        "submitted": item.status is ItemStatus.SUBMITTED,  # 待审核
        "pending_extension": pending_extension,  # 待审批延期
        "original_deadline": (item.original_due_at.astimezone(clock.tz).isoformat(timespec="minutes")
                              if item.original_due_at else None),
    }


def pending_extension_ids(session, item_ids: list[int] | None = None) -> set[int]:
    """The items (of ``item_ids``, or all) with a 延期申请 waiting for a decision."""
    from sqlalchemy import select

    ext = Extension.__table__  # type: ignore[attr-defined]
    query = select(ext.c.item_id).where(ext.c.status == ExtensionStatus.PENDING.value)
    if item_ids is not None:
        if not item_ids:
            return set()
        query = query.where(ext.c.item_id.in_(item_ids))
    return set(session.execute(query).scalars())


LOOP_COUNTS = ("未签收", "待审核", "待审批延期")


def loop_counts(session, clock: Clock, *, rules: LoopRules = LoopRules(),
                unit_id: int | None = None) -> dict[str, int]:
    """How many items are 未签收, 待审核 (已提交) and 待审批延期, computed by the database
    (未签收 walks ix_item_unacked: acked_at IS NULL, created before the cutoff)."""
    from sqlalchemy import func, select

    item = Item.__table__  # type: ignore[attr-defined]
    ext = Extension.__table__  # type: ignore[attr-defined]
    scope = [item.c.unit_id == unit_id] if unit_id is not None else []
    kinds = [k.value for k in rules.ack_kinds]
    # parent_id and template_id tested through coalesce(): SQLite, without statistics, would
    # otherwise walk the index of either (NULL in nearly every row) instead of ix_item_unacked.
    unacked_q = select(func.count()).select_from(item).where(
        item.c.acked_at.is_(None),
        item.c.created_at < ack_cutoff(now=clock.now, tz=clock.tz, calendar=clock.calendar),
        item.c.status.in_([s.value for s in ACK_OPEN_STATUSES]),
        item.c.kind.in_(kinds), func.coalesce(item.c.parent_id, item.c.template_id).is_(None), *scope)
    submitted_q = select(func.count()).select_from(item).where(
        item.c.status == ItemStatus.SUBMITTED.value, *scope)
    pending_q = select(func.count(func.distinct(ext.c.item_id))).select_from(
        ext.join(item, item.c.id == ext.c.item_id)).where(
        ext.c.status == ExtensionStatus.PENDING.value, *scope)
    return {name: session.execute(q).scalar_one()
            for name, q in zip(LOOP_COUNTS, (unacked_q, submitted_q, pending_q), strict=True)}
UPCOMING = "未到期"  # a generated occurrence not yet near its deadline


def overview_light(item: Item, clock: Clock) -> str:
    """The light as the overview counts it: generated occurrences (recurring nodes, meetings,
    minutes) that are not yet 临期 are 未到期, so 60 days of them do not inflate 正常."""
    lt = item_light(item, clock)
    if lt is Light.GREEN and (item.template_id is not None or item.parent_id is not None):
        return UPCOMING
    return lt.value


OVERVIEW_ORDER = (Light.GREEN.value, UPCOMING, Light.YELLOW.value, Light.RED.value,
                  Light.DONE.value, Light.CANCELLED.value)


def light_counts(rows: list[tuple[Item, Unit]], clock: Clock) -> dict[str, int]:
    counts = Counter(overview_light(item, clock) for item, _ in rows)
    return {name: counts.get(name, 0) for name in OVERVIEW_ORDER}


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
