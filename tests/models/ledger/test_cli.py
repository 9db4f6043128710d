"""duban import / export: exit codes, what is printed, and what is (not) written."""

from __future__ import annotations

import json

from ledger_support import FIXTURES, ledger_db_view
from openpyxl import load_workbook

NOW = ["--now", "2026-12-01T10:00"]


def _items(cli) -> list[dict]:
    return json.loads(cli("item", "list", "--json").stdout)


def _units(cli) -> list[dict]:
    return json.loads(cli("unit", "list", "--json").stdout)


def _office(cli) -> None:
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bgs@example.org")


def test_import_prints_the_counts_and_names_ignored_columns(make_cli):
    cli = make_cli()
    _office(cli)

    result = cli("import", FIXTURES / "handmade.xlsx", *NOW)

    assert result.stdout.strip() == (
        "已导入 handmade.xlsx：事项 新增 7 项、更新 0 项、未变 0 项；单位 新增 3 个、更新 0 个、未变 0 个。")
    assert "以下列未识别，已忽略：事项：进展情况" in result.stderr
    assert len(_items(cli)) == 7
    again = cli("import", FIXTURES / "handmade.xlsx", *NOW)
    assert "事项 新增 0 项、更新 0 项、未变 7 项" in again.stdout


def test_a_broken_file_exits_1_listing_every_problem_and_writes_nothing(make_cli):
    cli = make_cli()

    result = cli("import", FIXTURES / "broken.xlsx", *NOW, code=1)

    assert result.stderr.startswith("错误：broken.xlsx 有 18 处错误，未写入任何数据：")
    assert "  事项 第3行 完成时限 “2026-02-30”：不是有效日期" in result.stderr
    assert "  单位 第2行 联系邮箱 “not-an-email”：不是有效的邮箱地址" in result.stderr
    assert _items(cli) == [] and _units(cli) == []


def test_dry_run_checks_and_reports_but_writes_nothing(make_cli):
    cli = make_cli()
    _office(cli)

    result = cli("import", FIXTURES / "handmade.xlsx", "--dry-run", *NOW)

    assert result.stdout.startswith("检查通过，未写入（--dry-run）。导入将会：事项 新增 7 项")
    assert _items(cli) == [] and [u["name"] for u in _units(cli)] == ["办公室"]
    failed = cli("import", FIXTURES / "broken.xlsx", "--dry-run", *NOW, code=1)
    assert "有 18 处错误" in failed.stderr


def test_refused_files_exit_1_with_the_reason(make_cli, tmp_path):
    cli = make_cli()
    (tmp_path / "a.xlsx").write_bytes(b"%PDF-1.7\x00")

    assert "加密的工作簿" in cli("import", FIXTURES / "encrypted.xlsx", code=1).stderr
    assert "不是 .xlsx 或 .csv 文件" in cli("import", tmp_path / "a.xlsx", code=1).stderr
    assert "不存在" in cli("import", tmp_path / "none.xlsx", code=1).stderr
    assert "超过 1 行" in cli("import", FIXTURES / "items_gb18030.csv", "--max-rows", "1",
                               code=1).stderr
    assert cli("import", FIXTURES / "handmade.xlsx", "--max-rows", "0", code=2)
    assert _items(cli) == []


def test_export_then_import_elsewhere_gives_the_same_ledger(make_cli, tmp_path):
    source, target = make_cli("source"), make_cli("target")
    source("--now", "2026-12-01T09:00", "demo")  # as of the export: nothing done after it
    path = tmp_path / "台账.xlsx"

    result = source("export", path, *NOW)

    assert result.stdout.startswith("已导出 ")
    # rectification items and recurring occurrences alike
    items = len(json.loads(source("item", "list", "--json").stdout))
    assert f"事项 {items} 项，单位 19 个" in result.stdout
    target("import", path, *NOW)
    assert ledger_db_view(target.home) == ledger_db_view(source.home)
    assert f"未变 {items} 项" in source("import", path, *NOW).stdout


def test_the_demo_exports_a_workbook_ready_to_print(make_cli, tmp_path):
    cli = make_cli()
    cli("demo")
    path = tmp_path / "台账.xlsx"
    cli("export", path, *NOW)

    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["事项", "单位", "逾期"]
    for ws in wb.worksheets:
        assert ws.max_row > 1
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.oddHeader.center.text
    items = wb["事项"]
    assert items["D1"].value == "事项名称" and items.freeze_panes == "E2"
    assert items.oddHeader.center.text == "区退役军人事务局督办事项台账"
    # Rows with long text are as tall as their wrapped lines.
    heights = [items.row_dimensions[r].height for r in range(2, items.max_row + 1)]
    assert all(h and h >= 30 for h in heights)


def test_export_options(make_cli, tmp_path):
    cli = make_cli()
    cli("demo")

    assert "须以 .xlsx 结尾" in cli("export", tmp_path / "a.csv", code=1).stderr
    assert "单位 “不存在科” 不存在" in cli("export", tmp_path / "a.xlsx", "--unit", "不存在科",
                                          code=1).stderr
    one = cli("export", tmp_path / "u.xlsx", "--unit", "优抚褒扬科", *NOW).stdout
    assert "单位 1 个" in one
    late = cli("export", tmp_path / "o.xlsx", "--overdue", *NOW).stdout
    overdue = json.loads(cli("overdue", "--json", *NOW).stdout)
    assert f"事项 {len(overdue)} 项" in late
    assert cli("export", "--template", tmp_path / "t.xlsx").stdout.startswith("已写入空白台账模板")
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["事项", "单位", "填写说明"]
    assert cli("export", "--template", tmp_path / "t.xlsx", "--overdue", code=2)


def test_export_to_a_folder_that_does_not_exist_is_an_input_error(make_cli, tmp_path):
    cli = make_cli()

    result = cli("export", tmp_path / "没有这个目录" / "台账.xlsx", code=1)

    assert "无法写入" in result.stderr
    assert not (tmp_path / "没有这个目录").exists()
