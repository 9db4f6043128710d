"""Deadline arithmetic and the 红黄绿灯, against the real 2026 calendar (国庆 1–7 Oct, 10 Oct 班)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline, is_overdue, light, local_date, workdays_overdue
from models.domain.enums import ItemStatus, Light

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar()
OPEN = [ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS, ItemStatus.SUBMITTED]


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _deadline(day: str, at: str | None = None) -> Deadline:
    return Deadline(date.fromisoformat(day), time.fromisoformat(at) if at else None)


def _light(deadline: Deadline, now: datetime, status: ItemStatus = ItemStatus.IN_PROGRESS,
           **kw) -> Light:
    return light(status, deadline, deadline.ends_at(SHANGHAI), now=now, tz=SHANGHAI,
                 calendar=CALENDAR, **kw)


def _overdue_days(deadline: Deadline, now: datetime,
                  status: ItemStatus = ItemStatus.IN_PROGRESS) -> int:
    return workdays_overdue(status, deadline, deadline.ends_at(SHANGHAI), now=now, tz=SHANGHAI,
                            calendar=CALENDAR)


# --- Deadline -----------------------------------------------------------------------------------

def test_the_2026_national_day_calendar_these_tests_rely_on():
    assert not any(CALENDAR.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert [CALENDAR.is_workday(date(2026, 10, d)) for d in (8, 9, 10, 11, 12)] == [
        True, True, True, False, True]


def test_a_date_only_deadline_ends_at_local_midnight():
    ends = _deadline("2026-11-30").ends_at(SHANGHAI)

    assert ends == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert ends.tzinfo is UTC
    assert _deadline("2026-12-31").ends_at(SHANGHAI) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert _deadline("2026-11-30").ends_at(ZoneInfo("UTC")) == datetime(2026, 12, 1, tzinfo=UTC)


def test_a_timed_deadline_ends_at_its_local_wall_clock():
    ends = _deadline("2026-11-30", "17:00").ends_at(SHANGHAI)

    assert ends == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert ends.tzinfo is UTC
    assert _deadline("2026-11-30", "07:30").ends_at(SHANGHAI) == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)


def test_deadline_text_forms():
    assert str(_deadline("2026-11-30")) == "2026-11-30"
    assert str(_deadline("2026-11-30", "17:00")) == "2026-11-30 17:00"
    assert _deadline("2026-11-30").isoformat(SHANGHAI) == "2026-11-30"
    assert _deadline("2026-11-30", "17:00").isoformat(SHANGHAI) == "2026-11-30T17:00+08:00"


def test_local_date_is_the_bureaus_calendar_day():
    assert local_date(datetime(2026, 9, 30, 15, 59, tzinfo=UTC), SHANGHAI) == date(2026, 9, 30)
    assert local_date(datetime(2026, 9, 30, 16, 0, tzinfo=UTC), SHANGHAI) == date(2026, 10, 1)


# --- is_overdue ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", OPEN)
def test_is_overdue_is_strictly_after_the_deadline(status):
    due = _local(2026, 11, 30, 17, 0)

    assert not is_overdue(status, due, now=due - timedelta(seconds=1))
    assert not is_overdue(status, due, now=due)
    assert is_overdue(status, due, now=due + timedelta(microseconds=1))


@pytest.mark.parametrize("status", [ItemStatus.DONE, ItemStatus.CANCELLED])
def test_closed_items_are_never_overdue(status):
    assert not is_overdue(status, _local(2026, 1, 1, 0, 0), now=_local(2026, 12, 31, 0, 0))


# --- light --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "expected"), [
    (ItemStatus.DONE, Light.DONE),
    (ItemStatus.CANCELLED, Light.CANCELLED),
])
def test_closed_items_show_their_state_whatever_the_deadline(status, expected):
    deadline = _deadline("2026-09-30")

    assert _light(deadline, _local(2026, 10, 20, 9, 0), status) is expected  # long past
    assert _light(deadline, _local(2026, 9, 29, 9, 0), status) is expected   # 临期 window
    assert _light(deadline, _local(2026, 6, 1, 9, 0), status) is expected    # far ahead


@pytest.mark.parametrize("status", OPEN)
def test_an_open_item_past_its_deadline_is_red(status):
    deadline = _deadline("2026-11-30", "17:00")

    assert _light(deadline, _local(2026, 11, 30, 17, 0, 1), status) is Light.RED
    assert _light(deadline, _local(2026, 11, 30, 17, 0, 0), status) is Light.YELLOW


def test_a_date_only_deadline_turns_red_after_midnight():
    deadline = _deadline("2026-11-30")

    assert _light(deadline, _local(2026, 11, 30, 23, 59, 59)) is Light.YELLOW
    assert _light(deadline, _local(2026, 12, 1, 0, 0, 0)) is Light.YELLOW
    assert _light(deadline, _local(2026, 12, 1, 0, 0, 1)) is Light.RED


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-09-30", Light.YELLOW),  # due today
    ("2026-10-05", Light.YELLOW),  # in the holiday: 0 working days away
    ("2026-10-09", Light.YELLOW),  # 9 calendar days, but only the 8th and 9th are working days
    ("2026-10-10", Light.YELLOW),  # 3: the 调休 Saturday counts
    ("2026-10-11", Light.YELLOW),  # Sunday after it: still 3
    ("2026-10-12", Light.GREEN),   # 4
    ("2026-10-14", Light.GREEN),   # 6
])
def test_due_soon_counts_working_days_across_national_day(day, expected):
    assert _light(_deadline(day), _local(2026, 9, 30, 9, 0)) is expected


@pytest.mark.parametrize(("now", "day", "expected"), [
    (_local(2026, 11, 2, 9, 0), "2026-11-05", Light.YELLOW),   # Mon → Thu: 3
    (_local(2026, 11, 2, 9, 0), "2026-11-06", Light.GREEN),    # Mon → Fri: 4
    (_local(2026, 11, 6, 9, 0), "2026-11-11", Light.YELLOW),   # Fri → Wed: weekend not counted
    (_local(2026, 11, 6, 9, 0), "2026-11-12", Light.GREEN),    # Fri → Thu: 4
    (_local(2026, 10, 3, 12, 0), "2026-10-09", Light.YELLOW),  # now in the holiday
    (_local(2026, 10, 3, 12, 0), "2026-10-13", Light.GREEN),   # 8, 9, 10, 12, 13 → 5
])
def test_due_soon_window(now, day, expected):
    assert _light(_deadline(day), now) is expected


def test_today_is_taken_in_the_bureaus_zone():
    """At 2026-11-02 17:00 UTC it is already Tuesday 3 Nov in Shanghai: Fri 6 Nov is 3 away."""
    now = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)

    assert _light(_deadline("2026-11-06"), now) is Light.YELLOW
    assert _light(_deadline("2026-11-06"), datetime(2026, 11, 2, 15, 0, tzinfo=UTC)) is Light.GREEN


def test_due_soon_threshold_is_a_parameter():
    now = _local(2026, 11, 2, 9, 0)

    assert _light(_deadline("2026-11-02", "17:00"), now, due_soon_workdays=0) is Light.YELLOW
    assert _light(_deadline("2026-11-03"), now, due_soon_workdays=0) is Light.GREEN
    assert _light(_deadline("2026-11-09"), now, due_soon_workdays=5) is Light.YELLOW
    assert _light(_deadline("2026-11-10"), now, due_soon_workdays=5) is Light.GREEN


# --- workdays_overdue ---------------------------------------------------------------------------

def test_workdays_overdue_counts_working_days_only():
    deadline = _deadline("2026-09-30")

    assert _overdue_days(deadline, _local(2026, 10, 9, 10, 0)) == 2
    assert _overdue_days(deadline, _local(2026, 10, 8, 0, 0, 1)) == 1
    assert _overdue_days(deadline, _local(2026, 10, 10, 10, 0)) == 3  # 调休 Saturday
    assert _overdue_days(deadline, _local(2026, 10, 11, 10, 0)) == 3  # Sunday
    assert _overdue_days(deadline, _local(2026, 10, 12, 10, 0)) == 4


def test_workdays_overdue_is_zero_while_not_overdue():
    deadline = _deadline("2026-09-30")

    assert _overdue_days(deadline, _local(2026, 9, 28, 10, 0)) == 0
    assert _overdue_days(deadline, _local(2026, 9, 30, 23, 59)) == 0
    assert _overdue_days(deadline, _local(2026, 10, 1, 0, 0)) == 0


def test_overdue_through_a_holiday_is_zero_working_days():
    assert _overdue_days(_deadline("2026-09-30"), _local(2026, 10, 5, 10, 0)) == 0
    assert _light(_deadline("2026-09-30"), _local(2026, 10, 5, 10, 0)) is Light.RED


@pytest.mark.parametrize("status", [ItemStatus.DONE, ItemStatus.CANCELLED])
def test_closed_items_have_no_overdue_days(status):
    assert _overdue_days(_deadline("2026-09-30"), _local(2026, 10, 12, 10, 0), status) == 0


def test_a_timed_deadline_counts_from_its_day():
    deadline = _deadline("2026-10-09", "17:00")

    assert _overdue_days(deadline, _local(2026, 10, 9, 18, 0)) == 0
    assert _overdue_days(deadline, _local(2026, 10, 12, 9, 0)) == 2  # 10th (班) and 12th
