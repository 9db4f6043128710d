"""The sweep: find items whose next action time has come, put what they are owed in the outbox.

Cost follows the items needing action, not the table: the query walks the index on
``next_action.at`` (models.store.next_actions) and each visited item gets its next time pushed
past ``now``.
Running the sweep twice, or in several processes at once, adds nothing twice (the outbox's
unique key), and on PostgreSQL concurrent sweeps skip each other's locked items.

A row stores no copy of its item (``context`` is ``{}``; a meeting's holds only its time and
invitation): what the mail says about the item is read when it is delivered
(``models.engine.mail_context``), so the insert stays light and day counts are never stale.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.domain.deadlines import Deadline
from models.domain.enums import Audience, ItemKind, ItemStatus, PersonRole, ReminderKind
from models.domain.ladder import DEFAULT_LADDER, Due, LadderClock, Rung, next_fire_after, owed
from models.domain.loop import ACK_OPEN_STATUSES, LoopRules, ack_reminder_at
from models.engine import fanout
from models.engine.config import EngineConfig
from models.engine.outbox import NewRow, drop_superseded, insert_new, message_id_for
from models.records import meetings
from models.records.recurring import generate
from models.reports.views import deadline_of
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.next_actions import NEXT_ACTION, set_next_actions
from models.store.tables import Item, LadderRung, Person, Unit

DEFAULT_KIND = "*"


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

    def add(self, other: SweepReport) -> None:
        """Count in what another connection of the same sweep queued."""
        self.items += other.items
        self.queued.update(other.queued)
        self.no_recipient += other.no_recipient
        self.generated += other.generated
        self.meetings_held += other.meetings_held
        self.superseded += other.superseded


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
        # models.engine.fanout mirrors these rules in SQL (see its docstring): change both.
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


@dataclass(frozen=True)
class Plan:
    """The ladder's answer for one open item: what it is owed now and when to look again.
    Depends only on (ladder, deadline, due_at, now)."""

    dues: tuple[Due, ...]
    upcoming: datetime | None


def plan(ladder: tuple[Rung, ...], deadline: Deadline, due_at: datetime, *, now: datetime,
         clock: LadderClock) -> Plan:
    return Plan(
        dues=tuple(owed(ladder, deadline, due_at, now=now, clock=clock)),
        upcoming=next_fire_after(ladder, deadline, now=now, clock=clock),
    )


def _meeting_context(session: Session, item, unit, config: EngineConfig,
                     *, cancel: bool = False) -> dict[str, Any]:
    """What a meeting's rows store: its time and place and the invitation as of queueing (the
    iCalendar SEQUENCE must match what was sent); the item's own fields are read at delivery."""
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


# The sweep reads plain rows, not ORM objects: the item's fields and its unit's, under names
# that let one row stand for both ``item`` and ``unit`` below (and in models.records.meetings).
ITEM = Item.__table__  # type: ignore[attr-defined]
UNIT = Unit.__table__  # type: ignore[attr-defined]
# (The fields a mail quotes are read at delivery: models.engine.mail_context.)
SWEEP_COLUMNS = (
    ITEM.c.id, ITEM.c.title, ITEM.c.kind, ITEM.c.detail, ITEM.c.unit_id, ITEM.c.deadline_date,
    ITEM.c.deadline_time, ITEM.c.due_at, ITEM.c.status, ITEM.c.template_id, ITEM.c.parent_id,
    ITEM.c.ics_sequence,
    UNIT.c.name, UNIT.c.contact_name, UNIT.c.contact_email, UNIT.c.leader_name,
    UNIT.c.leader_email,
)
# What the sweep needs to plan an item and choose its path; the rest only for the Python path.
PLAN_COLUMNS = (
    ITEM.c.id, ITEM.c.kind, ITEM.c.status, ITEM.c.deadline_date, ITEM.c.deadline_time,
    ITEM.c.due_at, ITEM.c.parent_id, ITEM.c.template_id, ITEM.c.unit_id, ITEM.c.created_at,
    ITEM.c.acked_at,
    UNIT.c.contact_name, UNIT.c.contact_email, UNIT.c.leader_email,
)


