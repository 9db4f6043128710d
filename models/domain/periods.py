"""Reporting periods: a year, a half, a quarter or a month, as the bureau names them.

``parse_period("2026-H2")`` → the second half of 2026. A period is refused when it starts
after ``today`` (a report on the future has nothing to count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from models.errors import InputError

_FORMS = re.compile(r"^(\d{4})(?:-(?:(H[12])|(Q[1-4])|(\d{1,2})))?$", re.IGNORECASE)
_HALF = {"H1": "上半年", "H2": "下半年"}
_QUARTER = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}
FORMS_HINT = "应为 2026、2026-H2、2026-Q4 或 2026-12 这样的年、半年、季度或月份"


@dataclass(frozen=True)
class Period:
    key: str  # as typed, normalised: 2026, 2026-H2, 2026-Q4, 2026-12
    start: date  # first day
    end: date  # last day, inclusive
    label: str  # 2026年, 2026年下半年, 2026年第四季度, 2026年12月

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def is_year(self) -> bool:
        return self.start == date(self.year, 1, 1) and self.end == date(self.year, 12, 31)

    @property
    def title_label(self) -> str:
        """How a report's title names it: 2026年度 for a year, else the label."""
        return f"{self.year}年度" if self.is_year else self.label

    def months(self) -> list[date]:
        """The first day of each month in the period."""
        out, day = [], self.start
        while day <= self.end:
            out.append(day)
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out


def _month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse_period(text: str, *, field: str = "--period") -> Period:
    """The period ``text`` names; InputError naming ``field`` when it is none."""
    match = _FORMS.match(text.strip())
    if not match:
        raise InputError(field, text, FORMS_HINT)
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise InputError(field, text, "年份应在 2000 到 2100 之间")
    half, quarter, month = match.group(2), match.group(3), match.group(4)
    if half:
        h = half.upper()
        first = 1 if h == "H1" else 7
        return Period(f"{year}-{h}", date(year, first, 1), _month_end(year, first + 5),
                      f"{year}年{_HALF[h]}")
    if quarter:
        q = quarter.upper()
        first = 3 * (int(q[1]) - 1) + 1
        return Period(f"{year}-{q}", date(year, first, 1), _month_end(year, first + 2),
                      f"{year}年{_QUARTER[q]}")
    if month:
        m = int(month)
        if not 1 <= m <= 12:
            raise InputError(field, text, "月份应在 1 到 12 之间")
        return Period(f"{year}-{m:02d}", date(year, m, 1), _month_end(year, m), f"{year}年{m}月")
    return Period(str(year), date(year, 1, 1), date(year, 12, 31), f"{year}年")


def check_not_future(period: Period, today: date, *, field: str = "--period") -> None:
    """InputError when ``period`` starts after ``today``: there is nothing yet to report."""
    if period.start > today:
        raise InputError(field, period.key,
                         f"尚未开始（今天是 {today.isoformat()}），不能为将来的期间生成报告")
