"""Shared fixtures: real SQLite files and, when configured, real PostgreSQL databases.

PostgreSQL tests read DUBAN_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test).
Unset: they are skipped with a reason. Set but unreachable: they fail (CI makes them mandatory).
Each test gets a database of its own, created on that URL's server and dropped afterwards.
Migrated databases are copies of one template migrated once per run (tests/support/databases.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from models.store import db
from tests.support.databases import copy_sqlite, migrate_sqlite_file, pg_copy, pg_template

pytest_plugins = ["tests.support.smtp"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
PG_ENV = "DUBAN_TEST_DATABASE_URL"


def _server_url() -> str:
    raw = os.environ.get(PG_ENV)
    if not raw:
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set "
                    "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return raw


def _unreachable(exc: Exception):
    pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    server = _server_url()
    try:
        with db.scratch_pg_database(server, prefix="duban_test") as url:
            yield url
    except OperationalError as exc:  # set but unreachable: fail loudly, never skip
        _unreachable(exc)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """An empty SQLite file's URL (no tables)."""
    return f"sqlite:///{tmp_path / 'duban.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated to head once per run; copy it, never write to it."""
    return migrate_sqlite_file(tmp_path_factory.mktemp("template") / "duban.db")


@pytest.fixture(scope="session")
def pg_template_name() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per run, for CREATE DATABASE … TEMPLATE."""
    server = _server_url()
    try:
        with pg_template(server, prefix="duban_tpl") as name:
            yield name
    except OperationalError as exc:
        _unreachable(exc)


@pytest.fixture
def migrated_sqlite_url(tmp_path, sqlite_template) -> str:
    return copy_sqlite(sqlite_template, tmp_path / "duban.db")


@pytest.fixture
def migrated_pg_url(pg_template_name) -> Iterator[str]:
    try:
        with pg_copy(_server_url(), pg_template_name, prefix="duban_test") as url:
            yield url
    except OperationalError as exc:
        _unreachable(exc)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request) -> str:
    return request.param


@pytest.fixture
def db_url(request, db_kind) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if db_kind == "sqlite" else "pg_url")


@pytest.fixture
def migrated_url(request, db_kind) -> str:
    """A database at the newest revision, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("migrated_sqlite_url" if db_kind == "sqlite" else "migrated_pg_url")


@pytest.fixture
def engine(migrated_url):
    """An engine on a database migrated to the newest revision."""
    eng = db.make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    with db.session_scope(engine) as s:
        yield s
