"""The database edge: engines and sessions (SQLite or PostgreSQL). Migrations are the
application's (duban.migrations)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session


def psycopg_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` URLs spelled for SQLAlchemy's psycopg 3 driver;
    any other URL unchanged."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when it does not exist yet (connecting would create an
    empty one); None for an existing file, memory or another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database \
            or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


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
            # A connection of ``reader(engine)`` only reads: a deferred BEGIN, so pages being
            # read never wait for each other or for a writer (WAL readers see a snapshot).
            read_only = conn.get_execution_options().get("duban_read_only", False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that only read: on SQLite they take no
    write lock. Writing through it is a bug the database reports (SQLITE_BUSY_SNAPSHOT at worst)."""
    return engine.execution_options(duban_read_only=True)


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
def scratch_pg_database(server_url: str, *, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on ``server_url``'s server (empty, or a copy of the database
    ``template``), dropped (connections and all) when the block ends, even on error. Yields its
    URL. For tests and benchmarks: each run makes its own database, so nothing depends on what
    an earlier run left behind."""
    server_url = psycopg_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
