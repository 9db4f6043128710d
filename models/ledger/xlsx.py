"""Reading the cells of an .xlsx workbook in one streaming pass: values and formulas.

openpyxl's read-only mode builds several objects for every cell, about 90 µs a cell here:
a 50,000-row ledger took 5–9 s to parse before any checking, most of the 10 s an import may
take. This reader walks each sheet's XML with expat and keeps, for every cell, what
``openpyxl.load_workbook(data_only=True)`` gives as its value (a formula's saved result) and,
for formula cells, the formula text (openpyxl's formula view), both from the same element.
A formula without a saved result reads as None, as in openpyxl.

Differences on purpose: Excel's East Asian built-in number formats 27–36 and 50–58
(yyyy"年"m"月"d"日" and the like, which Chinese Excel uses for dates) are dates here; openpyxl
does not know them and returns the serial number. Text escaped as Excel escapes it (``_x000D_``
for a carriage return, ``_x005F_`` for a literal underscore) is decoded, as Excel and
LibreOffice do; openpyxl keeps the escape. tests/ledger/test_xlsx.py compares this reader with
openpyxl on the fixtures and on generated workbooks.

A workbook is untrusted input. Every part is read as a stream, never whole, and the package is
bounded (``Limits``): unzipped size per part and in total, compression ratio, number of parts.
Anything outside Excel's own limits (column XFD, row 1,048,576, 32,767 characters a cell) is a
damaged file. No DTD is accepted. Every refusal is a ``WorkbookError`` naming the place.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from models.errors import quote

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_EAST_ASIAN_DATES = frozenset(range(27, 37)) | frozenset(range(50, 59))

MAX_COLUMNS = 16_384  # XFD
MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
MB = 1 << 20

Row = tuple[int, dict[int, object], dict[int, str]]  # number, values and formulas by column


@dataclass(frozen=True)
class Limits:
    """What a workbook may unpack to. A 100,000-row ledger with every column filled is about
    95 MB of sheet XML, compressed 14:1; parsing runs at about 25 MB a second on a slow core."""

    part_bytes: int = 128 * MB  # one part, unzipped
    total_bytes: int = 160 * MB  # every part read, unzipped
    ratio: int = 100  # unzipped to zipped, for parts over 1 MB and the whole file (deflate: ~1000)
    small_part_bytes: int = 16 * MB  # workbook.xml, relationships, styles
    parts: int = 10_000  # entries in the package
    row_chars: int = 1_000_000  # one row's cells together


class WorkbookError(Exception):
    """A workbook duban will not read. ``str()`` is the Chinese reason without the file's name;
    ``damaged`` says whether the file is broken (or forged) rather than too large."""

    def __init__(self, reason: str, *, damaged: bool = True):
        self.damaged = damaged
        super().__init__(reason)


def _local(name: str) -> str:
    """An element's name without its namespace prefix ("x:c" → "c")."""
    return name.rpartition(":")[2]


_LOCAL: dict[str, str] = {}  # the sheet reader's hot path: a lookup, not a string split


def _local_cached(name: str) -> str:
    _LOCAL[name] = local = _local(name)
    return local


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SURROGATE = re.compile("[\ud800-\udfff]")


def unescape(text: str) -> str:
    """Excel's escapes decoded (``_x000D_`` → CR, ``_x005F_x000D_`` → the text "_x000D_");
    escaped UTF-16 surrogate pairs joined into their character. A lone surrogate stays, for
    the caller's checks to refuse."""
    if "_x" not in text:
        return text
    decoded = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if _SURROGATE.search(decoded):
        decoded = decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return decoded


def _refuse_dtd(*_args) -> None:
    raise WorkbookError("含有 DTD（Excel 从不写入）")


def _parser(namespaces: bool = False) -> expat.XMLParserType:
    """An expat parser that refuses any DOCTYPE: no entity can expand, nothing is fetched."""
    parser = expat.ParserCreate(namespace_separator=" " if namespaces else None)
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    return parser


