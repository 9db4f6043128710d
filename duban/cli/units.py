"""duban unit …: the responsible units and their contacts."""

from __future__ import annotations

import typer

from duban.cli.context import JSON_HELP, app_context, out, print_json
from duban.cli.tables import table as grid
from models.records.units import UnitInput, add_unit, list_units
from models.store.events import snapshot

app = typer.Typer(help="单位（科室、街道办事处等）及其联系人、分管领导", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="单位名称（唯一）"),
    kind: str = typer.Option(..., "--kind", help="类型：科室 / 街道办事处 / 其他"),
    contact: str = typer.Option(..., "--contact", help="联系人"),
    email: str = typer.Option(..., "--email", help="联系人邮箱"),
    phone: str = typer.Option(None, "--phone", help="联系电话"),
    leader: str = typer.Option(None, "--leader", help="分管领导"),
    leader_email: str = typer.Option(None, "--leader-email", help="分管领导邮箱"),
) -> None:
    """新增单位。"""
    ctx = app_context()
    with ctx.session() as session:
        unit = add_unit(
            session,
            UnitInput(name, kind, contact, email, phone, leader, leader_email),
            actor=ctx.actor, now=ctx.now(),
        )
    out.print(f"已新增单位：{unit.name}（编号 {unit.id}）")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """列出全部单位。"""
    ctx = app_context()
    with ctx.session() as session:
        units = list_units(session)
    if as_json:
        fields = ["id", "name", "kind", "contact_name", "contact_email", "contact_phone",
                  "leader_name", "leader_email"]
        print_json([snapshot(u, fields) for u in units])
        return
    table = grid("编号", "单位名称", "类型", "联系人", "联系邮箱", "联系电话", "分管领导",
                  title=f"单位（共 {len(units)} 个）")
    for u in units:
        table.add_row(str(u.id), u.name, u.kind.value, u.contact_name, u.contact_email,
                      u.contact_phone or "", u.leader_name or "")
    out.print(table)
