"""Builds the shipped Word template, ``templates/summary.docx``: the report's wording with
docxtpl tags, in the 公文 layout. The office may copy it to DUBAN_HOME/templates/summary.docx
and reword it in Word; the tags ({{ }}, {% %}, {%p %} for paragraphs, {%tr %} for table rows)
are filled from models.reports.summary.context.

Rebuild after changing the wording here:  python -m models.reports.summary.template_builder
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt

from models.reports.summary.layout import (
    BODY_FONT,
    H1_FONT,
    H2_FONT,
    SIZE_2,
    SIZE_3,
    TABLE_SIZE,
    TITLE_FONT,
    condense,
    exact_lines,
    page_numbers,
    page_setup,
    set_fonts,
)

TEMPLATE = Path(__file__).parent / "templates" / "summary.docx"
INDENT = Pt(32)  # two characters of 三号

BODY = ("{{ period }}以来，{{ bureau }}坚持以习近平新时代中国特色社会主义思想为指导，"
        "认真贯彻落实上级决策部署，依托督办台账和工作台账抓好各项工作落实。现将工作开展情况汇报如下。")
NO_DATA = ("{{ period }}期间，系统中没有登记督办事项和工作台账活动，本报告暂无数据可汇总。"
           "请先登记或导入工作台账和督办事项，再重新生成本报告。")
ACTIVITIES = ("{% if activity_total %}{{ period }}共登记工作台账活动{{ activity_total }}项，"
              "分{{ categories|length }}类。{% else %}本期间工作台账中没有登记活动。{% endif %}")
CATEGORY = ("{{ c.n }}是{{ c.category }}。共{{ c.text }}。{% for t in c.titles %}{{ t.title }}"
            "{{ t.text }}{% if not loop.last %}；{% else %}。{% endif %}{% endfor %}")
ITEMS = ("{% if has_items %}{{ period }}完成时限内的督办事项共{{ items.total }}项，其中按期办结"
         "{{ items.on_time }}项、逾期办结{{ items.late }}项，尚未办结{{ items.open }}项（其中已逾期"
         "{{ items.overdue }}项），按期办结率{{ items.rate }}。各类事项办理情况见表1。"
         "{% else %}本期间没有完成时限在期内的督办事项。{% endif %}")
NODES = ("各单位应按节点报送材料{{ submissions.due }}次，按期报送{{ submissions.on_time }}次、"
         "逾期报送{{ submissions.late }}次、未报送{{ submissions.missing }}次，按期报送率"
         "{{ submissions.rate }}。召开会议{{ meetings_held }}次，应交会议纪要{{ minutes.due }}份，"
         "按期印发{{ minutes.on_time }}份、逾期{{ minutes.late }}份、未交{{ minutes.missing }}份。"
         "{% if street_offices %}各街道办事处办理情况见表2。{% endif %}")
REMINDERS = ("{{ period }}通过督办系统发送临期提醒{{ reminders['临期提醒'] }}条、逾期催办"
             "{{ reminders['逾期催办'] }}条、督办{{ reminders['督办'] }}条、通报{{ reminders['通报'] }}条；"
             "批准延期{{ extensions }}次{% if not extensions_counted %}（系统尚未登记延期，未统计）"
             "{% endif %}。各单位按期办结率见图1，各月末逾期事项数见图2。")
RECT = ("{% if rect.total %}{{ period }}共有整改事项{{ rect.total }}项，已按期完成{{ rect.on_time }}项、"
        "逾期完成{{ rect.late }}项，尚未完成{{ rect.open }}项（其中已逾期{{ rect.overdue }}项）。"
        "{% else %}本期间没有完成时限在期内的整改事项。{% endif %}")
RECT_ITEMS = ("整改情况：{% for r in g.entries %}{{ r.n }}是{{ r.title }}。{{ r.measure }}"
              "{% if r.measure and not r.measure.endswith('。') %}。{% endif %}责任单位：{{ r.unit }}，"
              "完成时限：{{ r.deadline }}，{{ r.status }}{% if not loop.last %}；{% else %}。{% endif %}"
              "{% endfor %}")
RECT_NAMED = ("{% if rect_late %}逾期完成的整改事项：{% for t in rect_late %}“{{ t }}”"
              "{% if not loop.last %}、{% endif %}{% endfor %}。{% endif %}{% if rect_open %}尚未完成的"
              "整改事项：{% for t in rect_open %}“{{ t }}”{% if not loop.last %}、{% endif %}{% endfor %}"
              "，转入下一年度继续整改。{% endif %}")
PLAN = ("{% if is_year %}{{ next_year }}年{% else %}下一阶段{% endif %}，我们将坚持问题导向，把未完成事项和"
        "薄弱环节作为重点，逐项明确责任单位和完成时限，纳入督办台账跟踪问效。")
CARRY = ("{% if carry %}{{ carry_total }}项事项截至{{ date }}尚未办结，转入下一年度继续办理"
         "{% if carry_more %}（以下列出完成时限最早的{{ carry|length }}项，其余{{ carry_more }}项见督办台账）"
         "{% endif %}：{% for c in carry %}{{ c.n }}是{{ c.title }}（{{ c.unit }}，"
         "原完成时限{{ c.deadline }}）"
         "{% if not loop.last %}；{% else %}。{% endif %}{% endfor %}{% else %}本期间督办事项均已办结，"
         "无结转事项。{% endif %}")
WEAK = ("{% if weak_units %}对按期办结率低于{{ weak_rate }}的{{ weak_units|length }}个单位（"
        "{% for u in weak_units %}{{ u.unit }}{{ u.rate }}{% if not loop.last %}、{% endif %}{% endfor %}"
        "）加强催办督办，必要时按程序通报。{% else %}各单位按期办结率均不低于{{ weak_rate }}，继续坚持"
        "节点管理和催办督办机制。{% endif %}")
LEDGER = ("按月登记普法宣传、业务培训、集中学习、走访慰问、优待证发放等工作，做到底数清、情况明，"
          "为年度总结提供准确数据。")


def _styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    set_fonts(normal.element, BODY_FONT, SIZE_3)
    exact_lines(normal.paragraph_format)
    normal.paragraph_format.first_line_indent = INDENT
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # docDefaults too: the grid's character pitch is measured from the default font size.
    defaults = document.styles.element.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}docDefaults")
    rpr_default = defaults.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rPrDefault")
    set_fonts(rpr_default, BODY_FONT, SIZE_3)
    condense(normal.element)
    for name, font, size, centred in (("公文标题", TITLE_FONT, SIZE_2, True),
                                      ("一级标题", H1_FONT, SIZE_3, False),
                                      ("二级标题", H2_FONT, SIZE_3, False),
                                      ("表格文字", BODY_FONT, TABLE_SIZE, True),
                                      ("图表题", BODY_FONT, Pt(14), True)):
        style = styles.add_style(name, 1)
        style.base_style = normal
        set_fonts(style.element, font, size)
        if centred:
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            style.paragraph_format.first_line_indent = Pt(0)
    styles["表格文字"].paragraph_format.line_spacing = 1.0
    styles["表格文字"].paragraph_format.line_spacing_rule = None
    title = styles["公文标题"].paragraph_format
    title.line_spacing = Pt(35)


class Writer:
    def __init__(self) -> None:
        self.doc = Document()
        _styles(self.doc)
        page_setup(self.doc.sections[0])
        page_numbers(self.doc)

    def para(self, text: str = "", style: str = "Normal", *, font: str | None = None,
             lead: str | None = None, lead_font: str = H2_FONT, align=None, indent=None):
        p = self.doc.add_paragraph(style=style)
        size = TABLE_SIZE if style == "表格文字" else (SIZE_2 if style == "公文标题" else SIZE_3)
        if style == "图表题":
            size = Pt(14)
        own = font or {"公文标题": TITLE_FONT, "一级标题": H1_FONT, "二级标题": H2_FONT}.get(style, BODY_FONT)
        if lead:
            run = p.add_run(lead)
            set_fonts(run._r, lead_font, size)
        if text:
            run = p.add_run(text)
            set_fonts(run._r, own, size)
        if align is not None:
            p.alignment = align
        if indent is not None:
            p.paragraph_format.first_line_indent = indent
        return p

    def tag(self, text: str):
        """A paragraph holding only a {%p %} tag (docxtpl removes the paragraph itself)."""
        return self.para(text, indent=Pt(0))

    def table(self, headers: list[str], loop: str, cells: list[str], widths: list[float],
              end: str = "{%tr endfor %}"):
        t = self.doc.add_table(rows=4, cols=len(headers))
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        for column, width in zip(t.columns, widths, strict=True):
            column.width = Mm(width)
            for cell in column.cells:
                cell.width = Mm(width)
        rows = [headers, [loop] + [""] * (len(headers) - 1), cells, [end] + [""] * (len(headers) - 1)]
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                cell = t.cell(r, c)
                p = cell.paragraphs[0]
                p.style = self.doc.styles["表格文字"]
                p.paragraph_format.first_line_indent = Pt(0)
                run = p.add_run(value)
                set_fonts(run._r, H1_FONT if r == 0 else BODY_FONT, TABLE_SIZE)
        return t


def build(path: Path = TEMPLATE) -> Path:
    w = Writer()
    w.para("{{ bureau }}", "公文标题")
    w.para("关于{{ period_title }}工作情况的报告", "公文标题")
    w.para("", indent=Pt(0))
    w.para(BODY)
    w.tag("{%p if not has_data %}")
    w.para(NO_DATA)
    w.tag("{%p endif %}")
    w.para("一、工作开展情况", "一级标题")
    w.para(ACTIVITIES, lead="（一）工作台账情况。")
    w.tag("{%p for c in categories %}")
    w.para(CATEGORY)
    w.tag("{%p endfor %}")
    w.para(ITEMS, lead="（二）督办事项办理情况。")
    w.tag("{%p if has_items %}")
    w.para("表1  各类督办事项办理情况", "图表题")
    w.table(["类别", "总数", "按期办结", "逾期办结", "未办结", "其中逾期", "按期办结率"],
            "{%tr for k in kinds %}",
            ["{{ k.kind }}", "{{ k.total }}", "{{ k.on_time }}", "{{ k.late }}", "{{ k.open }}",
             "{{ k.overdue }}", "{{ k.rate }}"], [30, 20, 21, 21, 21, 21, 22])
    w.tag("{%p endif %}")
    w.para(NODES, lead="（三）报送节点和会议情况。")
    w.tag("{%p if street_offices %}")
    w.para("表2  各街道办事处办理情况", "图表题")
    w.table(["单位", "应办结", "按期", "逾期办结", "未办结", "按期办结率"],
            "{%tr for u in street_offices %}",
            ["{{ u.unit }}", "{{ u.due }}", "{{ u.on_time }}", "{{ u.late }}", "{{ u.missing }}",
             "{{ u.rate }}"], [50, 20, 20, 22, 20, 24])
    w.tag("{%p endif %}")
    w.para(REMINDERS, lead="（四）催办督办情况。")
    w.para("{{ chart_rates }}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=Pt(0))
    w.para("图1  {{ chart_rates_caption }}", "图表题")
    w.para("{{ chart_overdue }}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=Pt(0))
    w.para("图2  {{ chart_overdue_caption }}", "图表题")
    w.para("二、存在的不足、原因及整改情况", "一级标题")
    w.para(RECT)
    w.tag("{%p for g in rect_groups %}")
    w.para("（{{ g.n }}）{{ g.problem }}。", "二级标题")
    w.para(RECT_ITEMS)
    w.tag("{%p endfor %}")
    w.tag("{%p if rect_late or rect_open %}")
    w.para(RECT_NAMED)
    w.tag("{%p endif %}")
    w.para("三、{% if is_year %}{{ next_year }}年{% else %}下一阶段{% endif %}工作打算", "一级标题")
    w.para(PLAN)
    w.para(CARRY, lead="（一）持续推进未完成事项。")
    w.para(WEAK, lead="（二）提升按期办结水平。")
    w.para(LEDGER, lead="（三）抓好工作台账常态化登记。")
    w.para("", indent=Pt(0))
    sign = w.para("{{ bureau }}", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=Pt(0))
    sign.paragraph_format.right_indent = Pt(64)
    dated = w.para("{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=Pt(0))
    dated.paragraph_format.right_indent = Pt(64)
    w.doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    w.para("附件", "一级标题", indent=Pt(0))
    w.para("数据说明", "公文标题")
    w.para("本报告的数字截至{{ as_of }}，由督办系统按以下口径自动统计。")
    w.table(["序号", "指标", "数值", "统计口径"], "{%tr for f in figures %}",
            ["{{ f.no }}", "{{ f.name }}", "{{ f.value }}", "{{ f.how }}"], [12, 36, 42, 66])
    w.doc.core_properties.title = "年度工作总结模板"
    w.doc.core_properties.author = "duban"
    path.parent.mkdir(parents=True, exist_ok=True)
    w.doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE))
