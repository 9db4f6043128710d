"""duban summary: the year-end summary (年度总结) drafted from what duban tracked."""

from __future__ import annotations

from pathlib import Path

import typer

from duban.cli.context import app_context, err, out, print_json
from duban.jobs import report_settings
from models.domain.periods import check_not_future, parse_period
from models.reports.summary.carry import carry_over
from models.reports.summary.context import as_json
from models.reports.summary.report import form_of, summary_figures, write_report

AS_OF_HELP = "统计时点（ISO 格式，如 2026-12-20T09:00；默认现在）"


def summary(
    year: int = typer.Option(None, "--year", help="年度，如 2026"),
    period: str = typer.Option(None, "--period", help="期间：2026、2026-H2、2026-Q4 或 2026-12"),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    output: Path = typer.Option(None, "--out", help="报告文件：.docx（公文格式）、.html 或 .md"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出各项数字"),
    carry: bool = typer.Option(False, "--carry-over",
                               help="把未办结事项转为下一年度的事项（可重复执行，不会重复转入）"),
) -> None:
    """生成年度（或半年、季度、月度）工作总结：数字取自督办事项和工作台账。"""
    ctx = app_context()
    if (year is None) == (period is None):
        raise typer.BadParameter("请给出 --year 或 --period 之一", param_hint="--year")
    if not (output or as_json or carry):
        raise typer.BadParameter("请给出 --out 文件、--json 或 --carry-over", param_hint="--out")
    chosen = parse_period(str(year) if period is None else period,
                          field="--year" if period is None else "--period")
    at = ctx.now(as_of, "--as-of")
    check_not_future(chosen, at.astimezone(ctx.settings.tz).date(),
                     field="--year" if period is None else "--period")
    if output is not None:
        form_of(output)
    settings = report_settings(ctx.settings)
    engine = ctx.engine()
    if output is not None:
        fig = write_report(engine, output, chosen, as_of=at, settings=settings)
        note = "" if fig.has_data else "（本期间没有数据，报告中已说明）"
        out.print(f"已生成 {output}：{chosen.label}，截至 "
                  f"{at.astimezone(ctx.settings.tz):%Y-%m-%d %H:%M}{note}")
    if as_json:
        print_json(as_json_of(engine, chosen, at, settings))
    if carry:
        with ctx.session() as session:
            result = carry_over(session, chosen, as_of=at, tz=ctx.settings.tz, actor=ctx.actor)
        target = err if as_json else out
        target.print(f"结转到 {chosen.year + 1} 年：新增 {result.added} 项，"
                     f"此前已结转 {result.existing} 项。")


def as_json_of(engine, period, at, settings):
    return as_json(summary_figures(engine, period, as_of=at, settings=settings))


def register(app: typer.Typer) -> None:
    app.command("summary")(summary)
