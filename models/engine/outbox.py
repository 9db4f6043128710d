"""The outbox: messages owed, claimed by senders, and what became of them.

Detection (the sweep, the digest) inserts rows under a unique ``dedupe_key`` and never sends.
Delivery claims rows with one conditional UPDATE, so two senders never hold the same row, and
claims a recipient's ready rows of one listed kind (``LISTED``) together, so they can go out as
one message. A sender records each outcome as soon as it is known; one that dies leaves its
rows ``sending`` until the lease runs out, then another takes them: what it had sent but not
yet recorded (at most the messages it had in flight) goes out a second time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col
from sqlmodel import select as select_model

from models.domain.enums import OutboxStatus, ReminderKind
from models.store.tables import Outbox

OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
# With the 1-hour cap, 30 attempts keep retrying through about a day of mail-server outage.
MAX_ATTEMPTS = 30
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)


def message_id_for(dedupe_key: str, domain: str) -> str:
    """Stable per row: a retry or a post-crash duplicate carries the same Message-ID."""
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]}@{domain}>"


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts`` (1 → 1 min, 2 → 2 min, … capped at 1 hour)."""
    return min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def enqueue(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert rows whose dedupe_key is new; returns the rows actually inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(OUTBOX)
    stmt = insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
    # A parameter list, not one giant VALUES: SQLAlchemy batches it ("insertmanyvalues") under
    # the drivers' bind-parameter limits and reuses the compiled statement (2-3x faster).
    inserted = set(session.execute(stmt.returning(OUTBOX.c.dedupe_key), rows).scalars())
    return [r for r in rows if r["dedupe_key"] in inserted]


class NewRow(NamedTuple):
    """A pending row for ``insert_new``. ``cc`` and ``context`` are JSON text, encoded once and
    shared by every row about the same item (``context`` is ``"{}"`` but for meetings)."""

    dedupe_key: str
    item_id: int | None
    reminder: str
    stage: str
    recipient: str
    recipient_name: str
    cc: str
    context: str
    send_after: datetime
    any_hour: bool
    message_id: str


_NEW_COLUMNS = ", ".join((*NewRow._fields, "status", "attempts", "created_at"))
_SQLITE_INSERT = (
    f"INSERT INTO outbox ({_NEW_COLUMNS}) VALUES ({', '.join('?' * len(NewRow._fields))}, "
    "'pending', 0, ?) ON CONFLICT (dedupe_key) DO NOTHING"
)
_PG_INSERT = f"""
WITH inserted AS (
    INSERT INTO outbox ({_NEW_COLUMNS})
    SELECT k, i, r, s, rc, rn, c::json, x::json, sa, ah, m, 'pending', 0, %(now)s::timestamptz
    FROM unnest(%(k)b::text[], %(i)b::int[], %(r)b::text[], %(s)b::text[], %(rc)b::text[],
                %(rn)b::text[], %(c)b::text[], %(x)b::text[], %(sa)b::timestamptz[],
                %(ah)b::bool[], %(m)b::text[]) WITH ORDINALITY AS v(k, i, r, s, rc, rn, c, x, sa, ah, m, n)
    ORDER BY n
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING reminder)
SELECT reminder, count(*) FROM inserted GROUP BY reminder
"""


def insert_new(session: Session, rows: list[NewRow], *, now: datetime) -> Counter[str]:
    """Insert rows whose dedupe_key is new, pending and created at ``now``, in the given order;
    returns how many were inserted of each reminder kind.

    This is the sweep's cost centre, so it speaks to the driver directly: SQLAlchemy's
    per-row parameter processing and psycopg's per-statement parsing cost more than the insert.
    PostgreSQL gets one statement over one array per column (no bind-parameter limit), sent
    in binary (``%b``: psycopg quotes text arrays element by element in Python, ~50x slower);
    SQLite one prepared statement run by ``executemany``. Ids follow the order of ``rows``.
    """
    if not rows:
        return Counter()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _insert_new_pg(conn, rows, now)
    return _insert_new_sqlite(conn, rows, now)


def _insert_new_pg(conn: Connection, rows: list[NewRow], now: datetime) -> Counter[str]:
    k, i, r, s, rc, rn, c, x, sa, ah, m = (list(column) for column in zip(*rows, strict=True))
    found = conn.exec_driver_sql(_PG_INSERT, {
        "now": now, "k": k, "i": i, "r": r, "s": s, "rc": rc, "rn": rn, "c": c, "x": x,
        "sa": sa, "ah": ah, "m": m,
    })
    return Counter(dict(found.all()))


def _insert_new_sqlite(conn: Connection, rows: list[NewRow], now: datetime) -> Counter[str]:
    # The ORM's own conversion: SQLite keeps instants as text in one exact format.
    instant = OUTBOX.c.send_after.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    texts: dict[datetime, str] = {}
    created = instant(now)
    params = []
    for row in rows:
        sent = texts.get(row.send_after)
        if sent is None:
            sent = texts[row.send_after] = instant(row.send_after)
        params.append((*row[:8], sent, row.any_hour, row.message_id, created))
    # SQLite holds the write lock for the whole transaction (BEGIN IMMEDIATE), so rows with
    # an id above the largest one before the insert are exactly the rows it added.
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM outbox").scalar()
    added = conn.exec_driver_sql(_SQLITE_INSERT, params).rowcount  # executemany: summed
    if added == len(rows):
        return Counter(row.reminder for row in rows)
    found = conn.exec_driver_sql(
        "SELECT reminder, count(*) FROM outbox WHERE id > ? GROUP BY reminder", (before,))
    return Counter(dict(found.all()))


def drop_pending(session: Session, item_id: int, *, reason: str) -> int:
    """Withdraw an item's reminders not yet claimed (item closed or re-dated)."""
    result = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.item_id == item_id, OUTBOX.c.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.DROPPED.value, last_error=reason)
    )
    return result.rowcount or 0


