"""Deadlines that fall on a day off: how to name the day, warn about it, and move it. Pure.

A deadline on 2026-10-05 (National Day) is legal, but people should be told when they enter it,
and reminders must say "10月5日（国庆假期）到期" rather than "今日到期" on 30 September.
The CLI, the ledger import and the web all call :func:`holiday_deadline` and
:func:`apply_holiday_policy`; mail wording calls :func:`deadline_words` and :func:`due_phrase`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.domain.calendar import WorkCalendar
from models.domain.deadlines import Deadline
from models.domain.recurrence import HolidayPolicy

WEEKDAY_NAMES = "一二三四五六日"
# The package's (and most notices') names, as people say them for the days off.
_HOLIDAY_WORDS = {"国庆节": "国庆假期", "春节": "春节假期", "元旦": "元旦假期", "清明节": "清明假期",
                  "劳动节": "劳动节假期", "端午节": "端午假期", "中秋节": "中秋假期"}
POLICY_WORDS = {HolidayPolicy.KEEP: "保留原日期", HolidayPolicy.NEXT: "顺延至下一工作日",
                HolidayPolicy.PREVIOUS: "提前至上一工作日"}


def day_off_words(day: date, calendar: WorkCalendar) -> str | None:
    """None on a working day; else what the day is: 国庆假期, 元旦假期, 星期六…"""
    if calendar.is_workday(day):
        return None
    name = calendar.day_name(day)
    if name:
        return _HOLIDAY_WORDS.get(name, name if name.endswith("假期") else f"{name}假期")
    return f"星期{WEEKDAY_NAMES[day.weekday()]}"


@dataclass(frozen=True)
class HolidayDeadline:
    """A deadline on a day off, with the working days on either side."""

    deadline: Deadline
    words: str  # 国庆假期 / 星期六
    previous_workday: date
    next_workday: date

    def warning(self, option: str = "--holiday-deadline") -> str:
        return (f"完成时限 {self.deadline} 是{self.words}（非工作日）。"
                f"前一工作日为 {self.previous_workday}，后一工作日为 {self.next_workday}；"
                f"如需调整，请用 {option} next（顺延）或 previous（提前），"
                f"用 {option} keep 则保留原日期且不再提示。")


def holiday_deadline(deadline: Deadline, calendar: WorkCalendar) -> HolidayDeadline | None:
    """None when the deadline's day is a working day; else what to tell the person entering it."""
    words = day_off_words(deadline.day, calendar)
    if words is None:
        return None
    return HolidayDeadline(deadline, words, calendar.previous_workday(deadline.day),
                           calendar.next_workday(deadline.day))


def parse_policy(text: str, field: str = "--holiday-deadline") -> HolidayPolicy:
    from models.domain.enums import choose

    return choose(HolidayPolicy, text, field)


def apply_holiday_policy(deadline: Deadline, policy: HolidayPolicy,
                         calendar: WorkCalendar) -> Deadline:
    """The deadline moved to the next or previous working day (time of day kept), or as it is."""
    if policy is HolidayPolicy.KEEP or calendar.is_workday(deadline.day):
        return deadline
    day = calendar.next_workday(deadline.day) if policy is HolidayPolicy.NEXT \
        else calendar.previous_workday(deadline.day)
    return Deadline(day, deadline.at)


def month_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def deadline_words(deadline: Deadline, calendar: WorkCalendar) -> str:
    """The deadline as a mail quotes it: ``2026-12-08 17:00``, ``2026-10-05（国庆假期）``."""
    words = day_off_words(deadline.day, calendar)
    return str(deadline) if words is None else f"{deadline}（{words}）"


def due_phrase(deadline: Deadline, workdays_left: int, calendar: WorkCalendar) -> str:
    """How a due-soon reminder says when the item is due, given the working days left.

    On a working day that is the deadline: 今日到期. On the last working day before a deadline
    that falls on a day off (the day the "on the day" reminder goes out): 10月5日（国庆假期）到期，
    今天是到期前最后一个工作日. Otherwise the working days left.
    """
    words = day_off_words(deadline.day, calendar)
    if words is None:
        return "今日到期" if workdays_left <= 0 else f"距到期还有 {workdays_left} 个工作日"
    named = f"{month_day(deadline.day)}（{words}）到期"
    if workdays_left <= 0:
        return f"{named}，今天是到期前最后一个工作日"
    return f"{named}，距到期还有 {workdays_left} 个工作日"


def settle_deadline(deadline: Deadline, policy: HolidayPolicy | None,
                    calendar: WorkCalendar) -> tuple[Deadline, str | None]:
    """The deadline to store and what to tell the person who entered it (None: nothing).

    No policy given: the deadline is kept and a day off is warned about. ``keep``: kept
    silently (the person chose it). ``next`` / ``previous``: moved, and the move is said.
    """
    found = holiday_deadline(deadline, calendar)
    if found is None or policy is HolidayPolicy.KEEP:
        return deadline, None
    if policy is None:
        return deadline, found.warning()
    moved = apply_holiday_policy(deadline, policy, calendar)
    return moved, f"完成时限 {deadline} 是{found.words}，已{POLICY_WORDS[policy]}：{moved}"
