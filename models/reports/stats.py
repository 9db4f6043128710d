"""Timeliness of submission nodes per unit (按期报送率) and the units' ranking (考核).

考核 judges an item against its original deadline: an approved extension (延期) moves the
deadline reminders and lights follow, but not the one timeliness is counted from
(``item.original_due_at``, set when the first extension was approved). Extended items are
counted apart. An item 已提交 and waiting for 审核 is counted as pending until it is decided.
"""

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
    extended: int = 0  # of `due`, items whose deadline an approved extension moved

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
    waiting = ITEM.c.status == ItemStatus.SUBMITTED.value
    judged_by = func.coalesce(ITEM.c.original_due_at, ITEM.c.due_at)
    counts = (
        select(
            UNIT.c.name,
            func.count(),
            func.sum(case((and_(done, ITEM.c.completed_at <= judged_by), 1), else_=0)),
            func.sum(case((and_(done, ITEM.c.completed_at > judged_by), 1), else_=0)),
            func.sum(case((and_(~done, ~waiting, judged_by < now), 1), else_=0)),
            func.sum(case((and_(~done, (judged_by >= now) | waiting), 1), else_=0)),
            func.sum(case((ITEM.c.original_due_at.is_not(None), 1), else_=0)),
        )
        .select_from(ITEM.join(UNIT, ITEM.c.unit_id == UNIT.c.id))
        .where(ITEM.c.kind == kind.value, ITEM.c.status != ItemStatus.CANCELLED.value,
               ITEM.c.deadline_date.between(start, end))
        .group_by(UNIT.c.name)
    )
    rows = []
    for name, due, on_time, late, missing, pending, extended in session.execute(counts):
        judged = on_time + late + missing
        rows.append(UnitTimeliness(name, due, on_time, late, missing, pending,
                                   round(on_time / judged, 4) if judged else None, extended))
    return sorted(rows, key=lambda r: (r.rate is None, -(r.rate or 0), r.missing, r.unit))
