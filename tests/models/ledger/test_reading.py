"""What a file is, decided by its bytes: workbooks and CSV are read, everything else refused
with a message saying what it seems to be."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from ledger_support import FIXTURES
from openpyxl import Workbook

from models.errors import InputError, Refused
from models.ledger.columns import ITEM_SHEET, UNIT_SHEET
from models.ledger.reading import open_ledger


def _rows(path):
    """Each sheet's rows as (number, values as a tuple from column A to the last value)."""
    with open_ledger(path) as ledger:
        return {name: [(number, tuple(values.get(i) for i in range(max(values, default=-1) + 1)))
                       for number, values, _ in sheet.rows]
                for name, sheet in ledger.sheets.items()}


def _refusal(path) -> str:
    with pytest.raises(Refused) as caught:
        open_ledger(path)
    return str(caught.value)


def test_a_workbook_is_read_whatever_its_extension(tmp_path):
    disguised = tmp_path / "台账.csv"
    shutil.copy(FIXTURES / "libreoffice.xlsx", disguised)

    rows = _rows(disguised)

    assert set(rows) == {UNIT_SHEET, ITEM_SHEET}
    assert [number for number, _ in rows[ITEM_SHEET]] == [1, 2, 3, 4]
    assert rows[ITEM_SHEET][1][1][1] == "LO-01"


def test_csv_is_read_whatever_its_extension_as_the_item_sheet(tmp_path):
    disguised = tmp_path / "台账.xlsx"
    shutil.copy(FIXTURES / "items_gb18030.csv", disguised)

    rows = _rows(disguised)

    assert list(rows) == [ITEM_SHEET]
    assert rows[ITEM_SHEET][0] == (1, ("序号", "编号", "类别", "事项名称", "责任单位", "责任人",
                                      "完成时限", "状态", "完成时间", "备注"))
    # A quoted cell spanning two lines is one cell; the next record is row 3 in Excel too.
    assert rows[ITEM_SHEET][1][1][9] == "第一行\n第二行"
    assert [number for number, _ in rows[ITEM_SHEET]] == [1, 2, 3, 4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "items.csv"
    path.write_bytes("编号,事项名称\r\nA-1,做好优待证办理工作\r\n".encode(encoding))

    assert _rows(path)[ITEM_SHEET] == [(1, ("编号", "事项名称")), (2, ("A-1", "做好优待证办理工作"))]


@pytest.mark.parametrize(("name", "needle"), [
    ("encrypted.xlsx", "加密的工作簿（设置了打开密码）"),
    ("legacy.xls", "旧版 Excel 97-2003 工作簿（.xls）"),
    ("libreoffice.fods", "OpenDocument 表格（.fods）"),
])
def test_fixture_files_duban_cannot_read_are_refused(name, needle):
    assert needle in _refusal(FIXTURES / name)


def _ods_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _truncated_workbook() -> bytes:
    data = (FIXTURES / "libreoffice.xlsx").read_bytes()
    return data[: len(data) // 2]


def _workbook_with_broken_sheet_xml() -> bytes:
    source = zipfile.ZipFile(FIXTURES / "libreoffice.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data[: len(data) // 2]  # the 事项 sheet's XML stops mid-element
            package.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "needle"), [
    (b"", "是空文件"),
    (b"%PDF-1.7\n\x00\x01binary", "不是 .xlsx 或 .csv 文件"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是 .xlsx 或 .csv 文件"),
    ("编号,事项名称\r\n".encode("utf-16"), "UTF-16 编码"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "OLE 复合文档"),
    (_ods_bytes(), "OpenDocument 表格（.ods）"),
    (_docx_bytes(), "不含 Excel 工作簿的 ZIP 包"),
    (_truncated_workbook(), "已损坏"),
    ("<html><table><tr><td>编号</td></tr></table></html>".encode(), "网页或 XML 格式的表格"),
], ids=["empty", "pdf", "png", "utf16", "ole", "ods", "docx", "truncated", "html"])
def test_files_that_are_not_ledgers_are_refused(tmp_path, data, needle):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(data)

    message = _refusal(path)

    assert needle in message
    assert message.startswith("台账.xlsx ")


def test_a_sheet_whose_xml_is_broken_is_refused_as_corrupt_when_read(tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(_workbook_with_broken_sheet_xml())

    with pytest.raises(Refused, match="已损坏"), open_ledger(path) as ledger:
        list(ledger.sheets[ITEM_SHEET].rows)


def test_a_workbook_without_an_item_sheet_is_refused_naming_its_sheets(tmp_path):
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.create_sheet(UNIT_SHEET)
    path = tmp_path / "台账.xlsx"
    wb.save(path)

    assert _refusal(path) == "台账.xlsx 中没有“事项”工作表（现有工作表：Sheet1、单位）"


def test_sheet_names_with_spaces_are_found(tmp_path):
    wb = Workbook()
    wb.active.title = " 事项 "
    wb.active.append(["编号", "事项名称"])
    path = tmp_path / "台账.xlsx"
    wb.save(path)

    assert list(_rows(path)) == [ITEM_SHEET]


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="不存在"):
        open_ledger(tmp_path / "没有这个文件.xlsx")
