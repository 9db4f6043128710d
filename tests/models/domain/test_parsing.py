"""Dates and times the way clerks write them; errors name the field and say what is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models.domain.deadlines import Deadline
from models.domain.parsing import parse_date, parse_deadline, parse_instant
from models.errors import InputError

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH_31 = date(2026, 3, 31)

DATE_FORMS = [
    "2026-03-31",
    "2026-3-31",
    "2026/3/31",
    "2026/03/31",
    "2026.3.31",
    "2026年3月31日",
    "2026年03月31日",
    "2026 年 3 月 31 日",
    "  2026-03-31\t",
]
TIME_FORMS = [
    ("2026-03-31 17:00", time(17, 0)),
    ("2026-03-31 17:00:00", time(17, 0)),
    ("2026-03-31T17:00", time(17, 0)),
    ("2026-03-31T17:00:45", time(17, 0, 45)),
    ("2026/3/31 9:05", time(9, 5)),
    ("2026.3.31 17:00", time(17, 0)),
    ("2026年3月31日 17:00", time(17, 0)),
    ("2026年3月31日 17:00:00", time(17, 0)),
    ("2026-03-31 17：30", time(17, 30)),
    ("2026年3月31日 17时30分00秒", time(17, 30)),
    ("2026-03-31 00:00", time(0, 0)),
    ("2026-03-31 23:59:59", time(23, 59, 59)),
]
GARBAGE = ["", "   ", "明天", "下周五", "2026-03", "31/03/2026", "03-31-2026", "20260331",
           "2026-03-31 17", "2026-03-31 17:0", "2026-03-31 17:00 下午", "26-03-31",
           "2026-03-31T", "2026-03-31 17:00:00.5"]


# --- parse_deadline -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", DATE_FORMS)
def test_parse_deadline_date_forms(text):
    assert parse_deadline(text) == Deadline(MARCH_31, None)


@pytest.mark.parametrize(("text", "at"), TIME_FORMS)
def test_parse_deadline_with_time(text, at):
    assert parse_deadline(text) == Deadline(MARCH_31, at)


@pytest.mark.parametrize("text", ["2026-02-30", "2026年2月29日", "2026-13-01", "2026/4/31",
                                  "2026-00-10", "2026-03-00 17:00"])
def test_impossible_dates_name_the_field(text):
    with pytest.raises(InputError) as err:
        parse_deadline(text)

    assert err.value.field == "完成时限"
    assert err.value.reason == "不是有效日期"
    assert str(err.value) == f"完成时限 “{text}”：不是有效日期"


def test_field_name_is_the_callers():
    with pytest.raises(InputError, match=r"^截止日期 “2026-02-30”：不是有效日期$"):
        parse_deadline("2026-02-30", "截止日期")


def test_leap_day_is_a_date_in_a_leap_year():
    assert parse_deadline("2028-02-29") == Deadline(date(2028, 2, 29))


@pytest.mark.parametrize("text", ["2026-03-31 24:00", "2026-03-31 17:60", "2026-03-31 17:00:61"])
def test_impossible_times(text):
    with pytest.raises(InputError) as err:
        parse_deadline(text)

    assert (err.value.field, err.value.reason) == ("完成时限", "不是有效时间")


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_is_refused(text):
    with pytest.raises(InputError) as err:
        parse_deadline(text)

    assert err.value.field == "完成时限"
    assert "无法识别" in err.value.reason
    assert "2026-03-31 17:00" in err.value.reason  # shows the expected form


@pytest.mark.parametrize("text", ["2026-03-31 17:00+08:00", "2026-03-31T09:00Z"])
def test_a_deadline_may_not_carry_an_offset(text):
    with pytest.raises(InputError, match="不要带时区") as err:
        parse_deadline(text)

    assert err.value.field == "完成时限"


def test_chinese_hour_minute_without_seconds():
    assert parse_deadline("2026年3月31日 17时30分") == Deadline(MARCH_31, time(17, 30))


def test_chinese_date_directly_followed_by_time():
    assert parse_deadline("2026年3月31日17:00") == Deadline(MARCH_31, time(17, 0))


# --- parse_instant ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", DATE_FORMS)
def test_a_date_alone_is_local_midnight(text):
    instant = parse_instant(text, SHANGHAI)

    assert instant == datetime(2026, 3, 31, 0, 0, tzinfo=SHANGHAI)
    assert instant == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "at"), TIME_FORMS)
def test_naive_input_is_in_the_given_zone(text, at):
    instant = parse_instant(text, SHANGHAI)

    assert instant.tzinfo is SHANGHAI
    assert instant == datetime.combine(MARCH_31, at, tzinfo=SHANGHAI)


def test_the_zone_argument_decides_naive_input():
    berlin = ZoneInfo("Europe/Berlin")  # CEST (+02:00) on 31 March 2026

    assert parse_instant("2026-03-31 17:00", berlin) == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert parse_instant("2026-03-31 17:00", SHANGHAI) == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "utc", "offset"), [
    ("2026-03-31 17:00+08:00", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(hours=8)),
    ("2026-03-31T17:00:00+08:00", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(hours=8)),
    ("2026-03-31 17:00 +08:00", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(hours=8)),
    ("2026-03-31T09:00Z", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(0)),
    ("2026-03-31T09:00:00Z", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(0)),
    ("2026-03-31 17:00+0800", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(hours=8)),
    ("2026-03-31 04:00-05:00", datetime(2026, 3, 31, 9, 0, tzinfo=UTC), timedelta(hours=-5)),
    ("2026-03-31 02:00+00:00", datetime(2026, 3, 31, 2, 0, tzinfo=UTC), timedelta(0)),
])
def test_an_offset_overrides_the_zone(text, utc, offset):
    instant = parse_instant(text, ZoneInfo("America/New_York"))

    assert instant == utc
    assert instant.utcoffset() == offset


def test_an_offset_may_cross_the_date_line():
    instant = parse_instant("2026-03-31 02:00+08:00", SHANGHAI)

    assert instant == datetime(2026, 3, 30, 18, 0, tzinfo=UTC)
    assert instant.tzinfo == timezone(timedelta(hours=8))


def test_an_impossible_offset_is_refused():
    with pytest.raises(InputError) as err:
        parse_instant("2026-03-31 17:00+25:00", SHANGHAI)

    assert (err.value.field, err.value.reason) == ("--now", "时区偏移无效")


def test_offset_minutes_beyond_59_are_refused():
    with pytest.raises(InputError) as err:
        parse_instant("2026-03-31 17:00+08:99", SHANGHAI)

    assert (err.value.field, err.value.reason) == ("--now", "时区偏移无效")


@pytest.mark.parametrize(("text", "reason"), [
    ("2026-02-30 10:00", "不是有效日期"),
    ("2026-03-31 25:00", "不是有效时间"),
    ("昨天", "无法识别"),
    ("2026-03-31+08:00", "无法识别"),  # an offset needs a time
])
def test_parse_instant_errors_name_the_field(text, reason):
    with pytest.raises(InputError) as err:
        parse_instant(text, SHANGHAI, "--at")

    assert err.value.field == "--at"
    assert reason in err.value.reason
    assert str(err.value).startswith(f"--at “{text}”")


# --- parse_date ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", DATE_FORMS)
def test_parse_date_forms(text):
    assert parse_date(text, "日期") == MARCH_31


@pytest.mark.parametrize("text", ["2026-03-31 17:00", "2026-03-31T00:00", "2026-03-31 17:00+08:00"])
def test_parse_date_refuses_a_time(text):
    with pytest.raises(InputError) as err:
        parse_date(text, "日期")

    assert (err.value.field, err.value.reason) == ("日期", "只需日期，不带时间")


@pytest.mark.parametrize(("text", "reason"), [("2026-02-30", "不是有效日期"), ("国庆节", "无法识别")])
def test_parse_date_errors_name_the_field(text, reason):
    with pytest.raises(InputError) as err:
        parse_date(text, "日期")

    assert err.value.field == "日期"
    assert reason in err.value.reason


def test_digits_running_into_a_time_are_not_guessed():
    with pytest.raises(InputError):
        parse_deadline("2026-03-3117:00")