def _rows_for_item(session: Session, item, plan_: Plan | None, audiences: Audiences, *,
                   now: datetime, config: EngineConfig, report: SweepReport) -> list[NewRow]:
    """The outbox rows one item is owed. ``item`` is a row of SWEEP_COLUMNS (item and unit);
    ``plan_`` is None for a closed item."""
    is_meeting = item.kind is ItemKind.MEETING
    cancelled = item.status is ItemStatus.CANCELLED
    dues = plan_.dues if plan_ is not None else ()
    if dues and item.parent_id is not None:
        # Minutes are not chased before the meeting they record has ended.
        parent = session.get(Item, item.parent_id)
        if parent is not None:
            held_at = meetings.span(parent, meetings.template_of(session, parent))[1]
            dues = tuple(d for d in dues if d.fire_at >= held_at)
    # A moved or cancelled meeting owes its invitees an update carrying the new SEQUENCE.
    notice = is_meeting and item.ics_sequence > 0 and (cancelled or not item.status.is_closed)
    if not dues and not notice:
        return []
    # The item's fields are read when the mail is delivered (models.engine.mail_context); a meeting's
    # rows keep the invitation they were queued with.
    encoded = "{}"
    invitees: list[tuple[str, str]] = []
    if is_meeting:
        # One encoding per item: its rows differ only in recipient (recipient_name is a column).
        encoded = json.dumps(_meeting_context(session, item, item, config, cancel=cancelled))
        invitees = meetings.attendees(session, item)
    rows = []
    item_id = item.id
    due_at = item.due_at.isoformat()
    for due in dues:
        recipients = audiences.of(due.rung.to, item, invitees)
        if not recipients:
            report.no_recipient += 1
        cc = [e for _, e in audiences.of(due.rung.cc, item, invitees)] if due.rung.cc else []
        stage = due.stage
        prefix = f"item:{item_id}:{due_at}:{stage}:"  # mirrored by models.engine.fanout
        for name, email in recipients:
            rows.append(_row(f"{prefix}{email.lower()}", item_id, due.rung.kind, stage,
                             name, email, cc, encoded, due.fire_at, due.rung.any_hour, config))
    if notice:
        reminder = ReminderKind.MEETING_CANCEL if cancelled else ReminderKind.MEETING_CHANGE
        for name, email in invitees:
            key = f"meeting:{item_id}:seq{item.ics_sequence}:{email.lower()}"
            rows.append(_row(key, item_id, reminder, f"seq{item.ics_sequence}", name, email, [],
                             encoded, now, True, config))
    return rows


def _row(key: str, item_id: int, reminder: ReminderKind, stage: str, name: str, email: str,
         cc: list[str], context: str, send_after: datetime, any_hour: bool,
         config: EngineConfig) -> NewRow:
    if cc:  # mirrored by models.engine.fanout
        lowered = email.lower()
        cc = [e for e in cc if e.lower() != lowered]
    return NewRow(key, item_id, reminder.value, stage, email, name,
                  _json_list(tuple(cc)) if cc else "[]", context, send_after, any_hour,
                  message_id_for(key, config.mail_domain))


@lru_cache(maxsize=1024)  # cc lists repeat: a unit's contact, the bureau's people
def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


def sweep(engine: Engine, *, now: datetime, config: EngineConfig, batch_size: int = 1000,
          connections: int | None = None) -> SweepReport:
    """Queue every reminder that has come due by ``now``; returns what was queued.

    Each batch of due items is one transaction. When the first batch comes back full, the
    batches are queued over ``connections`` connections at once (default: 2 on PostgreSQL, 1 on
    SQLite, which writes one transaction at a time): a batch's cost is mostly the database
    writing outbox rows and their index entries, which one connection does on one core.
    Batches never overlap: each locks its items (``SKIP LOCKED``), as concurrent sweeps do.
    """
    report = SweepReport()
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
        generated = generate(session, now=now, tz=config.tz, calendar=calendar)
        report.generated = generated.created + generated.minutes
        report.meetings_held = meetings.close_finished(session, now=now)
        planner = _Planner(load_ladders(session), Audiences.load(session), now=now,
                           clock=LadderClock(tz=config.tz, calendar=calendar,
                                             office_start=config.office_start),
                           rules=config.loop)
    query = (
        sa.select(*PLAN_COLUMNS)
        .join_from(NEXT_ACTION, ITEM, NEXT_ACTION.c.item_id == ITEM.c.id)
        .join(UNIT, ITEM.c.unit_id == UNIT.c.id)
        .where(NEXT_ACTION.c.at <= now)
        .order_by(NEXT_ACTION.c.at, NEXT_ACTION.c.item_id)
        .limit(batch_size)
        .with_for_update(skip_locked=True, of=NEXT_ACTION)  # SQLite: ignored
    )

    def queue_next(part: SweepReport, when_full: Callable[[], None] | None = None) -> bool:
        """Queue one batch; whether it was full (more may be due)."""
        with session_scope(engine) as session:
            batch = session.connection().execute(query).all()
            full = len(batch) == batch_size
            if full and when_full is not None:
                when_full()
            if batch:
                _queue_batch(session, batch, planner, now=now, config=config, report=part)
        return full

    def drain(part: SweepReport) -> SweepReport:
        while queue_next(part):
            pass
        return part

    if connections is None:
        connections = 2 if engine.dialect.name == "postgresql" else 1
    if connections <= 1:
        return drain(report)
    with ThreadPoolExecutor(connections - 1, thread_name_prefix="sweep") as pool:
        helpers: list[Future[SweepReport]] = []

        def start_helpers() -> None:  # more may be due: the others start on the next batches
            helpers.extend(pool.submit(drain, SweepReport()) for _ in range(connections - 1))

        if queue_next(report, when_full=start_helpers):
            drain(report)  # this thread goes on as one of the connections
        for helper in helpers:
            report.add(helper.result())
    return report


