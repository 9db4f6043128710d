"""An item's change history in the bureau's words: local times, Chinese field names, old → new.

The event log stores column names and ISO values (``deadline_date``, ``2026-12-04T16:00:00+00:00``);
people read ``2026-12-05 00:00  刘洋  修改：完成时限 2026-12-04 → 2026-12-31``. The CLI and the
web both render history through :func:`describe_events`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.store.tables import Event

ACTIONS = {"create": "新建", "update": "修改", "status": "状态变更", "progress": "填报进展",
           "submit": "报送", "attendance": "登记出席", "delete": "删除", "pause": "暂停",
           "resume": "恢复", "load": "载入"}
FIELDS = {"code": "编号", "kind": "类别", "title": "事项名称", "detail": "问题描述",
          "measure": "整改措施", "source": "来源", "unit_id": "责任单位", "person": "责任人",
          "deadline_date": "完成时限", "status": "状态", "completed_at": "完成时间",
          "remark": "备注", "note": "进展"}
# Columns that restate another (due_at is the deadline's instant) or are bookkeeping.
_SKIPPED = {"due_at", "deadline_time", "updated_at", "created_at", "ics_sequence", "id",
            "template_id", "parent_id", "next_action_at"}


@dataclass(frozen=True)
class HistoryLine:
    at: str  # local, 2026-12-01 10:00
    actor: str
    action: str  # 修改
    detail: str  # 完成时限 2026-12-04 → 2026-12-31；状态 未开始 → 进行中

    def __str__(self) -> str:
        return f"{self.at} {self.actor} {self.action}" + (f"：{self.detail}" if self.detail else "")


def local_minute(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _value(key: str, value: Any, tz: ZoneInfo, units: Mapping[int, str]) -> str:
    if value is None or value == "":
        return "（空）"
    if key == "unit_id":
        return units.get(value, f"单位 {value}")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and len(value) >= 16 and value[10] == "T":
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        return local_minute(instant, tz) if instant.tzinfo else instant.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _deadline(values: Mapping[str, Any]) -> str | None:
    if "deadline_date" not in values and "deadline_time" not in values:
        return None
    day, at = values.get("deadline_date"), values.get("deadline_time")
    return f"{day} {str(at)[:5]}" if at else str(day)


def _changes(before: Mapping[str, Any], after: Mapping[str, Any], tz: ZoneInfo,
             units: Mapping[int, str]) -> list[str]:
    parts = []
    if "deadline_date" in after or "deadline_time" in after:
        merged_before = {"deadline_date": before.get("deadline_date"),
                         "deadline_time": before.get("deadline_time")}
        parts.append(f"完成时限 {_deadline(merged_before) or '（空）'} → {_deadline(after)}")
    for key, new in after.items():
        if key in _SKIPPED or key == "deadline_date" or key not in FIELDS:
            continue
        old = _value(key, before.get(key), tz, units)
        parts.append(f"{FIELDS[key]} {old} → {_value(key, new, tz, units)}")
    return parts


def describe_event(event: Event, tz: ZoneInfo, units: Mapping[int, str]) -> HistoryLine:
    before, after = event.before or {}, event.after or {}
    action = ACTIONS.get(event.action, event.action)
    if event.action == "create":
        fields = [p for p in (f"完成时限 {_deadline(after)}" if _deadline(after) else None,
                              f"责任单位 {_value('unit_id', after['unit_id'], tz, units)}"
                              if after.get("unit_id") else None) if p]
        detail = "，".join(fields) if fields else ("由周期任务生成" if after.get("template_id") else "")
    elif event.action == "progress":
        detail = str(after.get("note") or "")
    elif event.action == "submit":
        at = _value("at", after.get("at"), tz, units)
        files = "、".join(after.get("files") or [])
        detail = f"报送时间 {at}" + ("（逾期报送）" if after.get("late") else "") \
            + (f"，附件 {files}" if files else "")
    elif event.action == "attendance":
        detail = "出席 " + ("、".join(after.get("present") or []) or "（无）") + \
            ("；缺席 " + "、".join(after["absent"]) if after.get("absent") else "")
    elif event.action == "delete":
        detail = str(after.get("reason") or "")
    else:
        detail = "；".join(_changes(before, after, tz, units))
    return HistoryLine(local_minute(event.at, tz), event.actor, action, detail)


def describe_events(events: list[Event], tz: ZoneInfo,
                    units: Mapping[int, str]) -> list[HistoryLine]:
    return [describe_event(e, tz, units) for e in events]
