"""Recurrence rules, pure: which dates a rule names, across month and year ends, the 2026
Spring Festival and National Day with their 调休 working days, and leap years.

2026 facts used below (State Council notice, via the chinesecalendar package):
- 元旦: 1–3 January off, Sunday 4 January a working day;
- 春节: 15–23 February off, Saturdays 14 and 28 February working days;
- 中秋: Friday 25 September off; 国庆: 1–7 October off, Sunday 20 September and
  Saturday 10 October working days.
"""

from __future__ import annotations

from datetime import date

import pytest

from models.domain.calendar import CalendarCoverageWarning, DayOverride, WorkCalendar
from models.domain.recurrence import Freq, HolidayPolicy, Rule, ShortMonth
from models.errors import InputError

CAL = WorkCalendar()  # the package's data: 2004–2026


def no_guessing(year: int) -> None:
    raise AssertionError(f"{year} should be covered")


def guessing_calendar() -> tuple[WorkCalendar, list[int]]:
    """Monday–Friday for years without data; records which years were guessed."""
    guessed: list[int] = []
    return WorkCalendar(on_uncovered_year=guessed.append), guessed


# 2027 as an administrator would load it (fictional notice: 元旦 on Friday 1 January).
CAL_2027 = WorkCalendar([DayOverride(date(2027, 1, 1), False, "元旦")],
                        on_uncovered_year=no_guessing)


def d(text: str) -> date:
    return date.fromisoformat(text)


def ds(*texts: str) -> list[date]:
    return [d(t) for t in texts]


# -- working-day rules around the 2026 holidays ------------------------------------------------

def test_fifth_working_day_of_each_month_of_2026():
    rule = Rule(Freq.MONTHLY, nth_workday=5).validate()
    found = rule.occurrences(d("2026-01-01"), d("2026-12-31"), CAL)
    assert len(found) == 12
    by_month = {x.month: x for x in found}
    assert by_month[1] == d("2026-01-08")  # Sunday 4 January (调休) is the first
    assert by_month[2] == d("2026-02-06")
    assert by_month[5] == d("2026-05-11")  # 1–5 May off, Saturday 9 May worked
    assert by_month[10] == d("2026-10-13")  # 8, 9, 10 (Saturday 调休), 12, 13
    assert by_month[12] == d("2026-12-07")


@pytest.mark.parametrize(("nth", "expected"), [
    (10, "2026-02-13"),
    (11, "2026-02-14"),  # the Saturday before the Spring Festival is a working day
    (12, "2026-02-24"),  # then nothing until the festival ends
])
def test_nth_working_day_across_the_spring_festival(nth, expected):
    rule = Rule(Freq.MONTHLY, nth_workday=nth).validate()
    assert rule.occurrences(d("2026-02-01"), d("2026-02-28"), CAL) == [d(expected)]


def test_nth_working_day_beyond_the_month_gives_no_occurrence():
    # February 2026 has 16 working days (2–14 and 24–28, with both 调休 Saturdays)
    assert Rule(Freq.MONTHLY, nth_workday=16).occurrences(d("2026-02-01"), d("2026-02-28"), CAL) \
        == [d("2026-02-28")]
    assert Rule(Freq.MONTHLY, nth_workday=17).occurrences(d("2026-02-01"), d("2026-03-31"), CAL) \
        == [d("2026-03-24")]  # March has its 17th; February has none


def test_third_working_day_of_october_is_the_tiaoxiu_saturday():
    rule = Rule(Freq.MONTHLY, nth_workday=3)
    assert rule.occurrences(d("2026-10-01"), d("2026-10-31"), CAL) == [d("2026-10-10")]