def _queue_batch(session: Session, batch: list, planner: _Planner, *, now: datetime,
                 config: EngineConfig, report: SweepReport) -> None:
    """Queue what one batch of due items (rows of PLAN_COLUMNS) is owed, withdraw what that
    supersedes, and move each item's next action time past ``now``.

    Plain items' rows are built by the database from the plans (models.engine.fanout); the rest
    (meetings, minutes items, a due whose audience may be empty, non-ASCII emails) here.
    """
    conn = session.connection()
    fanned: list[list] = []  # [position in batch, item id, plan number, unit id]: models.engine.fanout
    rest: list[tuple[int, int, Plan | None]] = []  # (position, item id, plan) for Python
    pushes: list[tuple[int, datetime | None]] = []  # None: closed, never looked at again
    owed_stages: dict[int, set[str]] = {}
    acks: list[tuple[int, NewRow]] = []  # 签收提醒, built here for either path
    for pos, item in enumerate(batch):
        plan_, fan = planner.plan_of(item)
        upcoming = plan_.upcoming if plan_ is not None else None
        ack_at = planner.ack_at(item)
        if ack_at is not None:
            if ack_at <= now:
                acks.append((pos, _ack_row(item, ack_at, config)))
            else:
                upcoming = ack_at if upcoming is None else min(upcoming, ack_at)
        pushes.append((item.id, upcoming))
        if fan is not None and _plain(item):
            fanned.append([pos, item.id, fan.number, item.unit_id])
            owed_stages[item.id] = fan.stages
        else:
            rest.append((pos, item.id, plan_))
    rows = _python_rows(session, rest, planner.audiences, now=now, config=config, report=report)
    if acks:
        rows = sorted(rows + acks, key=lambda pair: pair[0])
    if fanned:
        # One statement for both kinds of rows keeps the ids in batch order.
        report.queued.update(fanout.insert_fanned(
            conn, batch=fanned, plans=planner.table(), people=planner.people, given=rows,
            now=now, domain=config.mail_domain))
    else:
        report.queued.update(insert_new(session, [row for _, row in rows], now=now))
    for _, row in rows:
        if row.dedupe_key.startswith("item:"):
            owed_stages.setdefault(row.item_id, set()).add(row.stage)  # type: ignore[arg-type]
    report.superseded += drop_superseded(session, owed_stages, now=now)
    set_next_actions(session, pushes)
    report.items += len(batch)


def _python_rows(session: Session, rest: list[tuple[int, int, Plan | None]],
                 audiences: Audiences, *, now: datetime, config: EngineConfig,
                 report: SweepReport) -> list[tuple[int, NewRow]]:
    """The rows of the items models.engine.fanout does not build, each with its item's position."""
    if not rest:
        return []
    full = {r.id: r for r in session.connection().execute(
        sa.select(*SWEEP_COLUMNS).join_from(ITEM, UNIT, ITEM.c.unit_id == UNIT.c.id)
        .where(ITEM.c.id.in_([item_id for _, item_id, _ in rest])))}
    return [(pos, row) for pos, item_id, plan_ in rest
            for row in _rows_for_item(session, full[item_id], plan_, audiences, now=now,
                                      config=config, report=report)]


def _ack_row(item, remind_at: datetime, config: EngineConfig) -> NewRow:
    """The 签收提醒 an unacknowledged item owes its unit's contact, once."""
    key = f"ack:{item.id}:{item.contact_email.lower()}"
    return _row(key, item.id, ReminderKind.ACK, "ack", item.contact_name, item.contact_email, [],
                "{}", remind_at, False, config)


