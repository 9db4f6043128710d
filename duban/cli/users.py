"""duban user …: accounts of the web workspace (管理员, 督办人员, 局领导, 承办单位)."""

from __future__ import annotations

import getpass
import sys

import typer
from rich.table import Table

from duban.cli.context import JSON_HELP, app_context, out, print_json
from models.records.accounts import add_account, list_accounts, set_disabled, set_password

app = typer.Typer(help="网页工作台的账号（管理员、督办人员、局领导、承办单位）", no_args_is_help=True)


def read_password() -> str:
    """The password from standard input when it is piped (first line), else asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输一次：") != first:
        raise typer.BadParameter("两次输入的密码不一致")
    return first


@app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="用户名（登录名，也记入操作日志）"),
    role: str = typer.Option(..., "--role", help="角色：admin / supervisor / leader / unit"),
    unit: str = typer.Option(None, "--unit", help="承办单位账号所属的单位"),
) -> None:
    """新增账号；密码从标准输入读取（或交互输入）。"""
    ctx = app_context()
    password = read_password()
    with ctx.session() as session:
        account = add_account(session, name=name, role=role, unit=unit, password=password,
                              actor=ctx.actor, now=ctx.now())
    out.print(f"已新增账号：{account.name}（{account.role.value}）")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """列出全部账号。"""
    ctx = app_context()
    with ctx.session() as session:
        rows = [{"name": a.name, "role": a.role.value, "unit": u.name if u else None,
                 "disabled": a.disabled,
                 "locked_until": a.locked_until.astimezone(ctx.settings.tz).isoformat(timespec="minutes")
                 if a.locked_until else None}
                for a, u in list_accounts(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("用户名", "角色", "单位", "状态", title=f"账号（共 {len(rows)} 个）")
    for r in rows:
        table.add_row(r["name"], r["role"], r["unit"] or "", "已停用" if r["disabled"] else "正常")
    out.print(table)


@app.command("disable")
def disable(name: str = typer.Argument(..., help="用户名")) -> None:
    """停用账号（已登录的会话立即失效）。"""
    ctx = app_context()
    with ctx.session() as session:
        set_disabled(session, name, True, actor=ctx.actor, now=ctx.now())
    out.print(f"已停用账号：{name}")


@app.command("enable")
def enable(name: str = typer.Argument(..., help="用户名")) -> None:
    """重新启用账号。"""
    ctx = app_context()
    with ctx.session() as session:
        set_disabled(session, name, False, actor=ctx.actor, now=ctx.now())
    out.print(f"已启用账号：{name}")


@app.command("passwd")
def passwd(name: str = typer.Argument(..., help="用户名")) -> None:
    """修改密码（从标准输入读取或交互输入）；该账号已登录的会话全部失效。"""
    ctx = app_context()
    password = read_password()
    with ctx.session() as session:
        set_password(session, name, password, actor=ctx.actor, now=ctx.now())
    out.print(f"已修改账号 {name} 的密码")
