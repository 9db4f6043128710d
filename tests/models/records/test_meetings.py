"""Meetings end to end: generated from a template, reminded the working day before and an hour
before (even outside office hours), delivered to a real SMTP server with an iCalendar invitation
that is parsed back; moved and cancelled with the same UID and a higher SEQUENCE; held (办结)
after they end; minutes due and reminded like any deadline; attendance recorded.
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import col, select

from models.domain.enums import ItemKind, ItemStatus, OutboxStatus, ReminderKind
from models.domain.recurrence import Freq, Rule
from models.engine.reminders import SweepReport, sweep
from models.errors import InputError, NotFound, Refused
from models.records import meetings
from models.records.items import add_item, cancel_item, update_item
from models.records.recurring import TemplateInput, add_template
from models.records.submissions import submit
from models.records.units import add_person
from models.store.db import session_scope
from models.store.events import history
from models.store.tables import Attendance, Item, Outbox
from tests.support.bureau import CONFIG
from tests.support.factories import make_unit
from tests.support.smtp import deliver_to

TZ = ZoneInfo("Asia/Shanghai")
SENDER = "区退役军人事务局督办 <duban@example.org>"
ORGANISER = "bangongshi@example.org"  # 办公室's contact: never invited to its own meeting
ATTENDEES = {"youfu@example.org", "sizheng@example.org", "juzhang@example.org"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def bureau(engine):
    """办公室 holds 周研判 on Mondays 09:00 (7 and 14 December 2026), minutes in 2 working days."""
    t0 = at("2026-12-01 09:00")
    with session_scope(engine) as session:
        make_unit(session, "办公室", contact_name="李静", contact_email="bangongshi@example.org", now=t0)
        make_unit(session, "优抚褒扬科", now=t0)  # 刘洋 youfu@example.org
        make_unit(session, "思想政治和权益维护科", contact_name="陈晨",
                  contact_email="sizheng@example.org", now=t0)
        add_person(session, name="赵明远", role="主要负责人", email="juzhang@example.org",
                   phone=None, actor="test", now=t0)
        add_template(session, TemplateInput(
            name="周研判", kind="会议", rule=Rule(Freq.WEEKLY, weekdays=(1,)), due_time=time(9, 0),
            start=datetime(2026, 12, 7).date(), end=datetime(2026, 12, 14).date(),
            organiser="办公室", place="局三楼会议室", duration_minutes=60,
            attendee_units=("优抚褒扬科", "思想政治和权益维护科", "办公室"),
            attendee_people=("赵明远",), minutes_due_workdays=2,
            detail="研判涉军信访形势、重点人员稳控和积案化解进展。"), actor="test", now=t0, tz=TZ)
    return engine


def run_sweep(engine, now: str) -> SweepReport:
    return sweep(engine, now=at(now), config=CONFIG)


def run_deliver(engine, server, now: str):
    return deliver_to(engine, server, now=at(now), config=CONFIG, sender=SENDER)


def meeting_on(engine, day: str) -> Item:
    with session_scope(engine) as session:
        return session.exec(select(Item).where(
            Item.kind == ItemKind.MEETING, Item.deadline_date == datetime.fromisoformat(day).date())).one()


def reread(engine, item_id: int) -> Item:
    with session_scope(engine) as session:
        found = session.get(Item, item_id)
        assert found is not None
        return found


def minutes_of(engine, meeting_id: int) -> Item:
    with session_scope(engine) as session:
        return meetings.minutes_item(session, meeting_id)


def rows(engine, **where) -> list[Outbox]:
    with session_scope(engine) as session:
        query = select(Outbox).order_by(col(Outbox.id))
        for name, value in where.items():
            query = query.where(getattr(Outbox, name) == value)
        return list(session.exec(query))


def invitations(server, start: int = 0) -> list[tuple[email.message.EmailMessage, Calendar, bytes]]:
    """(message, parsed calendar, raw .ics) of every received message carrying invite.ics."""
    found = []
    for received in server.messages[start:]:
        message = email.message_from_bytes(received.raw, policy=email.policy.default)
        parts = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
        if parts:
            [part] = parts
            assert part.get_content_type() == "text/calendar"
            raw = part.get_payload(decode=True)
            found.append((message, Calendar.from_ical(raw), raw))
    return found


def vevent(cal: Calendar):
    [event] = cal.walk("VEVENT")
    return event


def raw_ics(message) -> bytes:
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    return part.get_content().encode() if isinstance(part.get_content(), str) else part.get_content()


def check_invitation(message, cal: Calendar, raw: bytes, *, uid: str, sequence: int, method: str,
                     start: datetime, end: datetime) -> None:
    """The invitation as a calendar client reads it: RFC 5545 fields, local time with TZID."""
    assert message.get_content_type() == "multipart/mixed"
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert part.get_param("method") == method
    assert str(cal["METHOD"]) == method and str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//duban//督办//ZH"
    event = vevent(cal)
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == sequence
    assert event["DTSTART"].dt == start and event["DTEND"].dt == end
    assert str(event["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert start.astimezone(TZ).strftime("DTSTART;TZID=Asia/Shanghai:%Y%m%dT%H%M%S").encode() in raw
    [zone] = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    assert str(event["SUMMARY"]) == "周研判"
    assert str(event["LOCATION"]) == "局三楼会议室"
    assert str(event["DESCRIPTION"]).startswith("研判涉军信访形势")
    # The organising unit organises; the mail comes from DUBAN_SMTP_FROM, which sends for it.
    assert str(event["ORGANIZER"]) == f"mailto:{ORGANISER}"
    assert event["ORGANIZER"].params["CN"] == "办公室"
    assert event["ORGANIZER"].params["SENT-BY"] == "mailto:duban@example.org"
    assert message["From"].addresses[0].addr_spec == "duban@example.org"
    attendees = event["ATTENDEE"]
    assert {str(a) for a in attendees} == {f"mailto:{e}" for e in ATTENDEES}
    assert {a.params["CN"] for a in attendees} == {"刘洋", "陈晨", "赵明远"}
    assert b"COMMENT" not in raw_ics(message)  # nothing in English for the reader's client
    assert str(event["STATUS"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    assert event["DTSTAMP"].dt.tzinfo is not None


def test_reminders_the_day_before_and_an_hour_before_carry_the_invitation(bureau, smtp_server):
    assert run_sweep(bureau, "2026-12-03 10:00").generated == 4  # two meetings, two minutes
    meeting = meeting_on(bureau, "2026-12-07")
    uid = f"duban-meeting-{meeting.id}@duban.example.org"
    assert rows(bureau, item_id=meeting.id) == []

    # Friday 4 December 09:00, the working day before: every invitee, once.
    run_sweep(bureau, "2026-12-04 09:00")
    run_sweep(bureau, "2026-12-04 09:00")
    day_before = rows(bureau, item_id=meeting.id)
    assert {(r.reminder, r.stage, r.any_hour) for r in day_before} == {
        (ReminderKind.MEETING, "meeting_day_before", False)}
    assert {r.recipient for r in day_before} == ATTENDEES
    run_deliver(bureau, smtp_server, "2026-12-04 09:00")
    sent = invitations(smtp_server)
    assert {m["To"].addresses[0].addr_spec for m, _, _ in sent} == ATTENDEES
    for message, cal, raw in sent:
        assert message["Subject"] == "关于召开《周研判》的通知（2026-12-07 09:00）"
        assert "局三楼会议室" in message.get_body(("plain",)).get_content()
        check_invitation(message, cal, raw, uid=uid, sequence=0, method="REQUEST",
                         start=at("2026-12-07 09:00"), end=at("2026-12-07 10:00"))

    # Monday 08:00, before the office opens: the one-hour reminder still goes out, and an
    # ordinary reminder owed at the same moment waits for 09:00.
    with session_scope(bureau) as session:
        ordinary = add_item(session, {"kind": "整改事项", "title": "做好优待证办理工作",
                                      "unit": "优抚褒扬科", "deadline": "2026-12-08"},
                            actor="test", now=at("2026-12-07 07:00"), tz=TZ).id
    before = len(smtp_server.messages)
    run_sweep(bureau, "2026-12-07 08:00")
    hour_before = [r for r in rows(bureau, item_id=meeting.id) if r.stage == "meeting_hour_before"]
    assert {r.recipient for r in hour_before} == ATTENDEES and all(r.any_hour for r in hour_before)
    early = run_deliver(bureau, smtp_server, "2026-12-07 08:00")
    assert early.office_open is False and early.sent == 3
    for message, cal, raw in invitations(smtp_server, before):
        check_invitation(message, cal, raw, uid=uid, sequence=0, method="REQUEST",
                         start=at("2026-12-07 09:00"), end=at("2026-12-07 10:00"))
    [waiting] = rows(bureau, item_id=ordinary)
    assert waiting.status is OutboxStatus.PENDING
    assert run_deliver(bureau, smtp_server, "2026-12-07 09:00").sent == 1

    # The next meeting has its own UID.
    other = meeting_on(bureau, "2026-12-14")
    run_sweep(bureau, "2026-12-11 09:00")
    [ics] = {r.context["ics"]["uid"] for r in rows(bureau, item_id=other.id)}
    assert ics == f"duban-meeting-{other.id}@duban.example.org" != uid


def test_the_working_day_before_follows_the_holiday_calendar(bureau):
    """Monday 5 October (国庆) moves to Thursday 8 October: reminded Wednesday 30 September;
    Monday 12 October is reminded on Saturday 10 October, a 调休 working day."""
    with session_scope(bureau) as session:
        add_template(session, TemplateInput(
            name="国庆周研判", kind="会议", rule=Rule(Freq.WEEKLY, weekdays=(1,)), due_time=time(9, 0),
            start=datetime(2026, 10, 1).date(), end=datetime(2026, 10, 12).date(),
            organiser="办公室", attendee_units=("优抚褒扬科",)),
            actor="test", now=at("2026-09-28 09:00"), tz=TZ)
    run_sweep(bureau, "2026-09-29 10:00")
    first, second = meeting_on(bureau, "2026-10-08"), meeting_on(bureau, "2026-10-12")
    assert rows(bureau, item_id=first.id) == []
    run_sweep(bureau, "2026-09-30 09:00")
    assert {(r.stage, r.send_after) for r in rows(bureau, item_id=first.id)} == {
        ("meeting_day_before", at("2026-09-30 09:00"))}
    run_sweep(bureau, "2026-10-09 17:00")
    assert rows(bureau, item_id=second.id) == []
    run_sweep(bureau, "2026-10-10 09:00")
    assert {(r.stage, r.send_after) for r in rows(bureau, item_id=second.id)} == {
        ("meeting_day_before", at("2026-10-10 09:00"))}


def test_a_meeting_is_held_after_it_ends_and_its_minutes_are_reminded(bureau):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")
    minutes = minutes_of(bureau, meeting.id)
    assert (minutes.deadline_date.isoformat(), minutes.deadline_time) == ("2026-12-09", None)
    assert run_sweep(bureau, "2026-12-07 09:59").meetings_held == 0
    assert reread(bureau, meeting.id).status is ItemStatus.NOT_STARTED
    assert run_sweep(bureau, "2026-12-07 10:00").meetings_held == 1
    held = reread(bureau, meeting.id)
    assert held.status is ItemStatus.DONE and held.completed_at == at("2026-12-07 10:00")
    assert run_sweep(bureau, "2026-12-07 11:00").meetings_held == 0
    assert reread(bureau, minutes.id).status is ItemStatus.NOT_STARTED  # the minutes stay open

    # Reminded like any deadline: the day before, to the organiser's contact.
    run_sweep(bureau, "2026-12-08 09:00")
    assert {(r.reminder, r.stage, r.recipient) for r in rows(bureau, item_id=minutes.id)} >= {
        (ReminderKind.DUE_SOON, "due_soon_1", "bangongshi@example.org")}
    # Not handed in: overdue the next working day.
    run_sweep(bureau, "2026-12-10 09:00")
    assert (ReminderKind.OVERDUE, "overdue#0") in {
        (r.reminder, r.stage) for r in rows(bureau, item_id=minutes.id)}
    with session_scope(bureau) as session:
        sub = submit(session, minutes.id, at=at("2026-12-10 11:00"), by="李静", note="纪要已印发",
                     files=[], actor="test", now=at("2026-12-10 11:00"))
        assert sub.late is True
    assert reread(bureau, minutes.id).status is ItemStatus.DONE


def test_moving_a_meeting_sends_an_update_with_the_same_uid(bureau, smtp_server):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")
    uid = f"duban-meeting-{meeting.id}@duban.example.org"
    with session_scope(bureau) as session:
        moved = update_item(session, meeting.id, {"deadline": "2026-12-08 14:00"}, actor="test",
                            now=at("2026-12-03 11:00"), tz=TZ)
        assert moved.ics_sequence == 1
    minutes = minutes_of(bureau, meeting.id)
    assert minutes.deadline_date.isoformat() == "2026-12-10"  # two working days after the 8th

    run_sweep(bureau, "2026-12-03 11:00")
    change = rows(bureau, item_id=meeting.id)
    assert {(r.reminder, r.stage, r.any_hour) for r in change} == {
        (ReminderKind.MEETING_CHANGE, "seq1", True)}
    assert {r.recipient for r in change} == ATTENDEES
    run_sweep(bureau, "2026-12-03 11:30")
    assert len(rows(bureau, item_id=meeting.id)) == 3  # sent once, however often one sweeps

    run_deliver(bureau, smtp_server, "2026-12-03 11:30")
    sent = invitations(smtp_server)
    assert len(sent) == 3
    for message, cal, raw in sent:
        assert message["Subject"] == "《周研判》时间变更通知（改为 2026-12-08 14:00）"
        check_invitation(message, cal, raw, uid=uid, sequence=1, method="REQUEST",
                         start=at("2026-12-08 14:00"), end=at("2026-12-08 15:00"))

    # Later reminders carry the new time and SEQUENCE too.
    run_sweep(bureau, "2026-12-07 09:00")
    day_before = [r for r in rows(bureau, item_id=meeting.id) if r.stage == "meeting_day_before"]
    assert len(day_before) == 3
    assert {(r.context["ics"]["uid"], r.context["ics"]["sequence"],
             datetime.fromisoformat(r.context["ics"]["start"])) for r in day_before} == {
        (uid, 1, at("2026-12-08 14:00"))}


def test_cancelling_a_moved_meeting_sends_a_cancellation_with_a_higher_sequence(bureau, smtp_server):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")
    uid = f"duban-meeting-{meeting.id}@duban.example.org"
    minutes = minutes_of(bureau, meeting.id)
    with session_scope(bureau) as session:
        update_item(session, meeting.id, {"deadline": "2026-12-08 14:00"}, actor="test",
                    now=at("2026-12-03 11:00"), tz=TZ)
    run_sweep(bureau, "2026-12-03 11:00")
    run_deliver(bureau, smtp_server, "2026-12-03 11:00")
    first = len(smtp_server.messages)

    with session_scope(bureau) as session:
        cancelled = cancel_item(session, meeting.id, actor="test", now=at("2026-12-04 18:00"))
        assert cancelled.ics_sequence == 2
    assert reread(bureau, minutes.id).status is ItemStatus.CANCELLED

    # After office hours: the cancellation goes out at once.
    run_sweep(bureau, "2026-12-04 18:00")
    notices = [r for r in rows(bureau, item_id=meeting.id) if r.stage == "seq2"]
    assert {(r.reminder, r.recipient) for r in notices} == {
        (ReminderKind.MEETING_CANCEL, e) for e in ATTENDEES}
    report = run_deliver(bureau, smtp_server, "2026-12-04 18:00")
    assert report.office_open is False and report.sent == 3
    sent = invitations(smtp_server, first)
    assert len(sent) == 3
    for message, cal, raw in sent:
        assert message["Subject"] == "《周研判》（2026-12-08 14:00）取消通知"
        check_invitation(message, cal, raw, uid=uid, sequence=2, method="CANCEL",
                         start=at("2026-12-08 14:00"), end=at("2026-12-08 15:00"))
    # Nothing more about it: no reminders for a cancelled meeting, no second notice.
    run_sweep(bureau, "2026-12-07 09:00")
    assert len(rows(bureau, item_id=meeting.id)) == 6
    assert rows(bureau, item_id=minutes.id, status=OutboxStatus.PENDING) == []


def test_cancelling_an_unmoved_meeting(bureau, smtp_server):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-14")
    with session_scope(bureau) as session:
        assert cancel_item(session, meeting.id, actor="test", now=at("2026-12-08 10:00")).ics_sequence == 1
    run_sweep(bureau, "2026-12-08 10:00")
    run_deliver(bureau, smtp_server, "2026-12-08 10:00")
    cancels = [cal for _, cal, _ in invitations(smtp_server) if str(cal["METHOD"]) == "CANCEL"]
    assert len(cancels) == 3
    assert {(str(vevent(c)["UID"]), int(vevent(c)["SEQUENCE"])) for c in cancels} == {
        (f"duban-meeting-{meeting.id}@duban.example.org", 1)}


# -- attendance, minutes, invitations without a template ---------------------------------------

def test_attendance_is_recorded_and_can_be_corrected(bureau):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")
    with session_scope(bureau) as session:
        assert meetings.record_attendance(session, meeting.id, present=["办公室", "优抚褒扬科"],
                                          absent=["思想政治和权益维护科"], actor="李静",
                                          now=at("2026-12-07 10:30")) == 3
    with session_scope(bureau) as session:
        assert dict(meetings.attendance_of(session, meeting.id)) == {
            "办公室": True, "优抚褒扬科": True, "思想政治和权益维护科": False}
        meetings.record_attendance(session, meeting.id, present=["思想政治和权益维护科"], absent=[],
                                   actor="陈晨", now=at("2026-12-07 11:00"))
    with session_scope(bureau) as session:
        assert dict(meetings.attendance_of(session, meeting.id)) == {
            "办公室": True, "优抚褒扬科": True, "思想政治和权益维护科": True}
        rows_ = session.exec(select(Attendance).order_by(col(Attendance.id))).all()
        assert [(r.recorded_by, r.recorded_at) for r in rows_] == [
            ("李静", at("2026-12-07 10:30")), ("李静", at("2026-12-07 10:30")),
            ("陈晨", at("2026-12-07 11:00"))]
        actions = [e.action for e in history(session, "item", meeting.id)]
        assert actions.count("attendance") == 2


def test_attendance_refusals(bureau):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")
    now = at("2026-12-07 10:30")
    with session_scope(bureau) as session, pytest.raises(InputError, match="不能既出席又缺席"):
        meetings.record_attendance(session, meeting.id, present=["办公室"], absent=["办公室"],
                                   actor="t", now=now)
    with session_scope(bureau) as session, pytest.raises(InputError, match="单位不存在"):
        meetings.record_attendance(session, meeting.id, present=["不存在的科"], absent=[],
                                   actor="t", now=now)
    minutes = minutes_of(bureau, meeting.id)
    with session_scope(bureau) as session, pytest.raises(InputError, match="不是会议"):
        meetings.record_attendance(session, minutes.id, present=["办公室"], absent=[], actor="t",
                                   now=now)
    with session_scope(bureau) as session:
        cancel_item(session, meeting.id, actor="t", now=now)
    with session_scope(bureau) as session, pytest.raises(Refused, match="已撤销"):
        meetings.record_attendance(session, meeting.id, present=["办公室"], absent=[], actor="t",
                                   now=now)
    with session_scope(bureau) as session:
        assert session.exec(select(Attendance)).all() == []


def test_a_meeting_item_without_a_template(bureau):
    with session_scope(bureau) as session:
        item = add_item(session, {"kind": "会议", "title": "专题会", "unit": "办公室",
                                  "deadline": "2026-12-09 15:00"},
                        actor="test", now=at("2026-12-01 09:00"), tz=TZ)
        invite = meetings.invitation(session, item, tz_name="Asia/Shanghai", domain="x.org")
        # Nobody else to invite: the organiser is reminded of its own meeting.
        assert invite["attendees"] == [{"name": "李静", "email": ORGANISER}]
        assert invite["organizer"] == {"name": "办公室", "email": ORGANISER}
        assert invite["location"] is None and invite["method"] == "REQUEST"
        assert datetime.fromisoformat(invite["end"]) == at("2026-12-09 16:00")  # an hour by default
        with pytest.raises(NotFound, match="未设置纪要时限"):
            meetings.minutes_item(session, item.id)
        cancelled = meetings.invitation(session, item, tz_name="Asia/Shanghai", domain="x.org",
                                        cancel=True)
        assert cancelled["method"] == "CANCEL" and cancelled["uid"] == invite["uid"]


def test_attendees_are_each_invited_once(bureau):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")
    with session_scope(bureau) as session:
        # 办公室 is both organiser and listed attendee: it organises, and is not invited.
        invited = meetings.attendees(session, session.get(Item, meeting.id))
    assert sorted(e for _, e in invited) == sorted(ATTENDEES)
    assert len(invited) == 3


def test_minutes_are_not_chased_before_the_meeting_is_held(bureau):
    # Minutes of the 12-07 meeting are due 12-09; the ladder's "3 working days before" would
    # fall on 12-04, before the meeting: nothing is queued for the minutes until it is held.
    run_sweep(bureau, "2026-12-04 10:00")
    with session_scope(bureau) as session:
        minutes_ids = list(session.exec(select(Item.id).where(col(Item.parent_id).is_not(None))))
        early = session.exec(select(Outbox).where(col(Outbox.item_id).in_(minutes_ids))).all()
    assert early == []
    run_sweep(bureau, "2026-12-08 10:00")
    with session_scope(bureau) as session:
        stages = {o.stage for o in session.exec(
            select(Outbox).where(col(Outbox.item_id).in_(minutes_ids)))}
    assert stages == {"due_soon_1"}


# -- one message per change ----------------------------------------------------------------------

def test_moving_a_meeting_the_day_before_sends_each_invitee_one_message_with_the_next_sequence(
        bureau, smtp_server):
    run_sweep(bureau, "2026-12-03 10:00")
    meeting = meeting_on(bureau, "2026-12-07")  # Monday 09:00; the day before is Friday 12-04
    uid = f"duban-meeting-{meeting.id}@duban.example.org"
    run_sweep(bureau, "2026-12-04 09:00")
    run_deliver(bureau, smtp_server, "2026-12-04 09:00")
    invited = invitations(smtp_server)
    assert sorted(m["To"].addresses[0].addr_spec for m, _, _ in invited) == sorted(ATTENDEES)
    assert {int(vevent(cal)["SEQUENCE"]) for _, cal, _ in invited} == {0}

    with session_scope(bureau) as session:
        update_item(session, meeting.id, {"deadline": "2026-12-07 14:00"}, actor="test",
                    now=at("2026-12-04 11:00"), tz=TZ)
    # The move owes a change notice, and the new time a day-before reminder already due:
    # the notice says it all.
    report = run_sweep(bureau, "2026-12-04 11:00")
    assert report.superseded == len(ATTENDEES)
    run_deliver(bureau, smtp_server, "2026-12-04 11:05")
    moved = invitations(smtp_server, len(invited))
    assert sorted(m["To"].addresses[0].addr_spec for m, _, _ in moved) == sorted(ATTENDEES)
    for message, cal, raw in moved:
        assert message["Subject"] == "《周研判》时间变更通知（改为 2026-12-07 14:00）"
        check_invitation(message, cal, raw, uid=uid, sequence=1, method="REQUEST",
                         start=at("2026-12-07 14:00"), end=at("2026-12-07 15:00"))
    replaced = rows(bureau, item_id=meeting.id, status=OutboxStatus.DROPPED)
    assert {(r.reminder, r.last_error) for r in replaced} == {
        (ReminderKind.MEETING, "已由会议变更通知代替")}

    # Later sweeps add nothing; the hour-before reminder, after the notice went out, does go.
    run_sweep(bureau, "2026-12-04 15:00")
    assert run_deliver(bureau, smtp_server, "2026-12-04 15:00").sent == 0
    run_sweep(bureau, "2026-12-07 13:00")
    run_deliver(bureau, smtp_server, "2026-12-07 13:00")
    hour_before = invitations(smtp_server, len(invited) + len(moved))
    assert len(hour_before) == len(ATTENDEES)
    assert {int(vevent(cal)["SEQUENCE"]) for _, cal, _ in hour_before} == {1}
