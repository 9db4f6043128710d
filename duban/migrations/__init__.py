"""The schema's migrations (Alembic, scripts in ``versions/``): create, upgrade, check.

The application owns the schema's history; models.store.db only makes engines and sessions.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from models.errors import DatabaseNotReady

MIGRATIONS = "duban:migrations"


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory.from_config(_alembic_config(None))  # type: ignore[arg-type]
    return script.get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``; existing rows are kept."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (tests of the migrations; rows are converted)."""
    command.downgrade(_alembic_config(engine), revision)


def require_current(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the schema is at the newest revision."""
    current = current_revision(engine)
    if current == head_revision():
        return
    if current is None:
        raise DatabaseNotReady("数据库尚未初始化，请先运行：duban init")
    raise DatabaseNotReady(f"数据库版本 {current} 过旧，请先运行 duban init 升级")
