"""Checking a whole ledger before anything is written.

``check_ledger`` reads every row of an opened ledger, checks every cell with the same
single-value rules the CLI uses (``items.clean_field``, ``units.validate_unit``), then compares
the rows with the database: which units and items are new, which changed, which are as they
were. It only reads. Any problem anywhere raises ValidationFailed listing all of them, each
with sheet, row, column, value and reason, in sheet and row order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.domain.deadlines import Deadline
from models.domain.enums import ItemKind, ItemStatus
from models.errors import InputError, ValidationFailed
from models.ledger.cells import cell_deadline, cell_instant, cell_text, display
from models.ledger.columns import ITEM_COLUMNS, ITEM_SHEET, UNIT_COLUMNS, UNIT_SHEET
from models.ledger.reading import LedgerFile
from models.ledger.sheets import Problems, SheetReader
from models.records.items import FIELD_LABELS, clean_field
from models.records.units import UnitInput, validate_unit
from models.store.tables import Item, Unit

DEFAULT_MAX_ROWS = 100_000
DEFAULT_KIND = ItemKind.TASK  # an empty 类别 on a new row
# The item fields a ledger row carries besides its key (编号), status and completion time.
ITEM_FIELDS = ("kind", "title", "detail", "measure", "source", "unit", "person", "deadline",
               "remark")
_UNIT_KEY_BY_LABEL = {c.header: c.key for c in UNIT_COLUMNS}
# Stand-ins for a unit's bad fields, so validate_unit can go on to report the next one.
_UNIT_STAND_INS = {"name": "单位", "kind": "其他", "contact_name": "联系人",
                   "contact_email": "stand-in@example.org", "contact_phone": None,
                   "leader_name": "分管领导", "leader_email": None}


@dataclass
class ItemRow:
    row: int
    fields: dict[str, Any]  # cleaned values of the columns present: code, kind, …, status
    completed_at: datetime | None = None
    failed: set[str] = field(default_factory=set)  # keys of refused cells; fields hold the rest

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class ItemChange:
    item_id: int
    row: int
    fields: dict[str, Any]  # for items.update_item: unit by name, deadline as Deadline
    close: ItemStatus | None = None  # 已办结 or 已撤销, after the fields are updated
    completed_at: datetime | None = None
    code: str = ""
    before: dict[str, Any] = field(default_factory=dict)  # the changed fields' current values


@dataclass
class ImportPlan:
    """What importing the ledger will do; nothing of it is written yet."""

    source: str
    new_units: list[dict[str, Any]] = field(default_factory=list)
    changed_units: list[tuple[Unit, dict[str, Any]]] = field(default_factory=list)
    unchanged_units: int = 0
    new_items: list[ItemRow] = field(default_factory=list)
    changed_items: list[ItemChange] = field(default_factory=list)
    unchanged_items: int = 0
    ignored_columns: list[str] = field(default_factory=list)


# --- one row at a time --------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _choice(key: str, text: str) -> Any:
    """clean_field for 类别 and 状态, remembered: a ledger repeats a handful of words."""
    return clean_field(key, text)


def _item_value(key: str, raw: object, tz: ZoneInfo) -> Any:
    """One 事项 cell as a cleaned value; InputError says why not."""
    if key == "deadline":
        return cell_deadline(raw)
    if key == "completed_at":
        return cell_instant(raw, tz)
    text = cell_text(raw)
    if key == "status":
        return ItemStatus.NOT_STARTED if text is None else _choice("status", text)
    if key == "kind":
        return None if text is None else _choice("kind", text)
    if key == "code" and text is None:
        raise InputError(FIELD_LABELS["code"], "", "不能为空（事项按编号新增或更新）")
    return clean_field(key, text)


def _check_item(sheet: SheetReader, number: int, record: dict[str, object],
                tz: ZoneInfo) -> ItemRow:
    row = ItemRow(number, {})
    for key, raw in record.items():
        reason = sheet.cell_problem(number, key, raw)
        if reason is None:
            try:
                value = _item_value(key, raw, tz)
            except InputError as exc:
                reason = exc.reason
        if reason is not None:
            sheet.add(number, key, raw, reason)
            row.failed.add(key)
        elif key == "completed_at":
            row.completed_at = value
        else:
            row.fields[key] = value
    return row


def _check_unit(sheet: SheetReader, number: int, record: dict[str, object]) -> dict | None:
    texts: dict[str, Any] = {c.key: None for c in UNIT_COLUMNS}
    ok = True
    for key, raw in record.items():
        reason = sheet.cell_problem(number, key, raw)
        if reason is not None:
            sheet.add(number, key, raw, reason)
            texts[key], ok = _UNIT_STAND_INS[key], False
        else:
            texts[key] = cell_text(raw)
    # validate_unit stops at the first bad field: put a stand-in there and ask again, so
    # every bad field of the row is reported.
    for _ in range(len(UNIT_COLUMNS) + 1):
        try:
            values = validate_unit(UnitInput(**texts))
            break
        except InputError as exc:
            key = _UNIT_KEY_BY_LABEL[exc.field]
            sheet.add(number, key, record.get(key), exc.reason)
            texts[key], ok = _UNIT_STAND_INS[key], False
    return values if ok else None


# --- against the database -----------------------------------------------------------------------

_ITEM = Item.__table__  # type: ignore[attr-defined]
_COMPARED = [_ITEM.c[name] for name in ("id", "code", "kind", "title", "detail", "measure", "source",
                                         "unit_id", "person", "deadline_date", "deadline_time",
                                         "status", "completed_at", "remark")]


def _existing_items(session: Session, codes: list[str]) -> dict[str, Any]:
    """The items these 编号 name, as rows of the compared columns (no ORM objects: a
    re-import of 50,000 rows would build 50,000 of them just to find nothing changed)."""
    found: dict[str, Any] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        query = select(*_COMPARED).where(_ITEM.c.code.in_(chunk))  # type: ignore[call-overload]
        found.update((row.code, row) for row in session.execute(query))
    return found


def _current(item: Any, unit_name: str) -> dict[str, Any]:
    values = {k: getattr(item, k) for k in ITEM_FIELDS if k not in ("unit", "deadline")}
    values.update(unit=unit_name, deadline=Deadline(item.deadline_date, item.deadline_time))
    return values


def _plan_item(plan: ImportPlan, sheet: SheetReader, row: ItemRow, item: Any,
               unit_names: dict[int, str], now: datetime, tz: ZoneInfo) -> None:
    # Without a 状态 column an item keeps its status; a new one starts 未开始.
    status = row.fields.get("status") or (item.status if item else ItemStatus.NOT_STARTED)
    completed = row.completed_at
    before = len(sheet.problems)
    if completed is not None and completed > now:
        sheet.add(row.row, "completed_at", completed, "不能晚于当前时间"
                  f"（{now.astimezone(tz):%Y-%m-%d %H:%M}）")
    if completed is not None and status is not ItemStatus.DONE and "status" not in row.failed:
        sheet.add(row.row, "completed_at", completed, "只有状态为“已办结”的事项才填写完成时间")
    keeps_completion = item is not None and item.status is ItemStatus.DONE \
        and "completed_at" not in sheet.index
    if status is ItemStatus.DONE and completed is None and not keeps_completion \
            and "completed_at" not in row.failed:
        sheet.add(row.row, "completed_at", None, "状态为“已办结”时须填写完成时间")
    if not row.ok or len(sheet.problems) != before:
        return
    if item is None:
        plan.new_items.append(row)
        return
    current = _current(item, unit_names[item.unit_id])
    changed = {k: v for k, v in row.fields.items() if k in current and v != current[k]}
    if row.fields.get("kind") is None:
        changed.pop("kind", None)  # an empty 类别 leaves the item's kind as it is
    completion_moved = (status is ItemStatus.DONE and item.status is ItemStatus.DONE
                        and completed is not None and item.completed_at is not None
                        and item.completed_at.replace(microsecond=0) != completed)
    if item.status.is_closed:
        why = f"事项在系统中是“{item.status.value}”，不能再修改"
        for key, value in changed.items():
            sheet.add(row.row, key, value, f"{why}（系统中为“{display(current[key])}”）")
        if status is not item.status:
            sheet.add(row.row, "status", status, why)
        if completion_moved:
            shown = display(item.completed_at.astimezone(tz).replace(microsecond=0))  # type: ignore[union-attr]
            sheet.add(row.row, "completed_at", completed, f"{why}（系统中为“{shown}”）")
        if not changed and status is item.status and not completion_moved:
            plan.unchanged_items += 1
        return
    before = {**{k: current[k] for k in changed}, "status": item.status,
              "completed_at": item.completed_at}
    if status.is_closed:
        plan.changed_items.append(ItemChange(item.id, row.row, changed, status, completed,
                                             item.code, before))
    elif status is not item.status:
        plan.changed_items.append(ItemChange(item.id, row.row, {**changed, "status": status},
                                             code=item.code, before=before))
    elif changed:
        plan.changed_items.append(ItemChange(item.id, row.row, changed, code=item.code,
                                             before=before))
    else:
        plan.unchanged_items += 1


def check_ledger(session: Session, ledger: LedgerFile, *, now: datetime, tz: ZoneInfo,
                 max_rows: int = DEFAULT_MAX_ROWS) -> ImportPlan:
    """The plan for importing ``ledger``, or ValidationFailed with every problem in it."""
    plan = ImportPlan(ledger.source)
    problems = Problems()

    # 单位: every row checked; names seen, to tell items which units the file brings.
    sheet_units: dict[str, tuple[int, dict | None]] = {}
    units_readable = True  # a 单位 sheet without its headers names no units: check none
    if UNIT_SHEET in ledger.sheets:
        units = SheetReader(ledger.sheets[UNIT_SHEET], UNIT_COLUMNS, problems,
                             plan.ignored_columns)
        units_readable = units.complete
        if units.complete:
            for number, record in units.records(max_rows):
                values = _check_unit(units, number, record)
                name = cell_text(record.get("name"))
                name = name.strip() if name else None
                if name in sheet_units:
                    units.add(number, "name", name, f"与第{sheet_units[name][0]}行重复")
                elif name:
                    sheet_units[name] = (number, values)

    # 事项: every cell, then duplicates of 编号.
    items = SheetReader(ledger.sheets[ITEM_SHEET], ITEM_COLUMNS, problems, plan.ignored_columns)
    rows: list[ItemRow] = []
    if items.complete:
        first_row: dict[str, int] = {}
        for number, record in items.records(max_rows):
            row = _check_item(items, number, record, tz)
            code = row.fields.get("code")
            if code is not None and code in first_row:
                items.add(number, "code", code, f"与第{first_row[code]}行重复")
                row.failed.add("code")
            elif code is not None:
                first_row[code] = number
            rows.append(row)
    if not items.complete:
        raise ValidationFailed(ledger.source, problems.sorted(), total=problems.total)

    db_units = {u.name: u for u in session.exec(select(Unit))}
    unit_names = {u.id: u.name for u in db_units.values()}
    for name, (_, values) in sheet_units.items():
        unit = db_units.get(name)
        if values is None:
            continue
        if unit is None:
            plan.new_units.append(values)
            continue
        changed = {k: v for k, v in values.items() if getattr(unit, k) != v}
        if changed:
            plan.changed_units.append((unit, changed))
        else:
            plan.unchanged_units += 1

    existing = _existing_items(session, [r.fields["code"] for r in rows if "code" in r.fields])
    for row in rows:
        unit_name = row.fields.get("unit")
        if units_readable and unit_name is not None and unit_name not in sheet_units \
                and unit_name not in db_units:
            items.add(row.row, "unit", unit_name, "单位不存在：既不在“单位”工作表中，也不在系统中")
            row.failed.add("unit")
        item = existing.get(row.fields.get("code"))  # type: ignore[arg-type]
        _plan_item(plan, items, row, item, unit_names, now, tz)
    if problems:
        raise ValidationFailed(ledger.source, problems.sorted(), total=problems.total)
    return plan
