"""Run the real `duban` CLI in-process against a fresh SQLite home per test."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from duban.cli import app
from tests.support.databases import copy_sqlite


@dataclass
class Cli:
    runner: CliRunner

    def __call__(self, *args: str, code: int = 0):
        result = self.runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (
            f"duban {' '.join(map(str, args))} exited {result.exit_code}, expected {code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception!r}"
        )
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def cli(tmp_path, monkeypatch, sqlite_template) -> Cli:
    for var in ("DUBAN_DATABASE_URL", "DUBAN_SMTP_HOST", "DUBAN_ACTOR"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner(env={"DUBAN_HOME": str(tmp_path / "home"), "COLUMNS": "200"})
    copy_sqlite(sqlite_template, tmp_path / "home" / "duban.db")  # what `duban init` makes
    return Cli(runner)
