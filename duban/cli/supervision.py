"""duban overdue / overview: what supervisors look at."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from duban.cli.context import JSON_HELP, NOW_HELP, app_context, out, print_json
from duban.cli.items import print_rows
from models.records.items import list_items, overdue_items
from models.reports.views import item_row, light_counts, loop_counts


def overdue(
    unit: str = typer.Option(None, "--unit", help="只看该责任单位"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """列出逾期事项：未办结、未撤销且已过完成时限（按 DUBAN_TIMEZONE 计算）。"""
    ctx = app_context()
    at = ctx.now(now)
    with ctx.session() as session:
        clock = ctx.clock(session, at)
        rows = [item_row(i, u, clock) for i, u in overdue_items(session, now=at, unit=unit)]
    if as_json:
        print_json(rows)
    else:
        local = at.astimezone(ctx.settings.tz)
        print_rows(rows, f"逾期事项（截至 {local:%Y-%m-%d %H:%M}，共 {len(rows)} 项）")


def overview(now: str = typer.Option(None, "--now", help=NOW_HELP)) -> None:
    """督办总览：各状态事项数、各单位红黄绿灯、逾期清单。"""
    ctx = app_context()
    at = ctx.now(now)
    with ctx.session() as session:
        clock = ctx.clock(session, at)
        all_rows = list_items(session)
        counts = light_counts(all_rows, clock)
        per_unit: dict[str, dict[str, int]] = {}
        for item, unit in all_rows:
            lt = item_row(item, unit, clock)["light"]
            per_unit.setdefault(unit.name, {}).setdefault(lt, 0)
            per_unit[unit.name][lt] += 1
        late = [item_row(i, u, clock) for i, u in overdue_items(session, now=at)]
    local = at.astimezone(ctx.settings.tz)
    out.print(f"督办总览（截至 {local:%Y-%m-%d %H:%M}）", style="bold")
    out.print("  ".join(f"{k} {v}" for k, v in counts.items()))
    with ctx.session() as session:
        flow = loop_counts(session, ctx.clock(session, at), rules=ctx.settings.loop_rules)
    out.print("  ".join(f"{k} {v}" for k, v in flow.items()))
    table = Table("责任单位", "逾期", "临期", "正常", "已办结", title="各单位情况")
    for name, c in sorted(per_unit.items(), key=lambda kv: (-kv[1].get("逾期", 0), kv[0])):
        table.add_row(Text(name), Text(str(c.get("逾期", 0)), style="red"),
                      Text(str(c.get("临期", 0)), style="yellow"),
                      Text(str(c.get("正常", 0)), style="green"), str(c.get("已办结", 0)))
    out.print(table)
    print_rows(late, f"逾期清单（{len(late)} 项）")


def register(app: typer.Typer) -> None:
    app.command("overdue")(overdue)
    app.command("overview")(overview)
