"""The real `duban` CLI in-process, one fresh SQLite home per call site (as tests/cli does)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duban.cli import app
from tests.support.databases import copy_sqlite


@dataclass
class Cli:
    runner: CliRunner
    home: Path

    def __call__(self, *args: object, code: int = 0):
        result = self.runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (
            f"duban {' '.join(map(str, args))} exited {result.exit_code}, expected {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception!r}")
        return result


@pytest.fixture
def make_cli(tmp_path, monkeypatch, sqlite_template):
    for var in ("DUBAN_DATABASE_URL", "DUBAN_SMTP_HOST", "DUBAN_ACTOR"):
        monkeypatch.delenv(var, raising=False)

    def make(name: str = "home") -> Cli:
        home = tmp_path / name
        cli = Cli(CliRunner(env={"DUBAN_HOME": str(home), "COLUMNS": "200"}), home)
        copy_sqlite(sqlite_template, home / "duban.db")  # what `duban init` makes
        return cli

    return make
