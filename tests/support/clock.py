"""Fixed times for tests: the bureau's zone and instants written as local wall-clock text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, in office hours


def at(text: str) -> datetime:
    """``2026-12-01 10:00`` (or ISO) as an instant in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
