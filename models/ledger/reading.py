"""Opening a ledger file: decide by its bytes what it is, then stream its sheets' rows.

What a file is does not depend on its name: a .xlsx is a ZIP package holding
xl/workbook.xml, a CSV is text in UTF-8 (with or without a BOM) or GB18030. Everything else
is refused with a message saying what the file seems to be (an encrypted workbook and an old
.xls are both OLE compound files; an .ods is a ZIP of another kind).

Rows come out as ``(row number, values, formulas)`` with the numbers a spreadsheet shows,
values and formula texts by 0-based column; blank rows are skipped. A workbook's cells are read
by models.ledger.xlsx: each value is what openpyxl reads with ``data_only=True`` (a formula's
saved result), and each formula's text is given beside it, so a formula whose result was never
saved (blank) can be named.

Files are untrusted: only a regular file up to MAX_FILE_BYTES is read, a CSV is decoded as it
is read (never held as one string), and no row may hold more than Excel's 16,384 columns or a
cell more than its 32,767 characters. Workbooks are bounded by models.ledger.xlsx.Limits.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from models.errors import Refused, quote
from models.ledger.columns import ITEM_SHEET, UNIT_SHEET, normalise_header
from models.ledger.xlsx import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, Limits, WorkbookError, XlsxWorkbook
from models.store.files import csv_problem, read_regular_file

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: .xls, or an encrypted .xlsx
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_FILE_BYTES = 50 << 20  # 100,000 rows of a CSV with every column filled are about 40 MB

Row = tuple[int, dict[int, object], dict[int, str]]  # number, values and formulas by column


@dataclass
class SheetSource:
    """One sheet's rows, read lazily. A formula cell whose value is blank had no saved result;
    a damaged part shows up while reading, as Refused."""

    name: str
    rows: Iterator[Row]


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


def open_ledger(path: Path, *, main: str = ITEM_SHEET, also: tuple[str, ...] = (UNIT_SHEET,),
                limits: Limits = Limits()) -> LedgerFile:
    """Open ``path`` as a ledger whose ``main`` sheet must be there (a CSV is that sheet) and
    whose ``also`` sheets may be; Refused (or InputError) when it is not one duban can read."""
    data = read_regular_file(path, max_bytes=MAX_FILE_BYTES, field="台账文件")
    name = quote(path.name, 80)  # a web upload names itself: it is quoted like any value
    if not data:
        raise Refused(f"{name} 是空文件")
    if data.startswith(ZIP_MAGIC):
        return _open_workbook(data, name, main, also, limits)
    if data.startswith(CFB_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise Refused(f"{name} 是加密的工作簿（设置了打开密码）：请在 Excel 中取消密码，"
                          "另存为 .xlsx 后再导入")
        if any(stream in data for stream in _XLS_STREAMS):
            raise Refused(f"{name} 是旧版 Excel 97-2003 工作簿（.xls）：请在 Excel 中另存为 "
                          ".xlsx 后再导入")
        raise Refused(f"{name} 不是 .xlsx 或 .csv 文件（是 OLE 复合文档）")
    return _open_csv(data, name, main)


# --- CSV ----------------------------------------------------------------------------------------

def _encoding(data: bytes, name: str) -> str:
    """The encoding the whole file decodes in (checked chunk by chunk: no copy of the text)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused(f"{name} 是 UTF-16 编码的文本：请另存为“CSV UTF-8（逗号分隔）”或 GB18030 编码的 CSV")
    if b"\x00" in data[:65536]:
        raise Refused(f"{name} 不是 .xlsx 或 .csv 文件")
    # Excel on Chinese Windows saves CSV as GB18030; elsewhere UTF-8, perhaps with a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            head = decoder.decode(data[:65536], final=len(data) <= 65536)
            for start in range(65536, len(data), 1 << 20):
                decoder.decode(data[start:start + (1 << 20)], final=start + (1 << 20) >= len(data))
        except UnicodeDecodeError:
            continue
        if _BINARY_CONTROL.search(head):
            break
        head = head[:4096].lstrip().lower()
        if head.startswith(("<?xml", "<!doctype", "<html", "<table", "<office:")):
            if "opendocument" in head:
                raise Refused(f"{name} 是 OpenDocument 表格（.fods）：请另存为 .xlsx 后再导入")
            raise Refused(f"{name} 是网页或 XML 格式的表格（有的系统导出的“.xls”就是这种）："
                          "请在 Excel 中打开，另存为 .xlsx 后再导入")
        return encoding
    raise Refused(f"{name} 不是 .xlsx 或 .csv 文件（CSV 须为 UTF-8 或 GB18030 编码的文本）")


