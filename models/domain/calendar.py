"""Working days of the Chinese calendar: statutory holidays and 调休 make-up workdays.

Pure: a WorkCalendar is built from data (the chinesecalendar package plus an
administrator's overrides) and answers questions about dates. No clock, no database.

Sources, in order of precedence for a given day:
1. an override (from ``duban calendar load``), for years no package covers yet;
2. the chinesecalendar package, for the years it covers (2004–2026 in 1.11);
3. Monday–Friday. A year with neither package data nor any override is a guess, so the
   calendar reports it once per year through ``on_uncovered_year``.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date
from typing import NamedTuple

import chinese_calendar

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def package_years() -> tuple[int, int]:
    """The first and last years the chinesecalendar package knows (2004, 2026 in 1.11)."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return min(years), max(years)


class CalendarCoverageWarning(UserWarning):
    """A year's holidays are unknown; working days are guessed as Monday–Friday."""


def uncovered_year_message(year: int) -> str:
    return (
        f"{year}年的法定节假日安排尚未载入，暂按周一至周五计算工作日。"
        f"请按国务院办公厅当年的节假日安排通知编写 CSV（列：日期,类型(休/班),名称），"
        f"然后运行：duban calendar load 文件.csv"
    )


def _warn(year: int) -> None:
    # _warn ← _build_year ← _year ← the public method ← its caller
    warnings.warn(uncovered_year_message(year), CalendarCoverageWarning, stacklevel=5)


def next_year_notice(today: date, calendar: WorkCalendar) -> str | None:
    """In December, what to tell supervisors when next year's holidays are still unknown
    (deadlines and schedules for January would be counted Monday–Friday); else None."""
    if today.month != 12 or calendar.is_covered(today.year + 1):
        return None
    year = today.year + 1
    return (f"{year}年的法定节假日安排尚未载入系统，{year}年的完成时限和周期任务暂按周一至周五"
            f"计算工作日。国务院办公厅发布{year}年节假日安排通知后，请及时运行 "
            "duban calendar load 载入（duban calendar status 可查看日历覆盖情况）。")


@dataclass(frozen=True)
class DayOverride:
    day: date
    workday: bool
    name: str


MAX_ORDINAL = date.max.toordinal()


class _Year(NamedTuple):
    first: int  # ordinal of 1 January
    flags: bytes  # one per day of the year: 1 for a working day
    running: list[int]  # running[i]: working days among the year's first i days (len days + 1)


class WorkCalendar:
    """Answers working-day questions. Immutable once built.

    Each year is worked out once, on first use, into a table: one flag per day and the running
    count of working days before each day. ``is_workday`` is then an index, and
    ``workdays_between`` / ``add_workdays`` cost a subtraction or a bisection per year spanned,
    not a step per day.
    """

    def __init__(
        self,
        overrides: Iterable[DayOverride] = (),
        *,
        on_uncovered_year: Callable[[int], None] = _warn,
    ):
        self._overrides = {o.day: o for o in overrides}
        self._years_with_overrides = {d.year for d in self._overrides}
        self._on_uncovered_year = on_uncovered_year
        self._warned_years: set[int] = set()
        self._package_years: dict[int, bool] = {}
        self._years: dict[int, _Year] = {}

    def _package_covers(self, year: int) -> bool:
        if year not in self._package_years:
            try:
                chinese_calendar.is_workday(date(year, 6, 1))
                self._package_years[year] = True
            except NotImplementedError:
                self._package_years[year] = False
        return self._package_years[year]

    def is_covered(self, year: int) -> bool:
        """True when the year's holidays are known (package data or loaded overrides)."""
        return self._package_covers(year) or year in self._years_with_overrides

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build_year(year)
        return table

    def _build_year(self, year: int) -> _Year:
        if not MINYEAR <= year <= MAXYEAR:
            raise OverflowError("date value out of range")
        package = self._package_covers(year)
        if not package and year not in self._years_with_overrides \
                and year not in self._warned_years:
            self._warned_years.add(year)
            self._on_uncovered_year(year)
        first = date(year, 1, 1).toordinal()
        days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
        # The package's own rule (chinese_calendar.is_workday), minus its per-call range check.
        package_workdays, package_holidays = chinese_calendar.workdays, chinese_calendar.holidays
        flags = bytearray(days)
        running = [0] * (days + 1)
        for i in range(days):
            day = date.fromordinal(first + i)
            override = self._overrides.get(day)
            if override is not None:
                workday = override.workday
            elif package:
                workday = day in package_workdays or (day.weekday() < 5 and day not in package_holidays)
            else:
                workday = day.weekday() < 5
            flags[i] = workday
            running[i + 1] = running[i] + workday
        return _Year(first, bytes(flags), running)

    def is_workday(self, day: date) -> bool:
        table = self._year(day.year)
        return bool(table.flags[day.toordinal() - table.first])

    def day_name(self, day: date) -> str | None:
        """The holiday or 调休 name of a day, in Chinese, or None for an ordinary day."""
        override = self._overrides.get(day)
        if override is not None:
            return override.name
        if not self._package_covers(day.year):
            return None
        _, name = chinese_calendar.get_holiday_detail(day)
        if name is None:
            return None
        return HOLIDAY_NAMES_ZH.get(name, name)

    def next_workday(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_workdays(day, 1)

    def previous_workday(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        return self.add_workdays(day, -1)

    def add_workdays(self, day: date, n: int) -> date:
        """Move ``n`` working days from ``day``; n may be 0 or negative.

        n > 0 counts working days strictly after ``day`` (2026-09-30 + 3 → 2026-10-10,
        the 调休 Saturday); n < 0 counts strictly before. n == 0 returns ``day`` when it
        is a working day, else the next one.
        """
        if n == 0:
            return day if self.is_workday(day) else self.next_workday(day)
        if n > 0:
            # Walk forward a year at a time from the day after `day`, looking only at the
            # years a day-by-day walk would have visited.
            ordinal = day.toordinal() + 1
            year = date.fromordinal(ordinal).year if ordinal <= MAX_ORDINAL else MAXYEAR + 1
            while True:
                table = self._year(year)
                start = table.running[ordinal - table.first]
                if n <= table.running[-1] - start:
                    # the smallest k with n working days in [ordinal, k): day k - 1 is the one
                    k = bisect_left(table.running, start + n)
                    return date.fromordinal(table.first + k - 1)
                n -= table.running[-1] - start
                year += 1
                ordinal = table.first + len(table.flags)
        n = -n
        ordinal = day.toordinal() - 1
        year = date.fromordinal(ordinal).year if ordinal >= 1 else MINYEAR - 1
        while True:
            table = self._year(year)
            end = table.running[ordinal - table.first + 1]
            if n <= end:
                # the working day j with n working days in [j, ordinal]: running[j] == end - n
                k = bisect_left(table.running, end - n + 1)
                return date.fromordinal(table.first + k - 1)
            n -= end
            year -= 1
            ordinal = table.first - 1

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative, counting (end, start], when end < start.

        So ``add_workdays(a, workdays_between(a, b)) == b`` for a working day b after a.
        """
        if end < start:
            return -self.workdays_between(end, start)
        if end == start:
            return 0
        first, last = start.toordinal() + 1, end.toordinal()
        count = 0
        for year in range(date.fromordinal(first).year, end.year + 1):
            table = self._year(year)
            lo = max(first - table.first, 0)
            hi = min(last - table.first + 1, len(table.flags))
            count += table.running[hi] - table.running[lo]
        return count
