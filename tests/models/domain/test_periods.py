"""Reporting periods: the four forms, their bounds and labels, and refusals."""

from __future__ import annotations

from datetime import date

import pytest

from models.domain.periods import check_not_future, parse_period
from models.errors import InputError


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "2026年上半年"),
    ("2026-h2", date(2026, 7, 1), date(2026, 12, 31), "2026年下半年"),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2026年第一季度"),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026年第四季度"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024年2月"),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026年12月"),
])
def test_forms(text, start, end, label):
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert period.is_year == (text == "2026")


def test_months_of_a_half():
    assert [m.month for m in parse_period("2026-H2").months()] == [7, 8, 9, 10, 11, 12]


@pytest.mark.parametrize(("text", "reason"), [
    ("26", "应为 2026"), ("2026-13", "月份"), ("2026-Q5", "应为 2026"), ("1999", "年份"),
    ("2026年", "应为 2026"),
])
def test_bad_forms_are_refused(text, reason):
    with pytest.raises(InputError) as caught:
        parse_period(text)
    assert reason in str(caught.value) and "--period" in str(caught.value)


def test_a_future_period_is_refused_but_the_current_one_is_not():
    check_not_future(parse_period("2026"), date(2026, 12, 5))
    check_not_future(parse_period("2026-12"), date(2026, 12, 1))
    with pytest.raises(InputError, match="尚未开始"):
        check_not_future(parse_period("2027"), date(2026, 12, 5))
    with pytest.raises(InputError, match="尚未开始"):
        check_not_future(parse_period("2026-12"), date(2026, 11, 30))
