"""The layers contract (pyproject.toml, [tool.importlinter]) holds, and an import that runs back
up breaks it: checked on a copy of the tree with one deliberate back-import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("flows", "duban", "notifications", "models")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
                          cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def tree(tmp_path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "*.j2"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_its_layers(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("models/errors.py", "import duban.config", "Layers"),
    ("notifications/render.py", "from duban import jobs", "Layers"),
    ("models/domain/calendar.py", "from models.store import db", "models.domain is pure"),
    ("models/domain/ladder.py", "import time", "models.domain is pure"),
])
def test_an_import_that_runs_back_up_breaks_the_contract(tree, module, line, contract):
    with open(tree / module, "a", encoding="utf-8") as fh:
        fh.write(f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), result.stdout
