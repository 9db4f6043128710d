"""duban item …: supervised items (督办事项)."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from duban.cli.context import JSON_HELP, NOW_HELP, app_context, out, print_json
from duban.cli.loop_show import loop_details, print_instructions, print_loop
from models.domain.enums import ItemKind, ItemStatus, choose
from models.errors import InputError
from models.records import items as item_ops
from models.reports.views import item_row, pending_extension_ids
from models.store.events import history
from models.store.tables import Unit

app = typer.Typer(help="督办事项：新增、查询、修改、办结、撤销、填报进展", no_args_is_help=True)

KIND_HELP = "类别：整改事项 / 报送节点 / 会议 / 任务"
DEADLINE_HELP = "完成时限：日期（2026-03-31，当日24:00截止）或日期时间（2026-03-31 17:00）"


def _enum_option(enum_cls, value: str | None, option: str):
    if value is None:
        return None
    return choose(enum_cls, value, option)


def print_rows(rows: list[dict], title: str) -> None:
    table = Table("编号", "事项编号", "类别", "事项名称", "责任单位", "完成时限", "状态", "督办",
                  "逾期工作日", title=title)
    colour = {"逾期": "red", "临期": "yellow", "正常": "green"}
    for r in rows:
        style = colour.get(r["light"], "")
        shown_light = Text(r["light"], style=style)
        table.add_row(str(r["id"]), r["code"] or "", r["kind"], r["title"], r["unit"],
                      r["deadline"].replace("T", " ")[:16], r["status"], shown_light,
                      str(r["days_overdue"] or ""))
    out.print(table)


@app.command("add")
def add(
    kind: str = typer.Option(..., "--kind", help=KIND_HELP),
    title: str = typer.Option(..., "--title", help="事项名称"),
    unit: str = typer.Option(..., "--unit", help="责任单位名称"),
    deadline: str = typer.Option(..., "--deadline", help=DEADLINE_HELP),
    code: str = typer.Option(None, "--code", help="事项编号（唯一）"),
    person: str = typer.Option(None, "--person", help="责任人"),
    measure: str = typer.Option(None, "--measure", help="整改措施"),
    source: str = typer.Option(None, "--source", help="来源，如“2023年法治建设报告·存在的困难和不足”"),
    detail: str = typer.Option(None, "--detail", help="问题描述"),
) -> None:
    """新增督办事项，输出新事项的编号。"""
    ctx = app_context()
    fields = {"kind": kind, "title": title, "unit": unit, "deadline": deadline, "code": code,
              "person": person, "measure": measure, "source": source, "detail": detail}
    with ctx.session() as session:
        item = item_ops.add_item(session, fields, actor=ctx.actor, now=ctx.now(),
                                 tz=ctx.settings.tz)
    out.print(item.id)


@app.command("list")
def list_(
    kind: str = typer.Option(None, "--kind", help=KIND_HELP),
    unit: str = typer.Option(None, "--unit", help="只看该责任单位"),
    status: str = typer.Option(None, "--status",
                               help="只看该状态：未开始/进行中/已提交/已办结/已撤销"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """列出督办事项。"""
    ctx = app_context()
    kind_ = _enum_option(ItemKind, kind, "--kind")
    status_ = _enum_option(ItemStatus, status, "--status")
    at = ctx.now(now)
    with ctx.session() as session:
        clock = ctx.clock(session, at)
        rows = [item_row(i, u, clock)
                for i, u in item_ops.list_items(session, kind=kind_, unit=unit, status=status_)]
    if as_json:
        print_json(rows)
    else:
        print_rows(rows, f"督办事项（共 {len(rows)} 项）")


@app.command("show")
def show(
    item_id: int = typer.Argument(..., help="事项编号（数字 id）"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出"),
) -> None:
    """查看一个事项的全部信息、进展和操作记录。"""
    ctx = app_context()
    at = ctx.now(now)
    with ctx.session() as session:
        item = item_ops.get_item(session, item_id)
        unit = session.get(Unit, item.unit_id)
        row = item_row(item, unit, ctx.clock(session, at), rules=ctx.settings.loop_rules,
                       pending_extension=bool(pending_extension_ids(session, [item_id])))
        row.update(loop_details(session, item_id, ctx.settings.tz))
        row["progress"] = [
            {"at": p.at.astimezone(ctx.settings.tz).isoformat(timespec="minutes"),
             "note": p.note, "author": p.author,
             "files": row["progress_files"].get(str(p.id), [])}
            for p in item_ops.progress_of(session, item_id)
        ]
        row["history"] = [
            {"at": e.at.astimezone(ctx.settings.tz).isoformat(timespec="seconds"),
             "actor": e.actor, "action": e.action, "before": e.before, "after": e.after}
            for e in history(session, "item", item_id)
        ]
    if as_json:
        print_json(row)
        return
    print_instructions(row["instructions"])
    labels = {"id": "编号", "code": "事项编号", "kind": "类别", "title": "事项名称",
              "unit": "责任单位", "person": "责任人", "deadline": "完成时限", "status": "状态",
              "light": "督办状态", "completed_at": "完成时间", "days_overdue": "逾期工作日",
              "detail": "问题描述", "measure": "整改措施", "source": "来源"}
    for key, label in labels.items():
        out.print(Text.assemble((label, "bold"), f"：{row[key] if row[key] is not None else ''}"))
    print_loop(row)
    out.print(Text.assemble(("进展", "bold"), "：" + ("" if row["progress"] else "（无）")))
    for p in row["progress"]:
        files = f"（附件：{'、'.join(p['files'])}）" if p.get("files") else ""
        out.print(f"  {p['at']} {p['author']}：{p['note']}{files}")
    out.print("操作记录：", style="bold")
    for e in row["history"]:
        out.print(f"  {e['at']} {e['actor']} {e['action']} {e['before'] or ''} → {e['after']}")


@app.command("update")
def update(
    item_id: int = typer.Argument(..., help="事项编号（数字 id）"),
    kind: str = typer.Option(None, "--kind", help=KIND_HELP),
    title: str = typer.Option(None, "--title", help="事项名称"),
    unit: str = typer.Option(None, "--unit", help="责任单位名称"),
    deadline: str = typer.Option(None, "--deadline", help=DEADLINE_HELP),
    code: str = typer.Option(None, "--code", help="事项编号"),
    person: str = typer.Option(None, "--person", help="责任人"),
    measure: str = typer.Option(None, "--measure", help="整改措施"),
    source: str = typer.Option(None, "--source", help="来源"),
    detail: str = typer.Option(None, "--detail", help="问题描述"),
    status: str = typer.Option(None, "--status", help="状态：未开始 / 进行中 / 已提交"),
) -> None:
    """修改事项的字段（只改给出的字段；已办结、已撤销的事项不能修改）。"""
    ctx = app_context()
    given = {"kind": kind, "title": title, "unit": unit, "deadline": deadline, "code": code,
             "person": person, "measure": measure, "source": source, "detail": detail,
             "status": status}
    fields = {k: v for k, v in given.items() if v is not None}
    if not fields:
        raise InputError("选项", "", "至少给出一个要修改的字段，如 --deadline")
    with ctx.session() as session:
        item_ops.update_item(session, item_id, fields, actor=ctx.actor, now=ctx.now(),
                             tz=ctx.settings.tz)
    out.print(f"已修改事项 {item_id}")


@app.command("done")
def done(
    item_id: int = typer.Argument(..., help="事项编号（数字 id）"),
    at: str = typer.Option(None, "--at", help="完成时间（ISO 格式，默认现在）"),
) -> None:
    """办结（销号）一个事项。"""
    ctx = app_context()
    now = ctx.now()
    completed_at = ctx.now(at, "--at") if at else None
    with ctx.session() as session:
        item_ops.complete_item(session, item_id, at=completed_at, actor=ctx.actor, now=now)
    out.print(f"事项 {item_id} 已办结")


@app.command("cancel")
def cancel(item_id: int = typer.Argument(..., help="事项编号（数字 id）")) -> None:
    """撤销一个事项。"""
    ctx = app_context()
    with ctx.session() as session:
        item_ops.cancel_item(session, item_id, actor=ctx.actor, now=ctx.now())
    out.print(f"事项 {item_id} 已撤销")
