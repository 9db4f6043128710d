"""init, demo, config errors, and the database-not-ready guard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from duban.cli import app

DUBAN = str(Path(sys.executable).parent / "duban")


def test_demo_is_idempotent_and_lists_overdue_items(cli):
    assert "已载入示例" in cli("demo").stdout
    assert "未作改动" in cli("demo").stdout
    units = cli.json("unit", "list")
    streets = [u for u in units if u["kind"] == "街道办事处"]
    assert len(streets) == 13
    assert all(u["contact_email"].endswith("@example.org") for u in units)
    rows = cli.json("overdue", "--now", "2026-12-01T10:00")
    assert {r["code"] for r in rows if not r["code"].startswith("ZQ")} == {
        "ZG2023-02", "ZG2024-03", "ZG2024-09", "ZG2024-06", "ZG2024-10", "ZG2023-03"}
    templates = {t["name"]: t for t in cli.json("recur", "list")}
    assert set(templates) == {"优抚资金材料", "周汇报", "周研判"}
    assert templates["优抚资金材料"]["units"] == "全部街道办事处"
    assert all(r["days_overdue"] >= 1 for r in rows)
    done = cli.json("item", "list", "--status", "已办结")
    assert len(done) >= 3
    people = cli.json("person", "list")
    assert {p["role"] for p in people} == {"主要负责人", "督办人员"}


def test_demo_if_empty_leaves_a_real_bureau_alone(cli):
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bgs@example.org")
    assert "未载入示例" in cli("demo", "--if-empty").stdout
    assert len(cli.json("unit", "list")) == 1


def test_commands_refuse_an_uninitialised_database(tmp_path):
    runner = CliRunner(env={"DUBAN_HOME": str(tmp_path)})
    result = runner.invoke(app, ["item", "list"])
    assert result.exit_code == 1
    assert "duban init" in result.stderr


def test_bad_configuration_names_the_variable_and_expected_form(tmp_path):
    env = {"DUBAN_HOME": str(tmp_path), "DUBAN_OFFICE_HOURS": "9-5",
           "DUBAN_SMTP_SECURITY": "ssl"}
    result = CliRunner(env=env).invoke(app, ["init"])
    assert result.exit_code == 1
    assert "DUBAN_OFFICE_HOURS" in result.stderr and "09:00-17:30" in result.stderr
    assert "DUBAN_SMTP_SECURITY" in result.stderr and "starttls" in result.stderr
    assert not (tmp_path / "duban.db").exists()


def test_entry_point_exit_codes(tmp_path):
    env = {"DUBAN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([DUBAN, *a], env=env, capture_output=True, text=True)  # noqa: E731
    assert run("init").returncode == 0
    assert run("item", "show", "1").returncode == 1
    usage = run("item", "add")
    assert usage.returncode == 2 and "缺少选项" in usage.stderr
    assert run("calendar", "add-workdays", "2026-09-30", "3").stdout.strip() == "2026-10-10"