def drop_superseded(session: Session, owed_stages: dict[int, set[str]], *, now: datetime,
                    reason: str = "已被后续提醒取代") -> int:
    """Withdraw unsent ladder reminders, queued before ``now``, whose stage is no longer owed
    (``owed_stages``: item id → the stages owed at ``now``), so a late delivery never sends
    e.g. "3 days left" for an item that is overdue by then, or two 催办 at once."""
    if not owed_stages:
        return 0
    ids = list(owed_stages)
    if session.get_bind().dialect.name == "postgresql":
        asked = OUTBOX.c.item_id == any_(bindparam("ids", ids, type_=postgresql.ARRAY(Integer)))
    else:
        asked = OUTBOX.c.item_id.in_(ids)
    pending = session.execute(
        select(OUTBOX.c.id, OUTBOX.c.item_id, OUTBOX.c.stage)
        # `status || ''` keeps the planner on ix_outbox_item_id (a probe per item asked
        # about): on ix_outbox_ready it reads every pending row, this sweep's own included.
        .where(asked, type_coerce(OUTBOX.c.status, String).concat("") == OutboxStatus.PENDING.value,
               OUTBOX.c.created_at < now, OUTBOX.c.dedupe_key.startswith("item:"))
    ).all()
    stale = [r.id for r in pending if r.stage not in owed_stages[r.item_id]]
    if not stale:
        return 0
    result = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(stale), OUTBOX.c.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.DROPPED.value, last_error=reason)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Claimed:
    """A row taken for sending. ``context`` is what the row stored plus ``recipient_name``;
    for a reminder, ``models.engine.mail_context.with_items`` adds its item's live fields."""

    id: int
    item_id: int | None
    reminder: ReminderKind
    stage: str
    recipient: str
    recipient_name: str
    cc: list[str]
    context: dict[str, Any]
    message_id: str
    attempts: int


def claim(engine: Engine, *, worker: str, now: datetime, lease: timedelta,
          limit: int, any_hour_only: bool = False) -> list[Claimed]:
    """``claim_in`` in a transaction of its own."""
    with engine.begin() as conn:
        return claim_in(conn, worker=worker, now=now, lease=lease, limit=limit,
                        any_hour_only=any_hour_only)


# The kinds a recipient gets as one list per delivery pass; meeting notices (one invitation
# each) and the digest always go alone.
LISTED = frozenset({ReminderKind.DUE_SOON, ReminderKind.OVERDUE, ReminderKind.ESCALATION,
                    ReminderKind.CIRCULATION})
