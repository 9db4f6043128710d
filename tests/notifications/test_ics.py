"""iCalendar invitations (RFC 5545), built and parsed back with the icalendar package."""

from __future__ import annotations

import email
import email.message
import email.policy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from notifications.ics import PRODID, build_ics, invitation
from notifications.render import render_email

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAMP = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


@pytest.fixture
def invite() -> dict[str, Any]:
    """As the sweep stores it in the outbox row's context (start and end in UTC)."""
    return {
        "uid": "duban-meeting-42@duban.example.org", "sequence": 0, "method": "REQUEST",
        "start": "2026-12-07T01:00:00+00:00", "end": "2026-12-07T02:00:00+00:00",
        "tz": "Asia/Shanghai", "summary": "周研判", "location": "局三楼会议室",
        "description": "研判涉军信访形势、重点人员稳控和积案化解进展。",
        "organizer": {"name": "办公室", "email": "bangongshi@example.org"},
        "attendees": [{"name": "刘洋", "email": "youfu@example.org"},
                      {"name": "赵明远", "email": "juzhang@example.org"}],
    }


def parse(data: bytes) -> tuple[Calendar, Any]:
    cal = Calendar.from_ical(data)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_a_request_parses_back_with_every_field(invite):
    cal, event = parse(build_ics(invite, stamp=STAMP))
    assert str(cal["METHOD"]) == "REQUEST" and str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == PRODID and str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(event["UID"]) == "duban-meeting-42@duban.example.org"
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].dt == datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    assert event["DTEND"].dt == datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event["DTEND"].params["TZID"] == "Asia/Shanghai"
    assert event["DTSTAMP"].dt == STAMP
    assert str(event["SUMMARY"]) == "周研判" and str(event["LOCATION"]) == "局三楼会议室"
    assert str(event["DESCRIPTION"]) == invite["description"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:bangongshi@example.org"
    assert event["ORGANIZER"].params["CN"] == "办公室"
    attendees = event["ATTENDEE"]
    assert [(str(a), a.params["CN"], a.params["ROLE"], a.params["RSVP"]) for a in attendees] == [
        ("mailto:youfu@example.org", "刘洋", "REQ-PARTICIPANT", "FALSE"),
        ("mailto:juzhang@example.org", "赵明远", "REQ-PARTICIPANT", "FALSE")]


def test_the_start_is_local_wall_time_with_its_zone_defined(invite):
    data = build_ics(invite, stamp=STAMP)
    assert b"DTSTART;TZID=Asia/Shanghai:20261207T090000\r\n" in data
    assert b"DTEND;TZID=Asia/Shanghai:20261207T100000\r\n" in data
    assert b"DTSTAMP:20261204T010000Z\r\n" in data
    cal, _ = parse(data)
    [zone] = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    # The observance in force in 2026 (the latest to start; China kept summer time 1986–1991)
    latest = max(zone.subcomponents, key=lambda sub: sub["DTSTART"].dt)
    assert latest.name == "STANDARD" and latest["TZOFFSETTO"].td == timedelta(hours=8)


def test_a_start_given_with_another_offset_is_shown_in_the_meetings_zone(invite):
    invite.update(start="2026-12-07T09:30:00+08:00", end="2026-12-07T03:00:00+00:00")
    _, event = parse(build_ics(invite, stamp=STAMP))
    assert event["DTSTART"].dt == datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI)
    assert event["DTEND"].dt == datetime(2026, 12, 7, 11, 0, tzinfo=SHANGHAI)


