"""The reminder ladder: which reminders an item is owed, and when. Pure: time is an argument.

A rung fires at the start of office hours on a working day placed relative to the deadline's
date: ``offset`` working days after it (negative: before; 0: on the day, or the last working
day before it when the deadline falls on a holiday). A rung with ``repeat_every`` fires again
every that many working days while the item stays open.

Catch-up after downtime follows two rules, so a long outage sends each stage once:
- within one reminder kind only the latest occurrence that came due is owed;
- before-deadline rungs are superseded once the item is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline
from models.domain.enums import Audience, ReminderKind


@dataclass(frozen=True)
class Rung:
    key: str
    kind: ReminderKind
    offset: int
    to: Audience
    cc: Audience | None = None
    repeat_every: int | None = None
    minutes_before: int | None = None  # fire this long before the deadline instead
    any_hour: bool = False  # may be delivered outside office hours (e.g. "meeting in 1 hour")

    def stage(self, occurrence: int) -> str:
        return f"{self.key}#{occurrence}" if self.repeat_every else self.key


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung("due_soon_3", ReminderKind.DUE_SOON, -3, Audience.CONTACT),
    Rung("due_soon_1", ReminderKind.DUE_SOON, -1, Audience.CONTACT),
    Rung("due_today", ReminderKind.DUE_SOON, 0, Audience.CONTACT),
    Rung("overdue", ReminderKind.OVERDUE, 1, Audience.CONTACT, repeat_every=2),
    Rung("escalation", ReminderKind.ESCALATION, 3, Audience.LEADER, cc=Audience.CONTACT),
    Rung("circulation", ReminderKind.CIRCULATION, 5, Audience.BUREAU),
)


_STAGE_WORDS = {"due_today": "到期当天", "escalation": "督办", "circulation": "通报",
                "meeting_day_before": "会前一个工作日", "meeting_hour_before": "会前1小时"}


def stage_label(stage: str) -> str:
    """A stage key as people read it: due_soon_3 → 到期前3个工作日, overdue#1 → 逾期第2次催办,
    seq2 → 第2次变更通知, digest:2026-W49 → 2026年第49周周报; an unknown key as it is."""
    if stage in _STAGE_WORDS:
        return _STAGE_WORDS[stage]
    key, _, number = stage.partition("#")
    if key == "overdue":
        return f"逾期第{int(number or 0) + 1}次催办" if number.isdigit() else "逾期催办"
    if key.startswith("due_soon_") and key[9:].isdigit():
        return f"到期前{key[9:]}个工作日"
    if stage.startswith("seq") and stage[3:].isdigit():
        return f"第{stage[3:]}次变更通知"
    if stage.startswith("digest:") and "-W" in stage:
        year, _, week = stage[7:].partition("-W")
        return f"{year}年第{int(week)}周周报" if week.isdigit() else stage
    return stage


@dataclass(frozen=True)
class Due:
    """One reminder an item is owed: the rung, which repetition, and when it came due."""

    rung: Rung
    occurrence: int
    fire_at: datetime

    @property
    def stage(self) -> str:
        return self.rung.stage(self.occurrence)


@dataclass(frozen=True)
class LadderClock:
    tz: ZoneInfo
    calendar: WorkCalendar
    office_start: time


def fire_date(rung_offset: int, deadline_day: date, calendar: WorkCalendar) -> date:
    if rung_offset == 0:
        return deadline_day if calendar.is_workday(deadline_day) \
            else calendar.previous_workday(deadline_day)
    return calendar.add_workdays(deadline_day, rung_offset)


def _fire_at(offset: int, deadline: Deadline, clock: LadderClock) -> datetime:
    day = fire_date(offset, deadline.day, clock.calendar)
    return datetime.combine(day, clock.office_start, tzinfo=clock.tz)


def _first_fire(rung: Rung, deadline: Deadline, clock: LadderClock) -> datetime:
    if rung.minutes_before is not None:
        return deadline.ends_at(clock.tz) - timedelta(minutes=rung.minutes_before)
    return _fire_at(rung.offset, deadline, clock)


def _latest_occurrence(rung: Rung, deadline: Deadline, now: datetime, clock: LadderClock):
    """The last (occurrence, fire_at) of a rung at or before ``now``, or None."""
    first = _first_fire(rung, deadline, clock)
    if first > now:
        return None
    if not rung.repeat_every:
        return 0, first
    # Working days after the deadline's day whose office hours have begun by `now`.
    local = now.astimezone(clock.tz)
    elapsed = clock.calendar.workdays_between(deadline.day, local.date())
    if clock.calendar.is_workday(local.date()) and local.time() < clock.office_start:
        elapsed -= 1
    k = (elapsed - rung.offset) // rung.repeat_every
    return k, _fire_at(rung.offset + k * rung.repeat_every, deadline, clock)


def owed(ladder: tuple[Rung, ...], deadline: Deadline, due_at: datetime, *, now: datetime,
         clock: LadderClock) -> list[Due]:
    """The reminders that have come due by ``now`` and are not superseded (see module doc)."""
    overdue = now > due_at
    latest: dict[ReminderKind, Due] = {}
    for rung in ladder:
        if overdue and rung.offset <= 0:
            continue
        found = _latest_occurrence(rung, deadline, now, clock)
        if found is None:
            continue
        due = Due(rung, found[0], found[1])
        current = latest.get(rung.kind)
        # Ties go to the later rung (the ladder is ordered by offset): on a holiday deadline
        # "1 day before" and "on the day" fall on the same working day.
        if current is None or due.fire_at >= current.fire_at:
            latest[rung.kind] = due
    return sorted(latest.values(), key=lambda d: d.fire_at)


def next_fire_after(ladder: tuple[Rung, ...], deadline: Deadline, *, now: datetime,
                    clock: LadderClock) -> datetime | None:
    """When this item next needs the sweep's attention: the earliest fire time after ``now``."""
    upcoming = []
    for rung in ladder:
        first = _first_fire(rung, deadline, clock)
        if first > now:
            upcoming.append(first)
        elif rung.repeat_every:
            k, _ = _latest_occurrence(rung, deadline, now, clock)  # type: ignore[misc]
            upcoming.append(_fire_at(rung.offset + (k + 1) * rung.repeat_every, deadline, clock))
    return min(upcoming, default=None)