_LISTED_VALUES = sorted(k.value for k in LISTED)
_RETURNED = (OUTBOX.c.id, OUTBOX.c.item_id, OUTBOX.c.reminder, OUTBOX.c.stage, OUTBOX.c.recipient,
             OUTBOX.c.recipient_name, OUTBOX.c.cc, OUTBOX.c.context, OUTBOX.c.message_id,
             OUTBOX.c.attempts)


def _ready(now: datetime, any_hour_only: bool):
    """Rows a sender may take at ``now``: pending and due, or abandoned past their lease."""
    ready = or_(
        and_(OUTBOX.c.status == OutboxStatus.PENDING.value, OUTBOX.c.send_after <= now),
        and_(OUTBOX.c.status == OutboxStatus.SENDING.value, OUTBOX.c.claimed_until < now),
    )
    return and_(ready, OUTBOX.c.any_hour.is_(True)) if any_hour_only else ready


def count_ready(conn: Connection, *, now: datetime, any_hour_only: bool = False) -> int:
    """How many rows ``claim_in`` could take at ``now`` (the backlog a delivery faces)."""
    return conn.execute(select(func.count()).select_from(OUTBOX)
                        .where(_ready(now, any_hour_only))).scalar_one()


def _group_lock(recipient, reminder):
    """Try (never wait for) the transaction-scoped advisory lock of one (recipient, kind) group."""
    return func.pg_try_advisory_xact_lock(
        func.hashtextextended(recipient.concat("|").concat(reminder), 0))