def _count_entries(data: bytes) -> int:
    """The number of entries the ZIP's end record announces, read before zipfile builds an
    object for each (a forged directory can list hundreds of thousands)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return 0  # zipfile will call it what it is
    return struct.unpack_from("<H", data, end + 10)[0]


def column_index(reference: str) -> int:
    """0-based column of a cell reference such as "AB12"; -1 when it names no column inside
    Excel's sheet (beyond XFD, or no letters)."""
    index = 0
    for position, ch in enumerate(reference):
        if "A" <= ch <= "Z":
            if position == 3:
                return -1
            index = index * 26 + ord(ch) - 64
        else:
            break
    return index - 1 if 0 < index <= MAX_COLUMNS else -1


class XlsxWorkbook:
    """An .xlsx package opened for reading cells. ``names`` lists its parts; ``load()`` reads
    the workbook, its relationships, styles and shared strings; ``sheetnames`` is then in
    workbook order. Raises WorkbookError (and zipfile's or expat's errors for plain damage)."""

    def __init__(self, data: bytes, limits: Limits = Limits()):
        self.limits = limits
        if _count_entries(data) > limits.parts:
            raise WorkbookError(f"ZIP 包中的文件超过 {limits.parts} 个", damaged=False)
        self._size = len(data)
        self._zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = frozenset(self._zip.namelist())
        self._unzipped = 0
        self._sheets: dict[str, str] = {}
        self._strings: list[str] = []
        self._dates: frozenset[int] = frozenset()
        self._epoch = WINDOWS_EPOCH

    def load(self) -> None:
        rels = self._relationships("xl/_rels/workbook.xml.rels", "xl")
        date1904 = False
        sheets: list[tuple[str, str]] = []

        def start(name, attrs):
            nonlocal date1904
            if name == f"{_MAIN} workbookPr":
                date1904 = attrs.get("date1904") in ("1", "true")
            elif name == f"{_MAIN} sheet":
                sheets.append((attrs.get("name", ""), attrs.get(f"{_REL} id", "")))

        self._parse("xl/workbook.xml", start, small=True)
        self._epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        for title, rel_id in sheets:
            target = rels.get(rel_id, (None, ""))[0]
            if target is not None:
                self._sheets[title] = target
        by_type = {kind.rpartition("/")[2]: target for target, kind in rels.values()}
        self._strings = self._shared_strings(by_type.get("sharedStrings"))
        self._dates = self._date_styles(by_type.get("styles"))

    @property
    def sheetnames(self) -> list[str]:
        return list(self._sheets)

    def head(self, path: str, size: int) -> bytes:
        """The first ``size`` bytes of a part (whatever its length)."""
        with self._zip.open(path) as part:
            return part.read(size)

    def close(self) -> None:
        self._zip.close()

    def _open(self, path: str, *, small: bool = False):
        """A part opened as a stream, once its declared sizes are within the limits (zipfile
        stops at the declared size and checks the CRC, so a part cannot unpack to more)."""
        limits = self.limits
        try:
            info = self._zip.getinfo(path)
        except KeyError:
            raise WorkbookError(f"缺少部件 {quote(path)}") from None
        cap = limits.small_part_bytes if small else limits.part_bytes
        if info.file_size > cap:
            raise WorkbookError(f"部件 {quote(path)} 解压后有 {info.file_size / MB:.0f} MB，"
                                f"超过 {cap // MB} MB 的上限", damaged=False)
        if info.file_size > MB and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise WorkbookError(f"部件 {quote(path)} 的压缩比超过 {limits.ratio}:1"
                                "（疑似“压缩炸弹”）", damaged=False)
        self._unzipped += info.file_size
        if self._unzipped > limits.total_bytes:
            raise WorkbookError(f"解压后的内容超过 {limits.total_bytes // MB} MB 的上限",
                                damaged=False)
        if self._unzipped > MB and self._unzipped > limits.ratio * self._size:
            raise WorkbookError(f"整个文件的压缩比超过 {limits.ratio}:1（疑似“压缩炸弹”）",
                                damaged=False)
        return self._zip.open(info)

    def _parse(self, path: str, start: Callable, end: Callable | None = None,
               text: Callable | None = None, *, small: bool = False) -> None:
        parser = _parser(namespaces=True)
        parser.StartElementHandler = start
        if end is not None:
            parser.EndElementHandler = end
        if text is not None:
            parser.CharacterDataHandler = text
        with self._open(path, small=small) as part:
            parser.ParseFile(part)

    def _relationships(self, path: str, base: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (part path inside the package, relationship type)."""
        found = {}

        def start(name, attrs):
            if name == f"{_PACKAGE_REL} Relationship":
                target = attrs.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join(base, target))
                found[attrs.get("Id", "")] = (part, attrs.get("Type", ""))

        self._parse(path, start, small=True)
        return found

    def _shared_strings(self, path: str | None) -> list[str]:
        if path is None or path not in self.names:
            return []
        strings: list[str] = []
        parts: list[str] = []
        depth = {"rPh": 0, "t": 0}
        size = 0

        def start(name, _attrs):
            nonlocal size
            name = name.rpartition(" ")[2]
            if name in depth:
                depth[name] += 1
            elif name == "si":
                parts.clear()
                size = 0

        def end(name):
            name = name.rpartition(" ")[2]
            if name in depth:
                depth[name] -= 1
            elif name == "si":
                strings.append(unescape("".join(parts)))

        def text(data):
            nonlocal size
            if depth["t"] and not depth["rPh"]:  # phonetic guides are not the cell's text
                size += len(data)
                if size > MAX_CELL_CHARS:
                    raise WorkbookError(f"共享字符串第 {len(strings) + 1} 项超过 Excel 单元格的上限"
                                        f"（{MAX_CELL_CHARS} 个字符）")
                parts.append(data)

        self._parse(path, start, end, text)
        return strings

    def _date_styles(self, path: str | None) -> frozenset[int]:
        """Indexes of the cell formats whose number format shows a date or time."""
        if path is None or path not in self.names:
            return frozenset()
        custom: dict[int, str] = {}
        formats: list[int] = []
        in_cell_xfs = 0

        def start(name, attrs):
            nonlocal in_cell_xfs
            if name == f"{_MAIN} numFmt":
                custom[_int(attrs.get("numFmtId"), -1)] = attrs.get("formatCode", "")
            elif name == f"{_MAIN} cellXfs":
                in_cell_xfs += 1
            elif name == f"{_MAIN} xf" and in_cell_xfs:
                formats.append(_int(attrs.get("numFmtId"), 0))

        def end(name):
            nonlocal in_cell_xfs
            if name == f"{_MAIN} cellXfs":
                in_cell_xfs -= 1

        self._parse(path, start, end, small=True)
        dates = set()
        for index, number_format in enumerate(formats):
            code = custom.get(number_format) or BUILTIN_FORMATS.get(number_format)
            if number_format in _EAST_ASIAN_DATES or (code and is_date_format(code)):
                dates.add(index)
        return frozenset(dates)

    def rows(self, title: str) -> Iterator[Row]:
        """Every row that has a cell with a value or a formula, with the numbers Excel shows;
        values and formulas by 0-based column."""
        path = self._sheets[title]
        rows: list[Row] = []
        reader = _SheetReader(title, self._strings, self._dates, self._epoch, rows.append,
                              self.limits.row_chars)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        with self._open(path) as part:
            while chunk := part.read(1 << 16):
                parser.Parse(chunk, False)
                yield from rows
                rows.clear()
            parser.Parse(b"", True)
        yield from rows


def _int(text: str | None, default: int) -> int:
    if text is None:
        return default
    if len(text) > 10:
        raise WorkbookError(f"数值 {quote(text)} 超出范围")
    return int(text)


class _SheetReader:
    """expat callbacks for one worksheet: collects a row's cells, hands each row on."""

    def __init__(self, title: str, strings: list[str], dates: frozenset[int], epoch: datetime,
                 emit, row_chars: int):
        self.title, self.strings, self.dates, self.epoch, self.emit = title, strings, dates, epoch, emit
        self.row_chars = row_chars
        self.row_number = 0
        self.cells: dict[int, object] = {}
        self.formulas: dict[int, str] = {}
        self.column = -1
        self.kind = self.style = None
        self.value: str | None = None
        self.formula: str | None = None
        self.inline: list[str] = []
        self.collect: list[str] | None = None
        self.in_phonetic = False
        self.size = self.row_size = 0  # characters of the cell's current text, of the row

    def _where(self, column: int | None = None) -> str:
        column = self.column if column is None else column
        cell = f" {get_column_letter(column + 1)} 列" if 0 <= column < MAX_COLUMNS else ""
        return f"工作表“{quote(self.title)}”第 {self.row_number} 行{cell}"

    def start(self, name: str, attrs: dict) -> None:
        name = _LOCAL.get(name) or _local_cached(name)
        if name == "c":
            reference = attrs.get("r")
            if reference:
                self.column = column_index(reference)
                if self.column < 0:
                    raise WorkbookError(f"{self._where()}的单元格引用 “{quote(reference, 20)}”"
                                        f"超出 Excel 的范围（最大为 XFD{MAX_ROWS}）")
            else:
                self.column += 1
                if self.column >= MAX_COLUMNS:
                    raise WorkbookError(f"{self._where(-1)}的单元格超过 {MAX_COLUMNS} 列（XFD）")
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s")
            self.value = self.formula = None
            self.inline = []
            self.size = 0
        elif name == "v" or name == "f":
            self.collect = []
            self.size = 0
        elif name == "t" and not self.in_phonetic:
            self.collect = self.inline
        elif name == "rPh":
            self.in_phonetic = True
        elif name == "row":
            number = attrs.get("r")
            if number:
                if not number.isdigit() or len(number) > 7 or not 0 < int(number) <= MAX_ROWS:
                    raise WorkbookError(f"工作表“{quote(self.title)}”中的行号 “{quote(number, 20)}”"
                                        f"超出 Excel 的范围（1 到 {MAX_ROWS}）")
                self.row_number = int(number)
            else:
                self.row_number += 1
                if self.row_number > MAX_ROWS:
                    raise WorkbookError(f"工作表“{quote(self.title)}”超过 {MAX_ROWS} 行")
            self.column = -1
            self.row_size = 0

    def text(self, data: str) -> None:
        collect = self.collect
        if collect is not None:
            size = len(data)
            self.size += size
            self.row_size += size
            if self.size > MAX_CELL_CHARS or self.row_size > self.row_chars:
                self._too_long()
            collect.append(data)

    def _too_long(self) -> None:
        if self.size > MAX_CELL_CHARS:
            raise WorkbookError(f"{self._where()}的单元格超过 Excel 的上限（{MAX_CELL_CHARS} 个字符）")
        raise WorkbookError(f"{self._where(-1)}的内容超过 {self.row_chars} 个字符", damaged=False)

    def end(self, name: str) -> None:
        name = _LOCAL.get(name) or _local_cached(name)
        if name == "c":
            value = self._cell_value()
            if value is not None:
                self.cells[self.column] = value
            if self.formula is not None:
                self.formulas[self.column] = f"={self.formula}" if self.formula else "=（共享公式）"
        elif name == "v":
            self.value = "".join(self.collect or ())
            self.collect = None
        elif name == "t":
            if self.collect is self.inline:
                self.collect = None
        elif name == "f":
            self.formula = "".join(self.collect or ())
            self.collect = None
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "row":
            cells, formulas = self.cells, self.formulas
            if formulas or any(v is not None and (not isinstance(v, str) or v.strip())
                               for v in cells.values()):
                self.emit((self.row_number, cells, formulas))
            self.cells, self.formulas = {}, {}

    def _cell_value(self) -> object:
        kind, raw = self.kind, self.value
        if kind == "inlineStr":
            return unescape("".join(self.inline)) if self.inline else None
        if not raw:
            return None
        if kind == "s":
            index = _int(raw, -1)
            if not 0 <= index < len(self.strings):
                raise WorkbookError(f"{self._where()}引用的共享字符串 {quote(raw, 20)} 不存在")
            return self.strings[index]
        if kind == "str":
            return unescape(raw)
        if kind == "e":
            return raw
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        if len(raw) > 400:  # Excel keeps 15 digits; int() of thousands of digits is refused anyway
            raise WorkbookError(f"{self._where()}的数值 “{quote(raw, 20)}”不是有效数字")
        number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
        style = self.style
        if style is not None and len(style) < 10 and int(style) in self.dates:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return "#VALUE!"  # a date cell out of range, as openpyxl reads it
        return number
