"""Benchmark: the web workspace on a large bureau.

    python -m bench.web                 # 1,000,000 items (10,000 overdue, 200 units), SQLite and PostgreSQL
    python -m bench.web --smoke         # 20,000 items (200 overdue), 10 users (CI)
    python -m bench.web --sizes 100000 --backends sqlite

Data (bulk-loaded with one INSERT … SELECT): 200 units; N items of which 1% are open and overdue
at ``NOW``, 1% were completed in April (a third of them a day late), and the rest are open and due
between two weeks and six months later; every item acknowledged. A supervisor's account with
one signed-in session per simulated user.

Figures, measured in a fresh child process after the data is loaded:
- server time: the app's own time per request (its ``Server-Timing`` header), p50 and p95 of
  ``--requests`` requests each, for 总览 (/overview) and the first page of 逾期
  (/items?light=逾期), called in process;
- raw SQL, the baseline: the same counts as plain SQL on one connection: for 总览 the light
  counts per unit (one GROUP BY) and the 未签收/待审核/待审批延期 counts; for 逾期 the first 50
  rows and the total. The ratio page/raw says what the app adds to the database's work;
- live: ``duban web`` on loopback, ``--users`` concurrent users (httpx, one session each), each
  opening ``--pages`` pages in turn (总览, 逾期, an overdue item, a unit's list, 临期), reading
  each for ``--think`` seconds on average (0.5–1.5x; ``--think 0`` hammers the server instead):
  p50/p95/max of the whole request as the client sees it, and errors (any status but 200).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.common import (
    NOW,
    ROOT,
    Stopwatch,
    emit,
    machine_notes,
    pg_admin_url,
    run_child,
    temp_pg_database,
    temp_sqlite_database,
)
from bench.sweep import PG_UNITS, SQLITE_UNITS, UNITS, settle
from duban import migrations
from models.store import db

EVERY = 100  # 1% overdue, 1% done
NOW_TEXT = "2026-06-02T10:00:00+08:00"

PG_ITEMS = """
INSERT INTO item (kind, title, detail, measure, source, unit_id, person, deadline_date, due_at,
                  status, completed_at, acked_at, acked_by, created_at, updated_at)
SELECT (ARRAY['整改事项','报送节点','会议','任务'])[1 + i % 4],
       '关于落实第' || i || '号督办事项的整改工作', '按照上级要求逐项整改，按期报送进展。',
       '建立台账，明确责任人和完成时限。', '区委督查室', 1 + i % :units, '责任人' || (i % 50),
       d, (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN i % :every = 1 THEN '已办结' ELSE (ARRAY['未开始','进行中'])[1 + i % 2] END,
       CASE WHEN i % :every = 1
            THEN (d + CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END)::timestamp AT TIME ZONE 'Asia/Shanghai'
                 + interval '10 hours' END,
       :t0, '联系人', :t0, :t0
FROM (SELECT i, CASE WHEN i % :every = 0 THEN date '2026-05-06' + (i / :every) % 20
                     WHEN i % :every = 1 THEN date '2026-04-01' + i % 29
                     ELSE date '2026-06-15' + i % 160 END AS d
      FROM generate_series(1, :n) AS i) AS s
"""

SQLITE_ITEMS = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n),
dated(i, d) AS (
    SELECT i, CASE WHEN i % :every = 0 THEN date('2026-05-06', '+' || ((i / :every) % 20) || ' days')
                   WHEN i % :every = 1 THEN date('2026-04-01', '+' || (i % 29) || ' days')
                   ELSE date('2026-06-15', '+' || (i % 160) || ' days') END
    FROM seq)
INSERT INTO item (kind, title, detail, measure, source, unit_id, person, deadline_date, due_at,
                  status, completed_at, acked_at, acked_by, created_at, updated_at)
SELECT CASE i % 4 WHEN 0 THEN '整改事项' WHEN 1 THEN '报送节点' WHEN 2 THEN '会议' ELSE '任务' END,
       '关于落实第' || i || '号督办事项的整改工作', '按照上级要求逐项整改，按期报送进展。',
       '建立台账，明确责任人和完成时限。', '区委督查室', 1 + i % :units, '责任人' || (i % 50),
       d, strftime('%Y-%m-%d %H:%M:%S', d, '+16 hours') || '.000000',
       CASE WHEN i % :every = 1 THEN '已办结' WHEN i % 2 = 0 THEN '未开始' ELSE '进行中' END,
       CASE WHEN i % :every = 1
            THEN strftime('%Y-%m-%d %H:%M:%S', d, CASE WHEN i % 3 = 0 THEN '+26 hours' ELSE '+2 hours' END)
                 || '.000000' END,
       :t0, '联系人', :t0, :t0
FROM dated
"""


def load(engine: Engine, n: int, users: int) -> tuple[float, list[str]]:
    """Migrate, bulk-load, and sign in ``users`` sessions of one supervisor; (seconds, tokens)."""
    from models.records.accounts import add_account, open_session
    from models.store.tables import Account

    pg = engine.dialect.name == "postgresql"
    params = ({"t0": NOW.replace(month=5, day=1, hour=9)} if pg
              else {"t0": "2026-05-01 01:00:00.000000"})
    with Stopwatch() as watch:
        migrations.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text(PG_UNITS if pg else SQLITE_UNITS), {**params, "units": UNITS})
            conn.execute(text(PG_ITEMS if pg else SQLITE_ITEMS),
                         {**params, "units": UNITS, "every": EVERY, "n": n})
        settle(engine)
    with db.session_scope(engine) as session:
        add_account(session, name="李督办", role="supervisor", unit=None, password="bench-password-1",
                    actor="bench", now=NOW)
        session.flush()
        account = session.query(Account).one()
        tokens = [open_session(session, account, now=NOW) for _ in range(users)]
    return watch.seconds, tokens


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _stats(values: list[float]) -> dict:
    return {"p50": statistics.median(values), "p95": _p(values, 0.95), "max": max(values),
            "n": len(values)}


