"""One report from the database: figures as of an instant, then the chosen form (.docx, .html,
.md). Every caller (CLI, scheduled job, Prefect flow, web button) comes through here, so the
same period and instant always give the same file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from models.domain.periods import Period
from models.errors import InputError
from models.reports.summary.appendix import figures_appendix
from models.reports.summary.charts import overdue_chart, rate_chart
from models.reports.summary.context import report_context
from models.reports.summary.docx import render_docx, write_atomically
from models.reports.summary.figures import SummaryFigures, compute
from models.reports.summary.text import render_text

FORMATS = {".docx": "docx", ".html": "html", ".htm": "html", ".md": "md"}


@dataclass(frozen=True)
class ReportSettings:
    tz: ZoneInfo
    bureau: str
    templates_dir: Path | None = None


def summary_figures(engine: Engine, period: Period, *, as_of: datetime,
                    settings: ReportSettings) -> SummaryFigures:
    with engine.connect() as conn:
        return compute(conn, period, as_of=as_of, tz=settings.tz)


def form_of(path: Path) -> str:
    form = FORMATS.get(path.suffix.lower())
    if form is None:
        raise InputError("--out", str(path), "报告文件名须以 .docx、.html 或 .md 结尾")
    return form


def render_report(fig: SummaryFigures, form: str, *, settings: ReportSettings,
                  progress: Callable[[str], None] = lambda _: None) -> bytes:
    """The report's bytes in ``form`` ("docx", "html" or "md")."""
    context = report_context(fig, bureau=settings.bureau)
    context["figures"] = figures_appendix(fig)
    progress("绘制图表")
    rates, rates_caption = rate_chart(fig)
    overdue, overdue_caption = overdue_chart(fig)
    context["chart_rates_caption"], context["chart_overdue_caption"] = rates_caption, overdue_caption
    charts = {"chart_rates": rates, "chart_overdue": overdue}
    progress("填写模板")
    if form == "docx":
        return render_docx(context, charts, templates_dir=settings.templates_dir)
    return render_text(form, context, charts, templates_dir=settings.templates_dir).encode("utf-8")


def write_report(engine: Engine, path: Path, period: Period, *, as_of: datetime,
                 settings: ReportSettings,
                 progress: Callable[[str], None] = lambda _: None) -> SummaryFigures:
    """Compute, render and write ``path`` (its suffix chooses the form); nothing is written
    when any step fails."""
    form = form_of(path)
    progress("统计数据")
    fig = summary_figures(engine, period, as_of=as_of, settings=settings)
    data = render_report(fig, form, settings=settings, progress=progress)
    progress("写入文件")
    write_atomically(path, data)
    return fig
