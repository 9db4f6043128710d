"""duban activity …: the work ledger (工作台账) the year-end summary counts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from duban.cli.context import JSON_HELP, NOW_HELP, app_context, err, out, print_json
from models.domain.parsing import parse_date
from models.domain.periods import parse_period
from models.errors import InputError
from models.ledger.activities import DEFAULT_MAX_ROWS, export_activities, import_activities
from models.records import activities as ops
from models.records import submissions

app = typer.Typer(help="工作台账：登记、查看、导入、导出活动（普法宣传、业务培训、走访慰问……）",
                  no_args_is_help=True)
category_app = typer.Typer(help="台账类别：查看或增加", no_args_is_help=True)
app.add_typer(category_app, name="category")


@app.command("add")
def add(
    day: str = typer.Option(..., "--date", help="开展日期，如 2026-03-05"),
    category: str = typer.Option(..., "--category",
                                 help="类别，如 普法宣传（见 duban activity category list）"),
    title: str = typer.Option(..., "--title", help="活动名称"),
    unit: str = typer.Option(None, "--unit", help="责任单位"),
    times: str = typer.Option(None, "--times", help="次数"),
    people: str = typer.Option(None, "--people", help="人数"),
    amount: str = typer.Option(None, "--amount", help="金额（元）"),
    pieces: str = typer.Option(None, "--pieces", help="件数"),
    note: str = typer.Option(None, "--note", help="备注"),
    files: list[Path] = typer.Option(None, "--file", help="附件，可重复"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """登记一项活动。"""
    ctx = app_context()
    at = ctx.now(now)
    fields = {"day": day, "category": category, "title": title, "unit": unit, "times": times,
              "people": people, "amount": amount, "pieces": pieces, "note": note}
    ops.clean_activity(fields)  # every field checked before any file is stored
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    for f in files or []:
        submissions.check_upload(f, max_bytes=limit)
    with ctx.session() as session:
        stored = [submissions.store_file(f, ctx.settings.files_dir, max_bytes=limit)
                  for f in files or []]
        activity = ops.add_activity(session, fields, actor=ctx.actor, now=at,
                                    today=at.astimezone(ctx.settings.tz).date(), files=stored)
        out.print(f"已登记活动 {activity.id}：{activity.day} {category} {activity.title}")


@app.command("list")
def list_(
    period: str = typer.Option(None, "--period", help="期间：2026、2026-H2、2026-Q4 或 2026-12"),
    since: str = typer.Option(None, "--from", help="起始日期（含）"),
    until: str = typer.Option(None, "--to", help="截止日期（含）"),
    category: str = typer.Option(None, "--category", help="只看该类别"),
    unit: str = typer.Option(None, "--unit", help="只看该责任单位"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """列出台账中的活动。"""
    ctx = app_context()
    start, end = _range(period, since, until)
    with ctx.session() as session:
        views = ops.list_activities(session, start=start, end=end, category=category, unit=unit)
    if as_json:
        print_json([v.as_dict() for v in views])
        return
    table = Table("id", "日期", "类别", "活动名称", "责任单位", "次数", "人数", "金额", "件数",
                  title=f"工作台账（{len(views)} 项）")
    for v in views:
        table.add_row(str(v.id), str(v.day), v.category, v.title, v.unit or "",
                      *("" if x is None else f"{x:g}" for x in (v.times, v.people, v.amount, v.pieces)))
    out.print(table)


def _range(period: str | None, since: str | None, until: str | None):
    if period and (since or until):
        raise typer.BadParameter("--period 不能与 --from、--to 同用", param_hint="--period")
    if period:
        p = parse_period(period)
        return p.start, p.end
    return (parse_date(since, "--from") if since else None,
            parse_date(until, "--to") if until else None)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="台账文件：.xlsx（含“工作台账”工作表）或 .csv"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告将做的改动，不写入"),
    max_rows: int = typer.Option(DEFAULT_MAX_ROWS, "--max-rows", min=1, help="最多导入的数据行数"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """导入工作台账：先校验整个文件，有错误则全部列出且不写入；无误则在一个事务中写入。"""
    ctx = app_context()
    at = ctx.now(now)
    with ctx.session() as session:
        result = import_activities(session, file, actor=ctx.actor, now=at,
                                   today=at.astimezone(ctx.settings.tz).date(),
                                   max_rows=max_rows, dry_run=dry_run)
    if result.ignored_columns:
        err.print(f"提示：以下列未识别，已忽略：{'、'.join(result.ignored_columns)}", style="yellow")
    counts = (f"活动 新增 {len(result.added)} 项、更新 {len(result.updated)} 项、"
              f"未变 {result.unchanged} 项")
    out.print(f"检查通过，未写入（--dry-run）。导入将会：{counts}。" if dry_run
              else f"已导入 {result.source}：{counts}。")


@app.command("export")
def export(
    file: Path = typer.Argument(..., help="要写入的 .xlsx 或 .csv 文件（已存在则覆盖）"),
    period: str = typer.Option(None, "--period", help="期间：2026、2026-H2、2026-Q4 或 2026-12"),
    since: str = typer.Option(None, "--from", help="起始日期（含）"),
    until: str = typer.Option(None, "--to", help="截止日期（含）"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """导出工作台账（可再导入）。"""
    ctx = app_context()
    if file.suffix.lower() not in (".xlsx", ".csv"):
        raise InputError("文件", str(file), "导出文件名须以 .xlsx 或 .csv 结尾")
    start, end = _range(period, since, until)
    at = ctx.now(now)
    with ctx.session() as session:
        count = export_activities(session, file, start=start, end=end,
                                  heading=f"{ctx.settings.bureau_name}工作台账",
                                  as_of=f"截至 {at.astimezone(ctx.settings.tz):%Y-%m-%d %H:%M}")
    out.print(f"已导出 {file}：活动 {count} 项。")


@category_app.command("list")
def category_list() -> None:
    """列出台账类别。"""
    with app_context().session() as session:
        for c in ops.list_categories(session):
            out.print(c.name)


@category_app.command("add")
def category_add(name: str = typer.Argument(..., help="类别名称")) -> None:
    """增加一个台账类别。"""
    ctx = app_context()
    with ctx.session() as session:
        ops.add_category(session, name, actor=ctx.actor, now=ctx.now())
    out.print(f"已增加类别：{name.strip()}")
