"""What every command needs: settings, the database, the actor, the clock and the calendar.

Built once per invocation by the root callback and stored on the Click context.
"""

from __future__ import annotations

import json
import sys
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

from duban import migrations
from duban.config import Settings
from models.domain.calendar import CalendarCoverageWarning, WorkCalendar
from models.domain.parsing import parse_instant
from models.errors import DatabaseNotReady
from models.reports.views import Clock
from models.store import db
from models.store.calendar_store import calendar_from_db

# markup=False: titles, names and file contents are printed as they are, never as markup.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


@dataclass
class AppContext:
    settings: Settings
    actor: str
    fixed_now: datetime | None = None  # `duban --now …`: every command's "now"
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self, *, require_current: bool = True) -> Engine:
        """The database's engine. Unless ``require_current`` (only ``duban init``), a missing
        SQLite file is never created: DatabaseNotReady names the path looked in."""
        url = self.settings.resolved_database_url
        if require_current:
            missing = db.missing_sqlite_file(url)
            if missing is not None:
                raise DatabaseNotReady(
                    f"在 {missing} 没有找到数据库。请先运行 duban init 创建，"
                    "或设置 DUBAN_HOME（数据目录）或 DUBAN_DATABASE_URL 指向已有的数据库")
        if self._engine is None:
            self._engine = db.make_engine(url)
        if require_current:
            try:
                migrations.require_current(self._engine)
            except DatabaseNotReady as exc:
                shown = self._engine.url.render_as_string(hide_password=True)
                raise DatabaseNotReady(f"{exc}（数据库：{shown}）") from None
        return self._engine

    def session(self):
        return db.session_scope(self.engine())

    def now(self, text: str | None = None, field: str = "--now") -> datetime:
        """The instant given on the command line (the command's own option, else the global
        ``duban --now``), else the wall clock: the CLI's edge with the clock."""
        if text:
            return parse_instant(text, self.settings.tz, field)
        return self.fixed_now or datetime.now(UTC)

    def calendar(self, session) -> WorkCalendar:
        return calendar_from_db(session)

    def clock(self, session, now: datetime) -> Clock:
        return Clock(now=now, tz=self.settings.tz, calendar=self.calendar(session))


def show_warnings_once() -> None:
    """Show warnings meant for users (a calendar year not loaded) as plain Chinese, each text
    once per command: every calendar built during a command would otherwise repeat it."""
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if not issubclass(category, CalendarCoverageWarning):
            _default_showwarning(message, category, filename, lineno, file, line)
            return
        text = str(message)
        if text not in seen:
            seen.add(text)
            err.print(f"警告：{text}", style="yellow")

    warnings.showwarning = show


_default_showwarning = warnings.showwarning


_current: ContextVar[AppContext] = ContextVar("duban_app_context")


def set_app_context(ctx: AppContext) -> None:
    _current.set(ctx)


def app_context() -> AppContext:
    """The AppContext the root callback built for this invocation."""
    return _current.get()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


NOW_HELP = "以该时刻为“现在”计算（ISO 格式，如 2026-12-01T10:00；不带时区按 DUBAN_TIMEZONE）"
JSON_HELP = "以 JSON 数组输出"
