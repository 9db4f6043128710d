"""The 公文 layout of GB/T 9704-2012, applied with python-docx.

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 22 lines of 28 characters in
三号 (16 pt) 仿宋_GB2312; title 二号 (22 pt) 方正小标宋简体; 一、 in 黑体, （一） in 楷体_GB2312;
page numbers “— 1 —” in 四号 (14 pt) 宋体, odd pages on the right and even pages on the left,
each one character in from the edge of the text.

Word reads a font name per script: the East Asian one (w:eastAsia) is what Chinese text is set
in, and a run without it falls back to the theme's, so every run gets all four set here.
"""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
TABLE_SIZE = Pt(12)  # 小四, for tables
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
CHARS_PER_LINE, LINES_PER_PAGE = 28, 22
TWIPS_PER_MM = 1440 / 25.4


def line_pitch_twips() -> int:
    """The grid's line pitch: the text height (297 − 37 − 35 mm) over 22 lines."""
    return int((297 - 37 - 35) * TWIPS_PER_MM / LINES_PER_PAGE)


def char_pitch_pt() -> float:
    """The width each character needs for 28 to fill the 156 mm line: 15.79 pt."""
    return (210 - 28 - 26) / 25.4 * 72 / CHARS_PER_LINE


def condense_twentieths() -> int:
    """Character spacing (w:spacing, in 1/20 pt, rounded away from zero) that brings a 16 pt
    character down to the pitch: −5, i.e. 15.75 pt, so 28 fit a line.

    A character grid (docGrid linesAndChars) would say the same to Word, but LibreOffice gives
    every 16 pt character two cells of a 15.79 pt grid and sets 14 to a line; condensing the
    characters reads the same in both."""
    import math

    return -math.ceil((16 - char_pitch_pt()) * 20)


def condense(rpr_owner) -> None:
    """Character spacing of ``condense_twentieths()`` on a style or the document defaults."""
    rpr = _rpr(rpr_owner)
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        fonts = rpr.find(qn("w:rFonts"))
        rpr.insert(0 if fonts is None else list(rpr).index(fonts) + 1, spacing)
    spacing.set(qn("w:val"), str(condense_twentieths()))


def _rpr(rpr_owner):
    if hasattr(rpr_owner, "get_or_add_rPr"):
        return rpr_owner.get_or_add_rPr()
    rpr = rpr_owner.find(qn("w:rPr"))  # a plain element such as w:rPrDefault
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_owner.append(rpr)
    return rpr


def set_fonts(rpr_owner, name: str, size=None) -> None:
    """Set all four script fonts (ascii, hAnsi, eastAsia, cs) and the size on a run or style."""
    rpr = _rpr(rpr_owner)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size.pt * 2)))


def east_asian_font(rpr) -> str | None:
    if rpr is None:
        return None
    fonts = rpr.find(qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def exact_lines(paragraph_format) -> None:
    paragraph_format.line_spacing = Pt(line_pitch_twips() / 20)
    from docx.enum.text import WD_LINE_SPACING

    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)


def page_setup(section) -> None:
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.footer_distance = Mm(28 - 7)  # the number 7 mm below the text block
    section.header_distance = Mm(15)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(line_pitch_twips()))
    grid.attrib.pop(qn("w:charSpace"), None)


def _field_run(paragraph, kind: str | None, text: str | None = None):
    run = paragraph.add_run()
    if kind in ("begin", "separate", "end"):
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        run._r.append(char)
    elif kind == "instr":
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = text
        run._r.append(instr)
    else:
        run.text = text or ""
    set_fonts(run._r, PAGE_NUMBER_FONT, SIZE_4)
    return run


def page_number(paragraph, *, odd: bool) -> None:
    """“— N —”: a PAGE field between em dashes, right (odd) or left (even), one character in."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    fmt = paragraph.paragraph_format
    if odd:
        fmt.right_indent = SIZE_4
    else:
        fmt.left_indent = SIZE_4
    _field_run(paragraph, None, "— ")
    _field_run(paragraph, "begin")
    _field_run(paragraph, "instr", " PAGE ")
    _field_run(paragraph, "separate")
    _field_run(paragraph, None, "1")
    _field_run(paragraph, "end")
    _field_run(paragraph, None, " —")


def page_numbers(document) -> None:
    document.settings.odd_and_even_pages_header_footer = True
    for section in document.sections:
        for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            for run in list(paragraph.runs):
                run._r.getparent().remove(run._r)
            page_number(paragraph, odd=odd)


def _style_font(paragraph) -> tuple[str, object]:
    style = paragraph.style
    while style is not None:
        name = east_asian_font(style.element.rPr)
        if name:
            size = style.font.size
            return name, size
        style = style.base_style
    return BODY_FONT, None


def _paragraphs(document):
    body = document.element.body
    from docx.text.paragraph import Paragraph

    for p in body.iter(qn("w:p")):
        yield Paragraph(p, document.part)
    for section in document.sections:
        for part in (section.footer, section.even_page_footer, section.header):
            for p in part._element.iter(qn("w:p")):
                yield Paragraph(p, part.part)


def enforce_fonts(document) -> int:
    """Give every run without an East Asian font its paragraph style's (else 仿宋_GB2312): a
    template edited in Word, or text docxtpl rendered, never falls back to a theme font.
    Returns the runs fixed."""
    fixed = 0
    for paragraph in _paragraphs(document):
        runs = paragraph._p.findall(qn("w:r")) + [r for h in paragraph._p.findall(qn("w:hyperlink"))
                                                   for r in h.findall(qn("w:r"))]
        for r in runs:
            if east_asian_font(r.rPr) is None:
                name, _ = _style_font(paragraph)
                fonts = r.get_or_add_rPr().find(qn("w:rFonts"))
                if fonts is None:
                    set_fonts(r, name)
                else:
                    fonts.set(qn("w:eastAsia"), name)
                fixed += 1
    return fixed
