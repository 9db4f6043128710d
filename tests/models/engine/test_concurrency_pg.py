"""Four processes sweep and deliver the same 2,000 reminders at once, on PostgreSQL.

Each process is a separate interpreter running ``sweep`` then ``deliver`` against one
database and one real SMTP server (aiosmtpd in this test process). They sweep together on a
signal, then deliver together on a second one, in small batches (100 sweep transactions, 40
claims: a process that starts late on a busy machine still finds work), so their sweeps and
their claims overlap. Exactly-once is checked where it matters: the Message-IDs the server
received, and the outbox rows themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from duban import migrations
from models.domain.deadlines import Deadline
from models.store import db
from models.store.next_actions import NEXT_ACTION
from models.store.tables import Item, Outbox, Unit

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, in office hours
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
# Due on Monday 2026-11-30: at NOW each item is owed exactly one reminder, the first 逾期催办,
# to its unit's contact (督办 comes 3 working days late, 临期 is superseded once overdue).
DEADLINE = date(2026, 11, 30)
ITEMS = 2000
WORKERS = 4

WORKER = """
import asyncio, json, sys
from datetime import datetime, time
from zoneinfo import ZoneInfo

from models.store import db
from notifications.delivery import deliver
from models.engine.config import EngineConfig
from models.engine.reminders import sweep
from notifications.transport import SmtpTransport

url, now, host, port, name = sys.argv[1:6]
now = datetime.fromisoformat(now)
config = EngineConfig(tz=ZoneInfo("Asia/Shanghai"), office_start=time(9, 0),
                      office_end=time(17, 30), bureau="区退役军人事务局",
                      mail_domain="duban.example.org")
engine = db.make_engine(url)
with engine.connect():
    pass
print("ready", flush=True)
sys.stdin.readline()  # the start signal: all workers begin at once

swept = sweep(engine, now=now, config=config, batch_size=20)
print("swept", flush=True)
sys.stdin.readline()  # the second signal: all workers deliver at once, once all have swept


async def send():
    transport = SmtpTransport(host=host, port=int(port), pool_size=4)
    try:
        return await deliver(engine, transport, now=now, config=config,
                             sender="区退役军人事务局督办 <duban@example.org>", worker=name,
                             batch_size=50)
    finally:
        await transport.close()


report = asyncio.run(send())
print(json.dumps({"name": name, "swept": swept.items, "queued": swept.total,
                  "claimed": report.claimed, "sent": report.sent, "retried": report.retried,
                  "failed": report.failed}), flush=True)
"""


def contact(i: int) -> str:
    return f"contact{i:04d}@example.org"


def populate(url: str) -> None:
    """2,000 units, each with one overdue item; bulk-inserted (the factories would take longer
    than the rest of the test)."""
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    unit_table, item_table = Unit.__table__, Item.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(insert(unit_table), [
            {"name": f"单位{i:04d}", "kind": "科室", "contact_name": f"联系人{i}",
             "contact_email": contact(i), "leader_name": f"领导{i}",
             "leader_email": f"leader{i:04d}@example.org", "created_at": T0, "updated_at": T0}
            for i in range(ITEMS)
        ])
        unit_ids = conn.execute(select(unit_table.c.id).order_by(unit_table.c.id)).scalars().all()
        due_at = Deadline(DEADLINE).ends_at(SHANGHAI)
        conn.execute(insert(item_table), [
            {"kind": "整改事项", "title": f"第{i}号督办事项", "unit_id": unit_id,
             "deadline_date": DEADLINE, "deadline_time": None, "due_at": due_at,
             "status": "进行中", "acked_at": T0, "acked_by": "test", "created_at": T0,
             "updated_at": T0}
            for i, unit_id in enumerate(unit_ids)
        ])
        item_ids = conn.execute(select(item_table.c.id)).scalars().all()
        conn.execute(insert(NEXT_ACTION), [{"item_id": i, "at": T0} for i in item_ids])
    engine.dispose()


def run_workers(url: str, server) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, NOW.isoformat(), server.host, str(server.port),
             f"worker-{n}"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        for n in range(WORKERS)
    ]
    try:
        # Two starts: all sweep together, then, once every sweep is over, all deliver together
        # (a worker done sweeping first would otherwise send what the others queued, and whether
        # the sends were shared would depend on the machine's load).
        for stage in ("ready", "swept"):
            for proc in procs:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                if line.strip() != stage:
                    proc.kill()
                    raise AssertionError(f"worker stopped before {stage}:\n{proc.communicate()[1]}")
            for proc in procs:
                proc.stdin.write("go\n")  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_four_processes_sweep_and_deliver_each_reminder_exactly_once(pg_url, smtp_server):
    populate(pg_url)

    reports = run_workers(pg_url, smtp_server)

    # Each item was swept by one process, each reminder queued, claimed and sent once.
    assert sum(r["swept"] for r in reports) == ITEMS
    assert sum(r["queued"] for r in reports) == ITEMS
    assert sum(r["claimed"] for r in reports) == ITEMS
    assert sum(r["sent"] for r in reports) == ITEMS
    assert sum(r["retried"] + r["failed"] for r in reports) == 0
    # …and the work really was shared, not done by one process while the others idled.
    assert sum(r["swept"] > 0 for r in reports) >= 2, reports
    assert sum(r["sent"] > 0 for r in reports) >= 2, reports

    # At the server: 2,000 messages, 2,000 distinct Message-IDs, one per contact.
    received = smtp_server.messages
    ids = Counter(m.message["Message-ID"] for m in received)
    assert len(received) == ITEMS
    assert [mid for mid, n in ids.items() if n > 1] == []
    assert sorted(r for m in received for r in m.rcpt_tos) == [contact(i) for i in range(ITEMS)]

    # In the outbox: 2,000 rows, all sent, each claimed exactly once (a second claim would
    # have raised attempts), by the worker whose report counted it.
    engine = db.make_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(
                Outbox.__table__.c.status, Outbox.__table__.c.attempts,  # type: ignore[attr-defined]
                Outbox.__table__.c.claimed_by, Outbox.__table__.c.message_id,  # type: ignore[attr-defined]
                Outbox.__table__.c.sent_at, Outbox.__table__.c.stage,  # type: ignore[attr-defined]
            )).all()
    finally:
        engine.dispose()
    assert len(rows) == ITEMS
    assert Counter((r.status, r.attempts, r.stage) for r in rows) == {("sent", 1, "overdue#0"): ITEMS}
    assert {r.sent_at for r in rows} == {NOW}
    assert set(ids) == {r.message_id for r in rows}
    assert Counter(r.claimed_by for r in rows) == {
        r["name"]: r["claimed"] for r in reports if r["claimed"]}
