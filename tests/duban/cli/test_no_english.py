"""No English from Click/Typer or the OS reaches a person (issue 14 §6)."""

from __future__ import annotations

import re

import pytest

from duban.cli import app
from models.domain.ladder import stage_label

ENGLISH = re.compile(r"Show this message|<str>|<int|<bool>|No such|Usage|Options|"
                     r"Input should|\[OPTIONS\]|COMMAND|x<=|x>=")


def _walk(group, path=()):
    import typer.main

    command = typer.main.get_command(group) if not path else group
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


@pytest.mark.parametrize("path", sorted(_walk(app)))
def test_every_help_page_is_chinese(cli, path):
    shown = cli(*path, "--help").stdout
    assert "显示此帮助并退出。" in shown
    assert not ENGLISH.search(shown), ENGLISH.search(shown)


@pytest.mark.parametrize(("args", "said"), [
    (["foo"], "没有命令 'foo'。"),
    (["deliver", "--workers", "99"], "'--workers' 的值无效：应不大于 32"),
    (["item", "show", "abc"], "的值无效：应为整数"),
    (["import", "/nonexistent/台账.xlsx"], "无法读取（文件或目录不存在）"),
    (["calendar", "load", "/nonexistent/2027.csv"], "无法读取（文件或目录不存在）"),
])
def test_errors_are_chinese(cli, args, said):
    result = cli(*args, code=result_code(args))
    assert said in result.stderr
    assert not ENGLISH.search(result.stderr), result.stderr


def result_code(args) -> int:
    return 1 if args[0] in ("import", "calendar") else 2


def test_outbox_and_ladder_show_stages_in_chinese(cli):
    ladder = cli("ladder", "list").stdout
    for word in ("到期前3个工作日", "到期当天", "督办", "通报", "会前1小时"):
        assert word in ladder
    assert not re.search(r"due_|escalation|circulation|meeting_", ladder)


@pytest.mark.parametrize(("key", "words"), [
    ("due_soon_3", "到期前3个工作日"), ("due_today", "到期当天"), ("overdue#0", "逾期第1次催办"),
    ("overdue#2", "逾期第3次催办"), ("escalation", "督办"), ("circulation", "通报"),
    ("seq2", "第2次变更通知"), ("digest:2026-W49", "2026年第49周周报"), ("custom_rung", "custom_rung"),
])
def test_stage_labels(key, words):
    assert stage_label(key) == words


def test_outbox_shows_stages_in_chinese(cli):
    cli("unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org", "--leader", "吴立新", "--leader-email", "wu@example.org")
    cli("--now", "2026-11-02T09:00", "item", "add", "--kind", "整改事项", "--title", "做好优待证办理工作",
        "--unit", "优抚褒扬科", "--deadline", "2026-11-26")
    cli("sweep", "--now", "2026-12-01T10:00")
    shown = cli("outbox").stdout
    assert "逾期第" in shown and "督办" in shown
    assert not re.search(r"due_|overdue|escalation|circulation", shown)
