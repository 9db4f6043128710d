"""Shared fixtures: real SQLite files and, when configured, real PostgreSQL databases.

PostgreSQL tests read DUBAN_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test).
Unset: they are skipped with a reason. Set but unreachable: they fail (CI makes them mandatory).
Each test gets a database of its own, created from that URL's server and dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from duban import db

pytest_plugins = ["tests.smtp"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
PG_ENV = "DUBAN_TEST_DATABASE_URL"


def _server_url() -> str:
    raw = os.environ.get(PG_ENV)
    if not raw:
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set "
                    "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return raw


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    server = _server_url()
    try:
        with db.scratch_pg_database(server, prefix="duban_test") as url:
            yield url
    except OperationalError as exc:  # set but unreachable: fail loudly, never skip
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'duban.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url):
    """An engine on a database migrated to the newest revision."""
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    with db.session_scope(engine) as s:
        yield s
