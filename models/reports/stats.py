"""Timeliness of submission nodes per unit (按期报送率) and the units' ranking (考核)."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from models.domain.enums import ItemKind, ItemStatus
from models.store.tables import Item, Unit

ITEM, UNIT = Item.__table__, Unit.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class UnitTimeliness:
    unit: str
    due: int  # nodes falling in the period (cancelled ones excluded)
    on_time: int
    late: int
    missing: int  # deadline passed at `now`, nothing submitted
    pending: int  # not yet due
    rate: float | None  # on_time / (on_time + late + missing); None when nothing was due yet

    def as_dict(self) -> dict:
        return asdict(self)


def period(year: int, month: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    return date(year, month, 1), date(year, month, month_calendar.monthrange(year, month)[1])


def timeliness(session: Session, *, year: int, month: int | None, now: datetime,
               kind: ItemKind = ItemKind.SUBMISSION) -> list[UnitTimeliness]:
    """Per unit, best rate first (the 考核 ranking); computed by the database."""
    start, end = period(year, month)
    done = ITEM.c.status == ItemStatus.DONE.value
    counts = (
        select(
            UNIT.c.name,
            func.count(),
            func.sum(case((and_(done, ITEM.c.completed_at <= ITEM.c.due_at), 1), else_=0)),
            func.sum(case((and_(done, ITEM.c.completed_at > ITEM.c.due_at), 1), else_=0)),
            func.sum(case((and_(~done, ITEM.c.due_at < now), 1), else_=0)),
            func.sum(case((and_(~done, ITEM.c.due_at >= now), 1), else_=0)),
        )
        .select_from(ITEM.join(UNIT, ITEM.c.unit_id == UNIT.c.id))
        .where(ITEM.c.kind == kind.value, ITEM.c.status != ItemStatus.CANCELLED.value,
               ITEM.c.deadline_date.between(start, end))
        .group_by(UNIT.c.name)
    )
    rows = []
    for name, due, on_time, late, missing, pending in session.execute(counts):
        judged = on_time + late + missing
        rows.append(UnitTimeliness(name, due, on_time, late, missing, pending,
                                   round(on_time / judged, 4) if judged else None))
    return sorted(rows, key=lambda r: (r.rate is None, -(r.rate or 0), r.missing, r.unit))
