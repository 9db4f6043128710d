"""duban calendar …: working days, and loading a year's holiday notice."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from sqlmodel import select

from duban.cli.context import app_context, out
from models.domain.parsing import parse_date
from models.store.calendar_store import parse_calendar_csv, save_overrides
from models.store.tables import CalendarDay

app = typer.Typer(help="工作日历：法定节假日与调休", no_args_is_help=True)


@app.command("is-workday")
def is_workday(day: str = typer.Argument(..., help="日期，如 2026-10-10")) -> None:
    """是否为工作日：输出 是 或 否。"""
    ctx = app_context()
    d = parse_date(day, "日期")
    with ctx.session() as session:
        answer = ctx.calendar(session).is_workday(d)
    out.print("是" if answer else "否")


@app.command("add-workdays", context_settings={"ignore_unknown_options": True})
def add_workdays(
    day: str = typer.Argument(..., help="起始日期"),
    n: str = typer.Argument(..., help="工作日数，可为 0 或负数"),
) -> None:
    """从某日起数 N 个工作日，输出所得日期。"""
    ctx = app_context()
    d = parse_date(day, "起始日期")
    try:
        count = int(n)
    except ValueError:
        raise typer.BadParameter(f"“{n}” 不是整数", param_hint="N") from None
    with ctx.session() as session:
        out.print(ctx.calendar(session).add_workdays(d, count).isoformat())


@app.command("next-workday")
def next_workday(day: str = typer.Argument(..., help="日期")) -> None:
    """某日之后的第一个工作日。"""
    ctx = app_context()
    d = parse_date(day, "日期")
    with ctx.session() as session:
        out.print(ctx.calendar(session).next_workday(d).isoformat())


@app.command("workdays-between")
def workdays_between(
    start: str = typer.Argument(..., help="开始日期（不计入）"),
    end: str = typer.Argument(..., help="结束日期（计入）"),
) -> None:
    """两个日期之间的工作日数（不含开始日，含结束日）。"""
    ctx = app_context()
    a, b = parse_date(start, "开始日期"), parse_date(end, "结束日期")
    with ctx.session() as session:
        out.print(ctx.calendar(session).workdays_between(a, b))


@app.command("load")
def load(file: Path = typer.Argument(..., help="CSV 文件，列：日期,类型(休/班),名称")) -> None:
    """载入国务院办公厅通知中的节假日与调休安排（整表校验，有错则不写入）。"""
    ctx = app_context()
    overrides = parse_calendar_csv(file)
    with ctx.session() as session:
        added, changed = save_overrides(session, overrides, actor=ctx.actor, now=ctx.now())
    years = "、".join(str(y) for y in sorted({o.day.year for o in overrides}))
    out.print(f"已载入 {years} 年日历：新增 {added} 天，更新 {changed} 天，"
              f"未变 {len(overrides) - added - changed} 天")


@app.command("list")
def list_(year: int = typer.Option(None, "--year", help="只看该年")) -> None:
    """列出已载入的日历调整（休/班）。"""
    ctx = app_context()
    with ctx.session() as session:
        query = select(CalendarDay).order_by(CalendarDay.day)
        rows = [r for r in session.exec(query) if year is None or r.day.year == year]
    table = Table("日期", "类型", "名称", title=f"已载入的日历调整（{len(rows)} 天）")
    for r in rows:
        table.add_row(r.day.isoformat(), "班" if r.workday else "休", r.name)
    out.print(table)
