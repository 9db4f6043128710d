"""Meetings (周研判 and others): attendees, the iCalendar invitation, attendance, minutes.

A meeting occurrence is an item of kind 会议 whose deadline is its start. Its attendees, place
and length come from its template. Each change of time or a cancellation raises the item's
``ics_sequence`` so the next sweep sends attendees an update or a cancellation with the same
UID; after it ends the sweep marks it held (办结), and its minutes item (纪要) stays open until
the minutes are handed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.domain.enums import ItemKind, ItemStatus
from models.errors import InputError, NotFound, Refused
from models.records.items import complete_item, get_item
from models.store.events import record_event
from models.store.tables import Attendance, Item, Person, Recurrence, Unit

DEFAULT_DURATION = 60


def get_meeting(session: Session, item_id: int) -> Item:
    item = get_item(session, item_id)
    if item.kind is not ItemKind.MEETING:
        raise InputError("事项", item_id, f"不是会议（类别为{item.kind.value}）")
    return item


def template_of(session: Session, item: Item) -> Recurrence | None:
    return session.get(Recurrence, item.template_id) if item.template_id else None


def attendees(session: Session, item: Item) -> list[tuple[str, str]]:
    """(name, email) of everyone invited: attendee units' contacts and attendee people, each
    address once. The organiser (its unit's contact) is not invited to its own meeting: it is
    the invitation's ORGANIZER, and a calendar client that receives a REQUEST from itself
    shows it as a meeting someone else organised. A meeting with nobody else to invite (one
    entered by hand, without a template) reminds its organiser, so it is not silently
    forgotten."""
    template = template_of(session, item)
    unit_ids = [item.unit_id] + (template.attendee_unit_ids if template else [])
    person_ids = template.attendee_person_ids if template else []
    found: dict[str, tuple[str, str]] = {}
    units = {u.id: u for u in session.execute(
        select(Unit).where(col(Unit.id).in_(unit_ids))).scalars()}
    organiser = units.get(item.unit_id)
    taken = {organiser.contact_email.lower()} if organiser is not None else set()
    for unit_id in unit_ids[1:]:
        unit = units.get(unit_id)
        if unit is not None and unit.contact_email.lower() not in taken:
            found.setdefault(unit.contact_email.lower(), (unit.contact_name, unit.contact_email))
    if person_ids:
        for person in session.execute(select(Person).where(col(Person.id).in_(person_ids),
                                                            Person.active == True)).scalars():  # noqa: E712
            if person.email.lower() not in taken:
                found.setdefault(person.email.lower(), (person.name, person.email))
    if not found and organiser is not None:
        return [(organiser.contact_name, organiser.contact_email)]
    return list(found.values())


def span(item: Item, template: Recurrence | None) -> tuple[datetime, datetime]:
    minutes = (template.duration_minutes if template else None) or DEFAULT_DURATION
    return item.due_at, item.due_at + timedelta(minutes=minutes)


def invitation(session: Session, item: Item, *, tz_name: str, domain: str,
               cancel: bool = False) -> dict[str, Any]:
    """The .ics data for this meeting as it stands (see notifications/ics.py)."""
    template = template_of(session, item)
    start, end = span(item, template)
    organiser = session.get(Unit, item.unit_id)
    assert organiser is not None
    return {
        "uid": f"duban-meeting-{item.id}@{domain}",
        "sequence": item.ics_sequence,
        "method": "CANCEL" if cancel else "REQUEST",
        "start": start.isoformat(), "end": end.isoformat(), "tz": tz_name,
        "summary": item.title,
        "location": template.place if template else None,
        "description": item.detail,
        "organizer": {"name": organiser.name, "email": organiser.contact_email},
        "attendees": [{"name": n, "email": e} for n, e in attendees(session, item)],
    }


def close_finished(session: Session, *, now: datetime, actor: str = "duban") -> int:
    """Mark meetings that have ended as held (办结 at their end); returns how many."""
    open_meetings = session.execute(
        select(Item).where(Item.kind == ItemKind.MEETING,
                           col(Item.status).in_([ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS]),
                           col(Item.due_at) <= now)
    ).scalars()
    closed = 0
    for item in list(open_meetings):
        _, end = span(item, template_of(session, item))
        if end <= now:
            complete_item(session, item.id, at=end, actor=actor, now=now)  # type: ignore[arg-type]
            closed += 1
    return closed


def minutes_item(session: Session, meeting_id: int) -> Item:
    get_meeting(session, meeting_id)
    child = session.execute(select(Item).where(Item.parent_id == meeting_id)).scalars().first()
    if child is None:
        raise NotFound("会议纪要事项（该会议未设置纪要时限）", meeting_id)
    return child


def record_attendance(session: Session, meeting_id: int, *, present: list[str],
                      absent: list[str], actor: str, now: datetime) -> int:
    """Record which units were there (and which were not); returns rows written."""
    meeting = get_meeting(session, meeting_id)
    if meeting.status is ItemStatus.CANCELLED:
        raise Refused(f"会议 {meeting_id} 已撤销，不能记录出席")
    if set(present) & set(absent):
        raise InputError("单位", "、".join(sorted(set(present) & set(absent))), "不能既出席又缺席")
    written = 0
    for names, was_there in ((present, True), (absent, False)):
        for name in names:
            unit_id = session.execute(select(Unit.id).where(Unit.name == name.strip())).scalar()
            if unit_id is None:
                raise InputError("单位", name, "单位不存在")
            row = session.execute(select(Attendance).where(
                Attendance.item_id == meeting_id, Attendance.unit_id == unit_id)).scalars().first()
            if row is None:
                session.add(Attendance(item_id=meeting_id, unit_id=unit_id, present=was_there,
                                       recorded_at=now, recorded_by=actor))
            else:
                row.present, row.recorded_at, row.recorded_by = was_there, now, actor
            written += 1
    record_event(session, entity="item", entity_id=meeting_id, action="attendance", actor=actor,
                 at=now, after={"present": present, "absent": absent})
    return written


def attendance_of(session: Session, meeting_id: int) -> list[tuple[str, bool]]:
    rows = session.execute(
        select(Unit.name, Attendance.present)
        .join(Unit, col(Unit.id) == col(Attendance.unit_id))
        .where(Attendance.item_id == meeting_id).order_by(col(Unit.name)))
    return [(name, present) for name, present in rows]
