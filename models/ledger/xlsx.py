"""Reading the cells of an .xlsx workbook in one streaming pass: values and formulas.

openpyxl's read-only mode builds several objects for every cell, about 90 µs a cell here:
a 50,000-row ledger took 5–9 s to parse before any checking, most of the 10 s an import may
take. This reader walks each sheet's XML with expat and keeps, for every cell, what
``openpyxl.load_workbook(data_only=True)`` gives as its value (a formula's saved result) and,
for formula cells, the formula text (openpyxl's formula view), both from the same element.
A formula without a saved result reads as None, as in openpyxl.

One difference on purpose: Excel's East Asian built-in number formats 27–36 and 50–58
(yyyy"年"m"月"d"日" and the like, which Chinese Excel uses for dates) are dates here; openpyxl
does not know them and returns the serial number. tests/ledger/test_xlsx.py compares this
reader with openpyxl on the fixtures and on generated workbooks.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from datetime import datetime
from xml.etree import ElementTree
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_EAST_ASIAN_DATES = frozenset(range(27, 37)) | frozenset(range(50, 59))

Row = tuple[int, tuple[object, ...], dict[int, str]]  # number, values, formulas by column


def _local(name: str) -> str:
    """An element's name without its namespace prefix ("x:c" → "c")."""
    return name.rpartition(":")[2]


_LOCAL: dict[str, str] = {}  # the sheet reader's hot path: a lookup, not a string split


def _local_cached(name: str) -> str:
    _LOCAL[name] = local = _local(name)
    return local


def _column_index(reference: str) -> int:
    """0-based column of a cell reference such as "AB12"."""
    index = 0
    for ch in reference:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        else:
            break
    return index - 1


class XlsxWorkbook:
    """An .xlsx package opened for reading cells; ``sheetnames`` in workbook order."""

    def __init__(self, data: bytes):
        self._zip = zipfile.ZipFile(io.BytesIO(data))
        workbook = ElementTree.fromstring(self._zip.read("xl/workbook.xml"))
        rels = self._relationships("xl/_rels/workbook.xml.rels", "xl")
        properties = workbook.find(f"{_MAIN}workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self._epoch = MAC_EPOCH if date1904 else WINDOWS_EPOCH
        self._sheets: dict[str, str] = {}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = rels.get(sheet.get(f"{_REL}id", ""), (None, ""))[0]
            if target is not None:
                self._sheets[sheet.get("name", "")] = target
        by_type = {kind.rpartition("/")[2]: target for target, kind in rels.values()}
        self._strings = self._shared_strings(by_type.get("sharedStrings"))
        self._dates = self._date_styles(by_type.get("styles"))

    @property
    def sheetnames(self) -> list[str]:
        return list(self._sheets)

    def close(self) -> None:
        self._zip.close()

    def _relationships(self, path: str, base: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (part path inside the package, relationship type)."""
        found = {}
        for rel in ElementTree.fromstring(self._zip.read(path)).iter(f"{_PACKAGE_REL}Relationship"):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(base, target))
            found[rel.get("Id", "")] = (part, rel.get("Type", ""))
        return found

    def _shared_strings(self, path: str | None) -> list[str]:
        if path is None or path not in self._zip.namelist():
            return []
        strings: list[str] = []
        parts: list[str] = []
        depth = {"rPh": 0, "t": 0}

        def start(name, _attrs):
            name = _local(name)
            if name in depth:
                depth[name] += 1
            elif name == "si":
                parts.clear()

        def end(name):
            name = _local(name)
            if name in depth:
                depth[name] -= 1
            elif name == "si":
                strings.append("".join(parts))

        def text(data):
            if depth["t"] and not depth["rPh"]:  # phonetic guides are not the cell's text
                parts.append(data)

        self._parse(path, start, end, text)
        return strings

    def _date_styles(self, path: str | None) -> frozenset[int]:
        """Indexes of the cell formats whose number format shows a date or time."""
        if path is None or path not in self._zip.namelist():
            return frozenset()
        styles = ElementTree.fromstring(self._zip.read(path))
        custom = {int(f.get("numFmtId", -1)): f.get("formatCode", "")
                  for f in styles.iter(f"{_MAIN}numFmt")}
        cell_xfs = styles.find(f"{_MAIN}cellXfs")
        dates = set()
        for index, xf in enumerate(cell_xfs if cell_xfs is not None else ()):
            number_format = int(xf.get("numFmtId", 0))
            code = custom.get(number_format) or BUILTIN_FORMATS.get(number_format)
            if number_format in _EAST_ASIAN_DATES or (code and is_date_format(code)):
                dates.add(index)
        return frozenset(dates)

    def _parse(self, path: str, start, end, text) -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = start, end
        parser.CharacterDataHandler = text
        with self._zip.open(path) as part:
            parser.ParseFile(part)

    def rows(self, title: str) -> Iterator[Row]:
        """Every row that has a cell with a value or a formula, with the numbers Excel shows."""
        path = self._sheets[title]
        rows: list[Row] = []
        reader = _SheetReader(self._strings, self._dates, self._epoch, rows.append)
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        with self._zip.open(path) as part:
            while chunk := part.read(1 << 16):
                parser.Parse(chunk, False)
                yield from rows
                rows.clear()
            parser.Parse(b"", True)
        yield from rows


class _SheetReader:
    """expat callbacks for one worksheet: collects a row's cells, hands each row on."""

    def __init__(self, strings: list[str], dates: frozenset[int], epoch: datetime, emit):
        self.strings, self.dates, self.epoch, self.emit = strings, dates, epoch, emit
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

    def start(self, name: str, attrs: dict) -> None:
        name = _LOCAL.get(name) or _local_cached(name)
        if name == "c":
            reference = attrs.get("r")
            self.column = _column_index(reference) if reference else self.column + 1
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s")
            self.value = self.formula = None
            self.inline = []
        elif name == "v" or name == "f":
            self.collect = []
        elif name == "t" and not self.in_phonetic:
            self.collect = self.inline
        elif name == "rPh":
            self.in_phonetic = True
        elif name == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            self.column = -1

    def text(self, data: str) -> None:
        if self.collect is not None:
            self.collect.append(data)

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
            if self.cells or self.formulas:
                width = max((*self.cells, *self.formulas)) + 1
                values = tuple(self.cells.get(i) for i in range(width))
                if self.formulas or any(
                        v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                    self.emit((self.row_number, values, self.formulas))
            self.cells, self.formulas = {}, {}

    def _cell_value(self) -> object:
        kind, raw = self.kind, self.value
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline else None
        if not raw:
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
        if self.style is not None and int(self.style) in self.dates:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return "#VALUE!"  # a date cell out of range, as openpyxl reads it
        return number
