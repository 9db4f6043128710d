"""What the item page shows: fields, history in words, reminders, submissions and the actions
this viewer may take now. Built from the records; the template only lays it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from duban.web.context import SUPERVISORS, Viewer
from models.domain.deadlines import Deadline
from models.domain.enums import ExtensionStatus, ItemStatus, OutboxStatus, Role
from models.domain.loop import LoopRules
from models.records.extensions import extensions_of
from models.records.items import progress_of
from models.records.loop import instructions_of, progress_files
from models.records.submissions import submissions_of
from models.reports.views import Clock, item_row
from models.store.events import history
from models.store.tables import Item, Outbox, Unit

ACTIONS = {
    "create": "交办（新建事项）", "update": "修改", "status": "状态变更", "progress": "反馈进展",
    "progress_file": "反馈附件", "submit": "提交材料", "ack": "签收", "review": "审核",
    "accept": "审核通过（销号）", "return": "退回", "instruct": "领导批示", "urge": "手动催办",
    "extension": "延期申请", "extension_request": "延期申请", "extend": "延期",
    "approve": "批准延期", "reject": "驳回延期", "attendance": "记录出席", "delete": "删除",
}
COLUMNS = {
    "code": "编号", "kind": "类别", "title": "事项名称", "detail": "问题描述", "measure": "整改措施",
    "source": "来源", "unit_id": "责任单位", "person": "责任人", "deadline_date": "完成时限",
    "deadline_time": "完成时限（时刻）", "due_at": "截止时刻", "status": "状态",
    "completed_at": "完成时间", "remark": "备注", "acked_at": "签收时间", "acked_by": "签收人",
    "note": "内容", "at": "时间", "late": "是否逾期", "files": "附件", "reason": "理由",
    "text": "批示内容", "verdict": "审核结论", "to": "延期至",
}
SKIP = {"id", "created_at", "updated_at", "ics_sequence", "template_id", "parent_id", "due_at",
        "submission_id", "extension_id", "instruction_id", "progress_id", "urged_by"}


@dataclass
class HistoryLine:
    at: Any
    actor: str
    action: str
    changes: list[str] = field(default_factory=list)


def _value(value: Any, units: dict[int, str], key: str, tz: ZoneInfo | None = None) -> str:
    if value is None or value == "":
        return "（空）"
    if key == "unit_id" and isinstance(value, int):
        return units.get(value, str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(map(str, value)) or "（无）"
    text = str(value)
    if "T" in text and len(text) >= 19:
        try:  # an instant: shown in the bureau's time
            instant = datetime.fromisoformat(text)
        except ValueError:
            return text[:200]
        if instant.tzinfo is not None and tz is not None:
            instant = instant.astimezone(tz)
        return instant.strftime("%Y-%m-%d %H:%M")
    return text[:200]


def history_lines(session: Session, item_id: int, units: dict[int, str],
                  tz: ZoneInfo | None = None) -> list[HistoryLine]:
    lines = []
    for event in history(session, "item", item_id):
        line = HistoryLine(event.at, event.actor, ACTIONS.get(event.action, event.action))
        before, after = event.before or {}, event.after or {}
        if event.action != "create":
            for key in [k for k in after if k not in SKIP]:
                label = COLUMNS.get(key, key)
                if key in before:
                    line.changes.append(f"{label}：{_value(before[key], units, key, tz)} → "
                                        f"{_value(after[key], units, key, tz)}")
                else:
                    line.changes.append(f"{label}：{_value(after[key], units, key, tz)}")
        lines.append(line)
    return lines


@dataclass
class ItemView:
    item: Item
    unit: Unit
    row: dict[str, Any]
    history: list[HistoryLine]
    progress: list
    submissions: list
    reminders: list[dict[str, Any]]
    actions: set[str]
    extras: dict[str, Any] = field(default_factory=dict)


def reminders_of(session: Session, item_id: int) -> list[dict[str, Any]]:
    rows = session.exec(select(Outbox).where(Outbox.item_id == item_id)
                        .order_by(col(Outbox.send_after), col(Outbox.id)))
    return [{"kind": r.reminder.value, "stage": r.stage, "to": r.recipient_name,
             "status": OutboxStatus(r.status).label, "failed": r.status == OutboxStatus.FAILED,
             "send_after": r.send_after, "sent_at": r.sent_at, "error": r.last_error}
            for r in rows]


def allowed_actions(viewer: Viewer, item: Item, extras: dict[str, Any], rules: LoopRules) -> set[str]:
    """The forms this viewer sees on this item now (the engine still checks the state)."""
    actions: set[str] = set()
    closed = item.status.is_closed
    own = viewer.is_unit and viewer.unit_id == item.unit_id
    if own and not closed:
        if item.acked_at is None and rules.needs_ack(item.kind, item.parent_id) \
                and item.status is not ItemStatus.SUBMITTED:
            actions.add("ack")
        actions.add("progress")
        if item.status is not ItemStatus.SUBMITTED:
            actions.add("submit")
            if not extras.get("pending_extension"):
                actions.add("extension")
    if viewer.role in SUPERVISORS and not closed:
        if item.status is ItemStatus.SUBMITTED:
            actions |= {"accept", "return"}
        else:
            actions.add("urge")
        if extras.get("pending_extension"):
            actions.add("decide_extension")
    if viewer.role is Role.LEADER and not closed:
        actions.add("instruct")
    return actions


def item_view(session: Session, clock: Clock, viewer: Viewer, item: Item, unit: Unit, *,
              rules: LoopRules) -> ItemView:
    units = {u.id: u.name for u in session.exec(select(Unit))}  # type: ignore[misc]
    extras = loop_extras(session, item, clock, rules)
    return ItemView(
        item=item, unit=unit,
        row=item_row(item, unit, clock, rules=rules,
                     pending_extension=extras["pending_extension"] is not None),
        history=history_lines(session, item.id, units, clock.tz),  # type: ignore[arg-type]
        progress=progress_of(session, item.id),  # type: ignore[arg-type]
        submissions=submissions_of(session, item.id),  # type: ignore[arg-type]
        reminders=reminders_of(session, item.id),  # type: ignore[arg-type]
        actions=allowed_actions(viewer, item, extras, rules), extras=extras,
    )


def loop_extras(session: Session, item: Item, clock: Clock, rules: LoopRules) -> dict[str, Any]:
    """The closed loop's parts of the page: 批示 (newest first), 签收, 延期 and progress files."""
    asked = extensions_of(session, item.id)  # type: ignore[arg-type]
    pending = next((e for e in asked if e.status is ExtensionStatus.PENDING), None)
    entries = progress_of(session, item.id)  # type: ignore[arg-type]
    return {
        "instructions": instructions_of(session, item.id),  # type: ignore[arg-type]
        "ack_known": rules.needs_ack(item.kind, item.parent_id),
        "acked_at": item.acked_at, "acked_by": item.acked_by,
        "extensions": [{"e": e, "to_text": str(Deadline(e.to_date, e.to_time)),
                        "from_text": str(Deadline(e.from_date, e.from_time))} for e in asked],
        "pending_extension": None if pending is None else {
            "id": pending.id, "requested_by": pending.requested_by, "reason": pending.reason,
            "to_text": str(Deadline(pending.to_date, pending.to_time))},
        "progress_files": progress_files(session, [p.id for p in entries]),  # type: ignore[misc]
        "original_due_at": item.original_due_at,
    }
