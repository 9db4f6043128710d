"""延期: a unit asks, before the deadline, to move it; a supervisor approves or rejects.

An approved extension re-dates the item through ``items.update_item`` (so its unsent reminders
are withdrawn and a new ladder starts, as for any new deadline) and keeps the first deadline
the item had in ``item.original_due_at``: 考核 (models.reports.stats) judges timeliness
against it, while the item's light and reminders follow the deadline in force.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models.domain import validation
from models.domain.deadlines import Deadline
from models.domain.enums import ExtensionStatus, ItemStatus
from models.domain.parsing import parse_deadline
from models.errors import InputError, NotFound, Refused
from models.records import items as item_ops
from models.store.events import record_event, snapshot
from models.store.tables import Extension, Item


def get_extension(session: Session, extension_id: int) -> Extension:
    found = session.get(Extension, extension_id)
    if found is None:
        raise NotFound("延期申请", extension_id)
    return found


def _pending_of(session: Session, item_id: int) -> Extension | None:
    return session.exec(select(Extension).where(Extension.item_id == item_id,
                                                Extension.status == ExtensionStatus.PENDING)).first()


def request_extension(session: Session, item_id: int, *, to: Deadline | str, reason: str,
                      actor: str, now: datetime, tz: ZoneInfo) -> Extension:
    """延期申请, only before the deadline passes and to a later deadline; one pending at a time."""
    target = to if isinstance(to, Deadline) else parse_deadline(str(to), "延期至")
    cleaned = validation.text(reason, "延期理由", max_len=2000, multiline=True)
    item = item_ops.get_item(session, item_id)
    if item.status.is_closed:
        raise Refused(f"事项 {item_id} 状态为“{item.status.value}”，不能申请延期")
    if item.status is ItemStatus.SUBMITTED:
        raise Refused(f"事项 {item_id} 已提交，正等待审核，不能申请延期")
    if now > item.due_at:
        raise Refused(f"事项 {item_id} 已过完成时限 {_deadline(item)}，不能再申请延期")
    if target.ends_at(tz) <= item.due_at:
        raise InputError("延期至", str(target), f"应晚于当前完成时限 {_deadline(item)}")
    pending = _pending_of(session, item_id)
    if pending is not None:
        raise Refused(f"事项 {item_id} 已有待审批的延期申请（申请 {pending.id}），请等待审批")
    extension = Extension(item_id=item_id, from_date=item.deadline_date,
                          from_time=item.deadline_time, to_date=target.day, to_time=target.at,
                          reason=cleaned, status=ExtensionStatus.PENDING, requested_at=now,
                          requested_by=actor)
    session.add(extension)
    session.flush()
    record_event(session, entity="extension", entity_id=extension.id,  # type: ignore[arg-type]
                 action="create", actor=actor, at=now, after=snapshot(extension))
    record_event(session, entity="item", entity_id=item_id, action="extension", actor=actor,
                 at=now, after={"extension_id": extension.id, "to": str(target), "reason": cleaned})
    return extension


def _deadline(item: Item) -> str:
    return str(Deadline(item.deadline_date, item.deadline_time))


def _decide(session: Session, extension_id: int, status: ExtensionStatus, *, note: str | None,
            actor: str, now: datetime) -> Extension:
    extension = get_extension(session, extension_id)
    if extension.status is not ExtensionStatus.PENDING:
        raise Refused(f"延期申请 {extension_id} 已是“{extension.status.value}”，不能再审批")
    before = snapshot(extension, ["status"])
    extension.status, extension.decided_at = status, now
    extension.decided_by, extension.decision_note = actor, note
    session.add(extension)
    record_event(session, entity="extension", entity_id=extension_id, action="status", actor=actor,
                 at=now, before=before,
                 after=snapshot(extension, ["status", "decided_at", "decided_by", "decision_note"]))
    return extension


def approve_extension(session: Session, extension_id: int, *, actor: str, now: datetime,
                      tz: ZoneInfo) -> Extension:
    """Move the item's deadline to the one asked for (a new ladder); keep the original."""
    extension = get_extension(session, extension_id)
    item = item_ops.get_item(session, extension.item_id)
    if extension.status is ExtensionStatus.PENDING and item.status.is_closed:
        raise Refused(f"事项 {item.id} 状态为“{item.status.value}”，不能再延期")
    target = Deadline(extension.to_date, extension.to_time)
    if extension.status is ExtensionStatus.PENDING and target.ends_at(tz) <= item.due_at:
        raise Refused(f"延期申请 {extension_id} 申请的时限 {target} 不晚于事项当前完成时限 "
                      f"{_deadline(item)}，不能批准")
    _decide(session, extension_id, ExtensionStatus.APPROVED, note=None, actor=actor, now=now)
    if item.original_due_at is None:
        item.original_due_at = item.due_at
    item_ops.update_item(session, item.id, {"deadline": target},  # type: ignore[arg-type]
                         actor=actor, now=now, tz=tz)
    return extension


def reject_extension(session: Session, extension_id: int, *, reason: str, actor: str,
                     now: datetime) -> Extension:
    cleaned = validation.text(reason, "驳回理由", max_len=2000, multiline=True)
    return _decide(session, extension_id, ExtensionStatus.REJECTED, note=cleaned, actor=actor,
                   now=now)


def pending_extensions(session: Session, *, unit_id: int | None = None) -> list[Extension]:
    query = select(Extension).where(Extension.status == ExtensionStatus.PENDING)
    if unit_id is not None:
        query = query.join(Item, col(Item.id) == col(Extension.item_id)).where(Item.unit_id == unit_id)
    return list(session.exec(query.order_by(col(Extension.requested_at), col(Extension.id))))


def extensions_of(session: Session, item_id: int) -> list[Extension]:
    return list(session.exec(select(Extension).where(Extension.item_id == item_id)
                             .order_by(col(Extension.id))))
