"""The .docx in a real office suite: LibreOffice converts it to PDF, pdftotext reads it back.
(.ci/run installs libreoffice-writer-nogui and poppler-utils when they are missing.)"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from models.domain.periods import parse_period
from models.reports.summary.report import ReportSettings, write_report
from models.store import db
from tests.support.summary_year import AS_OF, SHANGHAI, generate

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="LibreOffice (soffice) and poppler-utils are needed; .ci/run installs them")


def to_pdf(docx, tmp_path):
    profile = tmp_path / "lo-profile"  # a profile of its own: parallel runs never share a lock
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                   check=True, capture_output=True, timeout=240)
    return tmp_path / (docx.stem + ".pdf")


def test_libreoffice_reads_the_report_as_a_gongwen(migrated_sqlite_url, tmp_path):
    engine = db.make_engine(migrated_sqlite_url)
    generate(engine, items=400, activities=80, units=6, outbox=60)
    docx = tmp_path / "report.docx"
    figures = write_report(engine, docx, parse_period("2026"), as_of=AS_OF,
                           settings=ReportSettings(tz=SHANGHAI, bureau="区退役军人事务局"))
    engine.dispose()
    pdf = to_pdf(docx, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and (round(float(size[1])), round(float(size[2]))) == (595, 842)  # A4
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) >= 3
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "关于2026年度工作情况的报告" in flat
    total = figures.all_items
    assert f"督办事项共{total.total}项，其中按期办结{total.on_time}项" in flat
    assert "一、工作开展情况" in flat and "二、存在的不足、原因及整改情况" in flat
    assert re.search(r"—\s*1\s*—", text)  # the page-number field, as LibreOffice set it
    # 28 characters to a full line of body text (3号 仿宋, 156 mm)
    lines = [line.strip() for line in text.splitlines()]
    longest = max(len(line) for line in lines if re.fullmatch(r"[\u4e00-\u9fff，。、；：“”（）]+", line))
    assert longest == 28
