"""The shape of a sheet: where its header is, which columns it must have, how many rows it
may hold. Problems here are reported like cell problems: sheet, row, column, value, reason."""

from __future__ import annotations

import pytest
from ledger_support import UNIT_HEADER, UNIT_ROW, dump, import_file, write_workbook
from sqlmodel import Session, select

from models.errors import Refused, ValidationFailed
from models.store.tables import Item

ROW = ["Z-1", "做好优待证办理工作", "优抚褒扬科", "2026-12-31"]


def _problems(engine, path) -> list[str]:
    before = dump(engine)
    with pytest.raises(ValidationFailed) as caught:
        import_file(engine, path)
    assert dump(engine) == before
    return [str(p) for p in caught.value.problems]


def test_headers_forgive_spaces_full_width_forms_and_the_usual_variants(engine, tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [UNIT_HEADER, UNIT_ROW],
        "事项": [["编　号", " 事项名称 ", "ＡＢ", "牵头单位", "时限"], ["Z-1", "标题", "x", "优抚褒扬科",
                                                                "2026/12/31"]],
    })

    result = import_file(engine, path)

    assert result.items_added == 1
    assert result.ignored_columns == ("事项：ＡＢ",)  # named as the clerk wrote it


def test_title_rows_above_the_header_are_skipped(engine, tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [["优抚褒扬科联系表"], [], UNIT_HEADER, UNIT_ROW],
        "事项": [["2026年督办台账"], ["填报单位：督办室", None, "填报日期：2026-11-30"],
                 ["编号", "事项名称", "责任单位", "完成时限"], ROW],
    })

    assert import_file(engine, path).items_added == 1
    with Session(engine) as session:
        assert session.exec(select(Item.title)).all() == ["做好优待证办理工作"]


def test_missing_and_repeated_columns_are_listed_for_both_sheets(engine, tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [["单位名称", "联系人"], ["优抚褒扬科", "刘洋"]],
        "事项": [["事项名称", "完成时限", "责任单位", "完成期限"], ["标题", "2026-12-31", "x", "2026-12-31"]],
    })

    assert _problems(engine, path) == [
        "单位 第1行 表头 “类型”：缺少必需的列",
        "单位 第1行 表头 “联系邮箱”：缺少必需的列",
        "事项 第1行 表头 “完成期限”：与 B 列重复（都是“完成时限”）",
        "事项 第1行 表头 “编号”：缺少必需的列",
    ]


def test_an_empty_item_sheet_lacks_every_required_column(engine, tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {"事项": []})

    assert _problems(engine, path) == [
        "事项 第1行 表头 “编号”：缺少必需的列",
        "事项 第1行 表头 “事项名称”：缺少必需的列",
        "事项 第1行 表头 “责任单位”：缺少必需的列（也可写作 牵头单位）",
        "事项 第1行 表头 “完成时限”：缺少必需的列（也可写作 完成期限、时限）",
    ]


def test_more_rows_than_the_limit_are_refused_before_anything_is_written(engine, tmp_path):
    rows = [[f"Z-{i}", "标题", "优抚褒扬科", "2026-12-31"] for i in range(6)]
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [UNIT_HEADER, UNIT_ROW],
        "事项": [["编号", "事项名称", "责任单位", "完成时限"], *rows, [None, None, None, None]],
    })
    before = dump(engine)

    with pytest.raises(Refused, match="“事项”工作表的数据超过 5 行"):
        import_file(engine, path, max_rows=5)
    assert dump(engine) == before

    assert import_file(engine, path, max_rows=6).items_added == 6


def test_rows_with_only_a_row_number_are_not_data(engine, tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [UNIT_HEADER, UNIT_ROW],
        "事项": [["序号", "编号", "事项名称", "责任单位", "完成时限"], [1, *ROW], [2], [3], [4]],
    })

    assert import_file(engine, path, max_rows=4).items_added == 1
    # They still count towards --max-rows: a file cannot make import read without end.
    with pytest.raises(Refused, match="数据超过 3 行"):
        import_file(engine, path, max_rows=3)


def test_formulas_with_saved_results_are_read_and_without_are_refused(engine, tmp_path):
    """openpyxl saves formulas without results, as some generators do; LibreOffice and Excel
    save both (tests/ledger/fixtures/libreoffice.xlsx)."""
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [UNIT_HEADER, UNIT_ROW],
        "事项": [["序号", "编号", "事项名称", "责任单位", "完成时限"],
                 ["=ROW()-1", "Z-1", "=\"做好\"&\"工作\"", "优抚褒扬科", "2026-12-31"]],
    })

    # The formula in 序号 is in a column import skips; only 事项名称's matters.
    assert _problems(engine, path) == [
        "事项 第2行 事项名称 “=\"做好\"&\"工作\"”：公式没有保存计算结果：请在 Excel 中打开并保存后再导入",
    ]


def test_a_unit_row_with_problems_does_not_also_fail_the_items_naming_it(engine, tmp_path):
    bad_unit = [*UNIT_ROW]
    bad_unit[3] = "刘洋邮箱"
    path = write_workbook(tmp_path / "t.xlsx", {
        "单位": [UNIT_HEADER, bad_unit],
        "事项": [["编号", "事项名称", "责任单位", "完成时限"], ROW],
    })

    assert _problems(engine, path) == ["单位 第2行 联系邮箱 “刘洋邮箱”：不是有效的邮箱地址"]
