"""The ledger as a workbook a clerk can file, filter and print: 事项, 单位 and 逾期 sheets.

Every sheet has a frozen, filtered header, set column widths, real Excel dates, borders, and
page setup for A4 landscape, one page wide, the header row repeated on each page and the
as-of time in the page header. Status cells carry the traffic light (models.reports.views.item_light)
as colour and, for black-and-white printers, as the word in the 督办状态 column.

What the 事项 and 单位 sheets hold reads back through import unchanged: text exactly as
stored, dates as dates, times to the second. Export-only columns (序号, 督办状态, 逾期工作日)
are skipped by import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, col, select

from models.domain.enums import ItemKind, ItemStatus, Light, UnitKind
from models.ledger.columns import (
    DAYS_OVERDUE,
    ITEM_SHEET,
    LIGHT,
    OVERDUE_SHEET,
    ROW_NUMBER,
    UNIT_SHEET,
)
from models.ledger.styling import (
    BY_KEY,
    DATE_FORMAT,
    ITEM_LAYOUT,
    MINUTE_FORMAT,
    NUMBER,
    SECOND_FORMAT,
    UNIT_LAYOUT,
    VALIDATION_ROWS,
    Col,
    append_row,
    choices,
    finish,
    fit_widths,
    list_validation,
    make_cell,
    new_sheet,
    save,
)
from models.records.items import list_items, overdue_items
from models.records.units import get_unit
from models.reports.views import Clock, item_light, item_row
from models.store.tables import Item, Unit


@dataclass(frozen=True)
class ExportSummary:
    items: int
    units: int
    overdue: int
    without_code: int  # items without 编号: listed on their own sheet, which import skips


UNCODED_SHEET = "无编号事项"
UNCODED_LAYOUT = [c for c in ITEM_LAYOUT if c.key != "code"]
OVERDUE_LAYOUT = [NUMBER, BY_KEY["code"], BY_KEY["kind"], Col("title", "事项名称", 34, True),
                  Col("unit", "责任单位", 20, True), BY_KEY["person"], BY_KEY["deadline"],
                  Col(DAYS_OVERDUE, DAYS_OVERDUE, 11), BY_KEY["status"],
                  Col("measure", "整改措施", 40, True)]


def _instant_value(value: datetime, clock: Clock) -> tuple[datetime, str]:
    local = value.astimezone(clock.tz).replace(tzinfo=None, microsecond=0)
    return local, SECOND_FORMAT if local.second else MINUTE_FORMAT


def _deadline_value(day: date, at: time | None) -> tuple[Any, str | None]:
    if at is None:
        return day, DATE_FORMAT
    if at == time(0):
        # A midnight datetime reads back as a whole-day deadline; "00:00" must stay explicit.
        return f"{day.isoformat()} 00:00", None
    return datetime.combine(day, at), SECOND_FORMAT if at.second else MINUTE_FORMAT


def _item_values(item: Item, unit: Unit, clock: Clock) -> dict[str, tuple[Any, str | None]]:
    values: dict[str, tuple[Any, str | None]] = {
        key: (getattr(item, key), None)
        for key in ("code", "title", "detail", "measure", "source", "person", "remark")
    }
    values["kind"] = (item.kind.value, None)
    values["status"] = (item.status.value, None)
    values["unit"] = (unit.name, None)
    values["deadline"] = _deadline_value(item.deadline_date, item.deadline_time)
    values["completed_at"] = (_instant_value(item.completed_at, clock) if item.completed_at
                              else (None, None))
    return values


def _item_validations(ws, rows: int, units: int) -> None:
    list_validation(ws, ITEM_LAYOUT, "kind", choices(ItemKind), rows)
    list_validation(ws, ITEM_LAYOUT, "status", choices(ItemStatus), rows)
    last = units + 1 + VALIDATION_ROWS
    list_validation(ws, ITEM_LAYOUT, "unit", f"'{UNIT_SHEET}'!$B$2:$B${last}", rows, warn=True)


def _write_items(ws, pairs: list[tuple[Item, Unit]], clock: Clock, layout: list[Col],
                 all_values: list[dict[str, tuple[Any, str | None]]]) -> None:
    for number, ((item, _), values) in enumerate(zip(pairs, all_values, strict=True), start=1):
        light = item_light(item, clock)
        row = []
        for column in layout:
            if column.key == ROW_NUMBER:
                row.append(make_cell(ws, number, column))
            elif column.key == LIGHT:
                row.append(make_cell(ws, light.value, column, light=light))
            else:
                value, fmt = values[column.key]
                row.append(make_cell(ws, value, column, fmt=fmt,
                                     light=light if column.key == "status" else None))
        append_row(ws, row, layout, number + 1)


def _unit_values(unit: Unit) -> dict[str, tuple[Any, None]]:
    return {c.key: ((getattr(unit, c.key).value if c.key == "kind" else getattr(unit, c.key)),
                    None) for c in UNIT_LAYOUT[1:]}


def _write_units(ws, units: list[Unit], layout: list[Col]) -> None:
    for number, unit in enumerate(units, start=1):
        values = _unit_values(unit)
        row = [make_cell(ws, number, NUMBER)]
        for column in layout[1:]:
            row.append(make_cell(ws, values[column.key][0], column))
        append_row(ws, row, layout, number + 1)


def _overdue_values(pairs: list[tuple[Item, Unit]], clock: Clock) -> list[dict]:
    rows = []
    for item, unit in pairs:
        values = _item_values(item, unit, clock)
        values[DAYS_OVERDUE] = (item_row(item, unit, clock)["days_overdue"], None)
        rows.append(values)
    return rows


def _write_overdue(ws, layout: list[Col], all_values: list[dict]) -> None:
    for number, values in enumerate(all_values, start=1):
        row = []
        for column in layout:
            if column.key == ROW_NUMBER:
                row.append(make_cell(ws, number, column))
                continue
            value, fmt = values[column.key]
            row.append(make_cell(ws, value, column, fmt=fmt,
                                 light=Light.RED if column.key == DAYS_OVERDUE else None))
        append_row(ws, row, layout, number + 1)


def export_ledger(session: Session, path: Path, *, clock: Clock, unit: str | None = None,
                  overdue_only: bool = False, title: str = "督办事项台账",
                  chosen: list[tuple[Item, Unit]] | None = None) -> ExportSummary:
    """Write the ledger as of ``clock.now``: every item (or one unit's, or only the overdue),
    the units they belong to (all units when unfiltered), and the overdue list.

    The 事项 sheet holds the items that have a 编号, the ledger's key. Items without one
    (occurrences generated from recurring templates, items added without --code) cannot be
    matched on a later import, so they get a sheet of their own that import does not read.
    ``chosen`` (item, unit) pairs replace the selection: a filtered view, exported as it is.
    """
    if chosen is not None:  # a filtered view (the web's 事项 list): those items and their units
        late = [p for p in chosen if item_light(p[0], clock) is Light.RED]
        unit, overdue_only = None, True  # units: only those of the chosen items
    else:
        late = overdue_items(session, now=clock.now, unit=unit)
        chosen = late if overdue_only else list_items(session, unit=unit)
    pairs = sorted((p for p in chosen if p[0].code is not None), key=lambda p: p[0].code)
    uncoded = [p for p in chosen if p[0].code is None]
    if unit is None and not overdue_only:
        units = list(session.exec(select(Unit).order_by(col(Unit.id))))
    elif unit is not None:
        units = [get_unit(session, unit)]
    else:
        seen = {u.id: u for _, u in chosen}
        units = sorted(seen.values(), key=lambda u: u.id)  # type: ignore[arg-type, return-value]
    as_of = f"截至 {clock.now.astimezone(clock.tz):%Y-%m-%d %H:%M}"

    wb = Workbook(write_only=True)
    # Widths must be set before the first row streams out: measure every value first.
    item_values = [_item_values(i, u, clock) for i, u in pairs]
    layout = fit_widths(ITEM_LAYOUT, item_values)
    items_ws = new_sheet(wb, ITEM_SHEET, layout, heading=title, as_of=as_of, freeze="E2")
    _write_items(items_ws, pairs, clock, layout, item_values)
    _item_validations(items_ws, len(pairs), len(units))
    finish(items_ws, layout, len(pairs))

    unit_layout = fit_widths(UNIT_LAYOUT, (_unit_values(u) for u in units))
    units_ws = new_sheet(wb, UNIT_SHEET, unit_layout, heading="责任单位", as_of=as_of, freeze="C2")
    _write_units(units_ws, units, unit_layout)
    list_validation(units_ws, unit_layout, "kind", choices(UnitKind), len(units))
    finish(units_ws, unit_layout, len(units))

    late_values = _overdue_values(late, clock)
    late_layout = fit_widths(OVERDUE_LAYOUT, late_values)
    late_ws = new_sheet(wb, OVERDUE_SHEET, late_layout, heading=f"{title}（逾期事项）",
                        as_of=as_of, freeze="E2")
    _write_overdue(late_ws, late_layout, late_values)
    finish(late_ws, late_layout, len(late))

    if uncoded:
        uncoded_values = [_item_values(i, u, clock) for i, u in uncoded]
        uncoded_layout = fit_widths(UNCODED_LAYOUT, uncoded_values)
        uncoded_ws = new_sheet(wb, UNCODED_SHEET, uncoded_layout,
                               heading=f"{title}（无编号事项）", as_of=as_of, freeze="D2")
        _write_items(uncoded_ws, uncoded, clock, uncoded_layout, uncoded_values)
        finish(uncoded_ws, uncoded_layout, len(uncoded))
    save(wb, path)
    return ExportSummary(items=len(pairs), units=len(units), overdue=len(late),
                         without_code=len(uncoded))
