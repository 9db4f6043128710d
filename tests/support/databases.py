"""Migrated databases for tests, made once per run and copied per test.

Migrating costs ~0.3 s on SQLite and more on PostgreSQL; a test suite that migrates for each of its
~1,000 database tests spends most of its time there. So each run migrates one template per
database kind: a SQLite file copied byte for byte, and a PostgreSQL database that new databases
are created from (``CREATE DATABASE … TEMPLATE``, a file-level copy on the server).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from duban import migrations
from models.store import db


def migrate_sqlite_file(path: Path) -> Path:
    """A SQLite file at ``path`` migrated to head. Closing the last connection checkpoints the
    write-ahead log into the file and removes it, so the file alone is complete."""
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        migrations.upgrade(engine)
    finally:
        engine.dispose()
    assert not path.with_name(path.name + "-wal").exists()
    return path


def copy_sqlite(template: Path, target: Path) -> str:
    """``template`` copied to ``target``; returns its URL."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@contextmanager
def pg_template(server_url: str, *, prefix: str) -> Iterator[str]:
    """A migrated PostgreSQL database to copy from, dropped when the block ends. Yields its name."""
    with db.scratch_pg_database(server_url, prefix=prefix) as url:
        engine = db.make_engine(url)
        try:
            migrations.upgrade(engine)
        finally:
            engine.dispose()  # a template must have no open connections to be copied
        yield make_url(url).database


@contextmanager
def pg_copy(server_url: str, template: str, *, prefix: str) -> Iterator[str]:
    """A new database created from ``template``; dropped (connections and all) when the block ends."""
    with db.scratch_pg_database(server_url, prefix=prefix, template=template) as url:
        yield url
