"""models.domain.calendar.WorkCalendar against the State Council's holiday notices, typed in by hand.

The expectations below come from 国务院办公厅关于2025年、2026年部分节假日安排的通知, not from
the chinesecalendar package the code uses, so a wrong or stale package release shows up here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.calendar import CalendarCoverageWarning, DayOverride, WorkCalendar

D = date.fromisoformat


@dataclass(frozen=True)
class Holiday:
    names: frozenset[str]  # what day_name may answer (国庆节 and 中秋节 share 2025's break)
    first: date
    last: date
    makeup: tuple[date, ...] = ()  # 调休: weekend days worked for this holiday

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def _h(names: str, first: str, last: str, *makeup: str) -> Holiday:
    return Holiday(frozenset(names.split("/")), D(first), D(last), tuple(D(m) for m in makeup))


NOTICES: dict[int, list[Holiday]] = {
    2025: [
        _h("元旦", "2025-01-01", "2025-01-01"),
        _h("春节", "2025-01-28", "2025-02-04", "2025-01-26", "2025-02-08"),
        _h("清明节", "2025-04-04", "2025-04-06"),
        _h("劳动节", "2025-05-01", "2025-05-05", "2025-04-27"),
        _h("端午节", "2025-05-31", "2025-06-02"),
        _h("国庆节/中秋节", "2025-10-01", "2025-10-08", "2025-09-28", "2025-10-11"),
    ],
    2026: [
        _h("元旦", "2026-01-01", "2026-01-03", "2026-01-04"),
        _h("春节", "2026-02-15", "2026-02-23", "2026-02-14", "2026-02-28"),
        _h("清明节", "2026-04-04", "2026-04-06"),
        _h("劳动节", "2026-05-01", "2026-05-05", "2026-05-09"),
        _h("端午节", "2026-06-19", "2026-06-21"),
        _h("中秋节", "2026-09-25", "2026-09-27"),
        _h("国庆节", "2026-10-01", "2026-10-07", "2026-09-20", "2026-10-10"),
    ],
}

HOLIDAY_DAYS = {d for hs in NOTICES.values() for h in hs for d in h.days()}
MAKEUP_DAYS = {d for hs in NOTICES.values() for h in hs for d in h.makeup}


def expected_workday(day: date) -> bool:
    """The notices' answer: Monday–Friday unless a holiday, or a 调休 weekend day."""
    assert day.year in NOTICES, day
    return day in MAKEUP_DAYS or (day.weekday() < 5 and day not in HOLIDAY_DAYS)


def _never_uncovered(year: int) -> None:
    raise AssertionError(f"on_uncovered_year({year}) called for a covered year")


def year_days(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]


# One calendar for the read-only tests: its per-day cache makes the property tests cheap.
CAL = WorkCalendar(on_uncovered_year=_never_uncovered)


# --- the hand-typed data itself ------------------------------------------------------------


def test_notice_data_is_consistent():
    """Guards the typing above: 调休 days are weekends, holidays and 调休 never overlap."""
    assert all(d.weekday() >= 5 for d in MAKEUP_DAYS)
    assert not HOLIDAY_DAYS & MAKEUP_DAYS
    assert len(MAKEUP_DAYS) == 5 + 6
    # 2025: 1+8+3+5+3+8 days off; 2026: 3+9+3+5+3+3+7.
    assert sum(d.year == 2025 for d in HOLIDAY_DAYS) == 28
    assert sum(d.year == 2026 for d in HOLIDAY_DAYS) == 33


# --- is_workday, every day of both years ---------------------------------------------------


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_every_day_of_the_year_matches_the_notice(year):
    cal = WorkCalendar(on_uncovered_year=_never_uncovered)
    assert cal.is_covered(year)
    wrong = [(d.isoformat(), cal.is_workday(d)) for d in year_days(year)
             if cal.is_workday(d) != expected_workday(d)]
    assert wrong == []


@pytest.mark.parametrize(("day", "workday"), [
    ("2026-10-10", True),   # 调休 Saturday
    ("2026-10-05", False),  # National Day, a Monday
    ("2026-10-08", True),   # first day back
    ("2026-01-04", True),   # 调休 Sunday after 元旦
    ("2026-02-14", True),   # 调休 Saturday before 春节
    ("2026-02-23", False),  # last day of 春节, a Monday
    ("2025-02-08", True),
    ("2025-10-06", False),  # 中秋 inside the 2025 National Day break
    ("2026-03-07", False),  # an ordinary Saturday
    ("2026-03-09", True),   # an ordinary Monday
])
def test_is_workday_spot_checks(day, workday):
    assert CAL.is_workday(D(day)) is workday


