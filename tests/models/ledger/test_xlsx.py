"""The streaming cell reader agrees with openpyxl (data_only values, formula view) on every
fixture and on exported workbooks, and reads Chinese Excel's built-in date formats as dates."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from ledger_support import FIXTURES
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from models.ledger.xlsx import XlsxWorkbook


def _openpyxl_rows(data: bytes, title: str, *, formulas: bool = False):
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    rows = []
    for number, cells in enumerate(wb[title].iter_rows(), start=1):
        if formulas:
            found = {c.column - 1: c.value for c in cells if getattr(c, "data_type", None) == "f"}
            if found:
                rows.append((number, found))
            continue
        values = [c.value for c in cells]
        while values and values[-1] is None:
            values.pop()
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            rows.append((number, tuple(values)))
    wb.close()
    return rows


def _workbook(data: bytes) -> XlsxWorkbook:
    workbook = XlsxWorkbook(data)
    workbook.load()
    return workbook


def _ours(data: bytes, title: str):
    workbook = _workbook(data)
    rows = list(workbook.rows(title))
    workbook.close()
    values = []
    for number, cells, _ in rows:
        dense = [cells.get(i) for i in range(max(cells, default=-1) + 1)]
        while dense and dense[-1] is None:
            dense.pop()
        values.append((number, tuple(dense)))
    return values, [(number, f) for number, _, f in rows if f]


@pytest.mark.parametrize("name", ["handmade.xlsx", "broken.xlsx", "libreoffice.xlsx"])
def test_values_and_formulas_agree_with_openpyxl(name):
    data = (FIXTURES / name).read_bytes()
    names = _workbook(data).sheetnames
    assert names == load_workbook(io.BytesIO(data), read_only=True).sheetnames
    for title in names:
        values, formulas = _ours(data, title)
        assert values == _openpyxl_rows(data, title)
        assert formulas == _openpyxl_rows(data, title, formulas=True)


def test_libreoffice_formulas_have_their_saved_results():
    values, formulas = _ours((FIXTURES / "libreoffice.xlsx").read_bytes(), "事项")
    assert values[1][1][:2] == (1, "LO-01")  # =ROW()-1 saved as 1
    assert values[1][1][6] == datetime(2026, 6, 30)  # =DATE(2026;6;30)
    assert formulas[0] == (2, {0: "=ROW()-1", 6: "=DATE(2026,6,30)"})


def test_types_dates_and_the_1904_calendar_agree_with_openpyxl():
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append([1, 2.5, 1e20, True, False, "#N/A", "文本", None, datetime(2026, 3, 31, 17, 0, 5)])
    ws.append([None, None, None])
    ws.append([datetime(1904, 1, 2)])
    ws["B5"] = "=1+1"
    ws["D5"].number_format = "yyyy-mm-dd"
    ws["D5"] = 46000
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()

    values, formulas = _ours(data, "Sheet")

    assert values == _openpyxl_rows(data, "Sheet")
    assert values[0][1][8] == datetime(2026, 3, 31, 17, 0, 5)
    assert formulas == [(5, {1: "=1+1"})]


def _rewrite(data: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for info in source.infolist():
            body = source.read(info)
            package.writestr(info, change(body) if info.filename == part else body)
    return buffer.getvalue()


def test_chinese_builtin_date_formats_are_dates():
    """Chinese Excel saves yyyy"年"m"月"d"日" as built-in format 31, with no format code."""
    wb = Workbook()
    wb.active["A1"] = datetime(2026, 3, 31)
    wb.active["A1"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    wb.save(buffer)
    data = _rewrite(buffer.getvalue(), "xl/styles.xml", lambda body: re.sub(
        rb'numFmtId="16\d"', b'numFmtId="31"', re.sub(rb"<numFmts.*?</numFmts>", b"", body)))
    assert b"formatCode" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/styles.xml")

    values, _ = _ours(data, "Sheet")

    assert values == [(1, (datetime(2026, 3, 31),))]
    assert _openpyxl_rows(data, "Sheet") == [(1, (46112,))]  # what openpyxl makes of it


def test_rich_text_is_joined_and_phonetic_guides_left_out():
    data = _rewrite((FIXTURES / "libreoffice.xlsx").read_bytes(), "xl/sharedStrings.xml",
                    lambda body: body.replace(
                        "<t xml:space=\"preserve\">优抚褒扬科</t>".encode(),
                        "<r><t>优抚</t></r><r><rPr><b/></rPr><t>褒扬科</t></r>"
                        "<rPh sb=\"0\" eb=\"2\"><t>yōufǔ</t></rPh>".encode(), 1))
    assert b"yo" in zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")

    values, _ = _ours(data, "单位")

    assert values[1][1][0] == "优抚褒扬科"
