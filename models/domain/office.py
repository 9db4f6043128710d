"""Office hours on working days: when reminders may go out. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar


@dataclass(frozen=True)
class OfficeHours:
    start: time
    end: time
    tz: ZoneInfo

    def is_open(self, now: datetime, calendar: WorkCalendar) -> bool:
        local = now.astimezone(self.tz)
        return calendar.is_workday(local.date()) and self.start <= local.time() < self.end
