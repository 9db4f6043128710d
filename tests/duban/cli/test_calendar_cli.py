"""``duban calendar …`` through the real command line, on a SQLite file under DUBAN_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from duban.cli import app

VALID_2027 = """日期,类型,名称
2027-01-01,休,元旦
2027-02-06,班,春节
2027-02-08,休,春节
"""

BROKEN_2027 = """日期,类型,名称
2027-01-01,休,元旦
2027-02-30,休,春节
2027-02-06,上班,春节
2027-02-08,休,
2027-01-01,休,元旦
"""


@pytest.fixture
def duban(tmp_path):
    """Runs ``duban ARGS…`` in-process against a fresh database under tmp_path."""
    runner = CliRunner()
    env = {"DUBAN_HOME": str(tmp_path), "DUBAN_DATABASE_URL": None, "DUBAN_ACTOR": None}

    def run(*args: str):
        return runner.invoke(app, list(args), env=env)

    return run


@pytest.fixture
def cli(duban):
    """Like ``duban`` but after ``duban init``."""
    result = duban("init")
    assert result.exit_code == 0, result.output
    assert "数据库已创建" in result.stdout
    return duban


@pytest.fixture
def csv_file(tmp_path):
    def write(text: str, name: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def ok(result) -> str:
    """The stdout of a successful command that printed no warning."""
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    return result.stdout.strip()


@pytest.mark.parametrize(("args", "expected"), [
    (("is-workday", "2026-10-10"), "是"),        # 调休 Saturday
    (("is-workday", "2026-10-05"), "否"),        # National Day, a Monday
    (("is-workday", "2026/2/24"), "是"),         # the way clerks write dates
    (("is-workday", "2026年2月23日"), "否"),
    (("add-workdays", "2026-09-30", "3"), "2026-10-10"),
    (("add-workdays", "2026-10-10", "-1"), "2026-10-09"),
    (("add-workdays", "2026-10-10", "-3"), "2026-09-30"),
    (("add-workdays", "2026-10-01", "0"), "2026-10-08"),
    (("add-workdays", "2026-02-13", "2"), "2026-02-24"),
    (("next-workday", "2026-09-30"), "2026-10-08"),
    (("workdays-between", "2026-09-30", "2026-10-10"), "3"),
    (("workdays-between", "2026-10-10", "2026-09-30"), "-3"),
])
def test_working_day_questions(cli, args, expected):
    assert ok(cli("calendar", *args)) == expected


@pytest.mark.parametrize("args", [
    ("is-workday", "2026-02-30"),
    ("add-workdays", "2026-02-30", "3"),
    ("next-workday", "2026-02-30"),
    ("workdays-between", "2026-01-01", "2026-02-30"),
])
def test_a_bad_date_is_refused_in_chinese_naming_the_value(cli, args):
    result = cli("calendar", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "错误" in result.stderr
    assert "“2026-02-30”" in result.stderr
    assert "不是有效日期" in result.stderr
    assert "Traceback" not in result.stderr
    assert "已载入的日历调整（0 天）" in ok(cli("calendar", "list"))


def test_a_bad_date_is_refused_before_the_database_is_touched(duban, tmp_path):
    result = duban("calendar", "is-workday", "2026-02-30")
    assert result.exit_code == 1
    assert "“2026-02-30”" in result.stderr
    assert not (tmp_path / "duban.db").exists()


def test_a_database_not_initialised_is_reported(duban):
    result = duban("calendar", "is-workday", "2026-10-10")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "duban init" in result.stderr


def test_an_uncovered_year_warns_on_stderr_until_it_is_loaded(cli, csv_file):
    before = cli("calendar", "is-workday", "2027-01-01")
    assert before.exit_code == 0
    assert before.stdout.strip() == "是"   # a Friday, guessed as a working day
    assert "2027" in before.stderr
    assert "duban calendar load" in before.stderr
    assert "警告" in before.stderr
    assert before.stderr.count("2027年") == 1

    guessed = cli("calendar", "add-workdays", "2026-12-31", "1")
    assert guessed.stdout.strip() == "2027-01-01"
    assert "2027" in guessed.stderr

    loaded = cli("calendar", "load", str(csv_file(VALID_2027, "2027.csv")))
    assert ok(loaded) == "已载入 2027 年日历：新增 3 天，更新 0 天，未变 0 天"

    assert ok(cli("calendar", "is-workday", "2027-01-01")) == "否"
    assert ok(cli("calendar", "is-workday", "2027-02-06")) == "是"
    assert ok(cli("calendar", "is-workday", "2027-03-03")) == "是"   # covered: no warning either
    assert ok(cli("calendar", "add-workdays", "2026-12-31", "1")) == "2027-01-04"
    listing = ok(cli("calendar", "list", "--year", "2027"))
    assert "已载入的日历调整（3 天）" in listing
    for line in ("2027-01-01", "2027-02-06", "2027-02-08"):
        assert line in listing


def test_loading_the_same_file_again_reports_no_change(cli, csv_file):
    path = str(csv_file(VALID_2027, "2027.csv"))
    assert "新增 3 天" in ok(cli("calendar", "load", path))
    assert ok(cli("calendar", "load", path)) == "已载入 2027 年日历：新增 0 天，更新 0 天，未变 3 天"


def test_a_broken_file_is_refused_whole_listing_every_bad_row(cli, csv_file):
    result = cli("calendar", "load", str(csv_file(BROKEN_2027, "bad.csv")))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "bad.csv 有 4 处错误，未写入任何数据" in result.stderr
    for problem in ("bad.csv 第3行 日期 “2027-02-30”",
                    "bad.csv 第4行 类型 “上班”",
                    "bad.csv 第5行 名称 “”",
                    "bad.csv 第6行 日期 “2027-01-01”"):
        assert problem in result.stderr
    assert "bad.csv 第2行" not in result.stderr

    listing = ok(cli("calendar", "list", "--year", "2027"))
    assert "已载入的日历调整（0 天）" in listing
    assert "2027-01-01" not in listing
    assert "2027" in cli("calendar", "is-workday", "2027-01-01").stderr  # still uncovered


def test_a_missing_file_is_reported(cli, tmp_path):
    result = cli("calendar", "load", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert "nope.csv" in result.stderr
    assert "不存在" in result.stderr


def test_user_values_that_look_like_markup_are_reported_verbatim(cli):
    result = cli("calendar", "is-workday", "[/x]")
    assert result.exit_code == 1
    assert "“[/x]”" in result.stderr
    assert "无法识别" in result.stderr


def test_a_count_that_is_not_an_integer_is_refused_in_chinese(cli):
    result = cli("calendar", "add-workdays", "2026-09-30", "三")
    assert result.exit_code == 2
    assert "Input should be" not in result.stderr
    assert "“三” 不是整数" in result.stderr


def test_the_installed_entry_point_exits_with_real_codes(tmp_path):
    exe = Path(sys.executable).parent / "duban"
    if not exe.exists():
        pytest.skip(f"no installed duban entry point next to {sys.executable}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update(DUBAN_HOME=str(tmp_path), PYTHONIOENCODING="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=120, check=False)

    init = run("init")
    assert init.returncode == 0, init.stderr
    good = run("calendar", "is-workday", "2026-10-10")
    assert (good.returncode, good.stdout.strip(), good.stderr) == (0, "是", "")
    bad = run("calendar", "is-workday", "2026-02-30")
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert "“2026-02-30”" in bad.stderr and "Traceback" not in bad.stderr
    usage = run("calendar", "add-workdays", "2026-09-30", "三")
    assert usage.returncode == 2
    assert usage.stdout == ""
    assert "“三” 不是整数" in usage.stderr
