"""The reader's bounds and Excel's escapes, one at a time (the corpus in test_hostile_files.py
runs every hostile file at the real limits; here the limits are made small to reach each one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ledger_support import import_file

from models.errors import InputError, Refused, ValidationFailed
from models.ledger.columns import ITEM_SHEET
from models.ledger.reading import open_ledger
from models.ledger.xlsx import Limits, WorkbookError, XlsxWorkbook, unescape
from tests.support.hostile_files import HEADER, data_row, deflated, inline, sheet_xml, workbook


def _titles(path, limits=Limits()) -> list[object]:
    with open_ledger(path, limits=limits) as ledger:
        return [values.get(1) for _, values, _ in ledger.sheets[ITEM_SHEET].rows][1:]


def _write(tmp_path, data: bytes, name: str = "t.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("stored", "read"), [
    ("第一行_x000D__x000A_第二行", "第一行\r\n第二行"),
    ("字面的_x005F_x000D_", "字面的_x000D_"),  # Excel's escaped underscore: the text itself
    ("_x0041__x0042_", "AB"),
    ("表情_xD83D__xDE00_", "表情😀"),  # a surrogate pair becomes its character
    ("_x00_ 和 _xZZZZ_ 不是转义", "_x00_ 和 _xZZZZ_ 不是转义"),
])
def test_excel_escapes_are_decoded_as_excel_does(stored, read):
    assert unescape(stored) == read


def test_an_escaped_carriage_return_in_a_cell_is_read_as_a_line_break(tmp_path):
    """Issue 16: _x000D_ was kept as literal text and showed up in reminder mails."""
    path = _write(tmp_path, workbook(sheet_xml(HEADER + data_row(2, "第一行_x000D_\n第二行"))))

    assert _titles(path) == ["第一行\r\n第二行"]


def test_escapes_in_shared_strings_are_decoded(tmp_path):
    shared = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b"<si><t>A_x000D_B</t></si></sst>")
    sheet = sheet_xml(HEADER + '<row r="2"><c r="B2" t="s"><v>0</v></c></row>')
    path = _write(tmp_path, workbook(sheet, shared=shared))

    assert _titles(path) == ["A\rB"]


def test_parts_are_bounded_one_by_one_and_together(tmp_path):
    rows = "".join(data_row(n, f"标题{n:05d}" * 40) for n in range(2, 400))  # ~200 KB, ~20:1
    path = _write(tmp_path, workbook(sheet_xml(HEADER + rows)))
    size = len(sheet_xml(HEADER + rows))

    assert len(_titles(path, Limits(part_bytes=size))) == 398
    with pytest.raises(Refused, match=r"部件 xl/worksheets/sheet1.xml 解压后有 \d+ MB，超过 \d+ MB 的上限"):
        _titles(path, Limits(part_bytes=size - 1))
    with pytest.raises(Refused, match=r"解压后的内容超过 \d+ MB 的上限"):
        _titles(path, Limits(total_bytes=size))  # the workbook and its relationships come first


def test_the_ratio_is_bounded_for_parts_over_a_megabyte(tmp_path):
    rows = "".join(data_row(n) for n in range(2, 20_000))  # ~4 MB, compresses ~50:1
    path = _write(tmp_path, workbook(sheet_xml(HEADER + rows)))
    ratio = len(sheet_xml(HEADER + rows)) / len(deflated(sheet_xml(HEADER + rows)).data)

    assert len(_titles(path, Limits(ratio=int(ratio) + 1))) == 19_998
    with pytest.raises(Refused, match=r"压缩比超过 \d+:1（疑似“压缩炸弹”）"):
        _titles(path, Limits(ratio=int(ratio) - 1))


def test_the_ratio_is_bounded_for_the_whole_file_too(tmp_path):
    """Parts each under 1 MB (so under no ratio of their own) cannot add up to a bomb either."""
    rows = "".join(data_row(n) for n in range(2, 4_000))  # ~0.8 MB
    shared = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              + "<si><t>优抚褒扬科</t></si>" * 30_000 + "</sst>").encode()  # ~0.8 MB
    data = workbook(sheet_xml(HEADER + rows), shared=shared)
    whole = (len(sheet_xml(HEADER + rows)) + len(shared)) / len(data)

    def read(ratio: int) -> int:
        workbook_ = XlsxWorkbook(data, Limits(ratio=ratio))
        workbook_.load()
        return sum(1 for _ in workbook_.rows("事项"))

    assert read(int(whole) + 1) == 3_999
    with pytest.raises(WorkbookError, match=r"整个文件的压缩比超过 \d+:1"):
        read(int(whole) - 1)


def test_a_row_holding_too_much_is_refused_with_its_number(tmp_path):
    row = '<row r="7">' + "".join(inline(f"{c}7", "字" * 30_000) for c in "ABCDEF") + "</row>"
    path = _write(tmp_path, workbook(sheet_xml(HEADER + row)))

    with pytest.raises(Refused, match=r"无法导入：工作表“事项”第 7 行的内容超过 100000 个字符"):
        _titles(path, Limits(row_chars=100_000))


def test_a_csv_field_past_the_csv_modules_limit_is_refused_with_its_line(tmp_path):
    """Issue 16: a field over 131,072 characters was a raw _csv.Error traceback."""
    path = _write(tmp_path, ("编号,事项名称\r\nA,B\r\nC," + "长" * 140_000 + "\r\n").encode(), "t.csv")

    with pytest.raises(Refused, match=r"t.csv 第 3 行无法按 CSV 读取（有单元格超过 131072 个字符"):
        _titles(path)


def test_a_ledger_behind_a_symlink_is_not_followed(tmp_path):
    secret = _write(tmp_path, b"root:$6$secret", "shadow")
    link = tmp_path / "台账.csv"
    link.symlink_to(secret)

    with pytest.raises(InputError, match="是符号链接，不予读取"):
        open_ledger(link)


def test_a_fifo_or_a_device_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "台账.csv"
    os.mkfifo(fifo)

    with pytest.raises(InputError, match=r"不是普通文件（是目录、设备或管道）"):
        open_ledger(fifo)  # a plain open() would wait here for a writer, for ever
    with pytest.raises(InputError, match=r"不是普通文件"):
        open_ledger(Path("/dev/zero"))  # read_bytes() would fill memory


def test_a_ledger_over_50_mb_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "台账.csv"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024 + 1)  # sparse: nothing is written, nothing need be read

    with pytest.raises(InputError, match=r"台账文件 “台账.csv”：大小 50.0 MB，超过上限 50 MB"):
        open_ledger(path)


def test_a_file_with_thousands_of_bad_cells_gets_a_short_report(engine, tmp_path):
    """Every problem is counted; 200 are listed, each quoting at most 60 characters."""
    path = _write(tmp_path, ("编号,事项名称,责任单位,完成时限\r\n" + "".join(
        f"X-{n},{'长' * 300},没有的单位,2026-02-30\r\n" for n in range(5_000))).encode(), "t.csv")

    with pytest.raises(ValidationFailed) as caught:
        import_file(engine, path)

    message = str(caught.value)
    assert caught.value.total == 15_000  # title too long, no such unit, no such date: each row
    assert message.startswith("t.csv 有 15000 处错误，未写入任何数据：")
    assert message.endswith("……另有 14800 处错误未列出")
    assert len(message.splitlines()) == 202 and len(message) < 40_000
    assert "长" * 60 + "…（共 300 字）" in message


def test_unknown_columns_are_named_twenty_at_most(engine, tmp_path):
    header = "编号,事项名称,责任单位,完成时限," + ",".join(f"{'无关' * 40}{n}" for n in range(500))
    path = _write(tmp_path, (header + "\r\n").encode(), "t.csv")

    result = import_file(engine, path, dry_run=True)

    assert len(result.ignored_columns) == 21 and result.ignored_columns[-1] == "事项：……"
    assert all(len(name) <= 50 for name in result.ignored_columns)  # 30 characters quoted
