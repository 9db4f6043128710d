"""duban item …: supervised items (督办事项)."""

from __future__ import annotations

import typer
from rich.text import Text
from sqlmodel import select

from duban.cli.context import JSON_HELP, NOW_HELP, app_context, err, out, print_json
from duban.cli.loop_show import loop_details, print_instructions, print_loop
from duban.cli.tables import page_hint, table
from models.domain.enums import ItemKind, ItemStatus, choose
from models.domain.holidays import parse_policy, settle_deadline
from models.errors import InputError
from models.records import items as item_ops
from models.reports.history import describe_events
from models.reports.views import item_row, pending_extension_ids, shown_time
from models.store.events import history
from models.store.tables import Unit

app = typer.Typer(help="督办事项：新增、查询、修改、办结、撤销、填报进展", no_args_is_help=True)

KIND_HELP = "类别：整改事项 / 报送节点 / 会议 / 任务"
DEADLINE_HELP = "完成时限：日期（2026-03-31，当日24:00截止）或日期时间（2026-03-31 17:00）"
HOLIDAY_HELP = ("完成时限落在节假日或周末时：keep 保留（不再提示）、next 顺延至下一工作日、"
                "previous 提前至上一工作日；不给则保留并提示")


def _settle_deadline(ctx, session, fields: dict, policy: str | None) -> None:
    """Check a given deadline against the calendar: warn about a day off, or move it."""
    chosen = parse_policy(policy) if policy is not None else None
    if fields.get("deadline") is None:
        if chosen is not None:
            raise InputError("--holiday-deadline", policy, "须与 --deadline 一起使用")
        return
    deadline = item_ops.clean_field("deadline", fields["deadline"])
    fields["deadline"], notice = settle_deadline(deadline, chosen, ctx.calendar(session))
    if notice:
        err.print(("提示：" if chosen else "警告：") + notice, style="yellow")


def _enum_option(enum_cls, value: str | None, option: str):
    if value is None:
        return None
    return choose(enum_cls, value, option)


LIMIT = 50
LIMIT_HELP = f"最多显示多少条（表格默认 {LIMIT}，0 为全部；--json 默认全部）"
OFFSET_HELP = "跳过前多少项（翻页）"


def print_rows(rows: list[dict], title: str, *, limit: int | None = LIMIT,
               offset: int = 0, more: str | None = None) -> None:
    """Items as a table, ``limit`` of them from ``offset``, with a hint for the rest."""
    shown = rows[offset:offset + limit] if limit else rows[offset:]
    grid = table("ID", "编号", "类别", "事项名称", "责任单位", "完成时限", "状态", "督办",
                 "逾期工作日", title=title, keep=("ID", "编号"),
                 narrow={"类别": 4, "完成时限": 10, "状态": 6, "督办": 4, "逾期工作日": 4})
    colour = {"逾期": "red", "临期": "yellow", "正常": "green"}
    for r in shown:
        style = colour.get(r["light"], "")
        shown_light = Text(r["light"], style=style)
        grid.add_row(str(r["id"]), r["code"] or "", r["kind"], r["title"], r["unit"],
                     shown_time(r["deadline"]), r["status"], shown_light,
                     str(r["days_overdue"] or ""))
    out.print(grid)
    page_hint(len(shown), offset, len(rows), more=more)


def paged(rows: list[dict], limit: int | None, offset: int) -> list[dict]:
    if offset < 0:
        raise InputError("--offset", offset, "不能为负数")
    if limit is not None and limit < 0:
        raise InputError("--limit", limit, "不能为负数（0 为全部）")
    return rows[offset:offset + limit] if limit else rows[offset:]


