"""duban unit / item / overdue through the CLI: results, JSON shape, and refusals."""

from __future__ import annotations

import pytest

UNIT = ["unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org", "--leader", "吴立新", "--leader-email", "wu@example.org"]


def _add(cli, *extra: str, deadline: str = "2026-11-30") -> int:
    result = cli("item", "add", "--kind", "整改事项", "--title", "做好优待证办理工作",
                 "--unit", "优抚褒扬科", "--deadline", deadline, *extra)
    return int(result.stdout.strip())


def test_unit_add_and_list_json(cli):
    cli(*UNIT)
    units = cli.json("unit", "list")
    assert [(u["name"], u["kind"], u["leader_email"]) for u in units] == [
        ("优抚褒扬科", "科室", "wu@example.org")]


@pytest.mark.parametrize(("args", "needle"), [
    (["--kind", "处室"], "类型 “处室”"),
    (["--email", "not-an-email"], "联系邮箱 “not-an-email”"),
    (["--name", " "], "单位名称"),
])
def test_unit_add_refuses_bad_values_and_writes_nothing(cli, args, needle):
    base = dict(zip(UNIT[2::2], UNIT[3::2], strict=True))
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    result = cli("unit", "add", *flat, code=1)
    assert needle in result.stderr
    assert cli.json("unit", "list") == []


def test_duplicate_unit_is_refused(cli):
    cli(*UNIT)
    assert "已存在" in cli(*UNIT, code=1).stderr


def test_item_add_prints_id_and_show_returns_every_field(cli):
    cli(*UNIT)
    item_id = _add(cli, "--code", "ZG-1", "--person", "刘洋", "--measure", "应办尽办",
                   "--source", "2024年报告", deadline="2026-12-04 17:00")
    shown = cli.json("item", "show", item_id, "--now", "2026-12-01T10:00")
    assert shown["code"] == "ZG-1"
    assert shown["deadline"] == "2026-12-04T17:00+08:00"
    assert shown["status"] == "未开始"
    assert shown["light"] == "临期"
    assert shown["history"][0]["action"] == "create"


@pytest.mark.parametrize(("deadline", "needle"), [
    ("2026-02-30", "完成时限 “2026-02-30”：不是有效日期"),
    ("明天", "完成时限 “明天”"),
    ("2026-12-01 25:00", "不是有效时间"),
])
def test_item_add_refuses_bad_deadline_and_writes_nothing(cli, deadline, needle):
    cli(*UNIT)
    result = cli("item", "add", "--kind", "整改事项", "--title", "x", "--unit", "优抚褒扬科",
                 "--deadline", deadline, code=1)
    assert needle in result.stderr
    assert cli.json("item", "list") == []


def test_item_add_unknown_unit_and_kind(cli):
    cli(*UNIT)
    r = cli("item", "add", "--kind", "整改事项", "--title", "x", "--unit", "不存在科",
            "--deadline", "2026-12-01", code=1)
    assert "单位 “不存在科” 不存在" in r.stderr
    r = cli("item", "add", "--kind", "杂事", "--title", "x", "--unit", "优抚褒扬科",
            "--deadline", "2026-12-01", code=1)
    assert "类别 “杂事”" in r.stderr
    assert cli.json("item", "list") == []


def test_missing_required_option_is_a_usage_error(cli):
    result = cli("item", "add", "--kind", "整改事项", code=2)
    assert "缺少选项" in result.stderr


def test_update_done_cancel_lifecycle(cli):
    cli(*UNIT)
    a, b = _add(cli), _add(cli)
    cli("item", "update", a, "--deadline", "2026-12-10", "--status", "进行中")
    row = cli.json("item", "show", a)
    assert (row["deadline"], row["status"]) == ("2026-12-10", "进行中")
    assert [h["action"] for h in row["history"]] == ["create", "update"]
    assert row["history"][1]["before"] == {"deadline_date": "2026-11-30",
                                           "due_at": "2026-11-30T16:00:00+00:00",
                                           "status": "未开始"}

    cli("item", "done", a, "--at", "2026-11-20T15:30")
    row = cli.json("item", "show", a)
    assert (row["status"], row["completed_at"]) == ("已办结", "2026-11-20T15:30+08:00")
    assert "已办结" in cli("item", "done", a, code=1).stderr
    assert "不能再修改" in cli("item", "update", a, "--title", "新", code=1).stderr

    cli("item", "cancel", b)
    assert cli.json("item", "show", b)["status"] == "已撤销"
    assert [r["id"] for r in cli.json("item", "list", "--status", "已撤销")] == [b]


def test_done_in_the_future_is_refused(cli):
    cli(*UNIT)
    a = _add(cli)
    assert "不能晚于当前时间" in cli("item", "done", a, "--at", "2099-01-01", code=1).stderr
    assert cli.json("item", "show", a)["status"] == "未开始"


def test_unknown_item_id(cli):
    assert "事项 “999” 不存在" in cli("item", "show", "999", code=1).stderr


def test_progress_is_recorded_with_author(cli):
    cli(*UNIT)
    a = _add(cli)
    cli("--by", "刘洋", "item", "progress", a, "已完成初审")
    row = cli.json("item", "show", a)
    assert [(p["author"], p["note"]) for p in row["progress"]] == [("刘洋", "已完成初审")]
    assert row["history"][-1]["actor"] == "刘洋"


def test_overdue_respects_date_only_deadline_end_and_unit_filter(cli):
    cli(*UNIT)
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bgs@example.org")
    a = _add(cli, deadline="2026-11-30")
    cli("item", "add", "--kind", "任务", "--title", "t", "--unit", "办公室",
        "--deadline", "2026-11-27 17:00")
    assert [r["id"] for r in cli.json("overdue", "--now", "2026-11-30T23:59",
                                      "--unit", "优抚褒扬科")] == []
    rows = cli.json("overdue", "--now", "2026-12-01T10:00")
    assert [(r["unit"], r["days_overdue"]) for r in rows] == [("办公室", 2), ("优抚褒扬科", 1)]
    assert [r["id"] for r in cli.json("overdue", "--now", "2026-12-01T10:00",
                                      "--unit", "优抚褒扬科")] == [a]
    keys = {"id", "code", "kind", "title", "unit", "person", "deadline", "status",
            "completed_at", "days_overdue"}
    assert keys <= set(rows[0])


def test_bad_now_is_refused(cli):
    assert "--now “yesterday”" in cli("overdue", "--now", "yesterday", code=1).stderr
