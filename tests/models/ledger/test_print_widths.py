"""The printed ledger shows every 编号 whole (issue 14: ZQ1-20261013-10 printed as ZQ1-20261013),
checked on paper: LibreOffice prints the exported workbook to PDF."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from models.ledger.styling import ITEM_LAYOUT, MAX_WIDTH, Col, fit_widths, text_width

NOW = ["--now", "2026-12-01T10:00"]
CODES = ["ZQ1-20261013-10", "ZQ1-20261013-11", "ZQ12-20261231-130"]


def _ledger(make_cli, tmp_path):
    cli = make_cli()
    cli("unit", "add", "--name", "示例十一街道办事处", "--kind", "街道办事处", "--contact", "欧阳明月",
        "--email", "shili-shiyi-jiedao-banshichu-tuiyijunren-fuwuzhan@example.org")
    for code in CODES:
        cli("item", "add", "--kind", "报送节点", "--title", "优抚资金材料", "--unit", "示例十一街道办事处",
            "--deadline", "2026-10-13 17:00", "--code", code, "--person", "欧阳明月")
    path = tmp_path / "台账.xlsx"
    cli("export", path, *NOW)
    return path


def test_columns_are_as_wide_as_their_longest_value(make_cli, tmp_path):
    path = _ledger(make_cli, tmp_path)
    wb = load_workbook(path)
    items = wb["事项"]
    headers = [c.value for c in items[1]]
    code = items.column_dimensions[chr(ord("A") + headers.index("编号"))].width
    assert code >= text_width("ZQ12-20261231-130")
    units = wb["单位"]
    headers = [c.value for c in units[1]]
    email = units.column_dimensions[chr(ord("A") + headers.index("联系邮箱"))]
    assert email.width == MAX_WIDTH  # too long for one line: wrapped at the widest column
    assert units.cell(2, headers.index("联系邮箱") + 1).alignment.wrap_text


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="needs LibreOffice and poppler-utils")
def test_every_code_prints_whole(make_cli, tmp_path):
    path = _ledger(make_cli, tmp_path)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "台账.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    for code in CODES:
        assert code in text, f"{code} cut on paper"


def test_fit_widths_keeps_wrapping_columns_and_widens_one_line_columns():
    layout = fit_widths(ITEM_LAYOUT, [{"code": ("ZQ1-20261013-10", None),
                                      "title": ("很长的标题" * 20, None),
                                      "deadline": ("x", "yyyy-mm-dd hh:mm:ss")}])
    by_key = {c.key: c for c in layout}
    assert by_key["code"].width >= 15 and not by_key["code"].wrap
    assert by_key["title"] == next(c for c in ITEM_LAYOUT if c.key == "title")  # wraps, as was
    assert by_key["deadline"].width >= 19  # a time to the second is not "####"
    assert fit_widths([Col("code", "编号", 11)], []) == [Col("code", "编号", 11)]
