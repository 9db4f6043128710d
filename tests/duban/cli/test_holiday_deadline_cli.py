"""A deadline on a day off is said when it is entered, and --holiday-deadline moves it."""

from __future__ import annotations

UNIT = ["unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org"]
ADD = ["item", "add", "--kind", "整改事项", "--title", "国庆走访", "--unit", "优抚褒扬科"]


def test_a_holiday_deadline_is_warned_about_and_kept(cli):
    cli(*UNIT)
    result = cli(*ADD, "--deadline", "2026-10-05")
    assert "完成时限 2026-10-05 是国庆假期（非工作日）" in result.stderr
    assert "前一工作日为 2026-09-30，后一工作日为 2026-10-08" in result.stderr
    item_id = int(result.stdout.strip())
    assert cli.json("item", "show", item_id)["deadline"] == "2026-10-05"


def test_a_weekend_deadline_names_the_weekday(cli):
    cli(*UNIT)
    assert "是星期六（非工作日）" in cli(*ADD, "--deadline", "2026-12-05").stderr


def test_next_and_previous_move_the_deadline_and_keep_its_time(cli):
    cli(*UNIT)
    later = cli(*ADD, "--deadline", "2026-10-05 17:00", "--holiday-deadline", "next")
    assert "已顺延至下一工作日：2026-10-08 17:00" in later.stderr
    assert cli.json("item", "show", int(later.stdout))["deadline"] == "2026-10-08T17:00+08:00"
    earlier = cli(*ADD, "--deadline", "2026-10-05", "--holiday-deadline", "previous")
    assert cli.json("item", "show", int(earlier.stdout))["deadline"] == "2026-09-30"


def test_keep_is_silent_and_working_days_are_never_mentioned(cli):
    cli(*UNIT)
    assert cli(*ADD, "--deadline", "2026-10-05", "--holiday-deadline", "keep").stderr == ""
    assert cli(*ADD, "--deadline", "2026-10-10").stderr == ""  # a 调休 Saturday: a working day


def test_update_warns_too_and_a_bad_policy_is_refused(cli):
    cli(*UNIT)
    item_id = int(cli(*ADD, "--deadline", "2026-12-04").stdout)
    assert "是元旦假期" in cli("item", "update", item_id, "--deadline", "2026-01-01").stderr
    bad = cli("item", "update", item_id, "--deadline", "2026-10-05", "--holiday-deadline",
              "later", code=1)
    assert "--holiday-deadline “later”" in bad.stderr
    assert cli.json("item", "show", item_id)["deadline"] == "2026-01-01"
