"""Benchmark: delivering reminders end to end to an SMTP server in another process.

    python -m bench.deliver               # 5,000 messages, SQLite and PostgreSQL, 3 runs each
    python -m bench.deliver --smoke       # 200 messages, one run (PostgreSQL only if configured)
    python -m bench.deliver --pg URL      # PostgreSQL server (default: $DUBAN_TEST_DATABASE_URL)

The server is ``bench.smtp_sink`` (aiosmtpd, accepts and counts) in its own process. The
outbox is filled by a real sweep over N items, each owed exactly one reminder (临期 3 days,
1 day and on the day, and the first 逾期催办: four templates), then every figure sends all N:
- pooled:      ``notifications.delivery.deliver`` with ``SmtpTransport`` (its defaults: a pool of 4
               connections, 8 sends in flight, batches of 200): claim, render, send, record;
- pooled ×2:   the same in two processes at once, sharing the outbox (the way to use a second
               core: claims never overlap);
- per message: the same ``deliver``, but a transport that opens a connection per message
               (``aiosmtplib.send``, at most 4 at a time): the baseline pooling is measured against;
- raw:         no database and no rendering: the N messages rendered to bytes beforehand, then
               sent over 4 reused connections (``SMTP.sendmail``): the limit of client and server.
The sink announces 8BITMIME, so every figure sends the 8-bit form of each message (text parts
unencoded UTF-8, ``BODY=8BITMIME``), as ``SmtpTransport`` does with such a server.
After each run the sink's counts are checked (N messages, N distinct Message-IDs) and the outbox
is reset to pending for the next. Each figure runs in fresh child processes, timed from the start
of sending (imports, connections and template compilation happen before the clock starts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Engine

from bench.common import (
    CONFIG,
    NOW,
    ROOT,
    SENDER,
    SHANGHAI,
    current_rss_mb,
    emit,
    machine_notes,
    peak_rss_mb,
    pg_admin_url,
    temp_pg_database,
    temp_sqlite_database,
)
from duban import migrations
from models.store import db

# Deadlines at which, on NOW (Tuesday 2026-06-02), an item is owed exactly one reminder.
DEADLINES = [date(2026, 6, 5), date(2026, 6, 3), date(2026, 6, 2), date(2026, 6, 1)]
UNITS = 200
CONNECTIONS = 4  # SmtpTransport's default pool size, used by every figure


# -- data ----------------------------------------------------------------------------------------


def load(engine: Engine, n: int, units: int = UNITS) -> None:
    """Migrate, add ``units`` units and ``n`` items, sweep once: ``n`` pending outbox rows."""
    from models.domain.deadlines import Deadline
    from models.engine.reminders import sweep
    from models.store.next_actions import NEXT_ACTION
    from models.store.tables import Item, Unit

    migrations.upgrade(engine)
    unit, item = Unit.__table__, Item.__table__  # type: ignore[attr-defined]
    t0 = NOW - timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(insert(unit), [
            {"name": f"单位{u:04d}", "kind": "科室", "contact_name": f"联系人{u}",
             "contact_email": f"contact{u:04d}@bench.example.org", "leader_name": f"领导{u}",
             "leader_email": f"leader{u:04d}@bench.example.org", "created_at": t0,
             "updated_at": t0} for u in range(units)])
        unit_ids = conn.execute(select(unit.c.id)).scalars().all()
        rows = []
        for i in range(n):
            deadline = DEADLINES[i % len(DEADLINES)]
            rows.append({
                "kind": "整改事项", "title": f"关于落实第{i}号督办事项的整改工作",
                "detail": "按照上级要求逐项整改，按期报送进展。",
                "measure": "建立台账，明确责任人和完成时限。",
                "source": "区委督查室", "unit_id": unit_ids[i % units], "person": f"责任人{i % 50}",
                "deadline_date": deadline, "deadline_time": None,
                "due_at": Deadline(deadline).ends_at(SHANGHAI), "status": "进行中",
                "created_at": t0, "updated_at": t0})
        conn.execute(insert(item), rows)
        conn.execute(insert(NEXT_ACTION), [{"item_id": i, "at": t0}
                                           for i in conn.execute(select(item.c.id)).scalars()])
    queued = sweep(engine, now=NOW, config=CONFIG).total
    if queued != n:
        raise RuntimeError(f"the sweep queued {queued} reminders, expected {n}")


def reset_outbox(engine: Engine) -> None:
    from models.store.tables import Outbox

    outbox = Outbox.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(outbox).values(status="pending", attempts=0, claimed_by=None,
                                           claimed_until=None, sent_at=None, last_error=None))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE outbox"))


def sent_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar_one()


# -- the child: one figure -------------------------------------------------------------------------


class PerMessageTransport:
    """The baseline: a new SMTP connection (connect, EHLO, send, QUIT) for every message."""

    def __init__(self, host: str, port: int, limit: int = CONNECTIONS):
        self.host, self.port, self.limit = host, port, limit
        self._gate: asyncio.Semaphore | None = None

    async def send(self, message):
        import aiosmtplib

        from notifications.transport import SendResult, outgoing

        mail = outgoing(message)
        data, options = _form(mail)
        self._gate = self._gate or asyncio.Semaphore(self.limit)
        async with self._gate:
            refused, _ = await aiosmtplib.send(data, sender=mail.sender,
                                               recipients=list(mail.recipients),
                                               hostname=self.host, port=self.port,
                                               start_tls=False, mail_options=options)
        return SendResult(refused={a: f"{r.code} {r.message}" for a, r in refused.items()})

    async def close(self) -> None:
        return None


def _form(mail) -> tuple[bytes, list[str]]:
    """The bytes and MAIL FROM options SmtpTransport would choose for a server with 8BITMIME
    (the sink), without asking it per connection."""
    return (mail.eight_bit, ["BODY=8BITMIME"]) if mail.needs_8bitmime else (mail.seven_bit, [])


def _warm_templates() -> None:
    """Compile every template once, as a long-running sender would have."""
    from notifications.render import render_email

    item = {"id": 1, "code": None, "title": "t", "kind": "整改事项", "unit": "u", "person": None,
            "deadline": "2026-06-01", "days_overdue": 1, "workdays_left": 0, "measure": None,
            "detail": None, "source": None}
    context = {"item": item, "unit_contact": "c", "leader": None, "bureau": "b",
               "now": "2026-06-02 10:00", "recipient_name": "r"}
    for name in ("due_soon", "overdue"):
        render_email(name, context, sender=SENDER, to=["a@bench.example.org"],
                     message_id="<warm@bench.example.org>")
    listed = {"items": [{**item, "link": None, "unit_contact": "c", "leader": None}] * 2,
              "count": 2, "units": ["u"], "contacts": ["c"], "bureau": "b",
              "now": "2026-06-02 10:00", "recipient_name": "r"}
    for name in ("due_soon_list", "overdue_list"):
        render_email(name, listed, sender=SENDER, to=["a@bench.example.org"],
                     message_id="<warm@bench.example.org>")


def _prerender(engine: Engine) -> list[tuple[str, list[str], bytes, list[str]]]:
    """Every queued message rendered exactly as delivery renders it (claimed, with its item's
    context, and grouped into letters the same way; the outbox is reset after the run)."""
    from models.store.calendar_store import calendar_from_db
    from models.store.db import session_scope
    from notifications.delivery import claim_messages
    from notifications.letters import letters, render_letter

    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
    rows, missing = claim_messages(engine, worker="prerender", now=NOW, lease=timedelta(hours=1),
                                   limit=10**9, config=CONFIG, calendar=calendar)
    if missing:
        raise RuntimeError(f"{len(missing)} claimed rows have no item")
    messages = []
    for letter in letters(rows):
        message = render_letter(letter, sender=SENDER)
        messages.append((message.sender, list(message.recipients), *_form(message)))
    return messages


async def _raw(messages: list[tuple[str, list[str], bytes, list[str]]], host: str, port: int) -> int:
    import aiosmtplib

    pending = iter(messages)

    async def connection() -> int:
        smtp = aiosmtplib.SMTP(hostname=host, port=port, start_tls=False)
        await smtp.connect()
        sent = 0
        for sender, recipients, data, options in pending:
            await smtp.sendmail(sender, recipients, data, mail_options=options)
            sent += 1
        await smtp.quit()
        return sent

    return sum(await asyncio.gather(*(connection() for _ in range(CONNECTIONS))))


async def _deliver(engine: Engine, transport) -> tuple[int, int]:
    """(messages, reminders) sent."""
    from notifications.delivery import deliver

    try:
        report = await deliver(engine, transport, now=NOW, config=CONFIG, sender=SENDER)
    finally:
        await transport.close()
    if report.retried or report.failed:
        raise RuntimeError(f"delivery had failures: {report}")
    return getattr(report, "messages", report.sent), report.sent


def child(url: str, mode: str, host: str, port: str) -> None:
    from notifications.transport import SmtpTransport

    engine = db.make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    _warm_templates()
    messages = _prerender(engine) if mode == "raw" else []
    print("ready", flush=True)
    sys.stdin.readline()  # start together with any sibling
    rss_before = current_rss_mb()
    start = time.time()
    if mode == "raw":
        sent, reminders = asyncio.run(_raw(messages, host, int(port))), None
    elif mode == "per_message":
        sent, reminders = asyncio.run(_deliver(engine, PerMessageTransport(host, int(port))))
    else:
        sent, reminders = asyncio.run(_deliver(engine, SmtpTransport(host=host, port=int(port))))
    end = time.time()
    emit({"sent": sent, "reminders": reminders, "start": start, "end": end,
          "peak_rss_mb": peak_rss_mb(), "rss_before_mb": rss_before})
    engine.dispose()


# -- the parent --------------------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.smtp_sink"], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline().split()  # type: ignore[union-attr]
        if not ready or ready[0] != "ready":
            raise RuntimeError("the SMTP sink did not start")
        self.host, self.port = "127.0.0.1", int(ready[1])

    def command(self, line: str) -> dict | None:
        self.proc.stdin.write(line + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        if line == "stats":
            return json.loads(self.proc.stdout.readline())  # type: ignore[union-attr]
        return None

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.wait(timeout=30)


def run_figure(url: str, mode: str, sink: Sink, procs: int = 1) -> dict:
    """Start ``procs`` children, let them go at once; messages per second over the wall time."""
    children = [subprocess.Popen([sys.executable, "-m", "bench.deliver", "--child", url, mode,
                                  sink.host, str(sink.port)],
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(procs)]
    try:
        for c in children:
            if c.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
                c.kill()
                raise RuntimeError(f"{mode} child failed:\n{c.communicate()[1]}")
        for c in children:
            c.stdin.write("go\n")  # type: ignore[union-attr]
            c.stdin.flush()  # type: ignore[union-attr]
        results = []
        for c in children:
            out, err = c.communicate(timeout=1800)
            if c.returncode != 0:
                raise RuntimeError(f"{mode} child failed:\n{err}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
                c.wait()
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    sent = sum(r["sent"] for r in results)
    reminders = None if results[0]["reminders"] is None else sum(r["reminders"] for r in results)
    return {"sent": sent, "reminders": reminders, "seconds": seconds, "rate": sent / seconds,
            "reminder_rate": None if reminders is None else reminders / seconds,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


FIGURES = [("pooled", "pooled", 1), ("pooled ×2", "pooled", 2),
           ("per message", "per_message", 1), ("raw", "raw", 1)]


def bench_backend(name: str, make_db, n: int, runs: int, sink: Sink, units: int = UNITS) -> dict:
    with make_db() as url:
        engine = db.make_engine(url)
        load(engine, n, units)
        measured: dict[str, list[dict]] = {label: [] for label, _, _ in FIGURES}
        for _ in range(runs):
            for label, mode, procs in FIGURES:
                reset_outbox(engine)
                sink.command("reset")
                result = run_figure(url, mode, sink, procs)
                stats = sink.command("stats")
                assert stats is not None
                sent = n if mode == "raw" else sent_count(engine)
                m = result["sent"]  # messages: fewer than reminders when lists are sent
                if (stats["messages"], stats["distinct_ids"], stats["duplicates"], sent) != (
                        m, m, 0, n) or result["reminders"] not in (None, n):
                    raise RuntimeError(f"{label}: expected {n} reminders in {m} distinct messages, "
                                       f"got {result}, {stats}, {sent} rows sent")
                if mode == "raw":  # the same messages as delivery sends, rendered beforehand
                    result["reminders"], result["reminder_rate"] = n, n / result["seconds"]
                result["connections"] = stats["connections"]
                result["bytes_per_message"] = stats["bytes"] / m
                result["bodies"] = stats["bodies"]
                measured[label].append(result)
        engine.dispose()
    figures = {}
    for label, results in measured.items():
        best = max(results, key=lambda r: r["rate"])
        figures[label] = {**best, "median_rate": statistics.median(r["rate"] for r in results),
                          "runs": len(results)}
    _print(f"{name}, {units:,} recipients", n, figures)
    return figures


def _print(name: str, n: int, figures: dict) -> None:
    for label, f in figures.items():
        print(f"[{name}] {label:<12} {n:,} reminders in {f['sent']:,} messages in {f['seconds']:.2f} s: "
              f"{f['rate']:,.0f} msg/s, {f['reminder_rate']:,.0f} reminders/s "
              f"(median {f['median_rate']:,.0f} msg/s of {f['runs']}; {f['connections']:,} connections; "
              f"{f['bytes_per_message']:,.0f} B/message, BODY {f['bodies']}; "
              f"peak RSS {f['peak_rss_mb']:.0f} MB)", flush=True)
    pooled = figures["pooled"]["rate"]
    print(f"[{name}] pooled / per message {pooled / figures['per message']['rate']:.2f}x; "
          f"pooled / raw {pooled / figures['raw']['rate']:.2f}x; "
          f"pooled ×2 / pooled {figures['pooled ×2']['rate'] / pooled:.2f}x; "
          f"target ≥ 1,000 msg/s end to end", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.deliver", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="200 messages, one run (CI)")
    parser.add_argument("--messages", type=int, help="messages per figure (default 5000)")
    parser.add_argument("--runs", type=int, help="runs per figure; the best is shown")
    parser.add_argument("--pg", help="PostgreSQL server URL (default: $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--units", type=int, default=UNITS,
                        help=f"units, each with a contact of its own (default {UNITS}: 25 reminders "
                             "of one kind per contact, sent as one list each; as many units as "
                             "messages: one reminder per recipient)")
    parser.add_argument("--child", nargs=4, metavar=("URL", "MODE", "HOST", "PORT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    n = args.messages or (200 if args.smoke else 5000)
    runs = args.runs or (1 if args.smoke else 3)
    print(f"bench.deliver: {machine_notes()}", flush=True)
    backends = args.backends.split(",")
    sink = Sink()
    try:
        if "sqlite" in backends:
            bench_backend("sqlite", temp_sqlite_database, n, runs, sink, args.units)
        if "postgresql" in backends:
            admin = pg_admin_url(args.pg)
            if admin is None:
                print("[postgresql] skipped: set DUBAN_TEST_DATABASE_URL or pass --pg", flush=True)
            else:
                bench_backend("postgresql", lambda: temp_pg_database(admin), n, runs, sink,
                              args.units)
    finally:
        sink.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
