"""Opening a ledger file: decide by its bytes what it is, then stream its sheets' rows.

What a file is does not depend on its name: a .xlsx is a ZIP package holding
xl/workbook.xml, a CSV is text in UTF-8 (with or without a BOM) or GB18030. Everything else
is refused with a message saying what the file seems to be (an encrypted workbook and an old
.xls are both OLE compound files; an .ods is a ZIP of another kind).

Rows come out as ``(row number, cell values)`` with the numbers a spreadsheet shows; blank
rows are skipped. A workbook's cells are read by models.ledger.xlsx: each value is what
openpyxl reads with ``data_only=True`` (a formula's saved result), and each formula's text
is noted beside it, so a formula whose result was never saved (blank) can be named.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from models.errors import InputError, Refused, os_error_words
from models.ledger.columns import ITEM_SHEET, UNIT_SHEET, normalise_header
from models.ledger.xlsx import XlsxWorkbook

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: .xls, or an encrypted .xlsx
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Row = tuple[int, tuple[object, ...]]


@dataclass
class SheetSource:
    """One sheet's rows, read lazily, and its formula cells: (row, 0-based column) → formula,
    filled in as the rows are read. A formula cell whose value is blank had no saved result;
    a damaged part shows up while reading, as Refused (corrupt)."""

    name: str
    rows: Iterator[Row]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class LedgerFile:
    """An opened ledger: the 事项 sheet and, in a workbook, perhaps a 单位 sheet."""

    source: str  # the file's name, for messages
    kind: str  # "xlsx" or "csv"
    sheets: dict[str, SheetSource]
    _close: list = field(default_factory=list, repr=False)

    def close(self) -> None:
        for closer in self._close:
            closer()

    def __enter__(self) -> LedgerFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_ledger(path: Path) -> LedgerFile:
    """Open ``path`` as a ledger; Refused (or InputError) when it is not one duban can read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("文件", str(path), f"无法读取（{os_error_words(exc)}）") from None
    name = path.name
    if not data:
        raise Refused(f"{name} 是空文件")
    if data.startswith(ZIP_MAGIC):
        return _open_workbook(data, name)
    if data.startswith(CFB_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise Refused(f"{name} 是加密的工作簿（设置了打开密码）：请在 Excel 中取消密码，"
                          "另存为 .xlsx 后再导入")
        if any(stream in data for stream in _XLS_STREAMS):
            raise Refused(f"{name} 是旧版 Excel 97-2003 工作簿（.xls）：请在 Excel 中另存为 "
                          ".xlsx 后再导入")
        raise Refused(f"{name} 不是 .xlsx 或 .csv 文件（是 OLE 复合文档）")
    return _open_csv(data, name)


# --- CSV ----------------------------------------------------------------------------------------

def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused(f"{name} 是 UTF-16 编码的文本：请另存为“CSV UTF-8（逗号分隔）”或 GB18030 编码的 CSV")
    if b"\x00" in data[:65536]:
        raise Refused(f"{name} 不是 .xlsx 或 .csv 文件")
    # Excel on Chinese Windows saves CSV as GB18030; elsewhere UTF-8, perhaps with a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY_CONTROL.search(text[:65536]):
            break
        head = text[:4096].lstrip().lower()
        if head.startswith(("<?xml", "<!doctype", "<html", "<table", "<office:")):
            if "opendocument" in head:
                raise Refused(f"{name} 是 OpenDocument 表格（.fods）：请另存为 .xlsx 后再导入")
            raise Refused(f"{name} 是网页或 XML 格式的表格（有的系统导出的“.xls”就是这种）："
                          "请在 Excel 中打开，另存为 .xlsx 后再导入")
        return text
    raise Refused(f"{name} 不是 .xlsx 或 .csv 文件（CSV 须为 UTF-8 或 GB18030 编码的文本）")


def _csv_rows(text: str) -> Iterator[Row]:
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if any(cell.strip() for cell in cells):
            yield number, tuple(cells)


def _open_csv(data: bytes, name: str) -> LedgerFile:
    text = _decode(data, name)
    # A CSV holds the 事项 columns alone: it is the 事项 sheet.
    return LedgerFile(name, "csv", {ITEM_SHEET: SheetSource(ITEM_SHEET, _csv_rows(text))})


# --- xlsx ---------------------------------------------------------------------------------------

def _corrupt(name: str, exc: BaseException) -> Refused:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Refused(f"{name} 已损坏，无法作为 Excel 工作簿读取（{detail}）")


def _check_package(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "mimetype" in names and package.read("mimetype").startswith(_ODS_MIMETYPE):
                raise Refused(f"{name} 是 OpenDocument 表格（.ods）：请另存为 .xlsx 后再导入")
            if "xl/workbook.xml" not in names:
                raise Refused(f"{name} 不是 .xlsx 或 .csv 文件（是一个不含 Excel 工作簿的 ZIP 包）")
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _corrupt(name, exc) from None


def _sheet_names(workbook: XlsxWorkbook) -> dict[str, str]:
    """Normalised sheet name → the workbook's own name (" 事项 " is the 事项 sheet)."""
    return {normalise_header(title): title for title in workbook.sheetnames}


def _workbook_rows(workbook: XlsxWorkbook, title: str, formulas: dict, name: str) -> Iterator[Row]:
    """A sheet's rows; its formula cells are noted in ``formulas`` as each row is read.
    The sheet XML is parsed lazily, so a broken part fails here: reported as corrupt."""
    try:
        for number, values, row_formulas in workbook.rows(title):
            for column, text in row_formulas.items():
                formulas[(number, column)] = text
            yield number, values
    except (expat.ExpatError, zipfile.BadZipFile, KeyError, ValueError, IndexError, EOFError,
            OSError) as exc:
        raise _corrupt(name, exc) from None


def _open_workbook(data: bytes, name: str) -> LedgerFile:
    _check_package(data, name)
    try:
        workbook = XlsxWorkbook(data)
    except (ElementTree.ParseError, expat.ExpatError, zipfile.BadZipFile, KeyError, ValueError,
            IndexError, EOFError, OSError) as exc:
        raise _corrupt(name, exc) from None
    ledger = LedgerFile(name, "xlsx", {}, [workbook.close])
    present = _sheet_names(workbook)
    if ITEM_SHEET not in present:
        ledger.close()
        shown = "、".join(workbook.sheetnames) or "（无）"
        raise Refused(f"{name} 中没有“{ITEM_SHEET}”工作表（现有工作表：{shown}）")
    for sheet in (UNIT_SHEET, ITEM_SHEET):
        if sheet in present:
            formulas: dict[tuple[int, int], str] = {}
            rows = _workbook_rows(workbook, present[sheet], formulas, name)
            ledger.sheets[sheet] = SheetSource(sheet, rows, formulas)
    return ledger