RAW_OVERVIEW = [
    """SELECT unit_id,
              SUM(CASE WHEN status IN ('未开始','进行中','已提交') AND due_at < :now THEN 1 ELSE 0 END),
              SUM(CASE WHEN status IN ('未开始','进行中','已提交') AND due_at >= :now
                        AND deadline_date < :soon THEN 1 ELSE 0 END),
              SUM(CASE WHEN status IN ('未开始','进行中','已提交') THEN 1 ELSE 0 END),
              SUM(CASE WHEN status = '已办结' THEN 1 ELSE 0 END),
              SUM(CASE WHEN status = '已办结' AND completed_at <= due_at THEN 1 ELSE 0 END)
       FROM item GROUP BY unit_id""",
    "SELECT count(*) FROM item WHERE status = '已提交'",
    "SELECT count(*) FROM item WHERE acked_at IS NULL AND created_at < :cutoff "
    "AND status IN ('未开始','进行中')",
    "SELECT count(DISTINCT item_id) FROM extension WHERE status = '待审批'",
]
RAW_OVERDUE = [
    "SELECT item.*, unit.name FROM item JOIN unit ON unit.id = item.unit_id "
    "WHERE item.status IN ('未开始','进行中','已提交') AND item.due_at < :now "
    "ORDER BY item.due_at, item.id LIMIT 50",
    "SELECT count(*) FROM item WHERE status IN ('未开始','进行中','已提交') AND due_at < :now",
]


def _raw(engine: Engine, statements: list[str], runs: int) -> dict:
    from datetime import date

    pg = engine.dialect.name == "postgresql"
    now = NOW if pg else "2026-06-02 02:00:00.000000"
    cutoff = NOW.replace(day=1) if pg else "2026-05-31 16:00:00.000000"
    params = {"now": now, "soon": date(2026, 6, 8), "cutoff": cutoff}
    times = []
    with engine.connect() as conn:
        for _ in range(runs + 2):
            started = time.perf_counter()
            for sql in statements:
                conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return _stats(times[2:])


