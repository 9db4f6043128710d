"""A corpus of hostile files, generated here (none is checked in): zip bombs, references beyond
Excel's sheet, over-long cells and fields, DTDs, damaged packages, wrong encodings, characters
XML cannot carry.

    for f in hostile_files():          # f.name, f.data (bytes), f.kind, f.expect, f.what
        ...
    names("ledger"), hostile_file(name) # the names alone (cheap, for parametrize); one file

``kind`` says what the file pretends to be: "ledger" (an .xlsx or .csv for ``duban import``) or
"calendar" (a CSV for ``duban calendar load``). ``expect`` is a piece of the Chinese message the
refusal must contain, or None when reading the file may also succeed (a bomb in a part duban
never reads whole). Whatever the outcome, reading must stay within the bounds the issue sets
(≤ 10 s of CPU, ≤ 500 MB: tests/support/bounded.py).

tests/ledger/test_hostile_files.py runs the corpus through import and calendar load. The web
upload can run the same corpus: post each ``f.data`` as ``f.name`` to the upload URL and expect
a 4xx whose page contains ``f.expect``, with the server process held to the same bounds.

Bombs are real: a valid deflate stream (each 1 MB block of filler compressed once and repeated:
with a full flush the compressor's state is the same before every block) and a correct CRC, so
that a reader which inflated them would inflate gigabytes.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
MB = 1 << 20


@dataclass(frozen=True)
class HostileFile:
    name: str
    data: bytes
    kind: str  # "ledger" or "calendar"
    expect: str | None  # a piece of the refusal's message; None: reading may also succeed
    what: str


@dataclass(frozen=True)
class Deflated:
    data: bytes  # raw deflate stream
    crc: int
    size: int  # unzipped


def deflated(body: bytes) -> Deflated:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Deflated(c.compress(body) + c.flush(), zlib.crc32(body), len(body))


def bomb(size: int, *, prefix: bytes = b"", suffix: bytes = b"", filler: bytes = b" ") -> Deflated:
    """``prefix`` + about ``size`` bytes of ``filler`` + ``suffix``, deflated at ~1000:1."""
    block = filler * (MB // len(filler))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    packed = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    count = max(1, size // len(block))
    tail = c.compress(suffix) + c.flush()
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    return Deflated(head + packed * count + tail, crc, len(prefix) + count * len(block) + len(suffix))


def zip_package(entries: list[tuple[str, bytes | Deflated]]) -> bytes:
    """A ZIP written field by field (zipfile cannot take a stream deflated elsewhere)."""
    out, central = io.BytesIO(), []
    for name, body in entries:
        part = body if isinstance(body, Deflated) else deflated(body)
        raw = name.encode("utf-8")
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, part.crc,
                              len(part.data), part.size, len(raw), 0) + raw + part.data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21,
                                   part.crc, len(part.data), part.size, len(raw), 0, 0, 0, 0, 0,
                                   offset) + raw)
    directory = b"".join(central)
    start = out.tell()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                          len(directory), start, 0))
    return out.getvalue()


# --- workbooks ----------------------------------------------------------------------------------

def inline(ref: str, text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escaped}</t></is></c>'


HEADER = ('<row r="1">' + inline("A1", "编号") + inline("B1", "事项名称") + inline("C1", "责任单位")
          + inline("D1", "完成时限") + "</row>")


def data_row(number: int, title: str = "做好优待证办理工作") -> str:
    return (f'<row r="{number}">' + inline(f"A{number}", f"H-{number}") + inline(f"B{number}", title)
            + inline(f"C{number}", "优抚褒扬科") + inline(f"D{number}", "2026-12-31") + "</row>")


def sheet_xml(rows: str, *, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{_MAIN}">'
            f"<sheetData>{rows}</sheetData></worksheet>").encode()


def workbook_xml(*, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<workbook xmlns="{_MAIN}" xmlns:r="{_R}">'
            '<sheets><sheet name="事项" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()


def workbook(sheet: bytes | Deflated, *, shared: bytes | Deflated | None = None,
             book: bytes | Deflated | None = None, target: str = "worksheets/sheet1.xml",
             extra: list[tuple[str, bytes | Deflated]] = ()) -> bytes:
    """An .xlsx with one 事项 sheet (and shared strings when given)."""
    rels = f'<Relationship Id="rId1" Type="{_R}/worksheet" Target="{target}"/>'
    if shared is not None:
        rels += f'<Relationship Id="rId2" Type="{_R}/sharedStrings" Target="sharedStrings.xml"/>'
    entries: list[tuple[str, bytes | Deflated]] = [
        *extra,
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                b'package/2006/content-types"/>'),
        ("_rels/.rels", f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_R}/'
                        'officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode()),
        ("xl/workbook.xml", workbook_xml() if book is None else book),
        ("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PKG}">{rels}</Relationships>'.encode()),
        ("xl/worksheets/sheet1.xml", sheet),
    ]
    if shared is not None:
        entries.append(("xl/sharedStrings.xml", shared))
    return zip_package(entries)


def _cell_bomb(size: int) -> Deflated:
    start = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>{HEADER}'
             '<row r="2"><c r="B2" t="inlineStr"><is><t>').encode()
    return bomb(size, prefix=start, suffix=b"</t></is></c></row></sheetData></worksheet>", filler=b"x")


def _shared_strings(*texts: str) -> bytes:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return f'<sst xmlns="{_MAIN}" count="{len(texts)}">{items}</sst>'.encode()


def _many_entries(count: int) -> bytes:
    return workbook(sheet_xml(HEADER + data_row(2)),
                    extra=[(f"xl/media/{i}.bin", b"") for i in range(count)])


def _formula_rows(count: int) -> bytes:
    rows = "".join(f'<row r="{n}"><c r="Z{n}"><f>ROW()</f></c></row>' for n in range(2, count + 2))
    return workbook(sheet_xml(HEADER + rows))


def _wide_rows(count: int) -> bytes:
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, count + 2))
    return workbook(sheet_xml(HEADER + rows))


_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                     for i in range(1, 10)) + "]>")


def _sheet(*rows: str, prolog: str = "") -> bytes:
    """An .xlsx whose 事项 sheet holds the header and ``rows``."""
    return workbook(sheet_xml(HEADER + "".join(rows), prolog=prolog))


def _cell(ref: str, xml: str, row: int) -> str:
    return f'<row r="{row}"><c r="{ref}"{xml}</c></row>'


def _xlsx_corpus() -> Iterator[Spec]:
    def xlsx(name, build, expect, what):
        return Spec(name, build, "ledger", expect, what)

    yield xlsx("huge_reference.xlsx", lambda: _sheet(_cell("ZZZZZZZZZZZZ3", "><v>1</v>", 3)),
               "超出 Excel 的范围", "a cell reference far beyond XFD (issue: 6.9 GB, then a traceback)")
    yield xlsx("column_xfe.xlsx", lambda: _sheet(_cell("XFE3", "><v>1</v>", 3)),
               "超出 Excel 的范围", "one column beyond XFD")
    yield xlsx("row_beyond_excel.xlsx", lambda: _sheet(data_row(1_048_577)),
               "超出 Excel 的范围", "a row number beyond 1,048,576")
    yield xlsx("columns_without_reference.xlsx",
               lambda: _sheet('<row r="2">' + "<c><v>1</v></c>" * 16_385 + "</row>"),
               "16384 列", "16,385 cells in a row, none with a reference")
    yield xlsx("cell_over_32767.xlsx", lambda: _sheet('<row r="2">' + inline("B2", "长" * 40_000) + "</row>"),
               "32767 个字符", "a cell of 40,000 characters")
    yield xlsx("cell_bomb_1_1GB.xlsx", lambda: workbook(_cell_bomb(1100 * MB)), "解压后",
               "one cell unzipping to 1.1 GB (issue: 230 s, 10.5 GB, then a crash)")
    yield xlsx("sheet_ratio_bomb.xlsx", lambda: workbook(_cell_bomb(100 * MB)), "压缩比",
               "a 100 MB sheet under the size cap, at 1000:1")
    shared_cell = _cell("B2", ' t="s"><v>0</v>', 2)
    yield xlsx("shared_strings_bomb.xlsx", lambda: workbook(sheet_xml(HEADER + shared_cell), shared=bomb(
        2400 * MB, prefix=f'<sst xmlns="{_MAIN}"><si><t>'.encode(), suffix=b"</t></si></sst>", filler=b"y")),
        "解压后", "sharedStrings.xml unzipping to 2.4 GB")
    yield xlsx("shared_string_over_32767.xlsx",
               lambda: workbook(sheet_xml(HEADER + shared_cell), shared=_shared_strings("长" * 40_000)),
               "32767 个字符", "a shared string of 40,000 characters")
    yield xlsx("shared_string_index.xlsx", lambda: workbook(
        sheet_xml(HEADER + _cell("B2", ' t="s"><v>-1</v>', 2)), shared=_shared_strings("a")),
        "共享字符串", "a cell pointing before the shared strings (-1 would read the last one)")
    yield xlsx("workbook_bomb.xlsx", lambda: workbook(sheet_xml(HEADER), book=bomb(
        2400 * MB, prefix=f'<workbook xmlns="{_MAIN}">'.encode(), suffix=b"</workbook>")),
        "解压后", "xl/workbook.xml unzipping to 2.4 GB")
    yield xlsx("mimetype_bomb.xlsx", lambda: workbook(sheet_xml(HEADER + data_row(2)), extra=[
        ("mimetype", bomb(2400 * MB, prefix=b"application/x-", filler=b"z"))]),
        None, "a 2.4 GB mimetype part before a valid workbook: only its first bytes are read")
    yield xlsx("formula_rows_300k.xlsx", lambda: _formula_rows(300_000), "超过 100000 行",
               "300,000 rows with a formula only in an unmapped column (issue: 3 M rows, 793 MB)")
    yield xlsx("wide_rows_150k.xlsx", lambda: _wide_rows(150_000), "超过 100000 行",
               "150,000 rows with one cell in column XFD each")
    yield xlsx("billion_laughs.xlsx", lambda: _sheet(data_row(2, "&lol9;"), prolog=_LAUGHS),
               "DTD", "nested entities in the sheet")
    yield xlsx("external_entity.xlsx", lambda: workbook(sheet_xml(HEADER), book=workbook_xml(
        prolog='<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>')),
        "DTD", "an external entity in workbook.xml")
    yield xlsx("not_well_formed.xlsx", lambda: _sheet("<row r='2'><c><v>1</c></row>"),
               "已损坏", "a sheet that is not XML")
    yield xlsx("truncated.xlsx", lambda: _half(_sheet(data_row(2))), "已损坏", "the first half of a workbook")
    yield xlsx("corrupt_deflate.xlsx", lambda: workbook(Deflated(b"\x05" + b"\xff" * 64, 0, 4096)),
               "已损坏", "a sheet whose deflate stream is garbage (zlib.error, found by the fuzz)")
    yield xlsx("many_entries.xlsx", lambda: _many_entries(20_000), "10000 个", "a package of 20,000 parts")
    yield xlsx("escape_target.xlsx", lambda: workbook(sheet_xml(HEADER), target="../../../../etc/passwd"),
               "缺少部件", "a sheet relationship pointing out of the package")
    yield xlsx("huge_number.xlsx", lambda: _sheet(_cell("D2", f"><v>{'9' * 5000}</v>", 2)),
               "不是有效数字", "a number of 5,000 digits")
    yield xlsx("illegal_escape.xlsx", lambda: _sheet(data_row(2, "标题_xFFFF_")),
               "事项名称", "U+FFFF written as Excel's escape in a title")
    yield xlsx("lone_surrogate.xlsx", lambda: _sheet(data_row(2, "标题_xD800_")),
               "事项名称", "half a surrogate pair written as Excel's escape")
    yield xlsx("deep_nesting.xlsx", lambda: _sheet(
        '<row r="2"><c r="B2" t="inlineStr"><is>' + "<r>" * 50_000 + "</r>" * 50_000 + "</is></c></row>"),
        None, "50,000 nested elements in a cell")


# --- CSV ----------------------------------------------------------------------------------------

CSV_HEADER = "编号,事项名称,责任单位,完成时限,备注\r\n"
CALENDAR_HEADER = "日期,类型,名称\r\n"


def _row(*cells: str) -> str:
    return ",".join(cells) + "\r\n"


def _csv_corpus() -> Iterator[Spec]:
    def item(title: str, remark: str = "") -> str:
        return CSV_HEADER + _row("H-1", title, "优抚褒扬科", "2026-12-31", remark)

    def csv(name, build, expect, what, kind="ledger"):
        def data() -> bytes:
            built = build()
            return built if isinstance(built, bytes) else built.encode("utf-8")
        return Spec(name, data, kind, expect, what)

    yield csv("field_over_131072.csv", lambda: item("标题", "长" * 140_000),
              "无法按 CSV 读取", "a field past the csv module's limit (issue: _csv.Error traceback)")
    yield csv("field_over_32767.csv", lambda: item("标题", "长" * 40_000),
              "32767 个字符", "a field over Excel's cell limit")
    yield csv("unterminated_quote.csv", lambda: CSV_HEADER + 'H-1,"' + "引号没有结束" * 1_000_000,
              "无法按 CSV 读取", "a quote never closed: the rest of an 18 MB file is one field")
    yield csv("million_columns.csv", lambda: CSV_HEADER + "," * 1_000_000 + "\r\n", "16384 列",
              "a row of a million empty fields")
    yield csv("rows_200k.csv", lambda: "编号,事项名称,责任单位,完成时限,其他\r\n" + ",,,,x\r\n" * 200_000,
              "超过 100000 行", "200,000 rows with only an unmapped column filled")
    yield csv("utf16.csv", lambda: CSV_HEADER.encode("utf-16"), "UTF-16", "UTF-16 text")
    yield csv("binary.csv", lambda: random.Random(16).randbytes(64 * 1024), "不是 .xlsx 或 .csv 文件",
              "random bytes")
    yield csv("illegal_title.csv", lambda: item("标题\ufffe"),
              "事项名称", "U+FFFE in a title (issue: every later export invalid XML)")
    yield csv("control_title.csv", lambda: item("标题\x01"),
              "不是 .xlsx 或 .csv 文件", "U+0001 in a title: control characters are what binary files hold")
    yield csv("newlines_20MB.csv", lambda: CSV_HEADER + "\n" * (20 * MB), "1048576 行",
              "20 MB of empty lines: more lines than an Excel sheet has rows")
    yield csv("calendar_field_over_131072.csv",
              lambda: CALENDAR_HEADER + _row("2027-01-01", "休", "元" * 140_000),
              "无法按 CSV 读取", "a calendar field past the csv module's limit", kind="calendar")
    yield csv("calendar_illegal_name.csv", lambda: CALENDAR_HEADER + _row("2027-01-01", "休", "元旦\uffff"),
              "名称", "U+FFFF in a holiday's name", kind="calendar")
    yield csv("calendar_too_big.csv", lambda: CALENDAR_HEADER + _row("2027-01-01", "休", "元旦") * 100_000,
              "超过上限", "a 2 MB calendar", kind="calendar")
    yield csv("calendar_binary.csv", lambda: b"\xff\xfe\x00\x01" * 1000, "编码", "bytes that are no text",
              kind="calendar")


@dataclass(frozen=True)
class Spec:
    name: str
    build: Callable[[], bytes]
    kind: str
    expect: str | None
    what: str


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


SPECS = {spec.name: spec for spec in (*_xlsx_corpus(), *_csv_corpus())}


def names(kind: str) -> list[str]:
    """The names of the corpus's files of one kind, without building any (for parametrize)."""
    return [name for name, spec in SPECS.items() if spec.kind == kind]


@cache
def hostile_file(name: str) -> HostileFile:
    spec = SPECS[name]
    return HostileFile(name, spec.build(), spec.kind, spec.expect, spec.what)


def hostile_files() -> Iterator[HostileFile]:
    """Every file of the corpus, built as it is asked for (the bombs take a second or two)."""
    return (hostile_file(name) for name in SPECS)
