"""duban sweep / deliver / digest / outbox / ladder / serve: the reminder engine by hand."""

from __future__ import annotations

import typer

from duban import jobs
from duban.cli.context import JSON_HELP, NOW_HELP, app_context, out, print_json
from duban.cli.items import LIMIT, LIMIT_HELP, OFFSET_HELP, paged
from duban.cli.tables import page_hint, table
from models.domain.enums import OutboxStatus
from models.domain.ladder import stage_label
from models.engine.outbox import list_outbox
from models.engine.reminders import DEFAULT_KIND, load_ladders
from models.store.events import snapshot

ladder_app = typer.Typer(help="提醒梯度（临期提醒、逾期催办、督办、通报）", no_args_is_help=True)

AUDIENCE_ZH = {"contact": "责任单位联系人", "leader": "分管领导", "bureau": "主要负责人和督办人员",
               "attendees": "参会人员"}


def sweep(now: str = typer.Option(None, "--now", help=NOW_HELP)) -> None:
    """检查到期与逾期事项，把应发的提醒放入发件箱（可重复运行，不会重复）。"""
    ctx = app_context()
    ctx.engine()
    report = jobs.run_sweep(ctx.settings, now=ctx.now(now))
    detail = "，".join(f"{k} {v}" for k, v in sorted(report.queued.items())) or "无新提醒"
    out.print(f"检查事项 {report.items} 项；新增提醒 {report.total} 条（{detail}）")
    if report.no_recipient:
        out.print(f"有 {report.no_recipient} 条提醒找不到收件人（请补充单位联系人、"
                  "分管领导或局领导、督办人员）", style="yellow")


def deliver(
    now: str = typer.Option(None, "--now", help=NOW_HELP),
    workers: int = typer.Option(1, "--workers", min=1, max=32,
                                help="同时发送的进程数（多核服务器上大批量发送时可设为核数）"),
) -> None:
    """发送发件箱中已到时间的提醒（仅在工作日办公时间内发送）。"""
    ctx = app_context()
    ctx.engine()
    at = ctx.now(now)
    report = jobs.run_deliver(ctx.settings, now=at, workers=workers)
    if not report.office_open:
        local = at.astimezone(ctx.settings.tz)
        out.print(f"{local:%Y-%m-%d %H:%M} 不在工作日办公时间（{ctx.settings.office_hours}），"
                  "只发送会议通知，提醒与催办待上班后发送")
    out.print(f"发送邮件 {report.messages} 封（含提醒 {report.sent} 条），"
              f"稍后重试 {report.retried} 条，失败 {report.failed} 条")


def digest(now: str = typer.Option(None, "--now", help=NOW_HELP)) -> None:
    """生成本周督办周报（每周第一个工作日上班时起生效，每位督办人员每周一份）。"""
    ctx = app_context()
    ctx.engine()
    added = jobs.run_digest(ctx.settings, now=ctx.now(now))
    out.print(f"新增周报 {added} 份" if added else "本周周报已生成或尚未到时间")


