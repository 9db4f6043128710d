"""The CLI as a person reads it (issue 14 §6): Chinese history in local time, one time format,
lateness of items done late, tables that fold at 80 columns, paging, 未到期 apart."""

from __future__ import annotations

import re
import unicodedata

import pytest
from typer.testing import CliRunner

from duban.cli import app

UNIT = ["unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org"]


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _add(cli, *extra, deadline="2026-12-04 17:00", title="做好优待证办理工作") -> int:
    return int(cli("item", "add", "--kind", "整改事项", "--title", title, "--unit", "优抚褒扬科",
                   "--deadline", deadline, *extra).stdout)


def test_show_prints_history_in_chinese_words_and_local_time(cli):
    cli(*UNIT)
    item_id = _add(cli)
    cli("--by", "刘洋", "--now", "2026-12-02T09:30", "item", "update", item_id,
        "--deadline", "2026-12-31", "--status", "进行中")
    cli("--by", "刘洋", "--now", "2026-12-03T16:05", "item", "progress", item_id, "已完成初审")

    shown = cli("item", "show", item_id).stdout
    assert "完成时限：2026-12-31\n" in shown
    assert "2026-12-02 09:30 刘洋 修改：完成时限 2026-12-04 17:00 → 2026-12-31；状态 未开始 → 进行中" \
        in shown
    assert "2026-12-03 16:05 刘洋 填报进展：已完成初审" in shown
    assert "{" not in shown and "deadline_date" not in shown and "+00:00" not in shown
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", shown)  # no ISO "T" anywhere


def test_one_time_format_in_tables(cli):
    cli(*UNIT)
    _add(cli)
    listed = cli("item", "list", "--now", "2026-12-01T10:00").stdout
    assert "2026-12-04 17:00" in listed and "+08:00" not in listed


def test_an_item_done_two_working_days_late_shows_two(cli):
    cli(*UNIT)
    item_id = _add(cli, deadline="2026-11-27")  # a Friday
    cli("--now", "2026-12-01T18:00", "item", "done", item_id, "--at", "2026-12-01T10:00")
    assert cli.json("item", "show", item_id, "--now", "2026-12-10T10:00")["days_overdue"] == 2
    early = _add(cli, deadline="2026-11-27", title="按时办结的事项")
    cli("--now", "2026-11-26T18:00", "item", "done", early)
    assert cli.json("item", "show", early)["days_overdue"] == 0


def test_tables_fold_at_80_columns_rather_than_cut(cli, tmp_path):
    cli(*UNIT)
    title = "全面梳理涉军信访问题和历史遗留问题，推进积案化解"
    _add(cli, "--code", "ZQ1-20261013-10", title=title)
    narrow = CliRunner(env={"DUBAN_HOME": str(tmp_path / "home"), "COLUMNS": "80"})
    shown = narrow.invoke(app, ["item", "list", "--now", "2026-12-01T10:00"]).stdout
    assert "…" not in shown
    assert "ZQ1-20261013-10" in shown  # a code never breaks
    rest = iter("".join(shown.split()))
    assert all(ch in rest for ch in title)  # every character of the title, in order
    assert max(map(_columns, shown.splitlines())) <= 80


@pytest.fixture
def demo(cli):
    cli("--now", "2026-11-30T18:00", "demo")
    return cli


def test_item_list_is_limited_with_a_paging_hint(demo):
    listed = demo("item", "list", "--now", "2026-12-01T10:00")
    total = len(demo.json("item", "list"))
    assert total > 200
    rows = [line for line in listed.stdout.splitlines() if re.match(r"^ \d+ ", line)]
    assert len(rows) == 50
    assert f"显示第 1–50 项，共 {total} 项。下一页：--offset 50；全部：--limit 0" in listed.stdout
    page = demo("item", "list", "--limit", "10", "--offset", "50").stdout
    assert f"显示第 51–60 项，共 {total} 项" in page
    assert len(demo.json("item", "list", "--limit", "5")) == 5
    assert "--limit" in demo("item", "list", "--limit", "-1", code=1).stderr


def test_overview_counts_future_occurrences_apart(demo):
    shown = demo("overview", "--now", "2026-12-01T10:00").stdout
    counts = dict(re.findall(r"(正常|未到期|临期|逾期|已办结|已撤销) (\d+)", shown.splitlines()[1]))
    assert int(counts["未到期"]) > 100 and int(counts["正常"]) < 10


@pytest.mark.parametrize("year", ["26", "0", "20260"])
def test_stats_refuses_a_year_that_is_not_four_digits(cli, year):
    assert "--year “" + year + "”：应为四位年份，如 2026" in cli("stats", "--year", year, code=1).stderr


def test_stats_counts_every_kind_and_unit_and_ties_share_a_rank(cli):
    cli(*UNIT)
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bgs@example.org")
    cli("unit", "add", "--name", "政策法规科", "--kind", "科室", "--contact", "王芳",
        "--email", "zcfg@example.org")
    for unit, kind in (("优抚褒扬科", "整改事项"), ("办公室", "任务")):
        item_id = int(cli("--now", "2026-12-01T09:00", "item", "add", "--kind", kind,
                          "--title", "按期办结的事项", "--unit", unit, "--deadline", "2026-12-04").stdout)
        cli("--now", "2026-12-03T10:00", "item", "done", item_id)
    cli("--now", "2026-12-01T09:00", "item", "add", "--kind", "任务", "--title", "尚未到期",
        "--unit", "办公室", "--deadline", "2026-12-30")
    rows = {r["unit"]: r for r in cli.json("stats", "--year", "2026", "--now", "2026-12-10T10:00")}
    assert (rows["优抚褒扬科"]["rank"], rows["办公室"]["rank"]) == (1, 1)  # a tie shares rank 1
    assert (rows["办公室"]["due"], rows["办公室"]["pending"]) == (1, 1)  # not yet due: not 应报
    assert rows["政策法规科"] == {"unit": "政策法规科", "due": 0, "on_time": 0, "late": 0,
                                  "missing": 0, "pending": 0, "rate": None, "extended": 0,
                                  "rank": None}
