"""duban import / export: the ledger (台账) as an Excel workbook or a CSV file."""

from __future__ import annotations

from pathlib import Path

import typer

from duban.cli.context import NOW_HELP, app_context, err, out
from models.errors import InputError
from models.ledger import DEFAULT_MAX_ROWS, ImportResult, import_ledger
from models.ledger.export import UNCODED_SHEET, export_ledger
from models.ledger.template import write_template


def _counts(result: ImportResult) -> str:
    return (f"事项 新增 {result.items_added} 项、更新 {result.items_updated} 项、"
            f"未变 {result.items_unchanged} 项；单位 新增 {result.units_added} 个、"
            f"更新 {result.units_updated} 个、未变 {result.units_unchanged} 个")


def import_(
    file: Path = typer.Argument(..., help="台账文件：.xlsx（“单位”“事项”两个工作表）或 .csv（只含事项）"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告将做的改动，不写入"),
    max_rows: int = typer.Option(DEFAULT_MAX_ROWS, "--max-rows", min=1,
                                 help="每个工作表最多导入的数据行数"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """导入台账：先校验整个文件，有错误则全部列出且不写入；无误则在一个事务中按编号新增或更新。"""
    ctx = app_context()
    with ctx.session() as session:
        result = import_ledger(session, file, actor=ctx.actor, now=ctx.now(now),
                               tz=ctx.settings.tz, max_rows=max_rows, dry_run=dry_run)
    if result.ignored_columns:
        err.print(f"提示：以下列未识别，已忽略：{'、'.join(result.ignored_columns)}", style="yellow")
    for line in result.warnings:
        err.print(f"警告：{line}", style="yellow")
    if dry_run:
        out.print(f"检查通过，未写入（--dry-run）。导入将会：{_counts(result)}。")
        for line in result.changes:
            out.print(f"  {line}")
    else:
        out.print(f"已导入 {result.source}：{_counts(result)}。")


def export(
    file: Path = typer.Argument(..., help="要写入的 .xlsx 文件（已存在则覆盖）"),
    template: bool = typer.Option(False, "--template",
                                  help="只写空白模板：表头、下拉列表和一行示例"),
    overdue: bool = typer.Option(False, "--overdue", help="“事项”表只列逾期事项"),
    unit: str = typer.Option(None, "--unit", help="只导出该责任单位的事项"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """导出台账（事项、单位、逾期三个工作表，可直接打印），或用 --template 导出空白模板。"""
    ctx = app_context()
    if file.suffix.lower() != ".xlsx":
        raise InputError("文件", str(file), "导出文件名须以 .xlsx 结尾")
    if template:
        if overdue or unit or now:
            raise typer.BadParameter("--template 不能与 --overdue、--unit、--now 同用",
                                     param_hint="--template")
        write_template(file)
        out.print(f"已写入空白台账模板：{file}")
        return
    at = ctx.now(now)
    with ctx.session() as session:
        summary = export_ledger(session, file, clock=ctx.clock(session, at), unit=unit,
                                overdue_only=overdue,
                                title=f"{ctx.settings.bureau_name}督办事项台账")
    uncoded = (f"；另有无编号事项 {summary.without_code} 项（如周期任务生成的事项），"
               f"列在“{UNCODED_SHEET}”表中，导入时不读取" if summary.without_code else "")
    out.print(f"已导出 {file}：事项 {summary.items} 项，单位 {summary.units} 个，"
              f"逾期 {summary.overdue} 项{uncoded}。")


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