@app.command("add")
def add(
    kind: str = typer.Option(..., "--kind", help=KIND_HELP),
    title: str = typer.Option(..., "--title", help="事项名称"),
    unit: str = typer.Option(..., "--unit", help="责任单位名称"),
    deadline: str = typer.Option(..., "--deadline", help=DEADLINE_HELP),
    code: str = typer.Option(None, "--code", help="编号（本单位的事项编号，唯一）"),
    person: str = typer.Option(None, "--person", help="责任人"),
    measure: str = typer.Option(None, "--measure", help="整改措施"),
    source: str = typer.Option(None, "--source", help="来源，如“2023年法治建设报告·存在的困难和不足”"),
    detail: str = typer.Option(None, "--detail", help="问题描述"),
    holiday: str = typer.Option(None, "--holiday-deadline", help=HOLIDAY_HELP),
) -> None:
    """新增督办事项，输出新事项的 ID。"""
    ctx = app_context()
    fields = {"kind": kind, "title": title, "unit": unit, "deadline": deadline, "code": code,
              "person": person, "measure": measure, "source": source, "detail": detail}
    with ctx.session() as session:
        _settle_deadline(ctx, session, fields, holiday)
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
    limit: int = typer.Option(None, "--limit", help=LIMIT_HELP),
    offset: int = typer.Option(0, "--offset", help=OFFSET_HELP),
) -> None:
    """列出督办事项（按完成时限排序，表格默认显示前 50 项）。"""
    ctx = app_context()
    kind_ = _enum_option(ItemKind, kind, "--kind")
    status_ = _enum_option(ItemStatus, status, "--status")
    at = ctx.now(now)
    with ctx.session() as session:
        clock = ctx.clock(session, at)
        rows = [item_row(i, u, clock)
                for i, u in item_ops.list_items(session, kind=kind_, unit=unit, status=status_)]
    if as_json:
        print_json(paged(rows, limit, offset))
    else:
        paged(rows, limit, offset)  # checks the options
        print_rows(rows, f"督办事项（共 {len(rows)} 项）",
                   limit=LIMIT if limit is None else limit, offset=offset)


@app.command("show")
def show(
    item_id: int = typer.Argument(..., help="事项 ID（数字）"),
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
        events = history(session, "item", item_id)
        row["history"] = [
            {"at": e.at.astimezone(ctx.settings.tz).isoformat(timespec="seconds"),
             "actor": e.actor, "action": e.action, "before": e.before, "after": e.after}
            for e in events
        ]
        units = dict(session.exec(select(Unit.id, Unit.name)).all())
        lines = describe_events(events, ctx.settings.tz, units)
    if as_json:
        print_json(row)
        return
    print_instructions(row["instructions"])
    labels = {"id": "ID", "code": "编号", "kind": "类别", "title": "事项名称",
              "unit": "责任单位", "person": "责任人", "deadline": "完成时限", "status": "状态",
              "light": "督办状态", "completed_at": "完成时间", "days_overdue": "逾期工作日",
              "detail": "问题描述", "measure": "整改措施", "source": "来源"}
    for key, label in labels.items():
        value = row[key]
        if key in ("deadline", "completed_at"):
            value = shown_time(value)
        out.print(Text.assemble((label, "bold"), f"：{value if value is not None else ''}"))
    print_loop(row)
    out.print(Text.assemble(("进展", "bold"), "：" + ("" if row["progress"] else "（无）")))
    for p in row["progress"]:
        files = f"（附件：{'、'.join(p['files'])}）" if p.get("files") else ""
        out.print(f"  {shown_time(p['at'])} {p['author']}：{p['note']}{files}")
    out.print("操作记录：", style="bold")
    for line in lines:
        out.print(f"  {line}")


@app.command("update")
def update(
    item_id: int = typer.Argument(..., help="事项 ID（数字）"),
    kind: str = typer.Option(None, "--kind", help=KIND_HELP),
    title: str = typer.Option(None, "--title", help="事项名称"),
    unit: str = typer.Option(None, "--unit", help="责任单位名称"),
    deadline: str = typer.Option(None, "--deadline", help=DEADLINE_HELP),
    code: str = typer.Option(None, "--code", help="编号"),
    person: str = typer.Option(None, "--person", help="责任人"),
    measure: str = typer.Option(None, "--measure", help="整改措施"),
    source: str = typer.Option(None, "--source", help="来源"),
    detail: str = typer.Option(None, "--detail", help="问题描述"),
    status: str = typer.Option(None, "--status", help="状态：未开始 / 进行中 / 已提交"),
    holiday: str = typer.Option(None, "--holiday-deadline", help=HOLIDAY_HELP),
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
        _settle_deadline(ctx, session, fields, holiday)
        item_ops.update_item(session, item_id, fields, actor=ctx.actor, now=ctx.now(),
                             tz=ctx.settings.tz)
    out.print(f"已修改事项 {item_id}")


@app.command("done")
def done(
    item_id: int = typer.Argument(..., help="事项 ID（数字）"),
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
def cancel(item_id: int = typer.Argument(..., help="事项 ID（数字）")) -> None:
    """撤销一个事项。"""
    ctx = app_context()
    with ctx.session() as session:
        item_ops.cancel_item(session, item_id, actor=ctx.actor, now=ctx.now())
    out.print(f"事项 {item_id} 已撤销")