# --- add_workdays --------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "n", "expected"), [
    # Spring Festival 2026: Fri 02-13, 调休 Sat 02-14, off 02-15..02-23, back Tue 02-24.
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-14", 1, "2026-02-24"),
    ("2026-02-13", 2, "2026-02-24"),
    ("2026-02-24", -1, "2026-02-14"),
    ("2026-02-24", -2, "2026-02-13"),
    ("2026-02-20", 1, "2026-02-24"),   # from inside the holiday
    ("2026-02-20", -1, "2026-02-14"),
    # National Day 2026: Wed 09-30, off 10-01..10-07, Thu 10-08, Fri 10-09, 调休 Sat 10-10.
    ("2026-09-30", 1, "2026-10-08"),
    ("2026-09-30", 3, "2026-10-10"),
    ("2026-09-30", 4, "2026-10-12"),
    ("2026-10-10", -1, "2026-10-09"),
    ("2026-10-10", -3, "2026-09-30"),
    ("2026-10-12", -4, "2026-09-30"),
    # Across the year end: 2026-01-01..03 off, 调休 Sun 01-04.
    ("2025-12-31", 1, "2026-01-04"),
    ("2026-01-04", -1, "2025-12-31"),
    ("2025-12-31", 2, "2026-01-05"),
])
def test_add_workdays_across_holidays(start, n, expected):
    assert CAL.add_workdays(D(start), n) == D(expected)


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-10-10", "2026-10-10"),  # a working day (调休 Saturday) is itself
    ("2026-10-09", "2026-10-09"),
    ("2026-10-01", "2026-10-08"),  # a holiday moves to the next working day
    ("2026-10-07", "2026-10-08"),
    ("2026-10-11", "2026-10-12"),  # an ordinary Sunday too
    ("2026-02-15", "2026-02-24"),
])
def test_add_zero_workdays(day, expected):
    assert CAL.add_workdays(D(day), 0) == D(expected)


# --- workdays_between ----------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-09-30", "2026-10-10", 3),
    ("2026-10-10", "2026-09-30", -3),
    ("2026-02-13", "2026-02-24", 2),
    ("2026-02-24", "2026-02-13", -2),
    ("2026-10-01", "2026-10-07", 0),   # nothing but holidays
    ("2026-09-30", "2026-10-07", 0),
    ("2026-10-10", "2026-10-10", 0),   # same day, a working day
    ("2026-10-01", "2026-10-01", 0),   # same day, a holiday
    ("2025-12-31", "2026-01-04", 1),
    ("2026-03-06", "2026-03-13", 5),   # an ordinary week: (Fri, next Fri]
    ("2025-01-01", "2025-12-31", 248),
    ("2025-12-31", "2026-12-31", 248),
])
def test_workdays_between(start, end, expected):
    assert CAL.workdays_between(D(start), D(end)) == expected


def test_workday_totals_match_the_notices():
    """248 working days in 2025 and 248 in 2026 follow from the notices (independent check)."""
    assert sum(expected_workday(d) for d in year_days(2025)) == 248
    assert sum(expected_workday(d) for d in year_days(2026)) == 248


NOTICE_DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31))


@settings(max_examples=300, deadline=None)
@given(a=NOTICE_DAYS, b=NOTICE_DAYS)
def test_workdays_between_counts_the_notice_days_and_inverts_add_workdays(a, b):
    n = CAL.workdays_between(a, b)
    lo, hi = min(a, b), max(a, b)
    count = sum(expected_workday(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    assert n == (count if b >= a else -count)
    assert CAL.workdays_between(b, a) == -n
    if b > a and expected_workday(b):
        assert CAL.add_workdays(a, n) == b
    if b < a and expected_workday(a) and expected_workday(b):
        assert CAL.add_workdays(a, n) == b


@settings(max_examples=200, deadline=None)
@given(a=st.dates(min_value=date(2025, 1, 2), max_value=date(2026, 9, 30)),
       n=st.integers(min_value=1, max_value=60))
def test_add_workdays_lands_on_a_working_day_n_days_on(a, n):
    forward = CAL.add_workdays(a, n)
    assert expected_workday(forward)
    assert forward > a
    assert CAL.workdays_between(a, forward) == n
    back = CAL.add_workdays(forward, -n)
    assert expected_workday(back)
    assert back == (a if expected_workday(a) else CAL.previous_workday(a))


# --- next_workday / previous_workday ---------------------------------------------------------


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-09-30", "2026-10-08"),
    ("2026-10-08", "2026-10-09"),  # strictly after, even from a working day
    ("2026-10-09", "2026-10-10"),  # the 调休 Saturday
    ("2026-10-10", "2026-10-12"),
    ("2026-02-13", "2026-02-14"),
    ("2025-12-31", "2026-01-04"),
])
def test_next_workday(day, expected):
    assert CAL.next_workday(D(day)) == D(expected)


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-10-08", "2026-09-30"),
    ("2026-10-12", "2026-10-10"),
    ("2026-10-10", "2026-10-09"),  # strictly before
    ("2026-02-24", "2026-02-14"),
    ("2026-01-05", "2026-01-04"),
    ("2026-01-04", "2025-12-31"),
])
def test_previous_workday(day, expected):
    assert CAL.previous_workday(D(day)) == D(expected)


# --- day_name ------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "name"), [
    ("2026-10-01", "国庆节"),
    ("2026-10-07", "国庆节"),
    ("2026-02-17", "春节"),
    ("2026-01-01", "元旦"),
    ("2026-04-05", "清明节"),
    ("2026-05-01", "劳动节"),
    ("2026-06-19", "端午节"),
    ("2026-09-25", "中秋节"),
])
def test_day_name_in_chinese(day, name):
    assert CAL.day_name(D(day)) == name


