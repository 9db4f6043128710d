"""Deadlines on days off, against the real 2026 calendar (国庆 1–7 Oct, 10 Oct 班)."""

from __future__ import annotations

from datetime import date, time

import pytest

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline
from models.domain.holidays import (
    apply_holiday_policy,
    day_off_words,
    deadline_words,
    due_phrase,
    holiday_deadline,
    settle_deadline,
)
from models.domain.ladder import fire_date
from models.domain.recurrence import HolidayPolicy

CAL = WorkCalendar()
NATIONAL_DAY = Deadline(date(2026, 10, 5), time(17, 0))


@pytest.mark.parametrize(("day", "words"), [
    ("2026-10-05", "国庆假期"), ("2026-01-01", "元旦假期"), ("2026-02-17", "春节假期"),
    ("2026-12-05", "星期六"), ("2026-12-06", "星期日"), ("2026-10-10", None), ("2026-12-04", None),
])
def test_day_off_words(day, words):
    assert day_off_words(date.fromisoformat(day), CAL) == words


def test_a_holiday_deadline_knows_its_neighbours():
    found = holiday_deadline(NATIONAL_DAY, CAL)
    assert (found.words, found.previous_workday, found.next_workday) == (
        "国庆假期", date(2026, 9, 30), date(2026, 10, 8))
    assert holiday_deadline(Deadline(date(2026, 10, 9)), CAL) is None


@pytest.mark.parametrize(("policy", "expected"), [
    (HolidayPolicy.KEEP, NATIONAL_DAY),
    (HolidayPolicy.NEXT, Deadline(date(2026, 10, 8), time(17, 0))),
    (HolidayPolicy.PREVIOUS, Deadline(date(2026, 9, 30), time(17, 0))),
])
def test_policies(policy, expected):
    assert apply_holiday_policy(NATIONAL_DAY, policy, CAL) == expected


def test_settle_warns_without_a_policy_and_says_a_move():
    kept, warning = settle_deadline(NATIONAL_DAY, None, CAL)
    assert kept == NATIONAL_DAY and warning.startswith("完成时限 2026-10-05 17:00 是国庆假期")
    assert settle_deadline(NATIONAL_DAY, HolidayPolicy.KEEP, CAL) == (NATIONAL_DAY, None)
    moved, said = settle_deadline(NATIONAL_DAY, HolidayPolicy.NEXT, CAL)
    assert moved == Deadline(date(2026, 10, 8), time(17, 0))
    assert said == "完成时限 2026-10-05 17:00 是国庆假期，已顺延至下一工作日：2026-10-08 17:00"
    working = Deadline(date(2026, 10, 9))
    assert settle_deadline(working, None, CAL) == (working, None)


def test_reminder_words():
    assert deadline_words(NATIONAL_DAY, CAL) == "2026-10-05 17:00（国庆假期）"
    assert deadline_words(Deadline(date(2026, 10, 9)), CAL) == "2026-10-09"
    assert due_phrase(NATIONAL_DAY, 0, CAL) == "10月5日（国庆假期）到期，今天是到期前最后一个工作日"
    assert due_phrase(NATIONAL_DAY, 2, CAL) == "10月5日（国庆假期）到期，距到期还有 2 个工作日"
    assert due_phrase(Deadline(date(2026, 10, 9)), 0, CAL) == "今日到期"
    assert due_phrase(Deadline(date(2026, 10, 9)), 3, CAL) == "距到期还有 3 个工作日"


def test_the_on_the_day_rung_fires_on_the_last_working_day_before():
    assert fire_date(0, date(2026, 10, 5), CAL) == date(2026, 9, 30)
    assert fire_date(0, date(2026, 10, 9), CAL) == date(2026, 10, 9)