def outbox(
    failed: bool = typer.Option(False, "--failed", help="只看发送失败的"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    limit: int = typer.Option(None, "--limit", help=LIMIT_HELP),
    offset: int = typer.Option(0, "--offset", help=OFFSET_HELP),
) -> None:
    """查看发件箱：每条提醒的收件人、状态、尝试次数和最后的错误（最新的在前）。"""
    ctx = app_context()
    with ctx.session() as session:
        rows = list_outbox(session, failed_only=failed)
    fields = ["id", "item_id", "reminder", "stage", "recipient", "recipient_name", "cc", "status",
              "attempts", "send_after", "sent_at", "message_id", "last_error"]
    data = [snapshot(r, fields) for r in rows]
    if as_json:
        print_json(paged(data, limit, offset))
        return
    limit = LIMIT if limit is None else limit
    total, data = len(data), paged(data, limit, offset)
    grid = table("ID", "事项 ID", "类别", "阶段", "收件人", "状态", "尝试", "最后错误",
                 title=f"发件箱（{total} 条）", keep=("ID", "事项 ID"))
    for d in data:
        grid.add_row(str(d["id"]), str(d["item_id"] or ""), d["reminder"], stage_label(d["stage"]),
                     d["recipient"], OutboxStatus(d["status"]).label, str(d["attempts"]),
                     d["last_error"] or "")
    out.print(grid)
    page_hint(len(data), offset, total, what="条")


@ladder_app.command("list")
def ladder_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """列出提醒梯度：默认梯度，以及按事项类别单独设置的梯度。"""
    ctx = app_context()
    with ctx.session() as session:
        ladders = load_ladders(session)
    rows = [
        {"item_kind": kind, "key": r.key, "reminder": r.kind.value, "offset": r.offset,
         "to": r.to.value, "cc": r.cc.value if r.cc else None, "repeat_every": r.repeat_every,
         "minutes_before": r.minutes_before, "any_hour": r.any_hour}
        for kind, rungs in sorted(ladders.items()) for r in rungs
    ]
    if as_json:
        print_json(rows)
        return
    grid = table("适用类别", "阶段", "提醒类别", "相对时限（工作日）", "发给", "抄送", "重复",
                 title="提醒梯度")
    for r in rows:
        kind = "全部（默认）" if r["item_kind"] == DEFAULT_KIND else r["item_kind"]
        offset = "当天" if r["offset"] == 0 else (
            f"到期前 {-r['offset']} 天" if r["offset"] < 0 else f"逾期 {r['offset']} 天")
        if r["minutes_before"] is not None:
            offset = f"开始前 {r['minutes_before']} 分钟"
        grid.add_row(kind, stage_label(r["key"]), r["reminder"], offset, AUDIENCE_ZH[r["to"]],
                     AUDIENCE_ZH.get(r["cc"] or "", ""),
                     f"每 {r['repeat_every']} 个工作日" if r["repeat_every"] else "")
    out.print(grid)


def serve(
    no_web: bool = typer.Option(False, "--no-web", help="只运行调度器，不启动网页工作台"),
) -> None:
    """启动内嵌服务：网页工作台，以及按时检查、发送提醒和周报的调度器（同一数据库只能运行一个）。"""
    from duban.scheduler import serve as run_service

    ctx = app_context()
    ctx.engine()
    server = None
    if not no_web:
        from duban.web.server import WebServer, address

        server = WebServer(ctx.settings, **_web_clock(ctx))
        out.print(f"网页工作台：{address(ctx.settings)}")
    run_service(ctx.settings, out=out.print, web=server)


def web(
    workers: int = typer.Option(1, "--workers", min=1, max=64, envvar="DUBAN_WEB_WORKERS",
                                help="网页服务进程数（用户多时设为服务器核数）"),
) -> None:
    """只启动网页工作台（不运行调度器；扩展部署时在另一台机器上使用）。"""
    from duban.web.server import WebServer, address, serve_workers

    ctx = app_context()
    engine = ctx.engine()
    if workers > 1:
        engine.dispose()  # each worker process opens its own connections
        out.print(f"网页工作台：{address(ctx.settings)}（{workers} 个进程；按 Ctrl+C 停止）")
        serve_workers(ctx.settings, workers, ctx.fixed_now)
        return
    server = WebServer(ctx.settings, **_web_clock(ctx))
    out.print(f"网页工作台：{address(ctx.settings)}（按 Ctrl+C 停止）")
    server.run()


def _web_clock(ctx) -> dict:
    """``duban --now …`` fixes the web's clock too (demonstrations, replays)."""
    return {"clock": lambda: ctx.fixed_now} if ctx.fixed_now else {}


def register(app: typer.Typer) -> None:
    for command in (sweep, deliver, digest, outbox, serve, web):
        app.command(command.__name__)(command)
    app.add_typer(ladder_app, name="ladder")