def _csv_rows(data: bytes, encoding: str, name: str) -> Iterator[Row]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise Refused(f"{name} 第 {reader.line_num} 行无法按 CSV 读取（{csv_problem(exc)}）") from None
        number += 1
        if number > MAX_ROWS:
            raise Refused(f"{name} 超过 {MAX_ROWS} 行（Excel 工作表的上限）")
        if len(cells) > MAX_COLUMNS:
            raise Refused(f"{name} 第 {number} 行有 {len(cells)} 列，超过 Excel 的上限"
                          f"（{MAX_COLUMNS} 列）")
        if any(cell.strip() for cell in cells):
            for column, cell in enumerate(cells):
                if len(cell) > MAX_CELL_CHARS:
                    raise Refused(f"{name} 第 {number} 行第 {column + 1} 列有 {len(cell)} 个字符，"
                                  f"超过 Excel 单元格的上限（{MAX_CELL_CHARS} 个字符）")
            yield number, dict(enumerate(cells)), {}


def _open_csv(data: bytes, name: str, main: str) -> LedgerFile:
    encoding = _encoding(data, name)
    # A CSV holds one sheet's columns alone: the main sheet (事项, or 工作台账).
    return LedgerFile(name, "csv", {main: SheetSource(main, _csv_rows(data, encoding, name))})


# --- xlsx ---------------------------------------------------------------------------------------

# What a damaged package raises on its way through zipfile, zlib and expat.
_DAMAGE = (expat.ExpatError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error,
           NotImplementedError, KeyError, ValueError, IndexError, OverflowError, EOFError, OSError,
           RuntimeError)


def _corrupt(name: str, exc: BaseException) -> Refused:
    if isinstance(exc, WorkbookError) and not exc.damaged:
        return Refused(f"{name} 无法导入：{exc}")
    detail = str(exc) if isinstance(exc, WorkbookError) else \
        f"{type(exc).__name__}: {quote(str(exc), 120)}" if str(exc) else type(exc).__name__
    return Refused(f"{name} 已损坏，无法作为 Excel 工作簿读取（{detail}）")


def _sheet_names(workbook: XlsxWorkbook) -> dict[str, str]:
    """Normalised sheet name → the workbook's own name (" 事项 " is the 事项 sheet)."""
    return {normalise_header(title): title for title in workbook.sheetnames}


def _workbook_rows(workbook: XlsxWorkbook, title: str, name: str) -> Iterator[Row]:
    """A sheet's rows. The sheet XML is parsed lazily, so a broken part fails here."""
    try:
        yield from workbook.rows(title)
    except (WorkbookError, *_DAMAGE) as exc:
        raise _corrupt(name, exc) from None


def _open_workbook(data: bytes, name: str, main: str, also: tuple[str, ...],
                   limits: Limits) -> LedgerFile:
    try:
        workbook = XlsxWorkbook(data, limits)
    except (WorkbookError, *_DAMAGE) as exc:
        raise _corrupt(name, exc) from None
    ledger = LedgerFile(name, "xlsx", {}, [workbook.close])
    try:
        if "mimetype" in workbook.names and workbook.head("mimetype", 100).startswith(_ODS_MIMETYPE):
            raise Refused(f"{name} 是 OpenDocument 表格（.ods）：请另存为 .xlsx 后再导入")
        if "xl/workbook.xml" not in workbook.names:
            raise Refused(f"{name} 不是 .xlsx 或 .csv 文件（是一个不含 Excel 工作簿的 ZIP 包）")
        workbook.load()
    except (WorkbookError, *_DAMAGE) as exc:
        ledger.close()
        raise _corrupt(name, exc) from None
    except Refused:
        ledger.close()
        raise
    present = _sheet_names(workbook)
    if main not in present:
        ledger.close()
        shown = "、".join(quote(t, 31) for t in workbook.sheetnames[:20]) or "（无）"
        more = f" 等 {len(workbook.sheetnames)} 个" if len(workbook.sheetnames) > 20 else ""
        raise Refused(f"{name} 中没有“{main}”工作表（现有工作表：{shown}{more}）")
    for sheet in (*also, main):
        if sheet in present:
            ledger.sheets[sheet] = SheetSource(sheet, _workbook_rows(workbook, present[sheet], name))
    return ledger
