"""What a ledger cell holds, as duban's values: text, deadlines and instants.

Cells arrive as openpyxl reads them (str, int, float, bool, datetime, time, None) or as CSV
text. Excel stores date-times as fractions of a day, which openpyxl returns to the
millisecond; the ledger carries instants to the second, so they are rounded here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.domain.deadlines import Deadline
from models.domain.parsing import parse_instant
from models.errors import InputError
from models.records.items import FIELD_LABELS, clean_field

# Error values a formula leaves in a cell; nobody types them as text.
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
COMPLETED_LABEL = "完成时间"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_second(value: datetime) -> datetime:
    """The nearest whole second (Excel's fractions of a day drift by a millisecond)."""
    return (value + timedelta(microseconds=500_000)).replace(microsecond=0)


def display(value: object) -> str:
    """A cell or field value as a clerk would read it in a message."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_second(value)
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date | Deadline):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if hasattr(value, "value") and not isinstance(value, str | int | float):
        return str(value.value)  # an enum member
    return cell_text(value) or ""


def cell_text(value: object) -> str | None:
    """The text of a cell; None when blank. Numbers read as typed (1, not 1.0)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n")
        return text if text.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return display(value)
    return str(value)


def cell_deadline(value: object) -> Deadline:
    """A 完成时限 cell: an Excel date (midnight means the whole day) or text in any of the
    forms parse_deadline knows."""
    label = FIELD_LABELS["deadline"]
    if isinstance(value, datetime):
        value = to_second(value)
        return Deadline(value.date(), None if value.time() == time(0) else value.time())
    if isinstance(value, date):
        return Deadline(value)
    if isinstance(value, time):
        raise InputError(label, display(value), "只有时间，没有日期")
    text = cell_text(value)
    if text is None:
        raise InputError(label, "", "不能为空")
    return clean_field("deadline", text)


def cell_instant(value: object, tz: ZoneInfo) -> datetime | None:
    """A 完成时间 cell as an aware instant (local time in ``tz``); None when blank."""
    if isinstance(value, datetime):
        value = to_second(value)
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz)
    if isinstance(value, time):
        raise InputError(COMPLETED_LABEL, display(value), "只有时间，没有日期")
    text = cell_text(value)
    if text is None:
        return None
    return to_second(parse_instant(text, tz, COMPLETED_LABEL))
