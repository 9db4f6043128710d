"""A sender killed with SIGKILL *while it is sending* duplicates at most what it had in flight.

The server is a real aiosmtpd that accepts the first messages, then holds every further DATA
unanswered: the sender is then mid-stream, with messages accepted and others in flight, when
the test kills its process. After the lease another pass sends the rest; the test counts how
many messages arrived twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from models.domain.enums import OutboxStatus
from models.engine.reminders import sweep
from models.store.db import session_scope
from models.store.tables import Outbox
from notifications.delivery import LEASE
from tests.notifications.test_delivery import ROOT, engine_url
from tests.support.bureau import CONFIG, SENDER
from tests.support.clock import NOW
from tests.support.factories import make_item, make_unit
from tests.support.smtp import SmtpServer, deliver_to

UNITS = 60
ACCEPT_FIRST = 25
CONCURRENCY = 8

SENDER_SCRIPT = """
import asyncio, sys
from datetime import datetime
from models.store.db import make_engine
from notifications.delivery import deliver
from notifications.transport import SmtpTransport
from tests.support.bureau import CONFIG, SENDER

async def main():
    transport = SmtpTransport(host="127.0.0.1", port=int(sys.argv[2]))
    await deliver(make_engine(sys.argv[1]), transport, now=datetime.fromisoformat(sys.argv[3]),
                  config=CONFIG, sender=SENDER, concurrency=int(sys.argv[4]))

asyncio.run(main())
"""


class HoldingServer(SmtpServer):
    """Accepts ``accept`` messages, then holds each further DATA until ``release()``."""

    def __init__(self, accept: int):
        super().__init__()
        self.accept = accept
        self.held = 0
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            hold = len(self.messages) >= self.accept and not self._released.is_set()
            if hold:
                self.held += 1
        while hold and not self._released.is_set():
            await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_sender_killed_while_sending_duplicates_at_most_its_concurrency(engine):
    with session_scope(engine) as session:
        for n in range(UNITS):  # one 逾期催办 each, to a contact of its own: one message each
            unit = make_unit(session, f"单位{n:02d}", contact_email=f"unit{n:02d}@example.org",
                             leader_email=None, leader_name=None)
            make_item(session, unit, title=f"事项{n:02d}", deadline="2026-11-30")
    assert sweep(engine, now=NOW, config=CONFIG).total == UNITS

    with HoldingServer(accept=ACCEPT_FIRST) as server:
        doomed = subprocess.Popen(
            [sys.executable, "-c", SENDER_SCRIPT, engine_url(engine), str(server.port),
             NOW.isoformat(), str(CONCURRENCY)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(server.messages) >= ACCEPT_FIRST and server.held > 0,
                     "the sender to be mid-stream")
            os.kill(doomed.pid, signal.SIGKILL)
            assert doomed.wait(timeout=30) == -signal.SIGKILL
        finally:
            if doomed.poll() is None:
                doomed.kill()
        # aiosmtpd drops what it held when the client's connection dies; a real server might
        # have delivered it, which is why in-flight messages count towards the bound.
        server.release()

        with session_scope(engine) as session:
            statuses = Counter(r.status for r in session.exec(select(Outbox)))
        assert statuses[OutboxStatus.SENT] >= ACCEPT_FIRST - CONCURRENCY, statuses

        later = NOW + LEASE + timedelta(seconds=1)
        report = deliver_to(engine, server, now=later, config=CONFIG, sender=SENDER)
        assert report.failed == 0
        with session_scope(engine) as session:
            rows = list(session.exec(select(Outbox)))
        assert {r.status for r in rows} == {OutboxStatus.SENT}

        received = Counter(m.message["Message-ID"] for m in server.messages)
        assert set(received) == {r.message_id for r in rows}  # nothing lost
        duplicates = sum(n - 1 for n in received.values())
        assert duplicates <= CONCURRENCY, (duplicates, statuses)
