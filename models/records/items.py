"""Supervised items: create, change, complete, cancel, note progress, query.

Every function takes the session, the acting person and ``now``; none commits. Each
change writes an Event with the values before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.domain import validation
from models.domain.deadlines import Deadline
from models.domain.enums import OPEN_STATUSES, ItemKind, ItemStatus, choose
from models.domain.loop import TAKEN_UP_STATUSES
from models.domain.parsing import parse_deadline
from models.engine.outbox import drop_pending
from models.errors import InputError, NotFound, Refused
from models.records.units import get_unit
from models.store.events import jsonable, record_event, snapshot
from models.store.next_actions import set_next_action
from models.store.tables import Item, ProgressEntry, Unit

# The ledger's column name for each editable field; error messages use these words.
FIELD_LABELS = {
    "code": "编号",
    "kind": "类别",
    "title": "事项名称",
    "detail": "问题描述",
    "measure": "整改措施",
    "source": "来源",
    "unit": "责任单位",
    "person": "责任人",
    "deadline": "完成时限",
    "status": "状态",
    "remark": "备注",
}
REQUIRED_FIELDS = ("kind", "title", "unit", "deadline")


def clean_field(name: str, value: Any) -> Any:
    """One field's checked value (None for an empty optional field); InputError if bad."""
    label = FIELD_LABELS[name]
    if name == "kind":
        return choose(ItemKind, str(value), label)
    if name == "status":
        return choose(ItemStatus, str(value), label)
    if name == "deadline":
        return value if isinstance(value, Deadline) else parse_deadline(str(value), label)
    limits = {"code": 50, "title": 200, "source": 200, "unit": 100, "person": 50}
    if name in limits:
        return validation.text(value, label, max_len=limits[name], required=name in REQUIRED_FIELDS)
    return validation.text(value, label, max_len=10_000, required=False, multiline=True)


def clean_fields(fields: Mapping[str, Any], *, require_all: bool) -> dict[str, Any]:
    """Checked values for the given fields; ``require_all`` demands kind, title, unit, deadline."""
    unknown = set(fields) - set(FIELD_LABELS)
    if unknown:
        raise ValueError(f"unknown item fields {sorted(unknown)}")
    if require_all:
        for name in REQUIRED_FIELDS:
            if fields.get(name) in (None, ""):
                raise InputError(FIELD_LABELS[name], "", "必填")
    return {name: clean_field(name, value) for name, value in fields.items()}


def get_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound("事项", item_id)
    return item


def _check_code_free(session: Session, code: str | None, item_id: int | None = None) -> None:
    if code is None:
        return
    clash = session.exec(select(Item).where(Item.code == code)).first()
    if clash is not None and clash.id != item_id:
        raise Refused(f"编号 “{code}” 已被事项 {clash.id} 使用")


def _check_occurrence_free(session: Session, item: Item, changed: dict[str, Any]) -> None:
    """A recurring duty has one occurrence per unit and day: moving onto another is refused."""
    if item.template_id is None or not {"deadline_date", "unit_id"} & set(changed):
        return
    day = changed.get("deadline_date", item.deadline_date)
    unit_id = changed.get("unit_id", item.unit_id)
    clash = session.exec(select(Item).where(
        Item.template_id == item.template_id, Item.unit_id == unit_id,
        Item.deadline_date == day, Item.id != item.id)).first()
    if clash is not None:
        raise Refused(f"该周期任务在 {day} 已有一期（事项 {clash.id}），不能再移到这一天")