def child_inprocess(url: str, runs: int, token: str) -> None:
    from fastapi.testclient import TestClient

    from duban.config import load_settings
    from duban.web.app import create_app

    settings = load_settings(database_url=url, home=Path(os.environ.get("TMPDIR", "/tmp")))
    app = create_app(settings, clock=lambda: NOW)
    client = TestClient(app)
    client.cookies.set("duban_session", token)
    result = {}
    for name, path in (("overview", "/overview"), ("overdue", "/items?light=逾期")):
        times = []
        for i in range(runs + 3):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}\n{response.text[:500]}")
            if i >= 3:  # warm-up: the first requests compile templates and fill pools
                times.append(float(response.headers["server-timing"].split("dur=")[1]))
        result[name] = _stats(times)
    engine = db.make_engine(url)
    result["raw_overview"] = _raw(engine, RAW_OVERVIEW, runs)
    result["raw_overdue"] = _raw(engine, RAW_OVERDUE, runs)
    emit(result)


async def _browse(base: str, tokens: list[str], pages: int, item_ids: list[int],
                  think: float) -> dict:
    import httpx

    latencies: list[float] = []
    by_page: dict[str, list[float]] = {}
    errors: list[str] = []
    paths = ["/overview", "/items?light=逾期", None, "/items?unit=单位0007", "/items?light=临期"]

    async def user(n: int, client) -> None:
        rng = random.Random(n)
        await asyncio.sleep(rng.uniform(0, think))  # users arrive spread over a moment
        for k in range(pages):
            if k and think:  # reading the page before opening the next
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            path = paths[(n + k) % len(paths)] or f"/items/{rng.choice(item_ids)}"
            started = time.perf_counter()
            try:
                response = await client.get(path)
                if response.status_code != 200:
                    errors.append(f"{path}: {response.status_code}")
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {type(exc).__name__}")
            latencies.append((time.perf_counter() - started) * 1000)
            by_page.setdefault(path if path and not path[7:].isdigit() else "/items/{id}",
                               []).append(latencies[-1])

    # Every client is made before the first user arrives: making one costs ~25 ms of the
    # client's CPU (its TLS context), and made on arrival they held the event loop until the
    # users' arrival times had all passed, so every first page was asked for in the same instant.
    clients = [httpx.AsyncClient(base_url=base, cookies={"duban_session": t}, timeout=60)
               for t in tokens]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(user(n, c) for n, c in enumerate(clients)))
    finally:
        for client in clients:
            await client.aclose()
    return {**_stats(latencies), "errors": len(errors), "first_errors": errors[:5],
            "seconds": time.perf_counter() - started,
            "pages": {p: round(_p(v, 0.95)) for p, v in by_page.items()}}


