"""The corpus of hostile files (tests/support/hostile_files.py) through import and calendar load,
each in a child process held to 10 s of CPU and 400 MB above what it started with: every file is
refused with a Chinese message naming what is wrong (or, where the corpus allows, read), and
nothing exhausts the machine or floods the output."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from duban import migrations
from models.errors import DubanError
from models.ledger import import_ledger
from models.store import db
from models.store.calendar_store import parse_calendar_csv
from tests.support.bounded import run_bounded
from tests.support.hostile_files import hostile_file, names

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
CPU_SECONDS = 10
MEMORY_MB = 400  # a fresh duban process holds ~100 MB: 500 MB in all
MAX_MESSAGE_CHARS = 30_000  # ValidationFailed lists at most 200 problems
MAX_LINE_CHARS = 400


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'duban.db'}"
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return url


def _import(url: str, path: Path) -> int:
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        return import_ledger(session, path, actor="test", now=NOW, tz=SHANGHAI, dry_run=True).items_added


def _load_calendar(path: Path) -> int:
    return len(parse_calendar_csv(path))


def _check(name: str, outcome) -> None:
    hostile = hostile_file(name)
    assert outcome.kind in ("raised", "returned"), f"{name} ({hostile.what}): {outcome}"
    if outcome.kind == "raised":
        assert issubclass(outcome.value.type, DubanError), f"{name}: {outcome}"
        text = outcome.value.text
        assert len(text) <= MAX_MESSAGE_CHARS, f"{name}: a message of {len(text)} characters"
        assert max(map(len, text.splitlines())) <= MAX_LINE_CHARS, f"{name}: {text[:500]}"
    if hostile.expect is not None:
        assert outcome.kind == "raised", f"{name} ({hostile.what}) was read: {outcome}"
        assert hostile.expect in outcome.value.text, f"{name}: {outcome}"
    assert outcome.grown_mb <= MEMORY_MB, f"{name}: {outcome}"


@pytest.mark.parametrize("name", names("ledger"))
def test_a_hostile_ledger_is_refused_within_bounds(database, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(hostile_file(name).data)

    outcome = run_bounded(_import, database, path, cpu_seconds=CPU_SECONDS, memory_mb=MEMORY_MB)

    _check(name, outcome)


@pytest.mark.parametrize("name", names("calendar"))
def test_a_hostile_calendar_is_refused_within_bounds(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(hostile_file(name).data)

    outcome = run_bounded(_load_calendar, path, cpu_seconds=CPU_SECONDS, memory_mb=MEMORY_MB)

    _check(name, outcome)
