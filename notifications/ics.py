"""iCalendar (RFC 5545) invitations for meetings: a request, an update, or a cancellation.

The UID is stable per meeting occurrence; every change raises SEQUENCE, so calendar clients
replace the event they already hold instead of adding a second one.

The ORGANIZER is the organising unit (its contact's address), never invited to its own
meeting; the mail itself comes from DUBAN_SMTP_FROM, so that address is named as SENT-BY
(RFC 5545 3.2.18): Outlook then shows "duban 代表 办公室", and Thunderbird and the mail
clients of 钉钉 and 企业微信 accept the update or cancellation as coming from the organiser.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from notifications.render import Invitation

PRODID = "-//duban//督办//ZH"


def build_ics(invite: Mapping[str, Any], *, stamp: datetime, sent_by: str | None = None) -> bytes:
    """Bytes of a VCALENDAR with one VEVENT.

    ``invite`` (as stored in an outbox row's context): uid, sequence, method ("REQUEST" or
    "CANCEL"), start and end (ISO with offset), tz (IANA name), summary, location,
    description, organizer {name, email}, attendees [{name, email}]. ``sent_by``: the
    address the mail is sent from, named as the organiser's SENT-BY when it is not the
    organiser's own. The organiser is never listed as an attendee.
    """
    tz = ZoneInfo(invite["tz"])
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", invite["method"])
    event = Event()
    event.add("uid", invite["uid"])
    event.add("sequence", int(invite["sequence"]))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", datetime.fromisoformat(invite["start"]).astimezone(tz))
    event.add("dtend", datetime.fromisoformat(invite["end"]).astimezone(tz))
    event.add("summary", invite["summary"])
    if invite.get("location"):
        event.add("location", invite["location"])
    if invite.get("description"):
        event.add("description", invite["description"])
    event.add("status", "CANCELLED" if invite["method"] == "CANCEL" else "CONFIRMED")
    organiser_email = invite["organizer"]["email"]
    organizer = vCalAddress(f"mailto:{organiser_email}")
    organizer.params["cn"] = vText(invite["organizer"]["name"])
    if sent_by and sent_by.lower() != organiser_email.lower():
        organizer.params["sent-by"] = vText(f"mailto:{sent_by}")
    event.add("organizer", organizer)
    for person in invite.get("attendees", ()):
        if person["email"].lower() == organiser_email.lower():
            continue  # rows queued before the organiser was left out of its own invitees
        attendee = vCalAddress(f"mailto:{person['email']}")
        attendee.params["cn"] = vText(person["name"])
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    start = datetime.fromisoformat(invite["start"]).date()
    cal.add_missing_timezones(first_date=start - timedelta(days=366),
                              last_date=start + timedelta(days=366))
    for zone in cal.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)  # icalendar's note in English on the years it covers
    return cal.to_ical()


def invitation(invite: Mapping[str, Any], stamp: datetime | None = None, *,
               sent_by: str | None = None) -> Invitation:
    """The invitation for ``render_email(..., invitation=…)``: attached as invite.ics
    (text/calendar with its METHOD)."""
    return Invitation(method=invite["method"],
                      data=build_ics(invite, stamp=stamp or datetime.now(UTC), sent_by=sent_by))
