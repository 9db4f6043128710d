"""Carry-over (结转): each item of a year still open at the summary's instant becomes an item
of the next year, linked to its origin by a ``carry_over`` row. The row's (year, origin) key is
unique, so carrying over again, or from two processes at once, adds nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.domain.periods import Period
from models.errors import Refused
from models.records.items import add_item
from models.reports.summary.figures import carry_candidates
from models.store.tables import CarryOver, Item


@dataclass(frozen=True)
class CarryResult:
    added: int
    existing: int
    item_ids: list[int]  # the next year's items, new and old, in the origins' order


def default_deadline(year: int) -> date:
    """Carried items are due at the end of the next year's first quarter unless told otherwise."""
    return date(year + 1, 3, 31)


def carry_over(session: Session, period: Period, *, as_of: datetime, tz: ZoneInfo, actor: str,
               deadline: date | None = None) -> CarryResult:
    if not period.is_year:
        raise Refused(f"结转只适用于整年（{period.label}不是整年）：请用 --year")
    due = deadline or default_deadline(period.year)
    done = {row.origin_item_id: row.item_id for row in session.exec(
        select(CarryOver).where(CarryOver.year == period.year))}
    added, ids = 0, []
    for origin in carry_candidates(session.connection(), period, as_of):  # all, no limit
        if origin.id in done:
            ids.append(done[origin.id])
            continue
        code = f"{origin.code or f'#{origin.id}'}-结转{period.year + 1}"
        taken = session.exec(select(Item.id).where(col(Item.code) == code)).first()
        item = add_item(session, {
            "code": None if taken else code, "kind": origin.kind, "title": origin.title,
            "unit": origin.unit, "deadline": due.isoformat(), "detail": origin.problem,
            "measure": origin.measure,
            "source": f"{period.year}年度总结·结转（原事项 {origin.code or origin.id}）",
        }, actor=actor, now=as_of, tz=tz)
        session.add(CarryOver(year=period.year, origin_item_id=origin.id, item_id=item.id,  # type: ignore[arg-type]
                              created_at=as_of))
        session.flush()
        ids.append(item.id)  # type: ignore[arg-type]
        added += 1
    return CarryResult(added=added, existing=len(ids) - added, item_ids=ids)
