"""duban overdue / overview: what supervisors look at."""

from __future__ import annotations

import typer
from rich.text import Text

from duban.cli.context import JSON_HELP, NOW_HELP, app_context, out, print_json
from duban.cli.items import LIMIT, LIMIT_HELP, OFFSET_HELP, paged, print_rows
from duban.cli.tables import table
from models.records.items import list_items, overdue_items
from models.reports.views import UPCOMING, item_row, light_counts, loop_counts, overview_light


def overdue(
    unit: str = typer.Option(None, "--unit", help="只看该责任单位"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    limit: int = typer.Option(None, "--limit", help=LIMIT_HELP),
    offset: int = typer.Option(0, "--offset", help=OFFSET_HELP),
) -> None:
    """列出逾期事项：未办结、未撤销且已过完成时限（按 DUBAN_TIMEZONE 计算）。"""
    ctx = app_context()
    at = ctx.now(now)
    with ctx.session() as session:
        clock = ctx.clock(session, at)
        rows = [item_row(i, u, clock) for i, u in overdue_items(session, now=at, unit=unit)]
    if as_json:
        print_json(paged(rows, limit, offset))
    else:
        paged(rows, limit, offset)  # checks the options
        local = at.astimezone(ctx.settings.tz)
        print_rows(rows, f"逾期事项（截至 {local:%Y-%m-%d %H:%M}，共 {len(rows)} 项）",
                   limit=LIMIT if limit is None else limit, offset=offset)


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
            lt = overview_light(item, clock)
            per_unit.setdefault(unit.name, {}).setdefault(lt, 0)
            per_unit[unit.name][lt] += 1
        late = [item_row(i, u, clock) for i, u in overdue_items(session, now=at)]
    local = at.astimezone(ctx.settings.tz)
    out.print(f"督办总览（截至 {local:%Y-%m-%d %H:%M}）", style="bold")
    out.print("  ".join(f"{k} {v}" for k, v in counts.items()))
    with ctx.session() as session:
        flow = loop_counts(session, ctx.clock(session, at), rules=ctx.settings.loop_rules)
    out.print("  ".join(f"{k} {v}" for k, v in flow.items()))
    grid = table("责任单位", "逾期", "临期", "正常", UPCOMING, "已办结", title="各单位情况",
                 keep=("逾期", "临期", "正常", UPCOMING, "已办结"))
    for name, c in sorted(per_unit.items(), key=lambda kv: (-kv[1].get("逾期", 0), kv[0])):
        grid.add_row(Text(name), Text(str(c.get("逾期", 0)), style="red"),
                     Text(str(c.get("临期", 0)), style="yellow"),
                     Text(str(c.get("正常", 0)), style="green"), str(c.get(UPCOMING, 0)),
                     str(c.get("已办结", 0)))
    out.print(grid)
    print_rows(late, f"逾期清单（{len(late)} 项）", limit=20, more="全部：duban overdue")


def register(app: typer.Typer) -> None:
    app.command("overdue")(overdue)
    app.command("overview")(overview)
