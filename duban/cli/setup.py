"""duban init / demo / person …: setting up the database and the bureau's people."""

from __future__ import annotations

import typer

from duban import migrations
from duban.cli.context import JSON_HELP, app_context, out, print_json
from duban.cli.demo import is_empty, load_demo
from duban.cli.tables import table as grid
from models.records.units import add_person, list_people
from models.store.events import snapshot

person_app = typer.Typer(help="局领导与督办人员（逾期通报、周报的收件人）", no_args_is_help=True)


def init() -> None:
    """创建数据库，或升级到最新版本（保留已有数据）。"""
    ctx = app_context()
    engine = ctx.engine(require_current=False)
    before = migrations.current_revision(engine)
    migrations.upgrade(engine)
    after = migrations.current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        out.print(f"数据库已是最新版本（{after}）：{url}")
    else:
        out.print(f"数据库已{'升级' if before else '创建'}到版本 {after}：{url}")


def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="仅当数据库中还没有任何单位和事项时载入"),
) -> None:
    """载入示例单位（6个科室、13个街道办事处）、局领导和整改事项。可重复运行。"""
    ctx = app_context()
    with ctx.session() as session:
        if if_empty and not is_empty(session):
            out.print("数据库中已有数据，未载入示例。")
            return
        added = load_demo(session, now=ctx.now(), tz=ctx.settings.tz, actor=ctx.actor)
    if not any(added.values()):
        out.print("示例数据已全部存在，未作改动。")
    else:
        out.print(f"已载入示例：单位 {added['units']} 个，人员 {added['people']} 名，"
                  f"事项 {added['items']} 项，周期任务 {added['recurring']} 个"
                  f"（已报送 {added['submissions']} 期），工作台账活动 {added['activities']} 项。")


@person_app.command("add")
def person_add(
    name: str = typer.Option(..., "--name", help="姓名"),
    role: str = typer.Option(..., "--role", help="角色：主要负责人 / 督办人员"),
    email: str = typer.Option(..., "--email", help="邮箱"),
    phone: str = typer.Option(None, "--phone", help="电话"),
) -> None:
    """新增局领导或督办人员。"""
    ctx = app_context()
    with ctx.session() as session:
        person = add_person(session, name=name, role=role, email=email, phone=phone,
                            actor=ctx.actor, now=ctx.now())
    out.print(f"已新增{person.role.value}：{person.name}（编号 {person.id}）")


@person_app.command("list")
def person_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """列出局领导和督办人员。"""
    ctx = app_context()
    with ctx.session() as session:
        people = list_people(session)
    if as_json:
        print_json([snapshot(p, ["id", "name", "role", "email", "phone", "active"])
                    for p in people])
        return
    table = grid("编号", "姓名", "角色", "邮箱", "电话", title=f"人员（共 {len(people)} 名）")
    for p in people:
        table.add_row(str(p.id), p.name, p.role.value, p.email, p.phone or "")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.add_typer(person_app, name="person")
