"""The loop's pure rules: when 签收 is overdue (and the SQL cutoff that must agree with it),
when its reminder goes out, which kinds wait for 审核, and the words for what was sent before."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.domain.calendar import WorkCalendar
from models.domain.enums import ItemKind, ReminderKind
from models.domain.loop import (
    LoopRules,
    ack_cutoff,
    ack_overdue,
    ack_reminder_at,
    chase_note,
    parse_kinds,
)
from models.errors import InputError

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(("created", "now", "overdue"), [
    ("2026-11-30 10:00", "2026-12-01 23:59", False),  # Monday: due by the end of Tuesday
    ("2026-11-30 10:00", "2026-12-02 00:00", True),
    ("2026-11-28 10:00", "2026-11-30 23:00", False),  # Saturday: due by the end of Monday
    ("2026-11-28 10:00", "2026-12-01 00:00", True),
    ("2026-09-30 16:00", "2026-10-08 23:59", False),  # before National Day: due by 10-08
    ("2026-09-30 16:00", "2026-10-09 00:00", True),
])
def test_ack_is_due_by_the_end_of_the_next_working_day(created, now, overdue):
    assert ack_overdue(at(created), now=at(now), tz=TZ, calendar=CAL) is overdue


def test_the_sql_cutoff_agrees_with_the_rule_across_weekends_and_national_day():
    start = at("2026-09-20 08:00")
    creations = [start + timedelta(hours=7 * n) for n in range(120)]
    for now in (start + timedelta(hours=11 * n) for n in range(90)):
        cutoff = ack_cutoff(now=now, tz=TZ, calendar=CAL)
        for created in creations:
            if created > now:
                continue
            assert (created < cutoff) is ack_overdue(created, now=now, tz=TZ, calendar=CAL), (
                created, now)


def test_the_reminder_goes_out_at_office_start_after_the_day_ack_was_due():
    remind = ack_reminder_at(at("2026-09-30 16:00"), tz=TZ, calendar=CAL, office_start=time(9))
    # Due by the end of 10-08 (the first working day after the holiday): reminded 10-09.
    assert remind == at("2026-10-09 09:00")
    assert ack_overdue(at("2026-09-30 16:00"), now=remind, tz=TZ, calendar=CAL)
    # Assigned Friday 10-09: due by the end of Saturday 10-10, a 调休 working day.
    assert ack_reminder_at(at("2026-10-09 11:00"), tz=TZ, calendar=CAL,
                           office_start=time(9)) == at("2026-10-12 09:00")
    assert ack_overdue(at("2026-10-09 11:00"), now=at("2026-10-11 10:00"), tz=TZ, calendar=CAL)


def test_which_kinds_wait_for_review_and_owe_an_ack():
    rules = LoopRules()
    assert rules.needs_review(ItemKind.RECTIFICATION) and rules.needs_review(ItemKind.TASK)
    assert not rules.needs_review(ItemKind.SUBMISSION)
    assert not rules.needs_review(ItemKind.TASK, parent_id=7)  # a meeting's minutes
    assert rules.needs_ack(ItemKind.TASK) and not rules.needs_ack(ItemKind.TASK, template_id=3)
    assert not rules.needs_ack(ItemKind.MEETING)


def test_kinds_from_a_setting():
    assert parse_kinds("整改事项，任务", "X") == {ItemKind.RECTIFICATION, ItemKind.TASK}
    assert parse_kinds("", "X") == frozenset()
    with pytest.raises(InputError, match="DUBAN_REVIEW_KINDS “整改”"):
        parse_kinds("整改", "DUBAN_REVIEW_KINDS")


def test_chase_note_says_what_was_sent_in_day_order():
    sent = [(ReminderKind.ESCALATION, at("2026-11-25 10:01")),
            (ReminderKind.OVERDUE, at("2026-11-25 10:00")),
            (ReminderKind.OVERDUE, at("2026-11-23 10:00")),
            (ReminderKind.URGE, at("2026-11-23 15:00")),  # same day, same word: once
            (ReminderKind.DUE_SOON, at("2026-11-19 09:00"))]  # not chasing
    assert chase_note(sent, tz=TZ) == "已于11月23日、11月25日催办，11月25日督办"
    assert chase_note([], tz=TZ) == ""
    assert chase_note([(ReminderKind.DUE_SOON, at("2026-11-19 09:00"))], tz=TZ) == ""
    # Sent at 23:30 UTC is the next day in Shanghai.
    utc = datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert chase_note([(ReminderKind.OVERDUE, utc)], tz=TZ) == "已于11月23日催办"