@pytest.mark.parametrize(("month", "expected"), [
    ("2026-01", "2026-01-30"),  # Saturday 31 January is a rest day
    ("2026-02", "2026-02-28"),  # Saturday 28 February is a 调休 working day
    ("2026-09", "2026-09-30"),
    ("2026-10", "2026-10-30"),
])
def test_last_working_day(month, expected):
    year, m = map(int, month.split("-"))
    rule = Rule(Freq.MONTHLY, last_workday=True).validate()
    next_month = date(year + m // 12, m % 12 + 1, 1)
    assert rule.occurrences(date(year, m, 1), next_month, CAL) == [d(expected)]


def test_daily_means_every_working_day_including_tiaoxiu():
    rule = Rule(Freq.DAILY).validate()
    assert rule.occurrences(d("2026-02-12"), d("2026-02-25"), CAL) == ds(
        "2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25")
    assert rule.occurrences(d("2026-09-18"), d("2026-09-21"), CAL) == ds(
        "2026-09-18", "2026-09-20", "2026-09-21")  # Sunday 20 September worked


# -- weekly rules and the holiday policy -------------------------------------------------------

@pytest.mark.parametrize(("policy", "expected"), [
    # Fridays 25 September (中秋) and 2 October (国庆) are holidays; 9 October is not.
    (HolidayPolicy.NEXT, ("2026-09-28", "2026-10-08", "2026-10-09")),
    (HolidayPolicy.PREVIOUS, ("2026-09-24", "2026-09-30", "2026-10-09")),
    (HolidayPolicy.KEEP, ("2026-09-25", "2026-10-02", "2026-10-09")),
])
def test_weekly_friday_around_mid_autumn_and_national_day(policy, expected):
    rule = Rule(Freq.WEEKLY, weekdays=(5,), holiday=policy).validate()
    assert rule.occurrences(d("2026-09-21"), d("2026-10-11"), CAL) == ds(*expected)


@pytest.mark.parametrize(("policy", "expected"), [
    # Mondays 16 and 23 February both fall in the festival: both move to the same working day,
    # and the week's duty is owed once, not twice.
    (HolidayPolicy.NEXT, ("2026-02-09", "2026-02-24", "2026-03-02")),
    (HolidayPolicy.PREVIOUS, ("2026-02-09", "2026-02-14", "2026-03-02")),
    (HolidayPolicy.KEEP, ("2026-02-09", "2026-02-16", "2026-02-23", "2026-03-02")),
])
def test_weekly_monday_across_the_spring_festival(policy, expected):
    rule = Rule(Freq.WEEKLY, weekdays=(1,), holiday=policy)
    assert rule.occurrences(d("2026-02-09"), d("2026-03-02"), CAL) == ds(*expected)


def test_weekly_on_several_days_is_sorted():
    rule = Rule(Freq.WEEKLY, weekdays=(5, 1))
    assert rule.occurrences(d("2026-11-02"), d("2026-11-13"), CAL) == ds(
        "2026-11-02", "2026-11-06", "2026-11-09", "2026-11-13")


def test_a_weekly_rule_never_lands_on_a_tiaoxiu_weekend_day_unless_asked():
    # Sunday 20 September is a working day, but a Friday rule does not go there.
    assert Rule(Freq.WEEKLY, weekdays=(5,)).occurrences(
        d("2026-09-19"), d("2026-09-21"), CAL) == []
    assert Rule(Freq.WEEKLY, weekdays=(7,)).occurrences(
        d("2026-09-19"), d("2026-09-21"), CAL) == [d("2026-09-20")]


# -- month and year ends -----------------------------------------------------------------------

def test_weekly_across_the_year_end_moves_new_year_to_the_next_working_day():
    rule = Rule(Freq.WEEKLY, weekdays=(5,))
    assert rule.occurrences(d("2026-12-21"), d("2027-01-10"), CAL_2027) == ds(
        "2026-12-25", "2027-01-04", "2027-01-08")


def test_daily_and_monthly_across_the_year_end():
    assert Rule(Freq.DAILY).occurrences(d("2026-12-30"), d("2027-01-05"), CAL_2027) == ds(
        "2026-12-30", "2026-12-31", "2027-01-04", "2027-01-05")
    assert Rule(Freq.MONTHLY, nth_workday=1).occurrences(
        d("2026-11-15"), d("2027-02-15"), CAL_2027) == ds("2026-12-01", "2027-01-04", "2027-02-01")
    assert Rule(Freq.MONTHLY, last_workday=True).occurrences(
        d("2026-12-01"), d("2027-01-31"), CAL_2027) == ds("2026-12-31", "2027-01-29")


def test_day_31_with_month_end_across_months_and_the_year_end():
    rule = Rule(Freq.MONTHLY, day=31, short_month=ShortMonth.LAST).validate()
    # 30 November; Thursday 31 December; Sunday 31 January 2027 → Monday 1 February;
    # Sunday 28 February 2027 → Monday 1 March; Wednesday 31 March.
    assert rule.occurrences(d("2026-11-01"), d("2027-03-31"), CAL_2027) == ds(
        "2026-11-30", "2026-12-31", "2027-02-01", "2027-03-01", "2027-03-31")


def test_only_nominal_dates_inside_the_window_count():
    # Saturday 31 October moves to Monday 2 November, but its nominal date is in October:
    # a window starting on 1 November does not own it, one ending on 31 October does.
    rule = Rule(Freq.MONTHLY, day=31, short_month=ShortMonth.SKIP)
    assert rule.occurrences(d("2026-11-01"), d("2026-11-30"), CAL) == []
    assert rule.occurrences(d("2026-10-01"), d("2026-10-31"), CAL) == [d("2026-11-02")]


# -- leap years --------------------------------------------------------------------------------

def test_day_29_in_february_of_a_common_and_a_leap_year():
    cal, guessed = guessing_calendar()
    last = Rule(Freq.MONTHLY, day=29, short_month=ShortMonth.LAST, holiday=HolidayPolicy.KEEP)
    skip = Rule(Freq.MONTHLY, day=29, short_month=ShortMonth.SKIP, holiday=HolidayPolicy.KEEP)
    window = (d("2027-01-01"), d("2028-03-31"))
    found_last = last.occurrences(*window, cal)
    found_skip = skip.occurrences(*window, cal)
    assert len(found_last) == 15 and len(found_skip) == 14
    assert [x for x in found_last if x.month == 2] == ds("2027-02-28", "2028-02-29")
    assert [x for x in found_skip if x.month == 2] == ds("2028-02-29")
    assert set(found_skip) == set(found_last) - {d("2027-02-28")}
    assert guessed == [2027, 2028]  # each uncovered year reported once


def test_day_31_with_month_end_in_a_leap_february():
    cal, _ = guessing_calendar()
    rule = Rule(Freq.MONTHLY, day=31, short_month=ShortMonth.LAST, holiday=HolidayPolicy.KEEP)
    assert rule.occurrences(d("2028-02-01"), d("2028-04-30"), cal) == ds(
        "2028-02-29", "2028-03-31", "2028-04-30")


def test_yearly_29_february_with_the_holiday_policy():
    cal, _ = guessing_calendar()
    rule = Rule(Freq.YEARLY, month=2, day=29, short_month=ShortMonth.LAST).validate()
    # 2026: Saturday 28 February is a 调休 working day, so it stays;
    # 2027: Sunday 28 February moves to Monday 1 March; 2028: Tuesday 29 February.
    assert rule.occurrences(d("2026-01-01"), d("2028-12-31"), cal) == ds(
        "2026-02-28", "2027-03-01", "2028-02-29")


def test_uncovered_years_warn_with_the_default_calendar():
    with pytest.warns(CalendarCoverageWarning, match="2028年的法定节假日安排尚未载入"):
        found = Rule(Freq.MONTHLY, nth_workday=1).occurrences(
            d("2028-02-01"), d("2028-02-29"), WorkCalendar())
    assert found == [d("2028-02-01")]


# -- quarterly, yearly, explicit dates ---------------------------------------------------------

def test_quarterly_first_day_moves_off_new_year_and_national_day():
    rule = Rule(Freq.QUARTERLY, day=1).validate()
    assert rule.occurrences(d("2026-01-01"), d("2026-12-31"), CAL) == ds(
        "2026-01-04", "2026-04-01", "2026-07-01", "2026-10-08")


def test_quarterly_last_working_day_of_the_third_month():
    rule = Rule(Freq.QUARTERLY, month=3, last_workday=True).validate()
    assert rule.occurrences(d("2026-01-01"), d("2026-12-31"), CAL) == ds(
        "2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31")


def test_quarterly_across_the_year_end():
    rule = Rule(Freq.QUARTERLY, month=1, day=1)
    assert rule.occurrences(d("2026-08-01"), d("2027-05-01"), CAL_2027) == ds(
        "2026-10-08", "2027-01-04", "2027-04-01")


def test_yearly_first_working_day_of_october_and_a_keep_date():
    assert Rule(Freq.YEARLY, month=10, nth_workday=1).validate().occurrences(
        d("2025-06-01"), d("2026-12-31"), CAL) == ds("2025-10-09", "2026-10-08")
    keep = Rule(Freq.YEARLY, month=5, day=1, holiday=HolidayPolicy.KEEP)
    assert keep.occurrences(d("2026-01-01"), d("2026-12-31"), CAL) == [d("2026-05-01")]
    nxt = Rule(Freq.YEARLY, month=5, day=1)
    assert nxt.occurrences(d("2026-01-01"), d("2026-12-31"), CAL) == [d("2026-05-06")]


def test_explicit_dates_with_each_policy():
    dates = ds("2026-10-01", "2026-11-20", "2026-12-31", "2027-03-01")
    window = (d("2026-09-01"), d("2026-12-31"))
    assert Rule(Freq.DATES, dates=tuple(dates)).validate().occurrences(*window, CAL) == ds(
        "2026-10-08", "2026-11-20", "2026-12-31")
    assert Rule(Freq.DATES, dates=tuple(dates), holiday=HolidayPolicy.PREVIOUS).occurrences(
        *window, CAL) == ds("2026-09-30", "2026-11-20", "2026-12-31")
    assert Rule(Freq.DATES, dates=tuple(dates), holiday=HolidayPolicy.KEEP).occurrences(
        *window, CAL) == ds("2026-10-01", "2026-11-20", "2026-12-31")


def test_an_empty_or_reversed_window_has_no_occurrences():
    rule = Rule(Freq.DAILY)
    assert rule.occurrences(d("2026-11-20"), d("2026-11-19"), CAL) == []
    assert rule.occurrences(d("2026-11-21"), d("2026-11-22"), CAL) == []  # a weekend


# -- refusing bad rules ------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "field", "reason"), [
    (Rule(Freq.YEARLY, month=13, day=1), "月", "应为 1 到 12"),
    (Rule(Freq.YEARLY, month=0, day=1), "月", "应为 1 到 12"),
    (Rule(Freq.YEARLY, day=1), "月", "应为 1 到 12"),
    (Rule(Freq.MONTHLY, month=13, day=5), "月", "应为 1 到 12"),  # never right, even unused
    (Rule(Freq.QUARTERLY, month=4, day=1), "季度内月份", "应为 1 到 3"),
    (Rule(Freq.WEEKLY, weekdays=(8,)), "星期", "应为 1（周一）到 7（周日）"),
    (Rule(Freq.WEEKLY, weekdays=(5, 0)), "星期", "应为 1（周一）到 7（周日）"),
    (Rule(Freq.WEEKLY), "星期", "每周规则须指定星期几"),
    (Rule(Freq.DAILY, weekdays=(8,)), "星期", "应为 1（周一）到 7（周日）"),
    (Rule(Freq.MONTHLY, day=31), "日", "请指定小月处理方式"),
    (Rule(Freq.MONTHLY, day=29), "日", "有的月份没有29日"),
    (Rule(Freq.MONTHLY, day=32, short_month=ShortMonth.LAST), "日", "应为 1 到 31"),
    (Rule(Freq.MONTHLY, day=0), "日", "应为 1 到 31"),
    (Rule(Freq.MONTHLY, day=5, nth_workday=5), "日期规则", "须且只能指定一种"),
    (Rule(Freq.MONTHLY, nth_workday=5, last_workday=True), "日期规则", "须且只能指定一种"),
    (Rule(Freq.MONTHLY), "日期规则", "须且只能指定一种"),
    (Rule(Freq.MONTHLY, nth_workday=24), "第N个工作日", "应为 1 到 23"),
    (Rule(Freq.DATES), "日期列表", "不能为空"),
])
def test_bad_rules_are_refused_naming_the_part(rule, field, reason):
    with pytest.raises(InputError) as caught:
        rule.validate()
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert field in str(caught.value) and reason in str(caught.value)


