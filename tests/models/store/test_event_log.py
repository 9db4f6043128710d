"""The event log is append-only in the database itself: UPDATE, DELETE, REPLACE, upsert and
TRUNCATE are refused on SQLite and PostgreSQL, from duban's connections and from any other."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from duban import migrations
from models.store import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)

BOTH = [
    "UPDATE event SET actor = 'tampered'",
    "DELETE FROM event",
    "INSERT INTO event (id, at, actor, entity, entity_id, action) "
    "VALUES (1, :at, 'tampered', 'item', 1, 'create') "
    "ON CONFLICT (id) DO UPDATE SET actor = excluded.actor",
]
SQLITE_ONLY = [
    "REPLACE INTO event (id, at, actor, entity, entity_id, action) "
    "VALUES (1, :at, 'tampered', 'item', 1, 'create')",
    "INSERT OR REPLACE INTO event (id, at, actor, entity, entity_id, action) "
    "VALUES (1, :at, 'tampered', 'item', 1, 'create')",
]
POSTGRESQL_ONLY = ["TRUNCATE event", "TRUNCATE event CASCADE", "TRUNCATE event RESTART IDENTITY"]


def _log(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, actor, action FROM event ORDER BY id"))]


def _logged(engine: Engine) -> Engine:
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO event (at, actor, entity, entity_id, action) "
                          "VALUES (:at, 'test', 'item', 1, 'create')"), {"at": AT})
    return engine


@pytest.fixture
def logged(engine) -> Engine:
    return _logged(engine)


@pytest.fixture
def sqlite_logged(sqlite_url) -> Iterator[Engine]:
    engine = db.make_engine(sqlite_url)
    yield _logged(engine)
    engine.dispose()


@pytest.fixture
def pg_logged(pg_url) -> Iterator[Engine]:
    engine = db.make_engine(pg_url)
    yield _logged(engine)
    engine.dispose()


def _refused(engine: Engine, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement), {"at": AT})
    assert _log(engine) == [(1, "test", "create")]


@pytest.mark.parametrize("statement", BOTH, ids=["update", "delete", "upsert"])
def test_update_delete_and_upsert_are_refused(logged, statement):
    _refused(logged, statement)


@pytest.mark.parametrize("statement", SQLITE_ONLY, ids=["replace", "insert-or-replace"])
def test_replace_is_refused_on_sqlite(sqlite_logged, statement):
    _refused(sqlite_logged, statement)


@pytest.mark.postgres
@pytest.mark.parametrize("statement", POSTGRESQL_ONLY, ids=["truncate", "cascade", "restart"])
def test_truncate_is_refused_on_postgresql(pg_logged, statement):
    _refused(pg_logged, statement)


def test_a_connection_without_duban_s_pragmas_cannot_replace_rows_either(sqlite_logged):
    """The sqlite3 shell does not turn recursive_triggers on: the insert trigger still refuses."""
    raw = sqlite3.connect(make_url(str(sqlite_logged.url)).database)
    try:
        assert raw.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        for statement in SQLITE_ONLY:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                raw.execute(statement.replace(":at", "'2026-11-02 01:00:00.000000'"))
        raw.rollback()
    finally:
        raw.close()
    assert _log(sqlite_logged) == [(1, "test", "create")]


def test_duban_s_sqlite_connections_fire_delete_triggers_on_replace(sqlite_logged):
    with sqlite_logged.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA recursive_triggers").scalar() == 1


def test_appending_still_works(logged):
    with logged.begin() as conn:
        conn.execute(text("INSERT INTO event (at, actor, entity, entity_id, action) "
                          "VALUES (:at, 'test', 'item', 2, 'create')"), {"at": AT})

    assert _log(logged) == [(1, "test", "create"), (2, "test", "create")]
