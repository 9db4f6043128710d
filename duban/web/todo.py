"""我的待办: what a unit has to do now, in the order it should look at it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.domain.enums import ItemStatus, Light, Verdict
from models.domain.loop import LoopRules
from models.reports.item_list import ItemQuery, find_items
from models.reports.views import Clock, item_row
from models.store.tables import Item, Submission, Unit

LIMIT = 100


@dataclass(frozen=True)
class TodoList:
    key: str
    title: str
    rows: list[dict]
    total: int


def todo_lists(session: Session, clock: Clock, unit_id: int, rules: LoopRules) -> list[TodoList]:
    """To acknowledge, returned, overdue, due soon, then what waits for review; each oldest
    deadline first."""
    lists = [_list("returned", "被退回", returned_items(session, unit_id), clock, rules)]
    wanted = [("ack", "待签收", ItemQuery(unit_id=unit_id, flag="to_ack", per_page=LIMIT)),
              ("overdue", "已逾期", ItemQuery(unit_id=unit_id, light=Light.RED, per_page=LIMIT)),
              ("soon", "即将到期", ItemQuery(unit_id=unit_id, light=Light.YELLOW, per_page=LIMIT)),
              ("waiting", "已提交，待审核",
               ItemQuery(unit_id=unit_id, status=ItemStatus.SUBMITTED, per_page=LIMIT))]
    for key, title, query in wanted:
        found = find_items(session, query, clock, rules)
        lists.append(TodoList(key, title, [item_row(i, u, clock, rules=rules) for i, u in found.rows],
                              found.total))
    return lists


def _list(key: str, title: str, pairs: list, clock: Clock, rules: LoopRules) -> TodoList:
    return TodoList(key, title, [item_row(i, u, clock, rules=rules) for i, u in pairs], len(pairs))


def returned_items(session: Session, unit_id: int) -> list[tuple[Item, Unit]]:
    """Open items whose latest review was 退回 (and not handed in again since)."""
    latest = (select(Submission.item_id, func.max(Submission.id).label("last"))
              .group_by(Submission.item_id).subquery())
    query = (select(Item, Unit).join(Unit, col(Unit.id) == col(Item.unit_id))
             .join(latest, latest.c.item_id == col(Item.id))
             .join(Submission, col(Submission.id) == latest.c.last)
             .where(Item.unit_id == unit_id, Item.status == ItemStatus.IN_PROGRESS,
                    Submission.verdict == Verdict.RETURNED)
             .order_by(col(Item.due_at)).limit(LIMIT))
    return [(i, u) for i, u in session.exec(query)]  # type: ignore[call-overload]