def test_an_update_keeps_the_uid_and_raises_the_sequence(invite):
    _, first = parse(build_ics(invite, stamp=STAMP))
    invite.update(sequence=1, start="2026-12-08T06:00:00+00:00", end="2026-12-08T07:00:00+00:00")
    cal, update = parse(build_ics(invite, stamp=STAMP))
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(update["UID"]) == str(first["UID"])
    assert int(update["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert update["DTSTART"].dt == datetime(2026, 12, 8, 14, 0, tzinfo=SHANGHAI)


def test_a_cancellation(invite):
    invite.update(method="CANCEL", sequence="2")  # as it may come back from JSON
    cal, event = parse(build_ics(invite, stamp=STAMP))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["UID"]) == "duban-meeting-42@duban.example.org"


def test_missing_place_and_agenda_are_left_out(invite):
    invite.update(location=None, description="")
    data = build_ics(invite, stamp=STAMP)
    _, event = parse(data)
    assert "LOCATION" not in event and "DESCRIPTION" not in event
    assert b"LOCATION" not in data


def test_lines_are_folded_and_text_escaped_as_rfc_5545_requires(invite):
    agenda = "一、研判涉军信访形势；二、重点人员稳控, 积案化解：进展\n三、" + "其他事项" * 40
    invite.update(description=agenda, summary="周研判; 第49周, 会议")
    data = build_ics(invite, stamp=STAMP)
    lines = data.split(b"\r\n")
    assert lines[-1] == b""  # every line ends with CRLF
    assert all(len(line) <= 75 for line in lines)  # octets, folded without breaking a character
    assert b"SUMMARY:\xe5\x91\xa8\xe7\xa0\x94\xe5\x88\xa4\\; \xe7\xac\xac49\xe5\x91\xa8\\, " in data
    _, event = parse(data)
    assert str(event["DESCRIPTION"]) == agenda
    assert str(event["SUMMARY"]) == "周研判; 第49周, 会议"


def test_names_with_separators_survive_as_parameters(invite):
    invite["organizer"]["name"] = "办公室,综合科;一组:值班"
    _, event = parse(build_ics(invite, stamp=STAMP))
    assert event["ORGANIZER"].params["CN"] == "办公室,综合科;一组:值班"
    assert str(event["ORGANIZER"]) == "mailto:bangongshi@example.org"


def test_no_attendees_is_a_valid_event(invite):
    invite["attendees"] = []
    _, event = parse(build_ics(invite, stamp=STAMP))
    assert "ATTENDEE" not in event


MEETING_CONTEXT = {
    "item": {"id": 42, "code": None, "title": "周研判", "kind": "会议", "unit": "办公室",
             "person": "李静", "deadline": "2026-12-07 09:00", "days_overdue": 0,
             "workdays_left": 1, "measure": None, "detail": None, "source": None},
    "meeting": {"start": "2026-12-07 09:00", "end": "10:00", "place": "局三楼会议室",
                "organiser": "办公室", "agenda": None},
    "recipient_name": "刘洋", "unit_contact": "李静", "leader": None,
    "bureau": "区退役军人事务局", "now": "2026-12-04 09:00",
}


def render_meeting(invite, stamp=None):
    return render_email("meeting", MEETING_CONTEXT, sender="duban@example.org",
                        to=["刘洋 <youfu@example.org>"], message_id="<m.42@duban.example.org>",
                        invitation=invitation(invite, stamp))


def test_attached_to_a_message_as_a_calendar_part(invite):
    rendered = render_meeting(invite, STAMP)
    parsed = email.message_from_bytes(rendered.seven_bit, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert "invite.ics" in parsed.get_body(("plain",)).get_content()
    assert "会议" in parsed.get_body(("html",)).get_content()
    [part] = list(parsed.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_filename() == "invite.ics"
    assert part.get_param("method") == "REQUEST" and part.get_param("charset") == "utf-8"
    assert part.get_payload(decode=True) == build_ics(invite, stamp=STAMP)
    _, event = parse(part.get_payload(decode=True))
    assert event["SUMMARY"] == "周研判"
    assert not parsed.defects and not any(p.defects for p in parsed.walk())


def test_a_cancellation_part_says_cancel(invite):
    invite["method"] = "CANCEL"
    before = datetime.now(UTC).replace(microsecond=0)
    rendered = render_meeting(invite)  # stamped when built
    after = datetime.now(UTC)
    [part] = list(rendered.message.iter_attachments())
    assert part.get_param("method") == "CANCEL"
    _, event = parse(part.get_payload(decode=True))
    assert before <= event["DTSTAMP"].dt <= after


def test_a_method_that_is_not_a_plain_word_is_a_caller_bug(invite):
    invite["method"] = 'REQUEST"\r\nBcc: spy@evil.example'
    with pytest.raises(ValueError, match="METHOD"):
        render_meeting(invite, STAMP)
