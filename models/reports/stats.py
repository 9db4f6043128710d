"""Timeliness per unit (按期完成率) and the units' ranking (考核).

应报 counts what was due by ``now`` (on time + late + missing); what falls in the period but is
not yet due is 未到期 and stays out of the rate. Every unit is listed, with zeros when nothing
of it falls in the period. Units with the same rate share a rank (1, 2, 2, 4).

考核 judges an item against its original deadline: an approved extension (延期) moves the
deadline reminders and lights follow, but not the one timeliness is counted from
(``item.original_due_at``, set when the first extension was approved). Extended items are
counted apart. An item 已提交 and waiting for 审核 is counted as pending until it is decided.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session

from models.domain.enums import ItemKind, ItemStatus
from models.store.tables import Item, Unit

ITEM, UNIT = Item.__table__, Unit.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class UnitTimeliness:
    unit: str
    due: int  # 应报: due in the period by `now` (on_time + late + missing; cancelled excluded)
    on_time: int
    late: int
    missing: int  # deadline passed at `now`, not done (nor waiting for 审核)
    pending: int  # 未到期: in the period, not yet due, or waiting for 审核
    rate: float | None  # on_time / due; None when nothing was due yet
    extended: int = 0  # of the period's items, those whose deadline an approved extension moved
    rank: int | None = None  # shared by equal rates; None without a rate

    def as_dict(self) -> dict:
        return asdict(self)


def period(year: int, month: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    return date(year, month, 1), date(year, month, month_calendar.monthrange(year, month)[1])


def timeliness(session: Session, *, year: int, month: int | None, now: datetime,
               kind: ItemKind | None = ItemKind.SUBMISSION,
               kinds: tuple[ItemKind, ...] | None = None) -> list[UnitTimeliness]:
    """Per unit, best rate first (the 考核 ranking); computed by the database.

    ``kind`` counts one kind of item; ``kinds`` (when given) several. Every unit is listed.
    """
    start, end = period(year, month)
    counted = kinds if kinds is not None else ((kind,) if kind is not None else tuple(ItemKind))
    done = ITEM.c.status == ItemStatus.DONE.value
    waiting = ITEM.c.status == ItemStatus.SUBMITTED.value
    judged_by = func.coalesce(ITEM.c.original_due_at, ITEM.c.due_at)
    in_period = and_(ITEM.c.kind.in_([k.value for k in counted]),
                     ITEM.c.status != ItemStatus.CANCELLED.value,
                     ITEM.c.deadline_date.between(start, end))

    def count(condition):
        return func.coalesce(func.sum(case((and_(ITEM.c.id.is_not(None), condition), 1),
                                           else_=0)), literal(0))

    counts = (
        select(
            UNIT.c.id, UNIT.c.name,
            count(and_(done, ITEM.c.completed_at <= judged_by)),
            count(and_(done, ITEM.c.completed_at > judged_by)),
            count(and_(~done, ~waiting, judged_by < now)),
            count(and_(~done, (judged_by >= now) | waiting)),
            count(ITEM.c.original_due_at.is_not(None)),
        )
        .select_from(UNIT.outerjoin(ITEM, and_(ITEM.c.unit_id == UNIT.c.id, in_period)))
        .group_by(UNIT.c.id, UNIT.c.name)
    )
    found = []
    for unit_id, name, on_time, late, missing, pending, extended in session.execute(counts):
        judged = on_time + late + missing  # done early counts as on time, and as due
        found.append((unit_id, UnitTimeliness(name, judged, on_time, late, missing, pending,
                                              round(on_time / judged, 4) if judged else None,
                                              extended)))
    found.sort(key=lambda p: (p[1].rate is None, -(p[1].rate or 0), p[1].missing, -p[1].due,
                              -p[1].pending, p[0]))
    return _ranked([r for _, r in found])


def _ranked(rows: list[UnitTimeliness]) -> list[UnitTimeliness]:
    """Competition ranking by rate: equal rates share a rank, the next rank skips (1, 2, 2, 4)."""
    ranked, previous, rank = [], None, 0
    for position, r in enumerate(rows, start=1):
        if r.rate is None:
            ranked.append(r)
            continue
        if r.rate != previous:
            rank, previous = position, r.rate
        ranked.append(replace(r, rank=rank))
    return ranked
