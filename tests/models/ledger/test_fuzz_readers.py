"""A property-based fuzz of the readers duban points at users' files: the workbook reader, the
ledger CSV reader and the calendar CSV reader. Whatever bytes arrive, reading ends in rows or
in a DubanError with a short message, within 10 s of CPU and 400 MB, each example in a child
process held to those limits (tests/support/bounded.py), so a runaway cannot take the machine.

Inputs start from valid files and are damaged the way attackers and broken tools do: XML
tokens spliced in (references beyond XFD, huge numbers, entities, escapes, unclosed tags),
parts truncated or repeated, ZIP bytes flipped; CSV text with quotes, separators, long fields,
control characters and other encodings.

CI runs a fixed, small sample (derandomized); DUBAN_FUZZ_EXAMPLES=2000 runs a long random one.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.errors import DubanError
from models.ledger.reading import open_ledger
from models.store.calendar_store import parse_calendar_csv
from tests.support.bounded import run_bounded
from tests.support.hostile_files import HEADER, data_row, sheet_xml, workbook, zip_package

_LONG = os.environ.get("DUBAN_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_LONG or 40), deadline=None, derandomize=not _LONG, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CPU_SECONDS, MEMORY_MB, MAX_MESSAGE_CHARS = 10, 400, 30_000

XML_TOKENS = ['<c r="', "XFD1048577", "ZZZZZZZZ1", '"/>', "</c>", "</row>", '<row r="', "99999999999",
              '<v>', "</v>", '<c t="s"><v>', '<c t="inlineStr"><is><t>', "</t></is>", "<f>", "</f>",
              "&lol;", "&#1;", "&#xFFFE;", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "_xFFFE_", "_xD800_",
              "_x000D_", "<![CDATA[", "]]>", "<?xml version='1.0' encoding='utf-16'?>", "\x00",
              "长" * 40, "-1", "1e308", "NaN", ' t="d"><v>9999-99-99', ' s="999999"', "<", ">", '"']
CSV_TOKENS = ['"', '""', ",", "\r\n", "\n", "\r", "\x00", "\x01", "\ufffe", "\ud800", "长" * 50,
              "编号", "事项名称", "责任单位", "完成时限", "2026-02-30", "=1+1", "#N/A", " ", "\t"]


def _template() -> dict[str, bytes]:
    shared = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<si><t>\xe4\xbc\x98\xe6\x8a\x9a\xe8\xa4\x92\xe6\x89\xac\xe7\xa7\x91</t></si></sst>")
    rows = HEADER + data_row(2) + '<row r="3"><c r="C3" t="s"><v>0</v></c><c r="E3"><f>1+1</f></c></row>'
    package = zipfile.ZipFile(BytesIO(workbook(sheet_xml(rows), shared=shared)))
    return {name: package.read(name) for name in package.namelist()}


TEMPLATE = _template()


@st.composite
def damaged_workbooks(draw) -> bytes:
    parts = dict(TEMPLATE)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(parts)))
        body = parts[name]
        at = draw(st.integers(0, len(body)))
        how = draw(st.sampled_from(["insert", "replace", "truncate", "repeat", "bytes"]))
        if how == "insert":
            body = body[:at] + "".join(draw(st.lists(st.sampled_from(XML_TOKENS), max_size=6))).encode(
                "utf-8", "surrogatepass") + body[at:]
        elif how == "replace":
            end = draw(st.integers(at, min(len(body), at + 40)))
            body = body[:at] + draw(st.text(max_size=30)).encode("utf-8", "surrogatepass") + body[end:]
        elif how == "truncate":
            body = body[:at]
        elif how == "repeat":
            end = draw(st.integers(at, min(len(body), at + 200)))
            body = body[:at] + body[at:end] * draw(st.integers(2, 2000)) + body[end:]
        else:
            body = body[:at] + draw(st.binary(max_size=20)) + body[at:]
        parts[name] = body
    data = zip_package(sorted(parts.items()))
    if draw(st.booleans()):  # damage the package itself now and then
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at + 1:]
    return data


@st.composite
def damaged_csv(draw, header: str) -> bytes:
    lines = [header]
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.lists(st.one_of(st.sampled_from(CSV_TOKENS), st.text(max_size=20)), max_size=8))
        lines.append(",".join(cells))
    text = "\r\n".join(lines)
    if draw(st.booleans()):
        text += draw(st.sampled_from(CSV_TOKENS)) * draw(st.integers(1, 200_000))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")


def _read(kind: str, data: bytes) -> int:
    """In the child: every row of every sheet, or every calendar day."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz"
        path.write_bytes(data)
        if kind == "calendar":
            return len(parse_calendar_csv(path))
        with open_ledger(path) as ledger:
            return sum(1 for sheet in ledger.sheets.values() for _ in sheet.rows)


def _check(kind: str, data: bytes) -> None:
    outcome = run_bounded(_read, kind, data, cpu_seconds=CPU_SECONDS, memory_mb=MEMORY_MB)
    assert outcome.kind in ("returned", "raised"), f"{outcome} on {data[:200]!r}"
    if outcome.kind == "raised":
        assert issubclass(outcome.value.type, DubanError), f"{outcome} on {data[:200]!r}"
        assert len(outcome.value.text) <= MAX_MESSAGE_CHARS, f"{outcome} on {data[:200]!r}"
    assert outcome.grown_mb <= MEMORY_MB, f"{outcome} on {data[:200]!r}"


@FUZZ
@given(data=damaged_workbooks())
def test_any_damaged_workbook_is_read_or_refused_within_bounds(data):
    _check("ledger", data)


@FUZZ
@given(data=damaged_csv("编号,事项名称,责任单位,完成时限,备注"))
def test_any_damaged_ledger_csv_is_read_or_refused_within_bounds(data):
    _check("ledger", data)


@FUZZ
@given(data=damaged_csv("日期,类型,名称"))
def test_any_damaged_calendar_csv_is_read_or_refused_within_bounds(data):
    _check("calendar", data)


@FUZZ
@given(data=st.binary(max_size=4096))
def test_any_bytes_at_all_are_read_or_refused_within_bounds(data):
    _check("ledger", data)
