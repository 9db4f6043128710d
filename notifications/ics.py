"""iCalendar (RFC 5545) invitations for meetings: a request, an update, or a cancellation.

The UID is stable per meeting occurrence; every change raises SEQUENCE, so calendar clients
replace the event they already hold instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from notifications.render import Invitation

PRODID = "-//duban//督办//ZH"


def build_ics(invite: Mapping[str, Any], *, stamp: datetime) -> bytes:
    """Bytes of a VCALENDAR with one VEVENT.

    ``invite`` (as stored in an outbox row's context): uid, sequence, method ("REQUEST" or
    "CANCEL"), start and end (ISO with offset), tz (IANA name), summary, location,
    description, organizer {name, email}, attendees [{name, email}].
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
    organizer = vCalAddress(f"mailto:{invite['organizer']['email']}")
    organizer.params["cn"] = vText(invite["organizer"]["name"])
    event.add("organizer", organizer)
    for person in invite.get("attendees", ()):
        attendee = vCalAddress(f"mailto:{person['email']}")
        attendee.params["cn"] = vText(person["name"])
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation(invite: Mapping[str, Any], stamp: datetime | None = None) -> Invitation:
    """The invitation for ``render_email(..., invitation=…)``: attached as invite.ics
    (text/calendar with its METHOD)."""
    return Invitation(method=invite["method"], data=build_ics(invite, stamp=stamp or datetime.now(UTC)))
