"""The report as a .docx: the office's Word template (docxtpl: Jinja2 tags inside the .docx)
filled in a sandbox, then the 公文 layout checked onto every run.

The template is ``templates/summary.docx`` in this package unless the office keeps its own as
``DUBAN_HOME/templates/summary.docx``. A template that fails (a broken tag, an unknown name, a
sandbox refusal) raises RenderError naming the paragraph and the tag, and no file is written.
"""

from __future__ import annotations

import io
import os
import re
import traceback
import zipfile
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from models.errors import InputError, RenderError
from models.reports.summary.layout import enforce_fonts, page_numbers, page_setup

PACKAGED = Path(__file__).parent / "templates" / "summary.docx"
TEMPLATE_NAME = "summary.docx"
CHART_WIDTH = Mm(150)
_TAG = re.compile(r"\{[{%#].*?[}%#]\}|\{[{%#][^}]*$")


def template_path(templates_dir: Path | None) -> Path:
    """The office's own template when it has one, else the packaged one."""
    if templates_dir is not None and (templates_dir / TEMPLATE_NAME).is_file():
        return templates_dir / TEMPLATE_NAME
    return PACKAGED


def _where(exc: Exception) -> int | None:
    """The template line (docxtpl puts each paragraph on a line of its own) of a failure."""
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == "<template>":
            return frame.lineno
    return None


def _tag(source_lines: list[str], lineno: int | None) -> str:
    if lineno is None or not 0 < lineno <= len(source_lines):
        return ""
    text = re.sub(r"<[^>]+>", "", source_lines[lineno - 1])
    tags = _TAG.findall(text)
    return tags[0] if len(tags) == 1 else "、".join(tags[:3]) if tags else text[:60]


def _describe(exc: Exception, path: Path, lines: list[str]) -> RenderError:
    lineno = _where(exc)
    paragraph = f"第 {lineno - 1} 段" if lineno and lineno > 1 else "某段"
    tag = _tag(lines, lineno)
    tag_text = f"，标签“{tag}”" if tag else ""
    if isinstance(exc, TemplateSyntaxError):
        why = f"语法错误：{exc.message}"
    elif isinstance(exc, SecurityError):
        why = f"被沙箱拒绝：{exc}"
    else:
        why = f"无法填写：{exc}"
    return RenderError(f"报告模板 {path}（{paragraph}{tag_text}）{why}。未生成报告文件。")


class _Template(DocxTemplate):
    """Keeps the XML it renders, so a failure can be placed by paragraph and tag."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.last_source: list[str] = []

    def render_xml_part(self, src_xml, part, context, jinja_env=None):
        self.last_source = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml).splitlines()
        return super().render_xml_part(src_xml, part, context, jinja_env)


def render_docx(context: dict[str, Any], charts: dict[str, bytes], *,
                templates_dir: Path | None = None) -> bytes:
    """The filled document's bytes. RenderError (naming paragraph and tag) when the template
    fails; InputError when it is not a readable .docx."""
    path = template_path(templates_dir)
    try:
        template = _Template(str(path))
        template.init_docx()
    except Exception as exc:  # a zip that is not a Word document, a truncated file …
        raise InputError("报告模板", str(path), f"不是可读取的 Word 文档（{type(exc).__name__}）") from None
    values = dict(context)
    for name, png in charts.items():
        values[name] = InlineImage(template, io.BytesIO(png), width=CHART_WIDTH)
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    try:
        template.render(values, jinja_env=env, autoescape=True)
    except (TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise _describe(exc, path, template.last_source) from None
    document = template.docx
    for section in document.sections:
        page_setup(section)
    if path == PACKAGED:
        page_numbers(document)  # a custom template keeps the footers the office gave it
    enforce_fonts(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_dates(buffer.getvalue())


def _fixed_dates(package: bytes) -> bytes:
    """The same package with every entry dated 1980-01-01: python-docx stamps entries with the
    time of saving, and a report of the same figures should be the same file, byte for byte,
    whoever asked for it (CLI, web button, schedule)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a failure leaves no half-written report."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError("文件", str(path), f"无法写入（{exc.strerror or exc}）") from None
