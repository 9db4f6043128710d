"""The 督办 closed loop on the command line: duban item ack / progress / accept / return /
instruct / urge, and duban extension request / approve / reject / list."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from duban.cli.context import JSON_HELP, app_context, out, print_json
from models.domain.deadlines import Deadline
from models.records import extensions as ext_ops
from models.records import loop
from models.records.submissions import check_upload, store_file
from models.records.units import get_unit
from models.store.tables import Extension

extension_app = typer.Typer(help="延期申请：申请、批准、驳回、查看待审批", no_args_is_help=True)

ID_HELP = "事项编号（数字 id）"


def ack(item_id: int = typer.Argument(..., help=ID_HELP)) -> None:
    """签收一个交办的事项。"""
    ctx = app_context()
    with ctx.session() as session:
        loop.ack(session, item_id, actor=ctx.actor, now=ctx.now())
    out.print(f"已签收事项 {item_id}")


def progress(
    item_id: int = typer.Argument(..., help=ID_HELP),
    note: str = typer.Argument(..., help="进展情况"),
    files: list[Path] = typer.Option(None, "--file", help="附件，可重复"),
    at: str = typer.Option(None, "--at", help="进展时间（默认现在）"),
) -> None:
    """填报事项进展（反馈），可附文件。"""
    ctx = app_context()
    now = ctx.now()
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    for f in files or []:
        check_upload(f, max_bytes=limit)
    with ctx.session() as session:
        loop.check_progress(session, item_id, note)
        stored = [store_file(f, ctx.settings.files_dir, max_bytes=limit) for f in files or []]
        loop.add_progress(session, item_id, note, actor=ctx.actor, now=now, files=stored,
                          at=ctx.now(at, "--at") if at else None)
    out.print(f"已记录事项 {item_id} 的进展" + (f"（附件 {len(stored)} 个）" if stored else ""))


def accept(item_id: int = typer.Argument(..., help=ID_HELP)) -> None:
    """审核通过（销号）：办结一个已提交的事项，完成时间为其报送时间。"""
    ctx = app_context()
    with ctx.session() as session:
        item = loop.accept(session, item_id, actor=ctx.actor, now=ctx.now())
        on_time = item.completed_at is not None and item.completed_at <= item.due_at
    out.print(f"事项 {item_id} 审核通过，已销号" + ("（按期）" if on_time else "（逾期）"))


def return_(
    item_id: int = typer.Argument(..., help=ID_HELP),
    reason: str = typer.Option(..., "--reason", help="退回理由"),
) -> None:
    """退回一个已提交的事项：重新办理，逾期仍按原完成时限计算，催办恢复。"""
    ctx = app_context()
    with ctx.session() as session:
        loop.return_item(session, item_id, reason=reason, actor=ctx.actor, now=ctx.now())
    out.print(f"事项 {item_id} 已退回")


def instruct(
    item_id: int = typer.Argument(..., help=ID_HELP),
    text: str = typer.Argument(..., help="批示内容"),
) -> None:
    """领导批示：显示在事项最前，并在下一次提醒中引用。"""
    ctx = app_context()
    with ctx.session() as session:
        loop.instruct(session, item_id, text, actor=ctx.actor, now=ctx.now())
    out.print(f"已记录对事项 {item_id} 的批示")


def urge(
    item_ids: list[int] = typer.Argument(..., help="事项编号，可多个"),
    to: list[str] = typer.Option(None, "--to", help="收件人邮箱，可重复（默认该单位联系人）"),
) -> None:
    """手动催办：立即为所选事项各发一封催办通知（在办公时间内发出）。"""
    ctx = app_context()
    with ctx.session() as session:
        n = loop.urge_now(session, item_ids, actor=ctx.actor, now=ctx.now(), recipients=to or None,
                          domain=ctx.settings.engine_config.mail_domain)
    out.print(f"已加入发送队列：催办通知 {n} 封（办公时间内由 deliver 发出）")


@extension_app.command("request")
def request(
    item_id: int = typer.Argument(..., help=ID_HELP),
    to: str = typer.Option(..., "--to", help="延期至：日期（2026-12-31）或日期时间（2026-12-31 17:00）"),
    reason: str = typer.Option(..., "--reason", help="延期理由"),
) -> None:
    """申请延期（须在完成时限之前）。"""
    ctx = app_context()
    with ctx.session() as session:
        made = ext_ops.request_extension(session, item_id, to=to, reason=reason, actor=ctx.actor,
                                         now=ctx.now(), tz=ctx.settings.tz)
        ext_id = made.id
    out.print(f"已提交延期申请 {ext_id}（事项 {item_id}），等待审批")


@extension_app.command("approve")
def approve(extension_id: int = typer.Argument(..., help="延期申请编号")) -> None:
    """批准延期：事项改用新的完成时限，原时限保留用于考核。"""
    ctx = app_context()
    with ctx.session() as session:
        made = ext_ops.approve_extension(session, extension_id, actor=ctx.actor, now=ctx.now(),
                                         tz=ctx.settings.tz)
        target = Deadline(made.to_date, made.to_time)
        item_id = made.item_id
    out.print(f"已批准延期申请 {extension_id}：事项 {item_id} 的完成时限改为 {target}")


@extension_app.command("reject")
def reject(
    extension_id: int = typer.Argument(..., help="延期申请编号"),
    reason: str = typer.Option(..., "--reason", help="驳回理由"),
) -> None:
    """驳回延期申请。"""
    ctx = app_context()
    with ctx.session() as session:
        ext_ops.reject_extension(session, extension_id, reason=reason, actor=ctx.actor,
                                 now=ctx.now())
    out.print(f"已驳回延期申请 {extension_id}")


def extension_row(e: Extension, tz) -> dict:
    return {
        "id": e.id, "item_id": e.item_id, "status": e.status.value,
        "from": str(Deadline(e.from_date, e.from_time)), "to": str(Deadline(e.to_date, e.to_time)),
        "reason": e.reason, "requested_by": e.requested_by,
        "requested_at": e.requested_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "decided_by": e.decided_by,
        "decided_at": e.decided_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if e.decided_at else None,
        "decision_note": e.decision_note,
    }


@extension_app.command("list")
def list_(
    unit: str = typer.Option(None, "--unit", help="只看该责任单位"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """列出待审批的延期申请。"""
    ctx = app_context()
    with ctx.session() as session:
        unit_id = get_unit(session, unit).id if unit else None
        rows = [extension_row(e, ctx.settings.tz)
                for e in ext_ops.pending_extensions(session, unit_id=unit_id)]
    if as_json:
        print_json(rows)
        return
    table = Table("申请编号", "事项", "原时限", "延期至", "理由", "申请人", "申请时间",
                  title=f"待审批的延期申请（共 {len(rows)} 项）")
    for r in rows:
        table.add_row(str(r["id"]), str(r["item_id"]), r["from"], r["to"], r["reason"],
                      r["requested_by"], r["requested_at"])
    out.print(table)


def register(items_app: typer.Typer, app: typer.Typer) -> None:
    items_app.command("ack")(ack)
    items_app.command("progress")(progress)
    items_app.command("accept")(accept)
    items_app.command("return")(return_)
    items_app.command("instruct")(instruct)
    items_app.command("urge")(urge)
    app.add_typer(extension_app, name="extension")

