"""Parsing dates and times the way clerks write them. Raises InputError naming the field."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from models.domain.deadlines import Deadline
from models.errors import InputError

_DATE_TIME = re.compile(
    r"""^\s*
    (?P<y>\d{4}) \s*[-/.年]\s* (?P<m>\d{1,2}) \s*[-/.月]\s* (?P<d>\d{1,2}) \s*(?P<ri>日)?
    (?: (?:\s*[T\s]\s*|(?(ri)\s*|(?!))) (?P<H>\d{1,2}) \s*[:：时]\s* (?P<M>\d{2})
        (?: \s*分?\s*[:：]?\s* (?P<S>\d{2}) \s*秒? | \s*分 )?
        \s*(?P<tz>Z|[+-]\d{2}:?\d{2})? )?
    \s*$""",
    re.VERBOSE,
)


def _match(text: str, field: str):
    match = _DATE_TIME.match(text)
    if not match:
        raise InputError(field, text, "无法识别，应为 2026-03-31 或 2026-03-31 17:00 这样的日期时间")
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise InputError(field, text, "不是有效日期") from None
    at = None
    if match["H"] is not None:
        try:
            at = time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
        except ValueError:
            raise InputError(field, text, "不是有效时间") from None
    return day, at, match["tz"]


def parse_deadline(text: str, field: str = "完成时限") -> Deadline:
    """A deadline: a date, or a date with a local time (no UTC offset: it is the bureau's)."""
    day, at, offset = _match(str(text), field)
    if offset:
        raise InputError(field, text, "完成时限使用本地时间，不要带时区")
    return Deadline(day, at)


def parse_instant(text: str, tz: ZoneInfo, field: str = "--now") -> datetime:
    """An instant. A date alone means its midnight; without an offset it is local time in tz."""
    day, at, offset = _match(str(text), field)
    naive = datetime.combine(day, at or time(0))
    if offset:
        hours, minutes = (0, 0) if offset == "Z" else (int(offset[1:3]), int(offset[-2:]))
        if hours > 14 or minutes > 59:
            raise InputError(field, text, "时区偏移无效")
        return datetime.fromisoformat(f"{naive.isoformat()}{offset}")
    return naive.replace(tzinfo=tz)


def parse_date(text: str, field: str) -> date:
    """A calendar date alone (2026-10-10, 2026/10/10, 2026年10月10日)."""
    day, at, offset = _match(str(text), field)
    if at is not None or offset:
        raise InputError(field, text, "只需日期，不带时间")
    return day