def _pick_postgres(ready, limit: int):
    """The ids a PostgreSQL claim takes: the first ``limit`` ready rows whose (recipient, kind)
    group this transaction could lock, row-locked with ``SKIP LOCKED``.

    The group try-lock runs above a fence (``OFFSET 0``: a volatile filter is never pushed
    into it), on the ordered rows one by one until ``limit`` pass. Written as a plain filter
    beside ``ready`` it would run on every ready row before the sort, and the first sender
    would hold every group's lock until it commits, while the others found nothing to do.
    """
    ordered = (select(OUTBOX.c.id, OUTBOX.c.recipient, OUTBOX.c.reminder).where(ready)
               .order_by(OUTBOX.c.send_after, OUTBOX.c.id).offset(0).subquery("ordered"))
    lockable = (select(ordered.c.id)
                .where(or_(ordered.c.reminder.not_in(_LISTED_VALUES),
                           _group_lock(ordered.c.recipient, ordered.c.reminder)))
                .limit(limit).cte("lockable").prefix_with("MATERIALIZED"))
    # MATERIALIZED keeps each step a single evaluation: inlined, the planner may re-run the
    # try-locks, or the locked pick and claim rows another sender holds.
    return (select(OUTBOX.c.id).where(OUTBOX.c.id.in_(select(lockable.c.id)), ready)
            .with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED"))


def claim_in(conn: Connection, *, worker: str, now: datetime, lease: timedelta,
             limit: int, any_hour_only: bool = False) -> list[Claimed]:
    """Take up to ``limit`` ready rows (pending and due, or abandoned past their lease), in
    the caller's transaction on ``conn``: the claim holds once the caller commits. By id.

    With them it takes every other ready row of the same recipient address and listed kind
    (``LISTED``), however many, so that one recipient's 催办 of a pass can go out as one
    message. On PostgreSQL a (recipient, kind) group belongs to one claim at a time: a
    transaction-scoped advisory lock per group, tried (never waited for) row by row, keeps
    concurrent senders from splitting it (``SKIP LOCKED`` alone locks rows, not groups).

    ``any_hour_only`` (outside office hours) takes only rows allowed to go out at any hour.
    """
    ready = _ready(now, any_hour_only)
    postgres = conn.dialect.name == "postgresql"
    recipient = OUTBOX.c.recipient
    values = {
        "status": OutboxStatus.SENDING.value, "claimed_by": worker,
        "claimed_until": now + lease, "attempts": OUTBOX.c.attempts + 1,
    }
    if postgres:
        stmt = update(OUTBOX).where(OUTBOX.c.id == _pick_postgres(ready, limit).c.id)
    else:
        # SQLite has one writer at a time, so the UPDATE itself is the compare-and-swap.
        pick = select(OUTBOX.c.id).where(ready).order_by(OUTBOX.c.send_after, OUTBOX.c.id)
        stmt = update(OUTBOX).where(OUTBOX.c.id.in_(pick.limit(limit).scalar_subquery()))
    rows = conn.execute(stmt.values(**values).returning(*_RETURNED)).all()
    groups = {(r.recipient, r.reminder) for r in rows if r.reminder in _LISTED_VALUES}
    if groups:
        # Whole groups: every ready row of each picked recipient × kind (a few more groups than
        # picked may come along; each comes whole). Rows just claimed are no longer ready.
        more = select(OUTBOX.c.id).where(
            ready, recipient.in_(sorted({g[0] for g in groups})),
            OUTBOX.c.reminder.in_(sorted({g[1] for g in groups})))
        if postgres:
            # The IN lists also match groups no row of the pick belongs to: those come only
            # if this transaction can lock them too.
            extra = (more.where(_group_lock(OUTBOX.c.recipient, OUTBOX.c.reminder))
                     .with_for_update(skip_locked=True).cte("extra").prefix_with("MATERIALIZED"))
            stmt = update(OUTBOX).where(OUTBOX.c.id == extra.c.id)
        else:
            stmt = update(OUTBOX).where(OUTBOX.c.id.in_(more.scalar_subquery()))
        rows += conn.execute(stmt.values(**values).returning(*_RETURNED)).all()
    return sorted((Claimed(r.id, r.item_id, ReminderKind(r.reminder), r.stage, r.recipient,
                           r.recipient_name, list(r.cc),
                           {**r.context, "recipient_name": r.recipient_name}, r.message_id,
                           r.attempts) for r in rows), key=lambda c: c.id)


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row. ``error`` is kept for supervisors to read."""

    id: int
    sent: bool
    permanent: bool = False
    error: str | None = None
    attempts: int = 1


@dataclass
class Recorded:
    """How many recorded outcomes were sent, put back for a retry, or failed for good."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: Recorded) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


def verdict(outcome: Outcome) -> str:
    """What recording ``outcome`` makes of its row: "sent", "retried" or "failed"."""
    if outcome.sent:
        return "sent"
    if outcome.permanent or outcome.attempts >= MAX_ATTEMPTS:
        return "failed"
    return "retried"


def tally(outcomes: list[Outcome]) -> Recorded:
    """How ``record`` will count ``outcomes``."""
    counts = Recorded()
    for o in outcomes:
        name = verdict(o)
        setattr(counts, name, getattr(counts, name) + 1)
    return counts


def record(engine: Engine, *, worker: str, now: datetime, outcomes: list[Outcome]) -> Recorded:
    """Store outcomes of rows this worker still holds, and count them.
    A row that becomes failed gets ``failed_at = now``."""
    counts = tally(outcomes)
    params = []
    for o in outcomes:
        outcome = verdict(o)
        status = {"sent": OutboxStatus.SENT, "failed": OutboxStatus.FAILED,
                  "retried": OutboxStatus.PENDING}[outcome]
        send_after = now + backoff(o.attempts) if outcome == "retried" else None
        error = o.error
        if outcome == "failed" and not o.permanent:
            error = f"重试 {o.attempts} 次仍失败：{o.error}"
        params.append({"b_id": o.id, "b_status": status.value, "b_error": error,
                       "b_sent_at": now if o.sent else None, "b_send_after": send_after,
                       "b_failed_at": now if outcome == "failed" else None})
    if not params:
        return counts
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.claimed_by == worker,
               OUTBOX.c.status == OutboxStatus.SENDING.value)
        .values(status=bindparam("b_status"), last_error=bindparam("b_error"),
                sent_at=bindparam("b_sent_at"), failed_at=bindparam("b_failed_at"), claimed_until=None,
                send_after=func.coalesce(
                    bindparam("b_send_after", type_=OUTBOX.c.send_after.type), OUTBOX.c.send_after))
    )
    with engine.begin() as conn:
        conn.execute(stmt, params)
    return counts


def list_outbox(session: Session, *, failed_only: bool = False, limit: int = 500) -> list[Outbox]:
    query = select_model(Outbox).order_by(col(Outbox.id).desc()).limit(limit)
    if failed_only:
        query = query.where(Outbox.status == OutboxStatus.FAILED)
    return list(session.exec(query))
