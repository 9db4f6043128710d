"""The 事项 list: items filtered by unit, kind, status, light, deadline range and text, sorted,
one page at a time, with the total. Filters are values (``ItemQuery``); parsing a request into
one is the web layer's job, and every value here is already checked."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from models.domain.deadlines import DUE_SOON_WORKDAYS
from models.domain.enums import OPEN_STATUSES, ExtensionStatus, ItemKind, ItemStatus, Light
from models.domain.loop import ACK_OPEN_STATUSES, LoopRules, ack_cutoff
from models.reports.views import Clock
from models.store.tables import Extension, Item, Unit

SORTS = {
    "deadline": (col(Item.due_at), col(Item.id)),
    "-deadline": (col(Item.due_at).desc(), col(Item.id).desc()),
    "id": (col(Item.id),),
    "-id": (col(Item.id).desc(),),
    "title": (col(Item.title), col(Item.id)),
}
SORT_LABELS = {"deadline": "完成时限（早→晚）", "-deadline": "完成时限（晚→早）", "-id": "最新交办",
               "id": "最早交办", "title": "事项名称"}
PER_PAGE = 50


@dataclass(frozen=True)
class ItemQuery:
    unit_id: int | None = None
    kind: ItemKind | None = None
    status: ItemStatus | None = None
    light: Light | None = None
    due_from: date | None = None
    due_to: date | None = None
    text: str | None = None
    flag: str | None = None  # "unacked" (未签收) or "extension" (待审批延期)
    sort: str = "deadline"
    page: int = 1
    per_page: int = PER_PAGE

    def whole(self) -> ItemQuery:
        """The same filter without paging (exports)."""
        return replace(self, page=1, per_page=0)


@dataclass(frozen=True)
class ItemPage:
    rows: list[tuple[Item, Unit]]
    total: int
    page: int
    pages: int


def _light_condition(light: Light, clock: Clock):
    open_ = col(Item.status).in_(OPEN_STATUSES)
    if light is Light.DONE:
        return Item.status == ItemStatus.DONE
    if light is Light.CANCELLED:
        return Item.status == ItemStatus.CANCELLED
    if light is Light.RED:
        return and_(open_, col(Item.due_at) < clock.now)
    today = clock.now.astimezone(clock.tz).date()
    soon = clock.calendar.add_workdays(today, DUE_SOON_WORKDAYS + 1)
    if light is Light.YELLOW:
        # The instant bound keeps it a short range of the (status, due_at) index: a deadline
        # before ``soon`` ends by 00:00 of ``soon`` at the latest.
        ends_by = datetime.combine(soon, time(0), tzinfo=clock.tz)
        return and_(open_, col(Item.due_at) >= clock.now, col(Item.due_at) <= ends_by,
                    col(Item.deadline_date) < soon)
    return and_(open_, col(Item.due_at) >= clock.now, col(Item.deadline_date) >= soon)


FLAGS = {"to_ack": "待签收", "unacked": "未签收（已超期）", "extension": "待审批延期"}


def _flag_condition(flag: str, clock: Clock, rules: LoopRules):
    owes_ack = and_(col(Item.acked_at).is_(None), col(Item.status).in_(ACK_OPEN_STATUSES),
                    col(Item.kind).in_(rules.ack_kinds), col(Item.parent_id).is_(None))
    if flag == "to_ack":
        return owes_ack
    if flag == "unacked":  # the rule of views.loop_counts, on the same index
        return and_(owes_ack, col(Item.created_at) < ack_cutoff(now=clock.now, tz=clock.tz,
                                                                 calendar=clock.calendar))
    waiting = select(Extension.item_id).where(Extension.status == ExtensionStatus.PENDING)
    return col(Item.id).in_(waiting)


def _conditions(q: ItemQuery, clock: Clock, rules: LoopRules) -> list:
    conds = []
    if q.flag in FLAGS:
        conds.append(_flag_condition(q.flag, clock, rules))
    if q.unit_id is not None:
        conds.append(Item.unit_id == q.unit_id)
    if q.kind is not None:
        conds.append(Item.kind == q.kind)
    if q.status is not None:
        conds.append(Item.status == q.status)
    if q.light is not None:
        conds.append(_light_condition(q.light, clock))
    if q.due_from is not None:
        conds.append(col(Item.deadline_date) >= q.due_from)
    if q.due_to is not None:
        conds.append(col(Item.deadline_date) <= q.due_to)
    if q.text:
        pattern = "%" + q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(or_(col(Item.title).like(pattern, escape="\\"),
                         col(Item.code).like(pattern, escape="\\")))
    return conds


def find_items(session: Session, q: ItemQuery, clock: Clock, rules: LoopRules = LoopRules()) -> ItemPage:
    """One page of matching items with their units (``per_page`` 0: all of them)."""
    conds = _conditions(q, clock, rules)
    total = session.execute(select(func.count()).select_from(Item).where(*conds)).scalar_one()
    order = SORTS.get(q.sort, SORTS["deadline"])
    query = select(Item, Unit).join(Unit, col(Item.unit_id) == col(Unit.id)).order_by(*order)
    pages = 1
    page = max(1, q.page)
    if q.per_page:
        pages = max(1, -(-total // q.per_page))
        page = min(page, pages)
        # The page's ids first, then their rows: the ids of 10,000 overdue items sort from an
        # index alone, and only the 50 shown are read from the table.
        ids = (select(col(Item.id)).where(*conds).order_by(*order)
               .offset((page - 1) * q.per_page).limit(q.per_page))
        query = query.where(col(Item.id).in_(ids.scalar_subquery()))
    else:
        query = query.where(*conds)
    rows = [(item, unit) for item, unit in session.exec(query)]  # type: ignore[call-overload]
    return ItemPage(rows=rows, total=total, page=page, pages=pages)
