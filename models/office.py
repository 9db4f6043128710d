"""Office hours on working days: when reminders may go out. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from models.calendar import WorkCalendar


@dataclass(frozen=True)
class OfficeHours:
    start: time
    end: time
    tz: ZoneInfo

    def is_open(self, now: datetime, calendar: WorkCalendar) -> bool:
        local = now.astimezone(self.tz)
        return calendar.is_workday(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, now: datetime, calendar: WorkCalendar) -> datetime:
        """``now`` if the office is open, else the start of the next office hours."""
        if self.is_open(now, calendar):
            return now
        local = now.astimezone(self.tz)
        day = local.date()
        if not (calendar.is_workday(day) and local.time() < self.start):
            day = calendar.next_workday(day)
        return datetime.combine(day, self.start, tzinfo=self.tz)
