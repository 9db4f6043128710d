"""Shared fixtures: real SQLite files and, when configured, real PostgreSQL databases.

PostgreSQL tests read DUBAN_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test).
Unset: they are skipped with a reason. Set but unreachable: they fail (CI makes them mandatory).
Each test gets a database of its own, created from that URL's server and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from duban import db

pytest_plugins = ["tests.smtp"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
PG_ENV = "DUBAN_TEST_DATABASE_URL"


def _admin_url() -> str:
    raw = os.environ.get(PG_ENV)
    if not raw:
        pytest.skip(f"PostgreSQL tests skipped: {PG_ENV} is not set "
                    "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    return url.render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    admin = _admin_url()
    name = f"duban_test_{uuid.uuid4().hex[:12]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # set but unreachable: fail loudly, never skip
        admin_engine.dispose()
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}")
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


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
