"""The ``duban`` command line. Commands are thin: parse, call models/, print."""

from __future__ import annotations

import getpass
import os
import sys
from typing import NoReturn

import typer
from typer.core import TyperGroup

from duban.cli import zh
from duban.cli.context import AppContext, err, set_app_context, show_warnings_once
from duban.config import load_settings
from duban.failures import explain, redact, url_passwords
from models.domain import validation
from models.domain.parsing import parse_instant
from models.errors import DubanError, quote


class DubanGroup(TyperGroup):
    """Turns every DubanError raised below, and every failure of the world around duban
    (duban.failures: the database down, a full disk…), into a Chinese message and exit code 1.
    No password from the settings is ever printed."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DubanError as exc:
            _fail(str(exc))
        except Exception as exc:
            message = explain(exc)
            if message is None:
                raise
            _fail(message)


def _secrets() -> list[str]:
    values = [os.environ.get("DUBAN_SMTP_PASSWORD") or ""]
    return [*values, *url_passwords(os.environ.get("DUBAN_DATABASE_URL"))]


def _fail(message: str) -> NoReturn:
    err.print(f"错误：{redact(message, _secrets())}", style="red")
    raise typer.Exit(1)


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
    show_warnings_once()
    settings = load_settings()  # a ConfigError here stops every command, exit 1
    actor = validation.text(by or os.environ.get("DUBAN_ACTOR") or f"cli:{getpass.getuser()}",
                            "操作人（--by 或 DUBAN_ACTOR）", max_len=100)
    fixed = parse_instant(now, settings.tz, "--now") if now else None
    set_app_context(AppContext(settings=settings, actor=actor, fixed_now=fixed))


def _register() -> None:
    from duban.cli import (
        activities,
        calendar,
        engine,
        items,
        ledger,
        loop,
        recurring,
        setup,
        summary,
        supervision,
        units,
    )

    app.add_typer(units.app, name="unit")
    app.add_typer(items.app, name="item")
    loop.register(items.app, app)
    app.add_typer(calendar.app, name="calendar")
    app.add_typer(activities.app, name="activity")
    summary.register(app)
    setup.register(app)
    supervision.register(app)
    engine.register(app)
    ledger.register(app)
    recurring.register(app)


_register()


zh.install()


def _undecodable_argument() -> str | None:
    """The first argument that is not UTF-8 (Python keeps its bytes as lone surrogates)."""
    for position, arg in enumerate(sys.argv[1:], start=1):
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return f"第 {position} 个参数 “{quote(shown, 60)}”"
    return None


def main() -> None:
    bad = _undecodable_argument()
    if bad:
        err.print(f"错误：{bad} 不是有效的 UTF-8 文本：请把终端的编码设为 UTF-8，"
                  "文件名含有其他编码的文字时请先改名", style="red")
        raise SystemExit(1)
    app(prog_name="duban")
