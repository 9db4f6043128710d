"""Delivery: claim ready outbox rows, render, send, record. Only inside office hours.

A reminder says what its item is at delivery: the rows are claimed and their items read in
one transaction (``claim_messages``), and day counts and the mail's date are as of the
``now`` delivery runs at. Rendering and sending failures are stored on the row (the error
text is what supervisors read in ``duban outbox --failed``); one bad row never stops the others.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from models.domain.calendar import WorkCalendar
from models.domain.office import OfficeHours
from models.engine.config import EngineConfig
from models.engine.mail_context import with_items
from models.engine.outbox import Claimed, Outcome, Recorded, claim_in, record
from models.errors import ConfigError, RenderError, TransportError
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from notifications.addresses import named, parse_address
from notifications.ics import invitation
from notifications.render import RenderedEmail, render_email
from notifications.transport import Transport

LEASE = timedelta(minutes=10)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class DeliveryReport:
    office_open: bool = True
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def combined(reports: list[DeliveryReport]) -> DeliveryReport:
    """The reports of senders that ran side by side, as one."""
    return DeliveryReport(office_open=all(r.office_open for r in reports),
                          claimed=sum(r.claimed for r in reports), sent=sum(r.sent for r in reports),
                          retried=sum(r.retried for r in reports), failed=sum(r.failed for r in reports))


def template_name(claimed: Claimed) -> str:
    return claimed.reminder.name.lower()


def claim_messages(engine: Engine, *, worker: str, now: datetime, lease: timedelta, limit: int,
                   config: EngineConfig, calendar: WorkCalendar,
                   any_hour_only: bool = False) -> tuple[list[Claimed], list[Outcome]]:
    """Claim up to ``limit`` ready rows and give each its template context as of ``now``, in
    one transaction. Returns the rows to send and the outcomes of rows that cannot be sent
    (their item no longer exists: a permanent failure), both claimed by ``worker``."""
    with engine.begin() as conn:
        rows = claim_in(conn, worker=worker, now=now, lease=lease, limit=limit,
                        any_hour_only=any_hour_only)
        contexts = with_items(conn, rows, now=now, config=config, calendar=calendar)
    ready: list[Claimed] = []
    missing: list[Outcome] = []
    for row, context in zip(rows, contexts, strict=True):
        if context is None:
            missing.append(Outcome(row.id, sent=False, permanent=True,
                                   error=f"事项 {row.item_id} 已不存在", attempts=row.attempts))
        else:
            ready.append(replace(row, context=context))
    return ready, missing


def render_row(row: Claimed, *, sender: str, templates_dir: Path | None = None) -> RenderedEmail:
    """The message a claimed row becomes (the recipient's name from its column, in To).
    ``row.context`` must be complete: claim with ``claim_messages``."""
    invite = invitation(row.context["ics"]) if "ics" in row.context else None
    return render_email(template_name(row), row.context, sender=sender,
                        to=[named(parse_address(row.recipient), row.recipient_name)],
                        cc=row.cc, message_id=row.message_id, templates_dir=templates_dir,
                        invitation=invite)


async def _send_one(row: Claimed, transport: Transport, *, sender: str,
                    templates_dir: Path | None, gate: asyncio.Semaphore) -> Outcome:
    # Rendered inside the gate: a batch's renders then interleave with its sends. Rendered all
    # up front, 200 renders held the event loop (and left the server idle) at every batch.
    async with gate:
        try:
            message = render_row(row, sender=sender, templates_dir=templates_dir)
        except (RenderError, TransportError) as exc:
            return Outcome(row.id, sent=False, permanent=True, error=str(exc), attempts=row.attempts)
        try:
            result = await transport.send(message)
        except TransportError as exc:
            return Outcome(row.id, sent=False, permanent=exc.permanent, error=str(exc),
                           attempts=row.attempts)
        except Exception as exc:  # a bug must not strand the batch: keep the text, retry later
            return Outcome(row.id, sent=False, error=f"{type(exc).__name__}: {exc}",
                           attempts=row.attempts)
    refused = "; ".join(f"{addr} {reply}" for addr, reply in result.refused.items())
    return Outcome(row.id, sent=True, error=f"部分收件人被拒：{refused}" if refused else None,
                   attempts=row.attempts)


async def deliver(engine: Engine, transport: Transport, *, now: datetime, config: EngineConfig,
                  sender: str, templates_dir: Path | None = None, worker: str | None = None,
                  batch_size: int = 200, lease: timedelta = LEASE,
                  concurrency: int = 8) -> DeliveryReport:
    """Send every ready row, batch by batch, while the office is open at ``now``: at most
    ``concurrency`` messages rendered or sent at once, two batches claimed at a time."""
    try:  # before anything is claimed: a bad sender would fail every row it took
        parse_address(sender, role="发件地址")
    except TransportError as exc:
        raise ConfigError(f"{exc}，请检查 DUBAN_SMTP_FROM") from None
    report = DeliveryReport()
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
    # Outside office hours only rows marked any_hour (meeting notices) may go out.
    report.office_open = OfficeHours(config.office_start, config.office_end,
                                     config.tz).is_open(now, calendar)
    worker = worker or worker_name()
    gate = asyncio.Semaphore(concurrency)

    async def run_batch(rows: list[Claimed], missing: list[Outcome]) -> Recorded:
        outcomes = await asyncio.gather(*(
            _send_one(r, transport, sender=sender, templates_dir=templates_dir, gate=gate)
            for r in rows
        ))
        return await asyncio.to_thread(record, engine, worker=worker, now=now,
                                       outcomes=[*outcomes, *missing])

    # Two batches in flight: the next is claimed, and its sends queue at the gate, while the
    # current one is still sending, so the server never waits for a claim, a record or the
    # last few sends of a batch.
    batches: list[asyncio.Task[Recorded]] = []
    try:
        while True:
            rows, missing = await asyncio.to_thread(
                claim_messages, engine, worker=worker, now=now, lease=lease, limit=batch_size,
                config=config, calendar=calendar, any_hour_only=not report.office_open)
            taken = len(rows) + len(missing)
            report.claimed += taken
            if taken:
                batches.append(asyncio.create_task(run_batch(rows, missing)))
            if taken < batch_size:
                break
            if len(batches) >= 2:
                await batches[-2]
    finally:
        results = await asyncio.gather(*batches, return_exceptions=True)
    for counts in results:
        if isinstance(counts, BaseException):
            raise counts
        report.sent += counts.sent
        report.retried += counts.retried
        report.failed += counts.failed
    return report
