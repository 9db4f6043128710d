"""duban calendar …: working days, and loading a year's holiday notice."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import typer
from sqlmodel import select

from duban.cli.context import NOW_HELP, app_context, err, out
from duban.cli.tables import table as grid
from models.domain.calendar import package_years
from models.domain.parsing import parse_date
from models.records.reschedule import follow_calendar
from models.store.calendar_store import loaded_years, parse_calendar_csv, save_overrides
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
    now = ctx.now()
    with ctx.session() as session:
        added, changed = save_overrides(session, overrides, actor=ctx.actor, now=now)
        session.flush()
        moves = follow_calendar(session, now=now, tz=ctx.settings.tz, actor=ctx.actor,
                                days=[o.day for o in overrides if not o.workday])
    years = "、".join(str(y) for y in sorted({o.day.year for o in overrides}))
    out.print(f"已载入 {years} 年日历：新增 {added} 天，更新 {changed} 天，"
              f"未变 {len(overrides) - added - changed} 天")
    _print_moves(moves)


def _print_moves(moves) -> None:
    """What the new calendar moved among the generated occurrences, one line per change."""
    def units(names: list[str]) -> str:
        return names[0] if len(names) == 1 else f"{names[0]}等 {len(names)} 个单位"

    if moves.moved:
        out.print("按新日历调整了已生成的周期事项：")
    for template, old, new, names in moves.grouped():
        where = f"调整为 {new}" if new else "已撤回（按新日历该日不再有这一期）"
        out.print(f"  {template}（{units(names)}）：{old} {where}")
    if moves.created:
        out.print(f"  按新日历新增 {moves.created} 期事项")
    for template, old, _, names in moves.grouped(moves.kept):
        err.print(f"提示：{template}（{units(names)}）{old} 的一期已有办理记录，未调整日期",
                  style="yellow")
    for line in moves.holiday_items:
        err.print(f"提示：{line}，如需调整请用 duban item update", style="yellow")


@app.command("status")
def status(now: str = typer.Option(None, "--now", help=NOW_HELP)) -> None:
    """日历覆盖情况：哪些年份的节假日已知（内置数据或已载入的通知），今年和明年是否齐备。"""
    ctx = app_context()
    today = ctx.now(now).astimezone(ctx.settings.tz).date()
    first, last = package_years()
    with ctx.session() as session:
        loaded = loaded_years(session)
        calendar = ctx.calendar(session)
        covered = {y: calendar.is_covered(y) for y in (today.year, today.year + 1)}
    out.print(f"内置节假日数据（chinesecalendar {version('chinesecalendar')}）：{first}–{last} 年")
    if loaded:
        for y in loaded:
            at = y.loaded_at.astimezone(ctx.settings.tz)
            out.print(f"已载入 {y.year} 年的调整：休 {y.days_off} 天、班 {y.workdays} 天"
                      f"（最近载入 {at:%Y-%m-%d %H:%M}）")
    else:
        out.print("尚未载入任何节假日通知（duban calendar load）")
    for year, known in covered.items():
        which = "今年" if year == today.year else "明年"
        if known:
            out.print(f"{which}（{year}）：节假日已知")
        else:
            err.print(f"警告：{which}（{year}）的节假日安排尚未载入，暂按周一至周五计算工作日；"
                      "国务院办公厅发布通知后请运行 duban calendar load 文件.csv", style="yellow")


@app.command("list")
def list_(year: int = typer.Option(None, "--year", help="只看该年")) -> None:
    """列出已载入的日历调整（休/班）。"""
    ctx = app_context()
    with ctx.session() as session:
        query = select(CalendarDay).order_by(CalendarDay.day)
        rows = [r for r in session.exec(query) if year is None or r.day.year == year]
    table = grid("日期", "类型", "名称", title=f"已载入的日历调整（{len(rows)} 天）")
    for r in rows:
        table.add_row(r.day.isoformat(), "班" if r.workday else "休", r.name)
    out.print(table)