class _Planner:
    """One sweep's plans: items needing action at one instant share few deadlines, so each
    distinct (ladder, deadline, due_at) is planned once, and numbered once for models.engine.fanout
    when the SQL may build its rows."""

    def __init__(self, ladders: dict[str, tuple[Rung, ...]], audiences: Audiences, *,
                 now: datetime, clock: LadderClock, rules: LoopRules = LoopRules()) -> None:
        self.ladders, self.audiences, self.now, self.clock = ladders, audiences, now, clock
        self.rules = rules
        self._ack_times: dict[datetime, datetime] = {}  # created_at → reminder time
        self.people = fanout.people_rows(audiences.heads, audiences.bureau)
        self.fan_ok = _ascii(e for _, e in audiences.bureau) and _ascii(e for _, e in audiences.heads)
        self.plans: dict[tuple, tuple[Plan, _Fan | None]] = {}
        self.plan_table: list[list] = []  # every numbered plan's dues, as models.engine.fanout reads them
        self._lock = threading.Lock()

    def plan_of(self, item) -> tuple[Plan | None, _Fan | None]:
        """The item's plan (None when closed or 已提交: nothing chases an item waiting for
        审核) and its fan-out (None: the Python path)."""
        if item.status.is_closed or item.status is ItemStatus.SUBMITTED:
            return None, None
        kind = item.kind.value if item.kind.value in self.ladders else DEFAULT_KIND
        key = (kind, item.deadline_date, item.deadline_time, item.due_at)
        known = self.plans.get(key)
        if known is None:
            with self._lock:  # the sweep's connections share one planner
                known = self.plans.get(key)
                if known is None:
                    known = self.plans[key] = self._plan(kind, item)
        return known

    def ack_at(self, item) -> datetime | None:
        """When an item not yet acknowledged (签收) is reminded; None when it owes no 签收."""
        if item.acked_at is not None or item.status not in ACK_OPEN_STATUSES \
                or not self.rules.needs_ack(item.kind, item.parent_id, item.template_id):
            return None
        known = self._ack_times.get(item.created_at)
        if known is None:  # items created together share the instant
            known = self._ack_times[item.created_at] = ack_reminder_at(
                item.created_at, tz=self.clock.tz, calendar=self.clock.calendar,
                office_start=self.clock.office_start)
        return known

    def _plan(self, kind: str, item) -> tuple[Plan, _Fan | None]:
        plan_ = plan(self.ladders[kind], deadline_of(item), item.due_at, now=self.now,
                     clock=self.clock)
        fan = _fan(len(self.plan_table), plan_, self.audiences) if self.fan_ok else None
        if fan is not None:
            self.plan_table += _plan_rows(fan.number, plan_, item.due_at)
        return plan_, fan

    def table(self) -> list[list]:
        """The numbered plans so far, as models.engine.fanout reads them."""
        with self._lock:
            return list(self.plan_table)


def _ascii(emails) -> bool:
    return all(e.isascii() for e in emails)


def _plain(item) -> bool:
    """Whether models.engine.fanout may build this item's rows, given a plan it may build: not a
    meeting or a minutes item, and emails SQL lower-cases as Python does."""
    return (item.kind is not ItemKind.MEETING and item.parent_id is None
            and item.contact_email.isascii() and (item.leader_email or "").isascii())


@dataclass(frozen=True)
class _Fan:
    """A plan as models.engine.fanout reads it: its number and the stages it owes."""

    number: int
    stages: set[str]


def _fan(number: int, plan_: Plan, audiences: Audiences) -> _Fan | None:
    """None when the plan owes nothing or a due may reach no one (a count the SQL does not
    keep: the Python path counts it)."""
    if not plan_.dues:
        return None
    for due in plan_.dues:
        to, cc = due.rung.to, due.rung.cc
        if Audience.ATTENDEES in (to, cc) or (to is Audience.LEADER and not audiences.heads) \
                or (to is Audience.BUREAU and not audiences.bureau):
            return None
    return _Fan(number, {due.stage for due in plan_.dues})


def _plan_rows(number: int, plan_: Plan, due_at: datetime) -> list[list]:
    """One plan's dues as models.engine.fanout.insert_fanned reads them."""
    due_text = due_at.isoformat()
    return [[number, due.stage, due.rung.kind.value, due.rung.to.value,
             due.rung.cc.value if due.rung.cc else None, due.fire_at, due.rung.any_hour, due_text]
            for due in plan_.dues]
