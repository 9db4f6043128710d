"""我的待办: what a unit has to do now, in the order it should look at it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models.domain.enums import ItemStatus, Light
from models.reports.item_list import ItemQuery, find_items
from models.reports.views import Clock, item_row

LIMIT = 100


@dataclass(frozen=True)
class TodoList:
    key: str
    title: str
    rows: list[dict]
    total: int


def todo_lists(session: Session, clock: Clock, unit_id: int) -> list[TodoList]:
    """Overdue first, then due soon, then what waits for review; each oldest deadline first."""
    wanted = [("overdue", "已逾期", ItemQuery(unit_id=unit_id, light=Light.RED, per_page=LIMIT)),
              ("soon", "即将到期", ItemQuery(unit_id=unit_id, light=Light.YELLOW, per_page=LIMIT)),
              ("waiting", "已提交，待审核",
               ItemQuery(unit_id=unit_id, status=ItemStatus.SUBMITTED, per_page=LIMIT))]
    lists = []
    for key, title, query in wanted:
        found = find_items(session, query, clock)
        lists.append(TodoList(key, title, [item_row(i, u, clock) for i, u in found.rows], found.total))
    return lists
