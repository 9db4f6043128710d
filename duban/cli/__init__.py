"""The ``duban`` command line. Commands are thin: parse, call models/, print."""

from __future__ import annotations

import getpass
import os
import warnings

import typer
from typer.core import TyperGroup

from duban.cli import zh
from duban.cli.context import AppContext, err, set_app_context, show_warning
from duban.config import load_settings
from models.domain.parsing import parse_instant
from models.errors import DubanError


class DubanGroup(TyperGroup):
    """Turns every DubanError raised below into a Chinese message and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DubanError as exc:
            err.print(f"错误：{exc}", style="red")
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=DubanGroup,
    help="督办：整改事项、报送节点、会议与任务的督办台账。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    by: str = typer.Option(
        None, "--by", help="操作人（记入操作日志；默认取 DUBAN_ACTOR 或当前系统用户）"
    ),
    now: str = typer.Option(
        None, "--now", help="以该时刻为所有命令的“现在”（演示、补录；如 2026-12-08T10:00）"
    ),
) -> None:
    warnings.showwarning = show_warning
    settings = load_settings()  # a ConfigError here stops every command, exit 1
    actor = by or os.environ.get("DUBAN_ACTOR") or f"cli:{getpass.getuser()}"
    fixed = parse_instant(now, settings.tz, "--now") if now else None
    set_app_context(AppContext(settings=settings, actor=actor, fixed_now=fixed))


def _register() -> None:
    from duban.cli import calendar, engine, items, ledger, loop, recurring, setup, supervision, units, users

    app.add_typer(units.app, name="unit")
    app.add_typer(items.app, name="item")
    loop.register(items.app, app)
    app.add_typer(calendar.app, name="calendar")
    app.add_typer(users.app, name="user")
    setup.register(app)
    supervision.register(app)
    engine.register(app)
    ledger.register(app)
    recurring.register(app)


_register()


zh.install()


def main() -> None:
    app(prog_name="duban")
