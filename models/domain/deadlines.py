"""Deadline arithmetic and the supervision status (红黄绿灯). Pure: time is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar
from models.domain.enums import ItemStatus, Light

DUE_SOON_WORKDAYS = 3


@dataclass(frozen=True)
class Deadline:
    """What the user set: a date, and optionally a local wall-clock time on it."""

    day: date
    at: time | None = None

    def ends_at(self, tz: ZoneInfo) -> datetime:
        """The UTC instant the deadline passes; a date-only deadline ends at 24:00 local."""
        if self.at is None:
            local = datetime.combine(self.day + timedelta(days=1), time(0), tzinfo=tz)
        else:
            local = datetime.combine(self.day, self.at, tzinfo=tz)
        return local.astimezone(UTC)

    def isoformat(self, tz: ZoneInfo) -> str:
        if self.at is None:
            return self.day.isoformat()
        return datetime.combine(self.day, self.at, tzinfo=tz).isoformat(timespec="minutes")

    def __str__(self) -> str:
        return self.day.isoformat() if self.at is None else f"{self.day} {self.at:%H:%M}"


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def is_overdue(status: ItemStatus, due_at: datetime, *, now: datetime) -> bool:
    """Open and past its deadline. At the deadline's exact instant it is not yet late."""
    return not status.is_closed and now > due_at


def workdays_overdue(
    status: ItemStatus,
    deadline: Deadline,
    due_at: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    calendar: WorkCalendar,
) -> int:
    """Working days from the deadline's day to today, counting today; 0 when not overdue."""
    if not is_overdue(status, due_at, now=now):
        return 0
    return max(0, calendar.workdays_between(deadline.day, local_date(now, tz)))


def workdays_late(
    status: ItemStatus,
    deadline: Deadline,
    due_at: datetime,
    completed_at: datetime | None,
    *,
    now: datetime,
    tz: ZoneInfo,
    calendar: WorkCalendar,
) -> int:
    """逾期工作日 as a ledger shows it: for an open item, as of today (``workdays_overdue``);
    for one done after its deadline, as of the day it was done; else 0."""
    if status is ItemStatus.DONE:
        if completed_at is None or completed_at <= due_at:
            return 0
        return max(0, calendar.workdays_between(deadline.day, local_date(completed_at, tz)))
    return workdays_overdue(status, deadline, due_at, now=now, tz=tz, calendar=calendar)


def light(
    status: ItemStatus,
    deadline: Deadline,
    due_at: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    calendar: WorkCalendar,
    due_soon_workdays: int = DUE_SOON_WORKDAYS,
) -> Light:
    """The one place that decides 正常 / 临期 / 逾期 / 已办结 / 已撤销.

    临期 means the deadline falls within ``due_soon_workdays`` working days of today
    (today's own deadline included).
    """
    if status is ItemStatus.DONE:
        return Light.DONE
    if status is ItemStatus.CANCELLED:
        return Light.CANCELLED
    if is_overdue(status, due_at, now=now):
        return Light.RED
    if calendar.workdays_between(local_date(now, tz), deadline.day) <= due_soon_workdays:
        return Light.YELLOW
    return Light.GREEN