def _column_values(session: Session, cleaned: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Translate cleaned fields into Item columns (unit name → unit_id, deadline → 3 columns)."""
    values = {k: v for k, v in cleaned.items() if k not in ("unit", "deadline")}
    if "unit" in cleaned:
        values["unit_id"] = get_unit(session, cleaned["unit"]).id
    if "deadline" in cleaned:
        deadline: Deadline = cleaned["deadline"]
        values.update(
            deadline_date=deadline.day, deadline_time=deadline.at, due_at=deadline.ends_at(tz)
        )
    return values


def add_item(
    session: Session, fields: Mapping[str, Any], *, actor: str, now: datetime, tz: ZoneInfo
) -> Item:
    cleaned = clean_fields(fields, require_all=True)
    status = cleaned.pop("status", None) or ItemStatus.NOT_STARTED
    if status.is_closed:
        raise Refused("新建事项的状态不能是已办结或已撤销；请先新建，再用 item done / item cancel")
    _check_code_free(session, cleaned.get("code"))
    taken_up = status in TAKEN_UP_STATUSES
    item = Item(**_column_values(session, cleaned, tz), status=status,
                acked_at=now if taken_up else None, acked_by=actor if taken_up else None,
                created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    set_next_action(session, item.id, now, new=True)  # type: ignore[arg-type]
    record_event(session, entity="item", entity_id=item.id, action="create",  # type: ignore[arg-type]
                 actor=actor, at=now, after=snapshot(item))
    return item


def update_item(
    session: Session, item_id: int, fields: Mapping[str, Any], *,
    actor: str, now: datetime, tz: ZoneInfo,
) -> Item:
    """Change the given fields. Refused on a closed item; status may move only between
    the open states (closing goes through complete_item / cancel_item)."""
    item = get_item(session, item_id)
    if item.status.is_closed:
        raise Refused(f"事项 {item_id} 状态为“{item.status.value}”，不能再修改")
    cleaned = clean_fields(fields, require_all=False)
    for name in REQUIRED_FIELDS:
        if name in cleaned and cleaned[name] is None:
            raise InputError(FIELD_LABELS[name], "", "必填，不能清空")
    if "status" in cleaned and cleaned["status"].is_closed:
        raise Refused("办结请用 item done，撤销请用 item cancel")
    if "code" in cleaned:
        _check_code_free(session, cleaned["code"], item_id)
    values = _column_values(session, cleaned, tz)
    changed = {k: v for k, v in values.items() if getattr(item, k) != v}
    if not changed:
        return item
    _check_occurrence_free(session, item, changed)
    before = {k: jsonable(getattr(item, k)) for k in changed}
    for key, value in changed.items():
        setattr(item, key, value)
    item.updated_at = now
    if "due_at" in changed:
        # A new deadline starts a new ladder; reminders owed under the old one are void.
        # The schedule first: it waits for a sweep queueing under the old deadline (see
        # models.store.next_actions), whose rows the withdrawal then sees.
        set_next_action(session, item_id, now)
        drop_pending(session, item_id, reason="完成时限已变更")
        if item.kind is ItemKind.MEETING:
            item.ics_sequence += 1  # the sweep sends invitees the update
    elif "status" in changed:
        # Into 已提交 nothing chases it (the sweep drops its schedule); out of it, the sweep
        # looks again at once and the ladder resumes.
        set_next_action(session, item_id, now)
        if item.status is ItemStatus.SUBMITTED:
            drop_pending(session, item_id, reason="事项已提交，等待审核")
    action = "status" if set(changed) == {"status"} else "update"
    record_event(session, entity="item", entity_id=item_id, action=action, actor=actor, at=now,
                 before=before, after={k: jsonable(v) for k, v in changed.items()})
    if "due_at" in changed and item.kind is ItemKind.MEETING:
        _move_minutes(session, item, actor=actor, now=now, tz=tz)
    return item


def _minutes_of(session: Session, meeting: Item) -> Item | None:
    child = session.exec(select(Item).where(Item.parent_id == meeting.id)).first()
    return child if child is not None and not child.status.is_closed else None


def _move_minutes(session: Session, meeting: Item, *, actor: str, now: datetime,
                  tz: ZoneInfo) -> None:
    """A moved meeting takes its open minutes deadline with it."""
    from models.store.calendar_store import calendar_from_db
    from models.store.tables import Recurrence

    child = _minutes_of(session, meeting)
    template = session.get(Recurrence, meeting.template_id) if meeting.template_id else None
    if child is None or template is None or template.minutes_due_workdays is None:
        return
    due = calendar_from_db(session).add_workdays(meeting.deadline_date,
                                                 template.minutes_due_workdays)
    update_item(session, child.id, {"deadline": Deadline(due)},  # type: ignore[arg-type]
                actor=actor, now=now, tz=tz)


def _close(session: Session, item_id: int, status: ItemStatus, *, completed_at: datetime | None,
           actor: str, now: datetime) -> Item:
    item = get_item(session, item_id)
    if item.status.is_closed:
        raise Refused(f"事项 {item_id} 已是“{item.status.value}”状态")
    before = snapshot(item, ["status", "completed_at"])
    item.status, item.completed_at, item.updated_at = status, completed_at, now
    # Invitees of a cancelled meeting get a cancellation (same UID, higher SEQUENCE) from the
    # next sweep; anything else closed is never looked at again. The schedule before the
    # withdrawal, as in update_item.
    notice = item.kind is ItemKind.MEETING and status is ItemStatus.CANCELLED
    set_next_action(session, item_id, now if notice else None)
    drop_pending(session, item_id, reason=f"事项{status.value}")
    record_event(session, entity="item", entity_id=item_id, action="status", actor=actor, at=now,
                 before=before, after=snapshot(item, ["status", "completed_at"]))
    if notice:
        item.ics_sequence += 1
        child = _minutes_of(session, item)
        if child is not None:
            _close(session, child.id, ItemStatus.CANCELLED, completed_at=None,  # type: ignore[arg-type]
                   actor=actor, now=now)
    return item


def complete_item(
    session: Session, item_id: int, *, at: datetime | None, actor: str, now: datetime
) -> Item:
    """Mark done (办结) at ``at`` (default now); a completion in the future is refused."""
    completed_at = at or now
    if completed_at > now:
        raise InputError("完成时间", completed_at.isoformat(), "不能晚于当前时间")
    return _close(session, item_id, ItemStatus.DONE, completed_at=completed_at,
                  actor=actor, now=now)


def cancel_item(session: Session, item_id: int, *, actor: str, now: datetime) -> Item:
    return _close(session, item_id, ItemStatus.CANCELLED, completed_at=None, actor=actor, now=now)


def add_progress(
    session: Session, item_id: int, note: str, *, author: str, at: datetime, now: datetime
) -> ProgressEntry:
    item = get_item(session, item_id)
    entry = ProgressEntry(item_id=item.id, at=at,  # type: ignore[arg-type]
                          note=validation.text(note, "进展", max_len=10_000, multiline=True),
                          author=validation.text(author, "填报人", max_len=50))
    session.add(entry)
    session.flush()
    record_event(session, entity="item", entity_id=item_id, action="progress", actor=author,
                 at=now, after=snapshot(entry, ["id", "at", "note"]))
    return entry


def progress_of(session: Session, item_id: int) -> list[ProgressEntry]:
    query = select(ProgressEntry).where(ProgressEntry.item_id == item_id)
    return list(session.exec(query.order_by(col(ProgressEntry.at), col(ProgressEntry.id))))


def list_items(
    session: Session, *, kind: ItemKind | None = None, unit: str | None = None,
    status: ItemStatus | None = None,
) -> list[tuple[Item, Unit]]:
    query = select(Item, Unit).join(Unit, col(Item.unit_id) == col(Unit.id))
    if kind is not None:
        query = query.where(Item.kind == kind)
    if unit is not None:
        query = query.where(Item.unit_id == get_unit(session, unit).id)
    if status is not None:
        query = query.where(Item.status == status)
    return list(session.exec(query.order_by(col(Item.due_at), col(Item.id))))  # type: ignore[arg-type]


def overdue_items(
    session: Session, *, now: datetime, unit: str | None = None
) -> list[tuple[Item, Unit]]:
    """Open items whose deadline had passed at ``now``, oldest deadline first.

    Served by the (status, due_at) index: cost follows the overdue rows, not the table.
    """
    query = (
        select(Item, Unit)
        .join(Unit, col(Item.unit_id) == col(Unit.id))
        .where(col(Item.status).in_(OPEN_STATUSES), col(Item.due_at) < now)
    )
    if unit is not None:
        query = query.where(Item.unit_id == get_unit(session, unit).id)
    return list(session.exec(query.order_by(col(Item.due_at), col(Item.id))))  # type: ignore[arg-type]
