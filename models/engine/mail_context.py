"""What a reminder says about its item, built when it is delivered, from the item as it is then.

The outbox stores no copy of the item: a reminder row holds only what must stay fixed from the
moment it was queued (a meeting's time and its iCalendar payload, under ``meeting`` and
``ics``; a digest its whole content). Title, unit, deadline and day counts are read here, at
delivery, in the transaction that claims the rows, so a reminder queued on Monday and sent on
Wednesday quotes Wednesday's counts, and an edited title shows as edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline, local_date, workdays_overdue
from models.domain.enums import ItemStatus, OutboxStatus, ReminderKind
from models.domain.holidays import deadline_words, due_phrase
from models.domain.loop import CHASE_WORDS, chase_note
from models.reports.views import deadline_of
from models.store.tables import Instruction, Item, Outbox, Unit

if TYPE_CHECKING:
    from models.engine.config import EngineConfig
    from models.engine.outbox import Claimed

ITEM = Item.__table__  # type: ignore[attr-defined]
UNIT = Unit.__table__  # type: ignore[attr-defined]
INSTRUCTION = Instruction.__table__  # type: ignore[attr-defined]
OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
# Messages that say what was done before them ("已于12月2日催办"), from the outbox's sent rows.
RECOUNTING = (ReminderKind.ESCALATION, ReminderKind.CIRCULATION)
# What a reminder quotes: one row stands for both ``item`` and ``unit`` in ``_context``.
MAIL_COLUMNS = (
    ITEM.c.id, ITEM.c.code, ITEM.c.title, ITEM.c.kind, ITEM.c.person, ITEM.c.measure,
    ITEM.c.detail, ITEM.c.source, ITEM.c.deadline_date, ITEM.c.deadline_time, ITEM.c.due_at,
    ITEM.c.status, UNIT.c.name, UNIT.c.contact_name, UNIT.c.leader_name,
)


@dataclass(frozen=True)
class DayCounts:
    days_overdue: int
    workdays_left: int


def day_counts(status: ItemStatus, deadline: Deadline, due_at: datetime, *, now: datetime,
               tz: ZoneInfo, calendar: WorkCalendar) -> DayCounts:
    """Working days overdue (0 unless open and late) and left (0 once late), as of ``now``."""
    return DayCounts(
        days_overdue=workdays_overdue(status, deadline, due_at, now=now, tz=tz, calendar=calendar),
        workdays_left=0 if now > due_at
        else max(0, calendar.workdays_between(local_date(now, tz), deadline.day)),
    )


def _context(item, unit, deadline: Deadline, days: DayCounts, *, now: datetime,
             config: EngineConfig, calendar: WorkCalendar,
             instruction: str | None = None) -> dict[str, Any]:
    return {
        "item": {
            "id": item.id, "code": item.code, "title": item.title, "kind": item.kind.value,
            "unit": unit.name, "person": item.person,
            # a deadline on a day off says so: 2026-10-05（国庆假期）
            "deadline": deadline_words(deadline, calendar),
            "due_phrase": due_phrase(deadline, days.workdays_left, calendar),
            "days_overdue": days.days_overdue, "workdays_left": days.workdays_left,
            "measure": item.measure, "detail": item.detail, "source": item.source,
            "instruction": instruction,
            "link": f"{config.web_url.rstrip('/')}/items/{item.id}" if config.web_url else None,
        },
        "unit_contact": unit.contact_name,
        "leader": unit.leader_name,
        "bureau": config.bureau,
        "now": local_minute(now, config.tz),
    }


@lru_cache(maxsize=16)  # one instant per delivery pass, thousands of messages
def local_minute(now: datetime, tz: ZoneInfo) -> str:
    return now.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def item_context(item: Item, unit: Unit, *, now: datetime, config: EngineConfig,
                 calendar: WorkCalendar) -> dict[str, Any]:
    """What a reminder about this item says, as of ``now`` (recipient and meeting aside)."""
    deadline = deadline_of(item)
    days = day_counts(item.status, deadline, item.due_at, now=now, tz=config.tz,
                      calendar=calendar)
    return _context(item, unit, deadline, days, now=now, config=config, calendar=calendar)


def with_items(conn: Connection, rows: Sequence[Claimed], *, now: datetime,
               config: EngineConfig, calendar: WorkCalendar) -> list[dict[str, Any] | None]:
    """The template context of each claimed row, in order: its item's (read in one query,
    on ``conn``: call it in the claim's transaction), then what the row stored, then its
    recipient's name. A row about no item (a digest) keeps its stored context; a row whose
    item no longer exists gets None."""
    ids = sorted({r.item_id for r in rows if r.item_id is not None})
    found: dict[int, Any] = {}
    if ids:
        if conn.dialect.name == "postgresql":
            # One array parameter: the statement is the same whatever the batch size.
            asked = ITEM.c.id == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer)))
        else:
            asked = ITEM.c.id.in_(ids)
        # The latest 领导批示 joined in (still one statement), until a reminder about the item
        # has gone out since it was written: it is quoted in the next reminder, not in all.
        latest = (sa.select(sa.func.max(INSTRUCTION.c.id)).where(INSTRUCTION.c.item_id == ITEM.c.id)
                  .correlate(ITEM).scalar_subquery())
        quoted = sa.exists().where(OUTBOX.c.item_id == ITEM.c.id,
                                   OUTBOX.c.sent_at >= INSTRUCTION.c.at)
        query = (sa.select(*MAIL_COLUMNS, INSTRUCTION.c.text.label("instruction_text"),
                           INSTRUCTION.c.author.label("instruction_author"),
                           INSTRUCTION.c.at.label("instruction_at"))
                 .join_from(ITEM, UNIT, ITEM.c.unit_id == UNIT.c.id)
                 .outerjoin(INSTRUCTION, sa.and_(INSTRUCTION.c.id == latest, ~quoted)))
        found = {r.id: r for r in conn.execute(query.where(asked))}
    chased = _chase_notes(conn, sorted({r.item_id for r in rows if r.item_id is not None
                                        and r.reminder in RECOUNTING}), tz=config.tz)
    by_item: dict[int, dict[str, Any]] = {}
    days: dict[tuple, DayCounts] = {}  # items in a batch share few deadlines
    contexts: list[dict[str, Any] | None] = []
    for row in rows:
        if row.item_id is None:
            contexts.append(row.context)
            continue
        item = found.get(row.item_id)
        if item is None:
            contexts.append(None)
            continue
        base = by_item.get(item.id)
        if base is None:
            deadline = deadline_of(item)
            key = (item.status, deadline, item.due_at)
            counts = days.get(key)
            if counts is None:
                counts = days[key] = day_counts(item.status, deadline, item.due_at, now=now,
                                                tz=config.tz, calendar=calendar)
            base = by_item[item.id] = _context(item, item, deadline, counts, now=now,
                                               config=config, calendar=calendar,
                                               instruction=_instruction(item, config.tz))
        context = {**base, **row.context}
        if row.reminder in RECOUNTING:
            context["chased"] = chased.get(item.id, "")
        contexts.append(context)
    return contexts


def _asked(column, ids: list[int], conn: Connection):
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def instruction_text(text: str, author: str, at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{text}（{author}，{local.month}月{local.day}日）"


def _instruction(row, tz: ZoneInfo) -> str | None:
    if row.instruction_text is None:
        return None
    return instruction_text(row.instruction_text, row.instruction_author, row.instruction_at, tz)


def _chase_notes(conn: Connection, ids: list[int], *, tz: ZoneInfo) -> dict[int, str]:
    """What was really sent about each item before (催办, 督办), in words."""
    if not ids:
        return {}
    found = conn.execute(
        sa.select(OUTBOX.c.item_id, OUTBOX.c.reminder, OUTBOX.c.sent_at)
        .where(_asked(OUTBOX.c.item_id, ids, conn),
               OUTBOX.c.status == OutboxStatus.SENT.value,
               OUTBOX.c.reminder.in_([k.value for k in CHASE_WORDS])))
    sent: dict[int, list[tuple[ReminderKind, datetime]]] = {}
    for r in found:
        sent.setdefault(r.item_id, []).append((ReminderKind(r.reminder), r.sent_at))
    return {item_id: chase_note(pairs, tz=tz) for item_id, pairs in sent.items()}
