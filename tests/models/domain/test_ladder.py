"""The reminder ladder, pure: fire dates in working days, catch-up, supersession."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline
from models.domain.ladder import DEFAULT_LADDER, LadderClock, next_fire_after, owed
from tests.support.factories import SHANGHAI

CLOCK = LadderClock(tz=SHANGHAI, calendar=WorkCalendar(), office_start=time(9, 0))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def stages(deadline: Deadline, now: str) -> dict[str, str]:
    due_at = deadline.ends_at(SHANGHAI)
    return {d.stage: d.fire_at.strftime("%m-%d %H:%M")
            for d in owed(DEFAULT_LADDER, deadline, due_at, now=at(now), clock=CLOCK)}


# Deadline Friday 2026-10-09, right after National Day (10-01..07 off; 9-20 Sun and
# 10-10 Sat are 调休 working days).
NATIONAL_DAY = Deadline(date(2026, 10, 9))


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-09-28 17:00", {}),
    ("2026-09-29 08:59", {}),
    ("2026-09-29 09:00", {"due_soon_3": "09-29 09:00"}),
    ("2026-10-05 12:00", {"due_soon_3": "09-29 09:00"}),
    ("2026-10-08 09:30", {"due_soon_1": "10-08 09:00"}),
    ("2026-10-09 09:00", {"due_today": "10-09 09:00"}),
    ("2026-10-09 23:59", {"due_today": "10-09 09:00"}),
    # The first 催办 falls on the 调休 Saturday.
    ("2026-10-10 09:00", {"overdue#0": "10-10 09:00"}),
    ("2026-10-12 10:00", {"overdue#0": "10-10 09:00"}),
    ("2026-10-13 09:00", {"overdue#1": "10-13 09:00", "escalation": "10-13 09:00"}),
    ("2026-10-15 09:00", {"overdue#2": "10-15 09:00", "escalation": "10-13 09:00",
                          "circulation": "10-15 09:00"}),
])
def test_ladder_across_national_day_and_its_tiaoxiu_saturday(now, expected):
    assert stages(NATIONAL_DAY, now) == expected


def test_due_soon_stages_are_superseded_once_overdue():
    deadline = Deadline(date(2026, 11, 27), time(17, 0))
    assert stages(deadline, "2026-11-27 16:59") == {"due_today": "11-27 09:00"}
    assert stages(deadline, "2026-11-27 17:01") == {}
    assert stages(deadline, "2026-11-30 09:00") == {"overdue#0": "11-30 09:00"}


def test_a_week_of_downtime_owes_each_stage_once():
    # Deadline Friday 11-20; nothing ran until Tuesday 12-01 10:00 (7 working days later).
    owed_now = stages(Deadline(date(2026, 11, 20)), "2026-12-01 10:00")
    assert owed_now == {"overdue#3": "12-01 09:00", "escalation": "11-25 09:00",
                        "circulation": "11-27 09:00"}


def test_deadline_on_a_holiday_reminds_on_the_last_working_day_before():
    # 2026-10-03 is inside National Day: "on the day" means 09-30.
    assert stages(Deadline(date(2026, 10, 3)), "2026-09-30 10:00") == {"due_today": "09-30 09:00"}


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-09-20 12:00", "2026-09-29 09:00"),  # next: due_soon_3
    ("2026-09-29 09:00", "2026-10-08 09:00"),  # next: due_soon_1 (holiday skipped)
    ("2026-10-09 10:00", "2026-10-10 09:00"),  # next: first 催办, on the 调休 Saturday
    ("2026-10-13 09:00", "2026-10-15 09:00"),  # next: overdue#2 and circulation
    ("2026-10-15 09:00", "2026-10-19 09:00"),  # then only the repeating 催办
])
def test_next_fire_after_points_at_the_next_rung(now, expected):
    nxt = next_fire_after(DEFAULT_LADDER, NATIONAL_DAY, now=at(now), clock=CLOCK)
    assert nxt == at(expected)


def test_next_fire_after_is_always_later_than_now():
    now = at("2026-09-01 00:00")
    for _ in range(40):
        nxt = next_fire_after(DEFAULT_LADDER, NATIONAL_DAY, now=now, clock=CLOCK)
        assert nxt is not None and nxt > now
        now = nxt
