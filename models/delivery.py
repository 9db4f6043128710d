"""Delivery: claim ready outbox rows, render, send, record. Only inside office hours.

Rendering and sending failures are stored on the row (the error text is what supervisors
read in ``duban outbox --failed``); one bad row never stops the others.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from duban.db import session_scope
from duban.errors import RenderError, TransportError
from models.calendar_store import calendar_from_db
from models.office import OfficeHours
from models.outbox import Claimed, Outcome, claim, record
from models.reminders import EngineConfig
from notifications.addresses import named, parse_address
from notifications.ics import invitation
from notifications.render import render_email
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


def template_name(claimed: Claimed) -> str:
    return claimed.reminder.name.lower()


async def _send_one(row: Claimed, transport: Transport, *, sender: str,
                    templates_dir: Path | None, gate: asyncio.Semaphore) -> Outcome:
    try:
        invite = invitation(row.context["ics"]) if "ics" in row.context else None
        message = render_email(template_name(row), row.context, sender=sender,
                               to=[named(parse_address(row.recipient), row.recipient_name)],
                               cc=row.cc, message_id=row.message_id, templates_dir=templates_dir,
                               invitation=invite)
    except (RenderError, TransportError) as exc:
        return Outcome(row.id, sent=False, permanent=True, error=str(exc), attempts=row.attempts)
    try:
        async with gate:
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
    """Send every ready row, batch by batch, while the office is open at ``now``."""
    report = DeliveryReport()
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
    # Outside office hours only rows marked any_hour (meeting notices) may go out.
    report.office_open = OfficeHours(config.office_start, config.office_end,
                                     config.tz).is_open(now, calendar)
    worker = worker or worker_name()
    gate = asyncio.Semaphore(concurrency)
    while True:
        rows = await asyncio.to_thread(claim, engine, worker=worker, now=now, lease=lease,
                                       limit=batch_size, any_hour_only=not report.office_open)
        if not rows:
            break
        report.claimed += len(rows)
        outcomes = await asyncio.gather(*(
            _send_one(r, transport, sender=sender, templates_dir=templates_dir, gate=gate)
            for r in rows
        ))
        counts = await asyncio.to_thread(record, engine, worker=worker, now=now,
                                         outcomes=list(outcomes))
        report.sent += counts["sent"]
        report.retried += counts["retried"]
        report.failed += counts["failed"]
        if len(rows) < batch_size:
            break
    return report
