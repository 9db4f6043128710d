"""The exported workbook: its sheets, what a clerk sees and prints, and the template."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from ledger_support import NOW, SHANGHAI, clock, import_file
from openpyxl import load_workbook

from models.ledger.export import UNCODED_SHEET, export_ledger
from models.ledger.template import write_template
from models.records.items import cancel_item, complete_item
from tests.support.factories import make_item, make_unit

ITEM_HEADER = ["序号", "编号", "类别", "事项名称", "问题描述", "整改措施", "来源", "责任单位", "责任人",
               "完成时限", "状态", "督办状态", "完成时间", "备注"]
RED, YELLOW, GREEN, GREY = "00FFC7CE", "00FFEB9C", "00C6EFCE", "00E7E6E6"


@pytest.fixture
def bureau(session):
    """Items in each light at NOW (Tuesday 2026-12-01 10:00)."""
    make_unit(session, "优抚褒扬科")
    make_unit(session, "示例一街道办事处", "街道办事处", contact_email="jd01@example.org")
    make_item(session, "优抚褒扬科", code="B-late", title="逾期的事项", deadline="2026-11-20")
    make_item(session, "优抚褒扬科", code="A-soon", title="临期的事项",
              deadline="2026-12-03 17:00", status="进行中")
    make_item(session, "示例一街道办事处", code="C-fine", title="=正常的事项", deadline="2026-12-31")
    done = make_item(session, "优抚褒扬科", code="D-done", title="已办结的事项", deadline="2026-11-10")
    complete_item(session, done.id, at=datetime(2026, 11, 9, 16, 0, 30, tzinfo=SHANGHAI),
                  actor="test", now=NOW)
    gone = make_item(session, "优抚褒扬科", code="E-gone", title="撤销的事项",
                     deadline="2026-12-31 00:00")
    cancel_item(session, gone.id, actor="test", now=NOW)
    make_item(session, "示例一街道办事处", title="没有编号的事项", deadline="2026-11-25")
    session.flush()
    return session


def _export(session, tmp_path, **kw):
    path = tmp_path / "台账.xlsx"
    summary = export_ledger(session, path, clock=clock(), **kw)
    return summary, load_workbook(path)


def _column(ws, header: str) -> list:
    index = [c.value for c in ws[1]].index(header)
    return [row[index] for row in ws.iter_rows(min_row=2)]


def test_sheets_and_headers(bureau, tmp_path):
    summary, wb = _export(bureau, tmp_path)

    assert wb.sheetnames == ["事项", "单位", "逾期", UNCODED_SHEET]
    assert [c.value for c in wb["事项"][1]] == ITEM_HEADER
    assert [c.value for c in wb["单位"][1]] == ["序号", "单位名称", "类型", "联系人", "联系邮箱",
                                               "联系电话", "分管领导", "分管领导邮箱"]
    assert [c.value for c in wb["逾期"][1]] == ["序号", "编号", "类别", "事项名称", "责任单位",
                                               "责任人", "完成时限", "逾期工作日", "状态", "整改措施"]
    assert (summary.items, summary.units, summary.overdue, summary.without_code) == (5, 2, 2, 1)
    assert [c.value for c in _column(wb["事项"], "编号")] == ["A-soon", "B-late", "C-fine",
                                                             "D-done", "E-gone"]
    assert [c.value for c in _column(wb[UNCODED_SHEET], "事项名称")] == ["没有编号的事项"]


def test_a_clerk_can_filter_scroll_and_print_every_sheet(bureau, tmp_path):
    _, wb = _export(bureau, tmp_path)

    for ws in wb.worksheets:
        assert ws.freeze_panes in ("E2", "C2", "D2")
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert ws.print_title_rows == "$1:$1"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert "&P" in ws.oddFooter.center.text and "截至 2026-12-01 10:00" in ws.oddHeader.right.text
        assert all(ws.column_dimensions[c.column_letter].width >= 5 for c in ws[1])
        assert all(c.font.b for c in ws[1])
    items = wb["事项"]
    assert items.freeze_panes == "E2"
    assert items.column_dimensions["D"].width == 24  # 事项名称
    assert _column(items, "事项名称")[0].alignment.wrap_text


def test_dates_are_real_dates_with_date_formats(bureau, tmp_path):
    _, wb = _export(bureau, tmp_path)

    deadlines = {c.value: d for c, d in zip(_column(wb["事项"], "编号"),
                                            _column(wb["事项"], "完成时限"), strict=True)}
    assert (deadlines["B-late"].value, deadlines["B-late"].number_format) == (
        datetime(2026, 11, 20), "yyyy-mm-dd")
    assert (deadlines["A-soon"].value, deadlines["A-soon"].number_format) == (
        datetime(2026, 12, 3, 17, 0), "yyyy-mm-dd hh:mm")
    # A deadline at 00:00 stays text: a midnight date would read back as "the whole day".
    assert (deadlines["E-gone"].value, deadlines["E-gone"].data_type) == ("2026-12-31 00:00", "s")
    done = _column(wb["事项"], "完成时间")[3]
    assert (done.value, done.number_format) == (datetime(2026, 11, 9, 16, 0, 30),
                                                 "yyyy-mm-dd hh:mm:ss")


def test_status_cells_carry_the_traffic_light(bureau, tmp_path):
    _, wb = _export(bureau, tmp_path)

    items = wb["事项"]
    lights = [c.value for c in _column(items, "督办状态")]
    fills = [c.fill.fgColor.rgb for c in _column(items, "状态")]
    assert lights == ["临期", "逾期", "正常", "已办结", "已撤销"]
    assert fills[:4] == [YELLOW, RED, GREEN, GREY]
    assert [c.fill.fgColor.rgb for c in _column(items, "督办状态")][:4] == fills[:4]


def test_text_that_looks_like_a_formula_stays_text(bureau, tmp_path):
    _, wb = _export(bureau, tmp_path)

    title = _column(wb["事项"], "事项名称")[2]
    assert (title.value, title.data_type) == ("=正常的事项", "s")


def test_drop_down_lists(bureau, tmp_path):
    _, wb = _export(bureau, tmp_path)

    lists = {dv.formula1: str(dv.sqref) for dv in wb["事项"].data_validations.dataValidation}
    assert lists['"未开始,进行中,已提交,已办结,已撤销"'] == "K2:K506"
    assert lists['"整改事项,报送节点,会议,任务"'] == "C2:C506"
    assert lists["'单位'!$B$2:$B$503"] == "H2:H506"
    units = wb["单位"].data_validations.dataValidation
    assert [(dv.formula1, str(dv.sqref)) for dv in units] == [('"科室,街道办事处,其他"', "C2:C503")]


def test_the_overdue_sheet_lists_what_is_late_at_now(bureau, tmp_path):
    _, wb = _export(bureau, tmp_path)

    late = wb["逾期"]
    assert [c.value for c in _column(late, "事项名称")] == ["逾期的事项", "没有编号的事项"]
    assert [c.value for c in _column(late, "逾期工作日")] == [7, 4]
    assert all(c.fill.fgColor.rgb == RED for c in _column(late, "逾期工作日"))


def test_filters_by_unit_and_overdue(bureau, tmp_path):
    summary, wb = _export(bureau, tmp_path, unit="示例一街道办事处")
    assert [c.value for c in _column(wb["事项"], "编号")] == ["C-fine"]
    assert [c.value for c in _column(wb["单位"], "单位名称")] == ["示例一街道办事处"]
    assert [c.value for c in _column(wb["逾期"], "事项名称")] == ["没有编号的事项"]

    summary, wb = _export(bureau, tmp_path, overdue_only=True)
    assert [c.value for c in _column(wb["事项"], "编号")] == ["B-late"]
    assert sorted(c.value for c in _column(wb["单位"], "单位名称")) == ["优抚褒扬科", "示例一街道办事处"]
    assert summary.overdue == 2


def test_an_empty_database_exports_headers_only(session, tmp_path):
    summary, wb = _export(session, tmp_path)

    assert wb.sheetnames == ["事项", "单位", "逾期"]
    assert wb["事项"].max_row == 1 and summary.items == 0


def test_the_template_has_headers_lists_and_one_example_that_imports(engine, tmp_path):
    path = tmp_path / "模板.xlsx"
    write_template(path)

    wb = load_workbook(path)
    assert wb.sheetnames == ["事项", "单位", "填写说明"]
    assert [c.value for c in wb["事项"][1]] == [h for h in ITEM_HEADER if h != "督办状态"]
    assert wb["事项"].max_row == 2 and wb["单位"].max_row == 2
    assert wb["事项"]["J2"].value == datetime(2026, 12, 31)
    assert wb["事项"]["J2"].number_format == "yyyy-mm-dd"
    assert {dv.formula1 for dv in wb["事项"].data_validations.dataValidation} == {
        '"整改事项,报送节点,会议,任务"', '"未开始,进行中,已提交,已办结,已撤销"',
        "'单位'!$B$2:$B$501"}
    assert "编号" in [c.value for c in wb["填写说明"]["A"]]

    result = import_file(engine, path)
    assert (result.items_added, result.units_added) == (1, 1)


def test_exported_deadline_and_completion_formats_match_their_precision():
    from models.ledger.export import _deadline_value

    assert _deadline_value(date(2026, 3, 31), None) == (date(2026, 3, 31), "yyyy-mm-dd")
    assert _deadline_value(date(2026, 3, 31), time(17, 0, 5)) == (
        datetime(2026, 3, 31, 17, 0, 5), "yyyy-mm-dd hh:mm:ss")
