"""Building blocks of the styled workbooks (export and template): columns as laid out,
cells with the ledger's fonts and borders, sheets with page setup, drop-down lists, saving.

Sheets are written with openpyxl's write-only mode, so a large ledger streams to the file
instead of being held as cell objects; what write-only rows cannot measure (their height) is
worked out here.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import unicodedata
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from models.domain.enums import Light
from models.domain.validation import xml_safe
from models.errors import InputError, os_error_words
from models.ledger.columns import (
    DAYS_OVERDUE,
    ITEM_COLUMNS,
    LIGHT,
    ROW_NUMBER,
    UNIT_COLUMNS,
    Column,
)

FONT = "宋体"
BODY = Font(name=FONT, size=10)
HEADER_FONT = Font(name=FONT, size=10, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Excel's own "good / neutral / bad" colours, so the ledger looks like the clerks' own.
LIGHT_STYLE = {
    Light.GREEN: ("C6EFCE", "006100"),
    Light.YELLOW: ("FFEB9C", "9C5700"),
    Light.RED: ("FFC7CE", "9C0006"),
    Light.DONE: ("E7E6E6", "3A3838"),
    Light.CANCELLED: ("F2F2F2", "7F7F7F"),
}
DATE_FORMAT = "yyyy-mm-dd"
MINUTE_FORMAT = "yyyy-mm-dd hh:mm"
SECOND_FORMAT = "yyyy-mm-dd hh:mm:ss"
VALIDATION_ROWS = 500  # rows below the data that still offer the drop-down lists
LINE_HEIGHT = 13.5  # points per line of 10-point text
MAX_LINES = 12
CENTRED = {"kind", "person", "deadline", "status", "completed_at", ROW_NUMBER, LIGHT,
           DAYS_OVERDUE, "unit_kind"}


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    width: float
    wrap: bool = False


def cols(columns: Iterable[Column]) -> list[Col]:
    return [Col(c.key, c.header, c.width, c.wrap) for c in columns]


NUMBER = Col(ROW_NUMBER, ROW_NUMBER, 5)
ITEM_LAYOUT = [NUMBER, *cols(ITEM_COLUMNS[:10]), Col(LIGHT, LIGHT, 8),
               *cols(ITEM_COLUMNS[10:])]
UNIT_LAYOUT = [NUMBER, *cols(UNIT_COLUMNS)]
BY_KEY = {c.key: c for c in ITEM_LAYOUT}
_LITERAL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def excel_text(text: str) -> str:
    """Text as Excel stores it, so that no stored text can break the file or change on the way
    back: a literal ``_x000D_`` is written ``_x005F_x000D_`` (Excel's escaped underscore), and a
    character XML cannot carry (stored before input refused them) as its escape ``_xFFFE_``."""
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    return xml_safe(text)


def make_cell(ws, value: Any, column: Col, *, fmt: str | None = None,
              light: Light | None = None) -> WriteOnlyCell:
    """A body cell: the ledger's font and borders, the column's alignment, a number format,
    and for status cells the traffic light's colours."""
    if isinstance(value, str):
        value = excel_text(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    # Setting a style attribute hashes it into the workbook's style tables, about 80 µs
    # each: a 50,000-row export spent most of its time there. Cells that look alike share
    # one computed style (openpyxl's own copy_worksheet copies _style the same way).
    styles = ws.parent.__dict__.setdefault("_duban_styles", {})
    key = (column.key in CENTRED, column.wrap, fmt, light)
    if key in styles:
        cell._style = copy(styles[key])
        return cell
    cell.font, cell.border = BODY, GRID
    horizontal = "center" if column.key in CENTRED else None
    cell.alignment = Alignment(horizontal=horizontal, vertical="top", wrap_text=column.wrap)
    if fmt:
        cell.number_format = fmt
    if light is not None:
        fill, colour = LIGHT_STYLE[light]
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.font = Font(name=FONT, size=10, bold=light is Light.RED, color=colour)
    styles[key] = copy(cell._style)
    return cell


def new_sheet(wb: Workbook, title: str, layout: list[Col], *, heading: str, as_of: str,
           freeze: str = "B2"):
    ws = wb.create_sheet(title)
    for i, column in enumerate(layout, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = freeze
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    page = ws.HeaderFooter
    page.oddHeader.center.text = heading
    page.oddHeader.center.size = 14
    page.oddHeader.center.font = f"{FONT},Bold"
    page.oddHeader.right.text = as_of
    page.oddHeader.right.size = 9
    page.oddFooter.center.text = "第 &P 页，共 &N 页"
    page.oddFooter.center.size = 9
    header = []
    for column in layout:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, GRID
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    ws.row_dimensions[1].height = 24
    ws.append(header)
    return ws


def text_width(text: str) -> float:
    """Width in Excel's column units: a Chinese character at 10 pt is about two digits wide."""
    return sum(1.9 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


MAX_WIDTH = 40.0  # a column that would be wider wraps instead
_FORMAT_WIDTH = {DATE_FORMAT: 10, MINUTE_FORMAT: 16, SECOND_FORMAT: 19}


def shown_width(value: Any, fmt: str | None) -> float:
    """How wide ``value`` prints, in column units (a formatted date by its format)."""
    if value is None:
        return 0.0
    if fmt in _FORMAT_WIDTH:
        return _FORMAT_WIDTH[fmt]
    text = str(value)
    if text.isascii() and "\n" not in text:  # codes, numbers: one column a character
        return float(len(text))
    return _text_lines_width(text)


@functools.lru_cache(maxsize=4096)  # kinds, statuses, people and units repeat down a sheet
def _text_lines_width(text: str) -> float:
    return max((text_width(line) for line in text.split("\n")), default=0.0)


def fit_widths(layout: list[Col], rows: Iterable[dict[str, tuple[Any, str | None]]]) -> list[Col]:
    """The layout with each one-line column widened to its longest value (and header), so a
    编号 like ZQ1-20261013-10 is never cut on paper; a column that would pass MAX_WIDTH wraps
    at that width instead. Wrapping columns keep their widths (their rows grow instead)."""
    widest = {c.key: text_width(c.header) + 2 for c in layout if not c.wrap}
    for values in rows:
        for key in widest:
            if key in values:
                width = shown_width(*values[key]) + 2
                if width > widest[key]:
                    widest[key] = width
    fitted = []
    for c in layout:
        need = widest.get(c.key, 0.0)
        if c.wrap or need <= c.width:
            fitted.append(c)
        elif need <= MAX_WIDTH:
            fitted.append(Col(c.key, c.header, math.ceil(need), c.wrap))
        else:
            fitted.append(Col(c.key, c.header, MAX_WIDTH, True))
    return fitted


def fit_height(ws, row_number: int, cells: list[WriteOnlyCell], layout: list[Col]) -> None:
    """Give a row the height its wrapped text needs. Set here because write-only rows carry
    no measurements, and LibreOffice shows rows without a height on one line."""
    lines = 1
    for cell, column in zip(cells, layout, strict=True):
        if column.wrap and isinstance(cell.value, str):
            usable = max(column.width - 1.5, 1)
            lines = max(lines, sum(math.ceil(text_width(part) / usable) or 1
                                   for part in cell.value.split("\n")))
    if lines > 1:
        ws.row_dimensions[row_number].height = min(lines, MAX_LINES) * LINE_HEIGHT + 3


def append_row(ws, cells: list[WriteOnlyCell], layout: list[Col], row_number: int) -> None:
    fit_height(ws, row_number, cells, layout)
    ws.append(cells)


def finish(ws, layout: list[Col], rows: int) -> None:
    last = get_column_letter(len(layout))
    ws.auto_filter.ref = f"A1:{last}{max(rows, 1) + 1}"


def list_validation(ws, layout: list[Col], key: str, formula: str, rows: int, *,
                     warn: bool = False) -> None:
    letter = get_column_letter([c.key for c in layout].index(key) + 1)
    validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                showErrorMessage=True, errorStyle="warning" if warn else "stop",
                                errorTitle="请从列表中选择", error="请从下拉列表中选择。")
    validation.add(f"{letter}2:{letter}{rows + 1 + VALIDATION_ROWS}")
    ws.data_validations.append(validation)


def choices(enum_cls) -> str:
    return '"' + ",".join(m.value for m in enum_cls) + '"'


def save(wb: Workbook, path: Path) -> None:
    """Write beside the target, then rename: a failed export leaves no half-written file.
    The workbook is rendered in memory first (a few MB even for 50,000 rows), so a file
    system error cannot strand openpyxl's write-only sheets half-written."""
    buffer = io.BytesIO()
    wb.save(buffer)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(buffer.getvalue())
        os.replace(temporary, path)
    except OSError as exc:
        raise InputError("文件", str(path), f"无法写入（{os_error_words(exc)}）") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
