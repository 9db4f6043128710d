"""The database edge: engines, sessions and migrations (SQLite or PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from duban.errors import DatabaseNotReady

MIGRATIONS = "duban:migrations"


def psycopg_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` URLs spelled for SQLAlchemy's psycopg 3 driver;
    any other URL unchanged."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the pragmas duban relies on; creates a SQLite file's folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # transactions are begun below, not by pysqlite
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # A REPLACE deletes the row it collides with; only with this pragma does that
            # deletion fire DELETE triggers (the event log's among them).
            cur.execute("PRAGMA recursive_triggers=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            # Take the write lock at BEGIN: a deferred transaction that reads and then
            # writes fails outright (SQLITE_BUSY_SNAPSHOT) if another process wrote between.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


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


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def scratch_pg_database(server_url: str, *, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server_url``'s server, dropped (connections and all)
    when the block ends, even on error. Yields its URL. For tests and benchmarks: each run
    makes its own database, so nothing depends on what an earlier run left behind."""
    server_url = psycopg_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
