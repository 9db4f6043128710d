"""The sweep: find items whose next action time has come, put what they are owed in the outbox.

Cost follows the items needing action, not the table: the query walks the index on
``item.next_action_at`` and each visited item gets its next time pushed past ``now``.
Running the sweep twice, or in several processes at once, adds nothing twice (the outbox's
unique key), and on PostgreSQL concurrent sweeps skip each other's locked items.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, update
from sqlmodel import Session, col, select

from duban.db import session_scope
from models import meetings
from models.calendar import WorkCalendar
from models.calendar_store import calendar_from_db
from models.deadlines import local_date, workdays_overdue
from models.enums import ItemKind, ItemStatus, PersonRole, ReminderKind
from models.ladder import DEFAULT_LADDER, Audience, LadderClock, Rung, next_fire_after, owed
from models.outbox import drop_superseded, enqueue, message_id_for
from models.recurring import generate
from models.tables import Item, LadderRung, Person, Unit
from models.views import deadline_of

DEFAULT_KIND = "*"


@dataclass(frozen=True)
class EngineConfig:
    """What detection needs besides the database: zone, office start, names for the mail."""

    tz: ZoneInfo
    office_start: time
    office_end: time
    bureau: str
    mail_domain: str

    @classmethod
    def from_settings(cls, settings) -> EngineConfig:
        return cls(tz=settings.tz, office_start=settings.office_start,
                   office_end=settings.office_end, bureau=settings.bureau_name,
                   mail_domain=settings.smtp_from.rpartition("@")[2] or "duban.local")


@dataclass
class SweepReport:
    items: int = 0
    queued: Counter = field(default_factory=Counter)
    no_recipient: int = 0
    generated: int = 0  # recurring occurrences (and meeting minutes items) created
    meetings_held: int = 0  # meetings past their end, marked 办结
    superseded: int = 0  # unsent reminders withdrawn because a later stage replaced them

    @property
    def total(self) -> int:
        return sum(self.queued.values())


def load_ladders(session: Session) -> dict[str, tuple[Rung, ...]]:
    """Ladders by item kind ('*' is the default); falls back to the built-in default."""
    ladders: dict[str, list[Rung]] = {}
    for row in session.exec(select(LadderRung).order_by(col(LadderRung.offset_workdays))):
        ladders.setdefault(row.item_kind, []).append(Rung(
            key=row.key, kind=row.reminder, offset=row.offset_workdays,
            to=Audience(row.audience), cc=Audience(row.cc_audience) if row.cc_audience else None,
            repeat_every=row.repeat_every, minutes_before=row.minutes_before,
            any_hour=row.any_hour,
        ))
    result = {kind: tuple(rungs) for kind, rungs in ladders.items()}
    result.setdefault(DEFAULT_KIND, DEFAULT_LADDER)
    return result


def ladder_for(ladders: dict[str, tuple[Rung, ...]], kind: ItemKind) -> tuple[Rung, ...]:
    return ladders.get(kind.value, ladders[DEFAULT_KIND])


@dataclass(frozen=True)
class Audiences:
    """Who each audience is for one unit; the bureau's people are shared by every unit."""

    heads: list[tuple[str, str]]
    bureau: list[tuple[str, str]]

    @classmethod
    def load(cls, session: Session) -> Audiences:
        people = session.exec(select(Person).where(Person.active == True))  # noqa: E712
        pairs = [(p.role, (p.name, p.email)) for p in people]
        return cls(heads=[p for r, p in pairs if r is PersonRole.HEAD],
                   bureau=[p for _, p in pairs])

    def of(self, audience: Audience, unit: Unit,
           invitees: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        if audience is Audience.ATTENDEES:
            return invitees or []
        if audience is Audience.CONTACT:
            return [(unit.contact_name, unit.contact_email)]
        if audience is Audience.LEADER:
            # A unit without a lead leader escalates straight to the bureau head.
            if unit.leader_email:
                return [(unit.leader_name or "分管领导", unit.leader_email)]
            return self.heads
        return self.bureau


def item_context(item: Item, unit: Unit, *, now: datetime, config: EngineConfig,
                 calendar: WorkCalendar) -> dict[str, Any]:
    """What a reminder about this item says; stored with the outbox row, rendered later."""
    deadline = deadline_of(item)
    today = local_date(now, config.tz)
    overdue_days = workdays_overdue(item.status, deadline, item.due_at, now=now, tz=config.tz,
                                    calendar=calendar)
    return {
        "item": {
            "id": item.id, "code": item.code, "title": item.title, "kind": item.kind.value,
            "unit": unit.name, "person": item.person, "deadline": str(deadline),
            "days_overdue": overdue_days,
            "workdays_left": 0 if now > item.due_at
            else max(0, calendar.workdays_between(today, deadline.day)),
            "measure": item.measure, "detail": item.detail, "source": item.source,
        },
        "unit_contact": unit.contact_name,
        "leader": unit.leader_name,
        "bureau": config.bureau,
        "now": now.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
    }


def _row(item: Item, *, key: str, reminder: ReminderKind, stage: str, name: str, email: str,
         cc: list[str], context: dict[str, Any], send_after: datetime, any_hour: bool,
         now: datetime, config: EngineConfig) -> dict[str, Any]:
    return {
        "dedupe_key": key, "item_id": item.id, "reminder": reminder.value, "stage": stage,
        "recipient": email, "recipient_name": name,
        "cc": [e for e in cc if e.lower() != email.lower()],
        "context": {**context, "recipient_name": name}, "status": "pending",
        "send_after": send_after, "attempts": 0, "any_hour": any_hour,
        "message_id": message_id_for(key, config.mail_domain), "created_at": now,
    }


def _meeting_context(session: Session, item: Item, unit: Unit, config: EngineConfig,
                     *, cancel: bool = False) -> dict[str, Any]:
    template = meetings.template_of(session, item)
    start, end = meetings.span(item, template)
    return {
        "meeting": {
            "start": start.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
            "end": end.astimezone(config.tz).strftime("%H:%M"),
            "place": template.place if template else None,
            "organiser": unit.name, "agenda": item.detail,
        },
        "ics": meetings.invitation(session, item, tz_name=config.tz.key,
                                   domain=config.mail_domain, cancel=cancel),
    }


def _rows_for_item(session: Session, item: Item, unit: Unit, ladder: tuple[Rung, ...],
                   audiences: Audiences, *, now: datetime, config: EngineConfig,
                   calendar: WorkCalendar, clock: LadderClock,
                   report: SweepReport) -> list[dict[str, Any]]:
    is_meeting = item.kind is ItemKind.MEETING
    cancelled = item.status is ItemStatus.CANCELLED
    dues = [] if item.status.is_closed else \
        owed(ladder, deadline_of(item), item.due_at, now=now, clock=clock)
    if dues and item.parent_id is not None:
        # Minutes are not chased before the meeting they record has ended.
        parent = session.get(Item, item.parent_id)
        if parent is not None:
            held_at = meetings.span(parent, meetings.template_of(session, parent))[1]
            dues = [d for d in dues if d.fire_at >= held_at]
    # A moved or cancelled meeting owes its invitees an update carrying the new SEQUENCE.
    notice = is_meeting and item.ics_sequence > 0 and (cancelled or not item.status.is_closed)
    if not dues and not notice:
        return []
    context = item_context(item, unit, now=now, config=config, calendar=calendar)
    invitees: list[tuple[str, str]] = []
    if is_meeting:
        context.update(_meeting_context(session, item, unit, config, cancel=cancelled))
        invitees = meetings.attendees(session, item)
    rows = []
    for due in dues:
        recipients = audiences.of(due.rung.to, unit, invitees)
        if not recipients:
            report.no_recipient += 1
        cc = [e for _, e in audiences.of(due.rung.cc, unit, invitees)] if due.rung.cc else []
        for name, email in recipients:
            key = f"item:{item.id}:{item.due_at.isoformat()}:{due.stage}:{email.lower()}"
            rows.append(_row(item, key=key, reminder=due.rung.kind, stage=due.stage, name=name,
                             email=email, cc=cc, context=context, send_after=due.fire_at,
                             any_hour=due.rung.any_hour, now=now, config=config))
    if notice:
        reminder = ReminderKind.MEETING_CANCEL if cancelled else ReminderKind.MEETING_CHANGE
        for name, email in invitees:
            key = f"meeting:{item.id}:seq{item.ics_sequence}:{email.lower()}"
            rows.append(_row(item, key=key, reminder=reminder, stage=f"seq{item.ics_sequence}",
                             name=name, email=email, cc=[], context=context, send_after=now,
                             any_hour=True, now=now, config=config))
    return rows


def sweep(engine: Engine, *, now: datetime, config: EngineConfig,
          batch_size: int = 1000) -> SweepReport:
    """Queue every reminder that has come due by ``now``; returns what was queued."""
    report = SweepReport()
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
        generated = generate(session, now=now, tz=config.tz, calendar=calendar)
        report.generated = generated.created + generated.minutes
        report.meetings_held = meetings.close_finished(session, now=now)
        ladders = load_ladders(session)
        audiences = Audiences.load(session)
    clock = LadderClock(tz=config.tz, calendar=calendar, office_start=config.office_start)
    item_table = Item.__table__  # type: ignore[attr-defined]
    push_next = (
        update(item_table)
        .where(item_table.c.id == bindparam("b_id"))
        .values(next_action_at=bindparam("b_next", type_=item_table.c.next_action_at.type))
    )
    while True:
        with session_scope(engine) as session:
            query = (
                select(Item, Unit)
                .join(Unit, col(Item.unit_id) == col(Unit.id))
                .where(col(Item.next_action_at) <= now)
                .order_by(col(Item.next_action_at))
                .limit(batch_size)
                .with_for_update(skip_locked=True, of=Item)  # SQLite: ignored
            )
            batch = list(session.exec(query))
            if not batch:
                break
            rows: list[dict[str, Any]] = []
            pushes = []
            for item, unit in batch:
                ladder = ladder_for(ladders, item.kind)
                rows += _rows_for_item(session, item, unit, ladder, audiences, now=now,
                                       config=config, calendar=calendar, clock=clock,
                                       report=report)
                upcoming = None if item.status.is_closed else next_fire_after(
                    ladder, deadline_of(item), now=now, clock=clock)
                pushes.append({"b_id": item.id, "b_next": upcoming})
            for row in enqueue(session, rows):
                report.queued[row["reminder"]] += 1
            owed_stages: dict[int, set[str]] = {}
            for row in rows:
                if row["dedupe_key"].startswith("item:"):
                    owed_stages.setdefault(row["item_id"], set()).add(row["stage"])
            report.superseded += drop_superseded(session, owed_stages, now=now)
            session.connection().execute(push_next, pushes)
            report.items += len(batch)
        if len(batch) < batch_size:
            break
    return report
