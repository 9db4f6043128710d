"""Where the database is (issue 14 §6): the user's data folder by default, never created by
anything but `init`, named when missing; the calendar warning once; `calendar status`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duban.cli import app
from duban.config import load_settings

DUBAN = str(Path(sys.executable).parent / "duban")


@pytest.mark.parametrize("args", [["item", "list"], ["sweep"], ["overview"], ["calendar", "status"],
                                  ["import", "台账.xlsx", "--dry-run"], ["demo"]])
def test_no_command_but_init_creates_a_database_and_each_names_the_path(tmp_path, args):
    home = tmp_path / "elsewhere"
    result = CliRunner(env={"DUBAN_HOME": str(home), "DUBAN_DATABASE_URL": ""}).invoke(app, args)
    assert result.exit_code == 1
    assert f"在 {home / 'duban.db'} 没有找到数据库" in result.stderr
    assert "duban init" in result.stderr
    assert not home.exists()  # no empty var/duban.db left behind


def test_run_from_another_folder_it_uses_the_users_data_folder(tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))
    folder = tmp_path / "somewhere"
    folder.mkdir()

    def run(*args):
        return subprocess.run([DUBAN, *args], env=env, cwd=folder, capture_output=True,
                              text=True)

    missing = run("item", "list")
    assert missing.returncode == 1
    assert str(tmp_path / "data" / "duban" / "duban.db") in missing.stderr
    assert run("init").returncode == 0
    assert (tmp_path / "data" / "duban" / "duban.db").exists()
    assert not (folder / "var").exists()
    assert run("item", "list").returncode == 0


def test_duban_home_still_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_HOME", str(tmp_path / "chosen"))
    assert load_settings().home == tmp_path / "chosen"


def test_the_calendar_warning_prints_once_per_command(cli):
    cli("unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org")
    for day in ("2027-01-15", "2027-02-20", "2027-03-10"):
        cli("item", "add", "--kind", "任务", "--title", f"到期 {day}", "--unit", "优抚褒扬科",
            "--deadline", day)
    result = cli("overview", "--now", "2026-12-01T10:00")
    assert result.stderr.count("2027年的法定节假日安排尚未载入") == 1


def test_calendar_status_names_what_is_known(cli, tmp_path):
    before = cli("calendar", "status", "--now", "2026-12-01T10:00")
    assert "内置节假日数据（chinesecalendar 1.11.0）：2004–2026 年" in before.stdout
    assert "尚未载入任何节假日通知" in before.stdout
    assert "今年（2026）：节假日已知" in before.stdout
    assert "明年（2027）的节假日安排尚未载入" in before.stderr
    csv = tmp_path / "2027.csv"
    csv.write_text("日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,班,春节\n", encoding="utf-8")
    cli("--now", "2026-12-02T10:00", "calendar", "load", csv)
    after = cli("calendar", "status", "--now", "2026-12-03T10:00")
    assert "已载入 2027 年的调整：休 1 天、班 1 天（最近载入 2026-12-02 10:00）" in after.stdout
    assert "明年（2027）：节假日已知" in after.stdout and after.stderr == ""
