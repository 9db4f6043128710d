"""The report as .html (the web preview) and .md: the same context in Jinja2 templates,
sandboxed, overridable in DUBAN_HOME/templates/ (summary.html.j2, summary.md.j2)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.exceptions import TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from models.errors import RenderError

PACKAGED = Path(__file__).parent / "templates"


def _env(templates_dir: Path | None) -> ImmutableSandboxedEnvironment:
    folders = [FileSystemLoader(str(templates_dir))] if templates_dir else []
    return ImmutableSandboxedEnvironment(
        loader=ChoiceLoader([*folders, FileSystemLoader(str(PACKAGED))]),
        undefined=StrictUndefined, autoescape=select_autoescape(["html.j2"]),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_text(kind: str, context: dict[str, Any], charts: dict[str, bytes], *,
                templates_dir: Path | None = None) -> str:
    """``kind`` "html" (charts inline as data: URIs, no outside fetches) or "md"."""
    name = f"summary.{kind}.j2"
    values = dict(context)
    for key, png in charts.items():
        values[key + "_uri"] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    try:
        return _env(templates_dir).get_template(name).render(values)
    except TemplateSyntaxError as exc:
        raise RenderError(f"报告模板 {exc.filename or name}（第 {exc.lineno} 行）语法错误："
                          f"{exc.message}。未生成报告文件。") from None
    except TemplateError as exc:
        raise RenderError(f"报告模板 {name} 无法填写：{exc}。未生成报告文件。") from None