def test_every_holiday_and_makeup_day_has_its_chinese_name():
    wrong = []
    for holidays in NOTICES.values():
        for h in holidays:
            for d in (*h.days(), *h.makeup):
                if CAL.day_name(d) not in h.names:
                    wrong.append((d.isoformat(), CAL.day_name(d), sorted(h.names)))
    assert wrong == []


@pytest.mark.parametrize("day", ["2026-03-09", "2026-03-07", "2025-07-15"])
def test_ordinary_days_have_no_name(day):
    assert CAL.day_name(D(day)) is None


# --- overrides -----------------------------------------------------------------------------

OVERRIDES_2027 = [
    DayOverride(D("2027-01-01"), False, "元旦"),       # a Friday off
    DayOverride(D("2027-02-06"), True, "春节调休"),    # a Saturday worked
    DayOverride(D("2027-02-08"), False, "春节"),       # a Monday off
]


def test_overrides_cover_a_year_the_package_does_not():
    calls: list[int] = []
    cal = WorkCalendar(OVERRIDES_2027, on_uncovered_year=calls.append)
    assert cal.is_covered(2027)
    assert cal.is_workday(D("2027-01-01")) is False
    assert cal.is_workday(D("2027-02-06")) is True
    assert cal.is_workday(D("2027-02-08")) is False
    assert cal.is_workday(D("2027-03-03")) is True    # an ordinary Wednesday
    assert cal.is_workday(D("2027-03-06")) is False   # an ordinary Saturday
    assert cal.add_workdays(D("2027-02-05"), 1) == D("2027-02-06")
    assert cal.add_workdays(D("2027-02-06"), 1) == D("2027-02-09")
    assert cal.workdays_between(D("2026-12-31"), D("2027-01-04")) == 1
    assert cal.day_name(D("2027-02-06")) == "春节调休"
    assert cal.day_name(D("2027-03-03")) is None
    for d in year_days(2027):
        cal.is_workday(d)
    assert calls == []


def test_overrides_do_not_trigger_the_default_warning():
    cal = WorkCalendar(OVERRIDES_2027)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarCoverageWarning)
        assert cal.is_workday(D("2027-01-01")) is False
        assert cal.is_workday(D("2027-07-01")) is True


def test_overrides_take_precedence_over_package_data():
    cal = WorkCalendar(
        [
            DayOverride(D("2026-10-08"), False, "临时放假"),  # package: a working Thursday
            DayOverride(D("2026-10-03"), True, "值班日"),    # package: a National Day Saturday
        ],
        on_uncovered_year=_never_uncovered,
    )
    assert cal.is_workday(D("2026-10-08")) is False
    assert cal.is_workday(D("2026-10-03")) is True
    assert cal.day_name(D("2026-10-08")) == "临时放假"
    assert cal.day_name(D("2026-10-03")) == "值班日"
    assert cal.is_workday(D("2026-10-01")) is False   # untouched days still follow the package
    assert cal.is_workday(D("2026-10-10")) is True
    assert cal.next_workday(D("2026-09-30")) == D("2026-10-03")
    assert cal.add_workdays(D("2026-09-30"), 3) == D("2026-10-10")  # 10-03, 10-09, 10-10


def test_uncovered_year_is_reported_once_per_year_and_falls_back_to_weekdays():
    calls: list[int] = []
    cal = WorkCalendar(on_uncovered_year=calls.append)
    assert not cal.is_covered(2030)
    assert calls == []  # asking about coverage is not using a guess
    answers = {d: cal.is_workday(d) for d in year_days(2030)}
    assert calls == [2030]
    assert answers == {d: d.weekday() < 5 for d in year_days(2030)}
    assert answers[D("2030-10-01")] is True  # a Tuesday: the real holiday is unknown
    cal.add_workdays(D("2030-06-03"), 40)
    cal.workdays_between(D("2030-01-01"), D("2030-12-31"))
    assert calls == [2030]
    assert cal.add_workdays(D("2030-12-31"), 1) == D("2031-01-01")
    assert calls == [2030, 2031]
    assert cal.day_name(D("2030-10-01")) is None


def test_default_uncovered_year_callback_warns_once_naming_the_year_and_the_fix():
    cal = WorkCalendar()
    with pytest.warns(CalendarCoverageWarning) as record:
        assert cal.is_workday(D("2030-01-01")) is True
        assert cal.is_workday(D("2030-01-05")) is False
        cal.add_workdays(D("2030-01-01"), 30)
    coverage = [w for w in record if issubclass(w.category, CalendarCoverageWarning)]
    assert len(coverage) == 1
    message = str(coverage[0].message)
    assert "2030" in message
    assert "duban calendar load" in message


def test_covered_years_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarCoverageWarning)
        cal = WorkCalendar()
        assert cal.add_workdays(D("2025-01-02"), 400) < date(2027, 1, 1)
