"""Recurrence rules: which dates a recurring duty falls on. Pure: dates in, dates out.

A rule names nominal dates (every Friday; the 5th of each month; the 5th working day of each
month; …); the holiday policy then moves a nominal date that is not a working day to the next
or previous working day, or keeps it. Rules defined on working days (daily, Nth or last
working day) need no policy.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from models.domain.calendar import WorkCalendar
from models.errors import InputError


class Freq(StrEnum):
    DAILY = "daily"  # every working day
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    DATES = "dates"  # an explicit list


class HolidayPolicy(StrEnum):
    NEXT = "next"
    PREVIOUS = "previous"
    KEEP = "keep"


class ShortMonth(StrEnum):
    """What day 29–31 means in a month without it."""

    LAST = "last"  # the month's last day
    SKIP = "skip"  # no occurrence that month


WEEKDAY_ZH = "一二三四五六日"
HOLIDAY_ZH = {HolidayPolicy.NEXT: "顺延至下一工作日", HolidayPolicy.PREVIOUS: "提前至上一工作日",
              HolidayPolicy.KEEP: "节假日不调整"}


@dataclass(frozen=True)
class Rule:
    freq: Freq
    weekdays: tuple[int, ...] = ()  # ISO weekdays, 1 = Monday … 7 = Sunday
    day: int | None = None  # day of the month
    nth_workday: int | None = None  # Nth working day of the month
    last_workday: bool = False
    month: int | None = None  # yearly: 1–12; quarterly: month within the quarter, 1–3
    short_month: ShortMonth | None = None
    dates: tuple[date, ...] = field(default=())
    holiday: HolidayPolicy = HolidayPolicy.NEXT

    # -- checking ---------------------------------------------------------------------------
    def validate(self) -> Rule:
        """Return self, or raise InputError naming the bad part of the rule in Chinese."""
        # Out-of-range values are refused whatever the frequency (a 13th month is never right).
        for wd in self.weekdays:
            if not 1 <= wd <= 7:
                raise InputError("星期", wd, "应为 1（周一）到 7（周日）")
        if self.month is not None and not 1 <= self.month <= 12:
            raise InputError("月", self.month, "应为 1 到 12")
        if self.freq is Freq.WEEKLY and not self.weekdays:
            raise InputError("星期", "", "每周规则须指定星期几（1–7）")
        if self.freq in (Freq.MONTHLY, Freq.QUARTERLY, Freq.YEARLY):
            chosen = [self.day is not None, self.nth_workday is not None, self.last_workday]
            if sum(chosen) != 1:
                raise InputError("日期规则", "",
                                 "须且只能指定一种：第N日、第N个工作日、最后一个工作日")
            if self.day is not None:
                if not 1 <= self.day <= 31:
                    raise InputError("日", self.day, "应为 1 到 31")
                if self.day > 28 and self.short_month is None:
                    raise InputError("日", self.day, f"有的月份没有{self.day}日，"
                                     "请指定小月处理方式（last 取月末 / skip 跳过）")
            if self.nth_workday is not None and not 1 <= self.nth_workday <= 23:
                raise InputError("第N个工作日", self.nth_workday, "应为 1 到 23")
        if self.freq is Freq.YEARLY and (self.month is None or not 1 <= self.month <= 12):
            raise InputError("月", self.month if self.month is not None else "", "应为 1 到 12")
        if self.freq is Freq.QUARTERLY and self.month is not None and not 1 <= self.month <= 3:
            raise InputError("季度内月份", self.month, "应为 1 到 3（季度的第几个月）")
        if self.freq is Freq.DATES and not self.dates:
            raise InputError("日期列表", "", "不能为空")
        return self

    # -- dates ------------------------------------------------------------------------------
    def _nominal_in_month(self, year: int, month: int, cal: WorkCalendar) -> date | None:
        """The month's date before the holiday policy (None: no occurrence this month)."""
        days_in_month = month_calendar.monthrange(year, month)[1]
        first, last = date(year, month, 1), date(year, month, days_in_month)
        if self.day is not None:
            if self.day <= days_in_month:
                return date(year, month, self.day)
            return last if self.short_month is ShortMonth.LAST else None
        if self.last_workday:
            return last if cal.is_workday(last) else cal.previous_workday(last)
        found = cal.add_workdays(first, 0)
        for _ in range((self.nth_workday or 1) - 1):
            found = cal.next_workday(found)
        return found if found.month == month else None

    def _adjust(self, nominal: date, cal: WorkCalendar) -> date:
        if cal.is_workday(nominal) or self.holiday is HolidayPolicy.KEEP:
            return nominal
        if self.holiday is HolidayPolicy.NEXT:
            return cal.next_workday(nominal)
        return cal.previous_workday(nominal)

    def _months(self) -> list[int]:
        if self.freq is Freq.MONTHLY:
            return list(range(1, 13))
        if self.freq is Freq.QUARTERLY:
            return [m + (self.month or 1) - 1 for m in (1, 4, 7, 10)]
        return [self.month or 1]

    def occurrences(self, start: date, end: date, cal: WorkCalendar) -> list[date]:
        """Dates of the occurrences whose nominal date lies in [start, end], ascending."""
        found: set[date] = set()
        if self.freq is Freq.DATES:
            found = {self._adjust(d, cal) for d in self.dates if start <= d <= end}
        elif self.freq in (Freq.DAILY, Freq.WEEKLY):
            day = start
            while day <= end:
                if self.freq is Freq.DAILY:
                    if cal.is_workday(day):
                        found.add(day)
                elif day.isoweekday() in self.weekdays:
                    found.add(self._adjust(day, cal))
                day += timedelta(days=1)
        else:
            for year in range(start.year, end.year + 1):
                for month in self._months():
                    nominal = self._nominal_in_month(year, month, cal)
                    if nominal is not None and start <= nominal <= end:
                        found.add(self._adjust(nominal, cal))
        return sorted(found)

    # -- storage and display ----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"freq": self.freq.value, "holiday": self.holiday.value}
        if self.weekdays:
            data["weekdays"] = list(self.weekdays)
        for name in ("day", "nth_workday", "month"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.last_workday:
            data["last_workday"] = True
        if self.short_month:
            data["short_month"] = self.short_month.value
        if self.dates:
            data["dates"] = [d.isoformat() for d in self.dates]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        return cls(
            freq=Freq(data["freq"]), weekdays=tuple(data.get("weekdays", ())),
            day=data.get("day"), nth_workday=data.get("nth_workday"),
            last_workday=bool(data.get("last_workday")), month=data.get("month"),
            short_month=ShortMonth(data["short_month"]) if data.get("short_month") else None,
            dates=tuple(date.fromisoformat(d) for d in data.get("dates", ())),
            holiday=HolidayPolicy(data.get("holiday", "next")),
        )

    def describe(self) -> str:
        """The rule in the bureau's words, e.g. 每月第5个工作日."""
        if self.freq is Freq.DAILY:
            return "每个工作日"
        if self.freq is Freq.DATES:
            return "指定日期：" + "、".join(d.isoformat() for d in self.dates)
        if self.freq is Freq.WEEKLY:
            text = "每周" + "、".join(WEEKDAY_ZH[w - 1] for w in self.weekdays)
            return f"{text}（{HOLIDAY_ZH[self.holiday]}）"
        if self.day is not None:
            part = f"{self.day}日"
            if self.short_month:
                part += "（小月取月末）" if self.short_month is ShortMonth.LAST else "（小月跳过）"
            part += f"，{HOLIDAY_ZH[self.holiday]}"
        elif self.last_workday:
            part = "最后一个工作日"
        else:
            part = f"第{self.nth_workday}个工作日"
        if self.freq is Freq.MONTHLY:
            return f"每月{part}"
        if self.freq is Freq.QUARTERLY:
            return f"每季度第{self.month or 1}个月{part}"
        return f"每年{self.month}月{part}"
