"""The .docx as Word will read it (python-docx): GB/T 9704 page, margins, fonts on every run,
the page-number fields; and a broken custom template refused with its paragraph and tag."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from models.domain.periods import parse_period
from models.errors import RenderError
from models.reports.summary.layout import BODY_FONT, H1_FONT, H2_FONT, TITLE_FONT
from models.reports.summary.report import ReportSettings, summary_figures, write_report
from models.reports.summary.template_builder import build
from tests.support.summary_year import AS_OF, SHANGHAI, generate

SETTINGS = ReportSettings(tz=SHANGHAI, bureau="区退役军人事务局")


@pytest.fixture
def report(migrated_sqlite_url, tmp_path):
    from models.store import db

    engine = db.make_engine(migrated_sqlite_url)
    generate(engine, items=300, activities=60, units=6, outbox=50)
    path = tmp_path / "2026年度报告.docx"
    figures = write_report(engine, path, parse_period("2026"), as_of=AS_OF, settings=SETTINGS)
    yield engine, path, figures
    engine.dispose()


def _runs(document):
    body = document.element.body
    yield from body.iter(qn("w:r"))
    for section in document.sections:
        for footer in (section.footer, section.even_page_footer):
            yield from footer._element.iter(qn("w:r"))


def test_page_is_a4_with_the_standard_margins(report):
    document = Document(str(report[1]))
    for section in document.sections:
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        assert [round(m.mm) for m in (section.top_margin, section.bottom_margin,
                                      section.left_margin, section.right_margin)] == [37, 35, 28, 26]
        grid = section._sectPr.find(qn("w:docGrid"))
        assert grid.get(qn("w:linePitch")) == "579"  # 225 mm of text / 22 lines


def test_every_run_has_an_east_asian_font(report):
    document = Document(str(report[1]))
    runs = list(_runs(document))
    assert len(runs) > 100
    missing = [r for r in runs if r.rPr is None or r.rPr.rFonts is None
               or r.rPr.rFonts.get(qn("w:eastAsia")) is None]
    assert missing == []


def test_title_headings_and_body_fonts(report):
    document = Document(str(report[1]))
    paragraphs = document.paragraphs
    title = paragraphs[1]
    assert title.text == "关于2026年度工作情况的报告"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER or title.style.paragraph_format.alignment \
        == WD_ALIGN_PARAGRAPH.CENTER
    fonts = {r.text: r._r.rPr.rFonts.get(qn("w:eastAsia")) for p in paragraphs for r in p.runs}
    assert fonts["关于2026年度工作情况的报告"] == TITLE_FONT
    assert title.runs[0].font.size.pt == 22
    assert fonts["一、工作开展情况"] == H1_FONT
    assert fonts["（一）工作台账情况。"] == H2_FONT
    body = next(p for p in paragraphs if p.text.startswith("2026年以来"))
    assert body.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == BODY_FONT
    assert body.runs[0].font.size.pt == 16


def test_page_numbers_are_fields_odd_right_even_left(report):
    document = Document(str(report[1]))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                         (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        paragraph = footer.paragraphs[0]
        assert paragraph.alignment == side
        instr = [t.text for t in paragraph._p.iter(qn("w:instrText"))]
        assert [i.strip() for i in instr] == ["PAGE"]
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        fonts = {r.rPr.rFonts.get(qn("w:eastAsia")) for r in paragraph._p.iter(qn("w:r"))}
        sizes = {r.font.size.pt for r in paragraph.runs}
        assert fonts == {"宋体"} and sizes == {14}


def test_figures_reach_the_document(report):
    _, path, figures = report
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    total = figures.all_items
    assert f"督办事项共{total.total}项，其中按期办结{total.on_time}项、逾期办结{total.late}项" in text
    assert "二、存在的不足、原因及整改情况" in text and "三、2027年工作打算" in text
    with zipfile.ZipFile(path) as package:
        assert sum(n.startswith("word/media/") for n in package.namelist()) == 2  # two charts


def _broken_template(folder: Path, bad: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "summary.docx"
    build(target)
    document = Document(str(target))
    document.add_paragraph(bad)
    document.save(str(target))


@pytest.mark.parametrize(("bad", "words"), [
    ("{{ items.total ", "语法错误"),
    ("{% for x in categories %}没有结束", "语法错误"),
    ("{{ no_such_name }}", "无法填写"),
])
def test_a_broken_custom_template_names_paragraph_and_tag_and_writes_nothing(
        report, tmp_path, bad, words):
    engine = report[0]
    folder = tmp_path / "templates"
    _broken_template(folder, bad)
    target = tmp_path / "custom.docx"
    settings = ReportSettings(tz=SHANGHAI, bureau="区退役军人事务局", templates_dir=folder)
    with pytest.raises(RenderError) as caught:
        write_report(engine, target, parse_period("2026"), as_of=AS_OF, settings=settings)
    message = str(caught.value)
    assert words in message and "第 " in message and " 段" in message
    assert bad.split()[0] in message or bad[:8] in message
    assert "未生成报告文件" in message
    assert not target.exists()
    assert not any(tmp_path.glob(".custom.docx*"))


def test_a_custom_template_is_used_when_present(report, tmp_path):
    engine = report[0]
    folder = tmp_path / "templates"
    folder.mkdir()
    document = Document()
    document.add_paragraph("本局自定义模板：共{{ items.total }}项")
    document.save(str(folder / "summary.docx"))
    fig = summary_figures(engine, parse_period("2026"), as_of=AS_OF, settings=SETTINGS)
    target = tmp_path / "mine.docx"
    write_report(engine, target, parse_period("2026"), as_of=AS_OF,
                 settings=ReportSettings(tz=SHANGHAI, bureau="局", templates_dir=folder))
    produced = Document(io.BytesIO(target.read_bytes()))
    assert produced.paragraphs[0].text == f"本局自定义模板：共{fig.all_items.total}项"
    assert round(produced.sections[0].top_margin.mm) == round(Mm(37).mm)


def test_the_same_figures_give_the_same_file(report, tmp_path):
    engine, first, _ = report
    second = tmp_path / "again.docx"
    write_report(engine, second, parse_period("2026"), as_of=AS_OF, settings=SETTINGS)
    assert second.read_bytes() == first.read_bytes()


def test_the_shipped_template_is_what_the_builder_makes(tmp_path):
    from models.reports.summary.docx import PACKAGED

    rebuilt = build(tmp_path / "summary.docx")
    with zipfile.ZipFile(rebuilt) as new, zipfile.ZipFile(PACKAGED) as shipped:
        for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml"):
            assert new.read(part) == shipped.read(part), f"{part}: run the template_builder"
