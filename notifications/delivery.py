"""Delivery: claim ready outbox rows, group them into letters, render, send, record. Only
inside office hours.

A reminder says what its item is at delivery: the rows are claimed and their items read in
one transaction (``claim_messages``), and day counts and the mail's date are as of the
``now`` delivery runs at. Rendering and sending failures are stored on the row (the error
text is what supervisors read in ``duban outbox --failed``); one bad row never stops the others.
A recipient's rows of one listed kind go out as one message (``notifications.letters``), and
each message's outcome is stored on its rows as soon as it is known (``_Recorder``).
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
from models.engine.outbox import Claimed, Outcome, Recorded, claim_in, count_ready, record, tally
from models.errors import ConfigError, RenderError, TransportError
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from notifications.addresses import parse_address
from notifications.letters import Letter, letters, render_letter
from notifications.render import RenderedEmail
from notifications.transport import Transport

LEASE = timedelta(minutes=10)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class DeliveryReport:
    office_open: bool = True
    claimed: int = 0
    messages: int = 0  # messages sent; a list carries several of the rows counted in ``sent``
    sent: int = 0
    retried: int = 0
    failed: int = 0


def combined(reports: list[DeliveryReport]) -> DeliveryReport:
    """The reports of senders that ran side by side, as one."""
    return DeliveryReport(office_open=all(r.office_open for r in reports),
                          claimed=sum(r.claimed for r in reports),
                          messages=sum(r.messages for r in reports), sent=sum(r.sent for r in reports),
                          retried=sum(r.retried for r in reports), failed=sum(r.failed for r in reports))


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
    """The message one claimed row becomes on its own (the recipient's name from its column, in
    To). ``row.context`` must be complete: claim with ``claim_messages``."""
    return render_letter(Letter((row,)), sender=sender, templates_dir=templates_dir)


class _Recorder:
    """Group commit of outcomes: each sender hands in its outcomes and waits until they are
    stored. A write starts as soon as the previous one ends and takes everything handed in
    meanwhile, so under load a write carries many outcomes, and an outcome waits for at most
    two writes (a few milliseconds), never for a whole batch."""

    def __init__(self, engine: Engine, *, worker: str, now: datetime):
        self.engine, self.worker, self.now = engine, worker, now
        self._waiting: list[tuple[list[Outcome], asyncio.Future[Recorded]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, outcomes: list[Outcome]) -> Recorded:
        """Returns once ``outcomes`` are committed, with how they were counted."""
        if not outcomes:
            return Recorded()
        done: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._waiting.append((outcomes, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await done

    async def _write(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(record, self.engine, worker=self.worker, now=self.now,
                                        outcomes=[o for outcomes, _ in taken for o in outcomes])
            except BaseException as exc:  # every waiter hears of it; none waits forever
                for _, done in taken:
                    if not done.done():
                        done.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for outcomes, done in taken:
                if not done.done():
                    done.set_result(tally(outcomes))


async def _send_letter(letter: Letter, transport: Transport, recorder: _Recorder, *, sender: str,
                       templates_dir: Path | None, gate: asyncio.Semaphore,
                       now: datetime) -> tuple[int, Recorded]:
    """Render, send and record one letter; (messages sent, how its rows were recorded)."""
    # The slot is held until the outcome is stored: the messages sent but not yet recorded,
    # which a crash would send again, are then never more than ``concurrency``. Rendering
    # inside the gate lets a batch's renders interleave with its sends.
    async with gate:
        attempts = {r.id: r.attempts for r in letter.rows}

        def outcomes(sent: bool, permanent: bool = False, error: str | None = None) -> list[Outcome]:
            return [Outcome(i, sent=sent, permanent=permanent, error=error, attempts=a)
                    for i, a in attempts.items()]

        try:
            message = render_letter(letter, sender=sender, templates_dir=templates_dir, date=now)
        except (RenderError, TransportError) as exc:
            return 0, await recorder.record(outcomes(False, True, str(exc)))
        try:
            result = await transport.send(message)
        except TransportError as exc:
            return 0, await recorder.record(outcomes(False, exc.permanent, str(exc)))
        except Exception as exc:  # a bug must not strand the batch: keep the text, retry later
            return 0, await recorder.record(outcomes(False, False, f"{type(exc).__name__}: {exc}"))
        refused = "; ".join(f"{addr} {reply}" for addr, reply in result.refused.items())
        return 1, await recorder.record(outcomes(True, error=f"部分收件人被拒：{refused}" if refused
                                                 else None))


def _office_open(engine: Engine, now: datetime, config: EngineConfig) -> tuple[bool, WorkCalendar]:
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
    return OfficeHours(config.office_start, config.office_end, config.tz).is_open(now, calendar), calendar


def backlog(engine: Engine, *, now: datetime, config: EngineConfig) -> int:
    """How many rows a delivery at ``now`` would send (outside office hours: meeting notices only)."""
    office_open, _calendar = _office_open(engine, now, config)
    with engine.connect() as conn:
        return count_ready(conn, now=now, any_hour_only=not office_open)


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
    # Outside office hours only rows marked any_hour (meeting notices) may go out.
    report.office_open, calendar = _office_open(engine, now, config)
    worker = worker or worker_name()
    gate = asyncio.Semaphore(concurrency)

    recorder = _Recorder(engine, worker=worker, now=now)

    async def run_batch(rows: list[Claimed], missing: list[Outcome]) -> tuple[int, Recorded]:
        counts = await recorder.record(missing)
        done = await asyncio.gather(*(
            _send_letter(letter, transport, recorder, sender=sender, templates_dir=templates_dir,
                         gate=gate, now=now)
            for letter in letters(rows)
        ))
        for _, recorded in done:
            counts.add(recorded)
        return sum(messages for messages, _ in done), counts

    # Two batches in flight: the next is claimed, and its sends queue at the gate, while the
    # current one is still sending, so the server never waits for a claim, a record or the
    # last few sends of a batch.
    batches: list[asyncio.Task[tuple[int, Recorded]]] = []
    try:
        while True:
            rows, missing = await asyncio.to_thread(
                claim_messages, engine, worker=worker, now=now, lease=lease, limit=batch_size,
                config=config, calendar=calendar, any_hour_only=not report.office_open)
            taken = len(rows) + len(missing)
            report.claimed += taken
            if taken:
                batches.append(asyncio.create_task(run_batch(rows, missing)))
            if not taken:  # a short claim is no proof: other senders may hold the rest a moment
                break
            if len(batches) >= 2:
                await batches[-2]
    finally:
        results = await asyncio.gather(*batches, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
        messages, counts = result
        report.messages += messages
        report.sent += counts.sent
        report.retried += counts.retried
        report.failed += counts.failed
    return report