def test_the_refusal_quotes_the_bad_value():
    with pytest.raises(InputError) as caught:
        Rule(Freq.WEEKLY, weekdays=(1, 8)).validate()
    assert caught.value.value == 8
    assert str(caught.value) == "星期 “8”：应为 1（周一）到 7（周日）"


# -- storage and description -------------------------------------------------------------------

@pytest.mark.parametrize("rule", [
    Rule(Freq.DAILY),
    Rule(Freq.WEEKLY, weekdays=(1, 5), holiday=HolidayPolicy.PREVIOUS),
    Rule(Freq.MONTHLY, day=31, short_month=ShortMonth.SKIP, holiday=HolidayPolicy.KEEP),
    Rule(Freq.MONTHLY, nth_workday=5),
    Rule(Freq.QUARTERLY, month=3, last_workday=True),
    Rule(Freq.YEARLY, month=2, day=29, short_month=ShortMonth.LAST),
    Rule(Freq.DATES, dates=(d("2026-10-01"), d("2026-12-31"))),
])
def test_a_rule_survives_its_json(rule):
    assert Rule.from_json(rule.to_json()) == rule


@pytest.mark.parametrize(("rule", "text"), [
    (Rule(Freq.MONTHLY, nth_workday=5), "每月第5个工作日"),
    (Rule(Freq.WEEKLY, weekdays=(1,)), "每周一（顺延至下一工作日）"),
    (Rule(Freq.WEEKLY, weekdays=(5,), holiday=HolidayPolicy.PREVIOUS), "每周五（提前至上一工作日）"),
    (Rule(Freq.MONTHLY, day=31, short_month=ShortMonth.LAST),
     "每月31日（小月取月末），顺延至下一工作日"),
    (Rule(Freq.QUARTERLY, month=3, last_workday=True), "每季度第3个月最后一个工作日"),
    (Rule(Freq.YEARLY, month=10, nth_workday=1), "每年10月第1个工作日"),
    (Rule(Freq.DAILY), "每个工作日"),
])
def test_rules_read_in_the_bureaus_words(rule, text):
    assert rule.describe() == text
