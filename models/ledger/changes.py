"""What an import will do, line by line, in the clerk's words, and what deserves a warning.

``import --dry-run`` prints these lines (every added or changed unit and item, each changed
field as old → new); a real import prints the warnings (deadlines on days off).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline
from models.domain.holidays import holiday_deadline
from models.ledger.checking import ImportPlan, ItemChange
from models.ledger.columns import UNIT_COLUMNS
from models.records.items import FIELD_LABELS

_UNIT_LABELS = {c.key: c.header for c in UNIT_COLUMNS}


def _shown(value: Any, tz: ZoneInfo) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "value") and not isinstance(value, str | int | float):
        return str(value.value)
    return str(value)


def _item_fields(change: ItemChange, tz: ZoneInfo) -> list[str]:
    after = dict(change.fields)
    if change.close is not None:
        after["status"] = change.close
        if change.completed_at is not None:
            after["completed_at"] = change.completed_at
    parts = []
    for key, value in after.items():
        old = change.before.get(key)
        if key == "completed_at" and old is not None and value is not None \
                and old.replace(microsecond=0) == value:
            continue
        label = FIELD_LABELS.get(key, "完成时间")
        parts.append(f"{label} {_shown(old, tz)} → {_shown(value, tz)}")
    return parts


def describe_plan(plan: ImportPlan, tz: ZoneInfo) -> list[str]:
    """One line per unit or item the import adds or changes, in file order."""
    lines = [f"新增单位 {u['name']}" for u in plan.new_units]
    for unit, changed in plan.changed_units:
        fields = "；".join(f"{_UNIT_LABELS.get(k, k)} {_shown(getattr(unit, k), tz)} → "
                          f"{_shown(v, tz)}" for k, v in changed.items())
        lines.append(f"更新单位 {unit.name}：{fields}")
    entries: list[tuple[int, str]] = []
    for row in plan.new_items:
        f = row.fields
        entries.append((row.row, f"第{row.row}行 新增事项 {f.get('code')}《{f.get('title')}》"
                                 f"（{f.get('unit')}，完成时限 {f.get('deadline')}）"))
    for change in plan.changed_items:
        fields = "；".join(_item_fields(change, tz))
        entries.append((change.row, f"第{change.row}行 更新事项 {change.code}（ID "
                                    f"{change.item_id}）：{fields}"))
    return lines + [text for _, text in sorted(entries)]


def holiday_warnings(plan: ImportPlan, calendar: WorkCalendar) -> list[str]:
    """A line for every new or moved deadline that falls on a day off (kept as written)."""
    found: list[tuple[int, str]] = []
    rows = [(r.row, r.fields.get("code"), r.fields.get("deadline")) for r in plan.new_items]
    rows += [(c.row, c.code, c.fields.get("deadline")) for c in plan.changed_items]
    for number, code, deadline in rows:
        if not isinstance(deadline, Deadline):
            continue
        day_off = holiday_deadline(deadline, calendar)
        if day_off is not None:
            found.append((number, f"事项 第{number}行 编号 {code}：完成时限 {deadline} 是"
                                  f"{day_off.words}（非工作日），前一工作日为 "
                                  f"{day_off.previous_workday}，后一工作日为 {day_off.next_workday}"))
    return [text for _, text in sorted(found)]
