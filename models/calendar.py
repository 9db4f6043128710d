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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

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


class CalendarCoverageWarning(UserWarning):
    """A year's holidays are unknown; working days are guessed as Monday–Friday."""


def uncovered_year_message(year: int) -> str:
    return (
        f"{year}年的法定节假日安排尚未载入，暂按周一至周五计算工作日。"
        f"请按国务院办公厅当年的节假日安排通知编写 CSV（列：日期,类型(休/班),名称），"
        f"然后运行：duban calendar load 文件.csv"
    )


def _warn(year: int) -> None:
    warnings.warn(uncovered_year_message(year), CalendarCoverageWarning, stacklevel=4)


@dataclass(frozen=True)
class DayOverride:
    day: date
    workday: bool
    name: str


class WorkCalendar:
    """Answers working-day questions. Immutable once built; caches per-day answers."""

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
        self._cache: dict[date, bool] = {}

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

    def is_workday(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        override = self._overrides.get(day)
        if override is not None:
            result = override.workday
        elif self._package_covers(day.year):
            result = chinese_calendar.is_workday(day)
        else:
            if day.year not in self._years_with_overrides and day.year not in self._warned_years:
                self._warned_years.add(day.year)
                self._on_uncovered_year(day.year)
            result = day.weekday() < 5
        self._cache[day] = result
        return result

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
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def previous_workday(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        day -= timedelta(days=1)
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def add_workdays(self, day: date, n: int) -> date:
        """Move ``n`` working days from ``day``; n may be 0 or negative.

        n > 0 counts working days strictly after ``day`` (2026-09-30 + 3 → 2026-10-10,
        the 调休 Saturday); n < 0 counts strictly before. n == 0 returns ``day`` when it
        is a working day, else the next one.
        """
        if n == 0:
            return day if self.is_workday(day) else self.next_workday(day)
        step = self.next_workday if n > 0 else self.previous_workday
        for _ in range(abs(n)):
            day = step(day)
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative, counting (end, start], when end < start.

        So ``add_workdays(a, workdays_between(a, b)) == b`` for a working day b after a.
        """
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count
