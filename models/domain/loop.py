"""The 督办 closed loop's rules (交办 → 签收 → 反馈 → 提交 → 审核, 延期, 批示). Pure: time is an
argument, settings come in as a LoopRules value.

签收 is due by the end of the first working day after the day an item was assigned (交办次日
的工作日结束前); an item not acknowledged by then is 未签收 and its unit's contact is reminded at
the start of office hours on the next working day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from models.domain.calendar import WorkCalendar
from models.domain.enums import ItemKind, ItemStatus, ReminderKind, choose

DEFAULT_REVIEW_KINDS = frozenset({ItemKind.RECTIFICATION, ItemKind.TASK})
DEFAULT_ACK_KINDS = frozenset({ItemKind.RECTIFICATION, ItemKind.TASK})
# Statuses in which an unacknowledged item counts as 未签收 (submitted or closed: no longer).
ACK_OPEN_STATUSES = (ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS)


# Statuses an item may be entered in that say its unit has taken it up already (a ledger
# carried over from Excel, say): such an item is entered acknowledged and owes no 签收.
TAKEN_UP_STATUSES = (ItemStatus.IN_PROGRESS, ItemStatus.SUBMITTED)


@dataclass(frozen=True)
class LoopRules:
    """Which kinds wait for 审核 after 提交, and which must be acknowledged (签收)."""

    review_kinds: frozenset[ItemKind] = DEFAULT_REVIEW_KINDS
    ack_kinds: frozenset[ItemKind] = DEFAULT_ACK_KINDS

    def needs_review(self, kind: ItemKind, parent_id: int | None = None) -> bool:
        """A meeting's minutes item (``parent_id`` set) is done when handed in, whatever its kind."""
        return kind in self.review_kinds and parent_id is None

    def needs_ack(self, kind: ItemKind, parent_id: int | None = None,
                  template_id: int | None = None) -> bool:
        """Occurrences of a recurring duty (``template_id``) and minutes items are standing
        work, not assigned one by one: they owe no 签收."""
        return kind in self.ack_kinds and parent_id is None and template_id is None


def parse_kinds(text: str, field: str) -> frozenset[ItemKind]:
    """``"整改事项,任务"`` → those kinds; empty text → none."""
    parts = [p for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    return frozenset(choose(ItemKind, p, field) for p in parts)


def ack_due_day(assigned_day: date, calendar: WorkCalendar) -> date:
    """The working day by whose end an item assigned on ``assigned_day`` must be acknowledged."""
    return calendar.add_workdays(assigned_day, 1)


def ack_overdue(created_at: datetime, *, now: datetime, tz: ZoneInfo,
                calendar: WorkCalendar) -> bool:
    """Whether an item created at ``created_at`` and not yet acknowledged is 未签收 at ``now``."""
    return now.astimezone(tz).date() > ack_due_day(created_at.astimezone(tz).date(), calendar)


def ack_cutoff(*, now: datetime, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """The instant before which an unacknowledged item is 未签收 at ``now``: SQL for
    ``ack_overdue`` is ``created_at < ack_cutoff(...)``.

    Overdue ⇔ today > the first working day after the creation day ⇔ a working day lies
    strictly between them ⇔ the creation day is before the last working day before today.
    """
    last = calendar.previous_workday(now.astimezone(tz).date())
    return datetime.combine(last, time(0), tzinfo=tz)


def ack_reminder_at(created_at: datetime, *, tz: ZoneInfo, calendar: WorkCalendar,
                    office_start: time) -> datetime:
    """When the unit is reminded to acknowledge: office start on the working day after the
    day 签收 was due."""
    due = ack_due_day(created_at.astimezone(tz).date(), calendar)
    return datetime.combine(calendar.add_workdays(due, 1), office_start, tzinfo=tz)


# The ladder's reminders a later message may say were sent before it, in the words it uses.
CHASE_WORDS = {ReminderKind.OVERDUE: "催办", ReminderKind.URGE: "催办",
               ReminderKind.ESCALATION: "督办"}


def chase_note(sent: Iterable[tuple[ReminderKind, datetime]], *, tz: ZoneInfo) -> str:
    """What was really done before, e.g. "已于12月2日、12月4日催办，12月7日督办"; "" when nothing
    was sent. One mention per (word, day), in the order of the days."""
    by_word: dict[str, list[date]] = {}
    for kind, at in sorted(sent, key=lambda pair: pair[1]):
        word = CHASE_WORDS.get(kind)
        if word is None:
            continue
        day = at.astimezone(tz).date()
        days = by_word.setdefault(word, [])
        if day not in days:
            days.append(day)
    if not by_word:
        return ""
    parts = ["、".join(f"{d.month}月{d.day}日" for d in days) + word
             for word, days in sorted(by_word.items(), key=lambda wd: wd[1][0])]
    return "已于" + "，".join(parts)