def live(url: str, tokens: list[str], pages: int, item_ids: list[int], think: float,
         workers: int) -> dict:
    """``duban web --workers N`` on loopback, browsed by len(tokens) concurrent users."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DUBAN_DATABASE_URL": url, "DUBAN_WEB_PORT": str(port),
           "DUBAN_WEB_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    duban = str(Path(sys.executable).with_name("duban"))
    proc = subprocess.Popen([duban, "--now", NOW_TEXT, "web", "--workers", str(workers)],
                            env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        from tests.support.cli_process import wait_until_serving

        wait_until_serving(f"{base}/login", proc)
        # The first 总览 after a start (or after items change) counts the whole table once; a
        # server in use has done so already. Timed apart, then the users browse.
        started = time.perf_counter()
        first = httpx.get(f"{base}/overview", cookies={"duban_session": tokens[0]}, timeout=600)
        cold_ms = (time.perf_counter() - started) * 1000
        if first.status_code != 200:
            raise RuntimeError(f"/overview answered {first.status_code}")
        return {**asyncio.run(_browse(base, tokens, pages, item_ids, think)), "cold_ms": cold_ms}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def sessions(engine: Engine, users: int) -> list[str]:
    """New signed-in sessions of the loaded supervisor (``--reuse``: the data is already there)."""
    from models.records.accounts import open_session
    from models.store.tables import Account

    with db.session_scope(engine) as session:
        account = session.query(Account).one()
        return [open_session(session, account, now=NOW) for _ in range(users)]


def bench_backend(name: str, make_db, n: int, args) -> dict:
    with make_db() as url:
        engine = db.make_engine(url)
        if args.reuse:
            loaded, tokens = 0.0, sessions(engine, args.users)
            with engine.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM item")).scalar_one()
        else:
            loaded, tokens = load(engine, n, args.users)
        print(f"[{name}] {n:,} items loaded in {loaded:.1f} s", file=sys.stderr, flush=True)
        with engine.connect() as conn:
            overdue_ids = [r[0] for r in conn.execute(
                text(f"SELECT id FROM item WHERE id % {EVERY} = 0 LIMIT 500"))]
        engine.dispose()
        inproc = run_child("bench.web", url, str(args.requests), tokens[0])
        result = {"n": n, "load_s": loaded, **inproc,
                  "live": live(url, tokens, args.pages, overdue_ids, args.think,
                                 args.web_workers)}
    _print(name, result, args)
    return result


def _print(name: str, r: dict, args) -> None:
    for page, raw, label in (("overview", "raw_overview", "总览 /overview"),
                             ("overdue", "raw_overdue", "逾期 first page /items?light=逾期")):
        p, b = r[page], r[raw]
        print(f"[{name}] {r['n']:,} items: {label}: server p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms "
              f"(target ≤ 100 ms) | raw SQL of the same counts p50 {b['p50']:.1f} ms, p95 {b['p95']:.1f} ms "
              f"→ page/raw (p95) {p['p95'] / b['p95']:.2f}x", flush=True)
    lv = r["live"]
    print(f"[{name}] {r['n']:,} items: live (duban web --workers {args.web_workers}), "
          f"{args.users} users × {args.pages} pages "
          f"({args.think:g} s to read each page): "
          f"p50 {lv['p50']:.0f} ms, p95 {lv['p95']:.0f} ms (target ≤ 300 ms), max {lv['max']:.0f} ms, "
          f"{lv['n'] / lv['seconds']:.0f} requests/s, errors {lv['errors']}"
          + (f" {lv['first_errors']}" if lv["errors"] else "")
          + "; p95 by page (ms): " + ", ".join(f"{k} {v}" for k, v in lv["pages"].items())
          + f"; the first 总览 after the start (whole-table counts) {lv['cold_ms']:.0f} ms", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 items, 10 users (CI)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--users", type=int, help="concurrent users of the live server (default 50)")
    parser.add_argument("--pages", type=int, help="pages each user opens (default 10)")
    parser.add_argument("--requests", type=int, help="in-process requests per page (default 40)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a user reads a page before the next, on average (0: none)")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 1,
                        help="duban web --workers for the live run (default: the machine's cores)")
    parser.add_argument("--pg", help="PostgreSQL server URL (default: $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--reuse", help="a database this script loaded before (kept after an "
                        "interrupted run): measure it again without loading")
    parser.add_argument("--child", nargs=3, metavar=("URL", "RUNS", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_inprocess(args.child[0], int(args.child[1]), args.child[2])
        return 0
    sizes = args.sizes or ([20_000] if args.smoke else [1_000_000])
    args.users = args.users or (10 if args.smoke else 50)
    args.pages = args.pages or (5 if args.smoke else 10)
    args.requests = args.requests or (10 if args.smoke else 40)
    print(f"bench.web: {machine_notes()}", flush=True)
    backends = args.backends.split(",")
    results = {}
    if args.reuse:
        kind = "postgresql" if args.reuse.startswith("postgresql") else "sqlite"
        reused = contextlib.nullcontext(args.reuse)
        results[(kind, 0)] = bench_backend(kind, lambda: reused, 0, args)
        sizes = []
    for n in sizes:
        if "sqlite" in backends:
            results[("sqlite", n)] = bench_backend("sqlite", temp_sqlite_database, n, args)
        if "postgresql" in backends:
            admin = pg_admin_url(args.pg)
            if admin is None:
                print("[postgresql] skipped: set DUBAN_TEST_DATABASE_URL or pass --pg", flush=True)
            else:
                results[("postgresql", n)] = bench_backend(
                    "postgresql", lambda server=admin: temp_pg_database(server), n, args)
    failed = [k for k, r in results.items() if r["live"]["errors"]]
    if failed:
        print(f"errors in the live runs: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
