"""Benchmark: the reminder sweep over large item tables, against the naive full scan.

    python -m bench.sweep                 # 100,000 and 1,000,000 items, SQLite and PostgreSQL
    python -m bench.sweep --smoke         # 2,000 and 20,000 items (CI), one run each
    python -m bench.sweep --pg URL        # PostgreSQL server to use (default: $DUBAN_TEST_DATABASE_URL)

Data (bulk-loaded with one INSERT … SELECT per table): 200 units, 3 bureau people, N open
items. Every 100th item (1%) has its deadline between 13 days before and 3 days after ``NOW``
and its next action time at or before ``NOW``: the sweep queues 1–5 reminders for each (临期,
逾期催办, 督办, 通报, depending on the day). The other 99% are due between two weeks and six
months later; nothing is owed for them yet.

Figures, each measured in a fresh child process after the data is loaded:
- sweep:  ``models.engine.reminders.sweep`` with the default batch size, 1% of the table due;
- fixed:  the same sweep on the largest table with only as many items due as on the smallest,
          which isolates the table size (the index walk) from the work per due item;
- idle:   a sweep with nothing due;
- naive:  the baseline: load every open item with its unit through the ORM and keep those the
          ladder owes anything (``models.domain.ladder.owed``), as a sweep without its schedule
          (``next_action``) would have to. It only finds the items; queueing them would come on top.
Peak memory is the child's ``ru_maxrss`` (interpreter and imports included).
"""

from __future__ import annotations

import argparse
import statistics
import sys

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bench.common import (
    CONFIG,
    NOW,
    Stopwatch,
    current_rss_mb,
    emit,
    machine_notes,
    peak_rss_mb,
    pg_admin_url,
    run_child,
    temp_pg_database,
    temp_sqlite_database,
)
from duban import migrations
from models.store import db

UNITS = 200
DUE_EVERY = 100  # item ids divisible by this are the ones that need action: 1%
NOW_UTC_TEXT = "2026-06-02 02:00:00"  # NOW in UTC, as SQLite stores instants
T0_UTC_TEXT = "2026-05-01 01:00:00"
KINDS = ("整改事项", "报送节点", "会议", "任务")
# Open and chased: since the closed loop, an item 已提交 waits for 审核 and is not chased, and
# one never acknowledged (签收) owes a reminder of its own; the load keeps the sweep's work the
# same as before the loop (every due item chased, all acknowledged when they were assigned).
STATUSES = ("未开始", "进行中")

# -- loading -----------------------------------------------------------------------------------

PG_UNITS = """
INSERT INTO unit (name, kind, contact_name, contact_email, leader_name, leader_email,
                  created_at, updated_at)
SELECT '单位' || lpad(u::text, 4, '0'), '科室', '联系人' || u, 'contact' || u || '@bench.example.org',
       '领导' || u, 'leader' || u || '@bench.example.org', :t0, :t0
FROM generate_series(1, :units) AS u
"""

PG_ITEMS = """
INSERT INTO item (kind, title, detail, measure, source, unit_id, person, deadline_date, due_at,
                  status, acked_at, created_at, updated_at)
SELECT (ARRAY['整改事项','报送节点','会议','任务'])[1 + i % 4],
       '关于落实第' || i || '号督办事项的整改工作', '按照上级要求逐项整改，按期报送进展。',
       '建立台账，明确责任人和完成时限。', '区委督查室', 1 + i % :units, '责任人' || (i % 50),
       d, (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai',
       (ARRAY['未开始','进行中'])[1 + i % 2],
       :t0, :t0, :t0
FROM (SELECT i, CASE WHEN i % :every = 0 THEN date '2026-05-20' + (i / :every) % 17
                     ELSE date '2026-06-15' + i % 160 END AS d
      FROM generate_series(1, :n) AS i) AS s
"""

# Item ids are 1..n in a fresh database.
PG_SCHEDULE = """
INSERT INTO next_action (item_id, at)
SELECT id, CASE WHEN id % :every = 0 THEN :now - ((id / :every) % 3600) * interval '1 second'
                ELSE ((deadline_date - 5)::timestamp + time '09:00') AT TIME ZONE 'Asia/Shanghai' END
FROM item
"""

PG_RESET = """
UPDATE next_action SET at = CASE
    WHEN item_id <= :last_due THEN :now - ((item_id / :every) % 3600) * interval '1 second'
    ELSE :now + interval '400 days' END
WHERE item_id % :every = 0
"""

SQLITE_UNITS = """
WITH RECURSIVE seq(u) AS (SELECT 1 UNION ALL SELECT u + 1 FROM seq WHERE u < :units)
INSERT INTO unit (name, kind, contact_name, contact_email, leader_name, leader_email,
                  created_at, updated_at)
SELECT '单位' || substr('000' || u, -4), '科室', '联系人' || u, 'contact' || u || '@bench.example.org',
       '领导' || u, 'leader' || u || '@bench.example.org', :t0, :t0
FROM seq
"""

SQLITE_ITEMS = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n),
dated(i, d) AS (
    SELECT i, CASE WHEN i % :every = 0 THEN date('2026-05-20', '+' || ((i / :every) % 17) || ' days')
                   ELSE date('2026-06-15', '+' || (i % 160) || ' days') END
    FROM seq)
INSERT INTO item (kind, title, detail, measure, source, unit_id, person, deadline_date, due_at,
                  status, acked_at, created_at, updated_at)
SELECT CASE i % 4 WHEN 0 THEN '整改事项' WHEN 1 THEN '报送节点' WHEN 2 THEN '会议' ELSE '任务' END,
       '关于落实第' || i || '号督办事项的整改工作', '按照上级要求逐项整改，按期报送进展。',
       '建立台账，明确责任人和完成时限。', '区委督查室', 1 + i % :units, '责任人' || (i % 50),
       d, strftime('%Y-%m-%d %H:%M:%S', d, '+16 hours') || '.000000',
       CASE i % 2 WHEN 0 THEN '未开始' ELSE '进行中' END,
       :t0, :t0, :t0
FROM dated
"""

SQLITE_SCHEDULE = """
INSERT INTO next_action (item_id, at)
SELECT id, CASE WHEN id % :every = 0
                THEN strftime('%Y-%m-%d %H:%M:%S', :now, '-' || ((id / :every) % 3600) || ' seconds')
                     || '.000000'
                ELSE strftime('%Y-%m-%d %H:%M:%S', deadline_date, '-5 days', '+1 hours')
                     || '.000000' END
FROM item
"""

SQLITE_RESET = """
UPDATE next_action SET at = CASE
    WHEN item_id <= :last_due
    THEN strftime('%Y-%m-%d %H:%M:%S', :now, '-' || ((item_id / :every) % 3600) || ' seconds')
         || '.000000'
    ELSE strftime('%Y-%m-%d %H:%M:%S', :now, '+400 days') || '.000000' END
WHERE item_id % :every = 0
"""

PEOPLE = [("张局长", "主要负责人", "head@bench.example.org"),
          ("李督办", "督办人员", "supervisor1@bench.example.org"),
          ("王督办", "督办人员", "supervisor2@bench.example.org")]


def _params(engine: Engine) -> dict:
    if engine.dialect.name == "postgresql":
        return {"now": NOW, "t0": NOW.replace(month=5, day=1, hour=9)}
    return {"now": NOW_UTC_TEXT, "t0": T0_UTC_TEXT + ".000000"}


def load(engine: Engine, n: int, every: int = DUE_EVERY, *, units: int = UNITS,
         people: bool = True) -> float:
    """Migrate and bulk-load ``n`` items over ``units`` units (at most 9,999), every ``every``-th
    one due; ``people`` adds the bureau head and supervisors (通报's recipients). Returns seconds
    taken."""
    pg = engine.dialect.name == "postgresql"
    with Stopwatch() as watch:
        migrations.upgrade(engine)
        p = _params(engine)
        with engine.begin() as conn:
            conn.execute(text(PG_UNITS if pg else SQLITE_UNITS), {**p, "units": units})
            if people:
                conn.execute(text("INSERT INTO person (name, role, email, active, created_at) "
                                  "VALUES (:name, :role, :email, true, :t0)"),
                             [{"name": a, "role": b, "email": c, "t0": p["t0"]} for a, b, c in PEOPLE])
            conn.execute(text(PG_ITEMS if pg else SQLITE_ITEMS),
                         {**p, "units": units, "every": every, "n": n})
            conn.execute(text(PG_SCHEDULE if pg else SQLITE_SCHEDULE), {**p, "every": every})
        settle(engine)
    return watch.seconds


def settle(engine: Engine) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum would eventually. SQLite: nothing (duban never
    runs ANALYZE there, so the planner works without statistics, as it would in production)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def reset(engine: Engine, n: int, due: int, every: int = DUE_EVERY) -> None:
    """Make exactly the first ``due`` of the candidates (every ``every``-th item) need action,
    and empty the outbox."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text(PG_RESET if pg else SQLITE_RESET),
                     {**_params(engine), "every": every, "last_due": due * every})
        conn.execute(text("DELETE FROM outbox"))
    settle(engine)


# -- what a child measures ------------------------------------------------------------------------


def naive_find(engine: Engine) -> int:
    """The baseline: every open item through the ORM, filtered in Python by the ladder."""
    from models.domain.enums import OPEN_STATUSES
    from models.domain.ladder import LadderClock, owed
    from models.engine.reminders import ladder_for, load_ladders
    from models.reports.views import deadline_of
    from models.store.calendar_store import calendar_from_db
    from models.store.db import session_scope
    from models.store.tables import Item, Unit

    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
        ladders = load_ladders(session)
        clock = LadderClock(tz=CONFIG.tz, calendar=calendar, office_start=CONFIG.office_start)
        rows = session.exec(
            select(Item, Unit).join(Unit, col(Item.unit_id) == col(Unit.id))
            .where(col(Item.status).in_(OPEN_STATUSES))
        ).all()
        return sum(1 for item, _unit in rows
                   if owed(ladder_for(ladders, item.kind), deadline_of(item), item.due_at,
                           now=NOW, clock=clock))


def child(url: str, mode: str) -> None:
    from models.engine.reminders import sweep

    engine = db.make_engine(url)
    with engine.connect() as conn:  # connect (and load the dialect) before the clock starts
        conn.execute(text("SELECT 1"))
    rss_before = current_rss_mb()
    with Stopwatch() as watch:
        if mode == "naive":
            items, queued = naive_find(engine), 0
        else:
            report = sweep(engine, now=NOW, config=CONFIG)
            items, queued = report.items, report.total
    emit({"seconds": watch.seconds, "items": items, "queued": queued,
          "peak_rss_mb": peak_rss_mb(), "rss_before_mb": rss_before})
    engine.dispose()


# -- the parent ---------------------------------------------------------------------------------


def measure(url: str, mode: str, runs: int, *, engine: Engine, n: int, due: int) -> dict:
    """Best of ``runs`` fresh children, each on freshly reset data; also the median."""
    results = []
    for _ in range(runs):
        reset(engine, n, due)
        results.append(run_child("bench.sweep", url, mode))
    best = min(results, key=lambda r: r["seconds"])
    return {**best, "median": statistics.median(r["seconds"] for r in results), "runs": runs,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results)}


def bench_backend(name: str, make_db, sizes: list[int], runs: int, skip_naive: bool) -> dict:
    results: dict = {}
    for n in sizes:
        with make_db() as url:
            engine = db.make_engine(url)
            loaded = load(engine, n)
            print(f"[{name}] {n:,} items loaded in {loaded:.1f} s", file=sys.stderr, flush=True)
            due = n // DUE_EVERY
            row = {"load_s": loaded, "due": due}
            row["sweep"] = measure(url, "sweep", runs, engine=engine, n=n, due=due)
            if row["sweep"]["items"] != due:
                raise RuntimeError(f"sweep looked at {row['sweep']['items']} items, expected {due}")
            row["idle"] = measure(url, "sweep", 1, engine=engine, n=n, due=0)
            if n == max(sizes) and len(sizes) > 1:
                fixed_due = min(sizes) // DUE_EVERY
                row["fixed"] = measure(url, "sweep", runs, engine=engine, n=n, due=fixed_due)
                row["fixed"]["due"] = fixed_due
            if not skip_naive:
                row["naive"] = measure(url, "naive", 1, engine=engine, n=n, due=due)
            if not skip_naive and row["naive"]["items"] != due:
                raise RuntimeError(f"naive found {row['naive']['items']} items, expected {due}")
            engine.dispose()
            results[n] = row
            _print_row(name, n, row)
    return results


def _print_row(name: str, n: int, row: dict) -> None:
    s, idle = row["sweep"], row["idle"]
    naive = row.get("naive")
    print(f"[{name}] {n:>9,} items, {row['due']:,} due: sweep {s['seconds']:.3f} s "
          f"(median {s['median']:.3f} s of {s['runs']}; {s['queued']:,} reminders queued; "
          f"peak RSS {s['peak_rss_mb']:.0f} MB, {s['peak_rss_mb'] - s['rss_before_mb']:.0f} MB "
          f"above the idle process) | idle sweep {idle['seconds'] * 1000:.1f} ms"
          + (f" | naive {naive['seconds']:.2f} s, peak RSS {naive['peak_rss_mb']:.0f} MB "
             f"→ naive/sweep {naive['seconds'] / s['seconds']:.1f}x" if naive else ""), flush=True)
    if "fixed" in row:
        f = row["fixed"]
        print(f"[{name}] {n:>9,} items, {f['due']:,} due: sweep {f['seconds']:.3f} s "
              f"(median {f['median']:.3f} s; peak RSS {f['peak_rss_mb']:.0f} MB)", flush=True)


def summary(name: str, results: dict, sizes: list[int]) -> None:
    if len(sizes) < 2:
        return
    small, large = results[min(sizes)], results[max(sizes)]
    ratio = large["sweep"]["seconds"] / small["sweep"]["seconds"]
    per_item = ratio / (large["due"] / small["due"])
    fixed = large["fixed"]["seconds"] / small["sweep"]["seconds"]
    naive = (f"; naive {large['naive']['seconds'] / small['naive']['seconds']:.1f}x"
             if "naive" in large else "")
    print(f"[{name}] {max(sizes):,} vs {min(sizes):,} items: sweep at 1% due {ratio:.2f}x "
          f"({large['due']:,} vs {small['due']:,} due: per due item {per_item:.2f}x); "
          f"same {small['due']:,} due {fixed:.2f}x (target ≤ 1.5x){naive}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run each (CI)")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                        help="comma-separated item counts (default 100000,1000000)")
    parser.add_argument("--runs", type=int, help="children per sweep figure; the best is shown")
    parser.add_argument("--pg", help="PostgreSQL server URL (default: $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive baseline")
    parser.add_argument("--child", nargs=2, metavar=("URL", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    sizes = args.sizes or ([2_000, 20_000] if args.smoke else [100_000, 1_000_000])
    runs = args.runs or (1 if args.smoke else 3)
    print(f"bench.sweep: {machine_notes()}", flush=True)
    backends = args.backends.split(",")
    if "sqlite" in backends:
        summary("sqlite", bench_backend("sqlite", temp_sqlite_database, sizes, runs,
                                        args.skip_naive), sizes)
    if "postgresql" in backends:
        admin = pg_admin_url(args.pg)
        if admin is None:
            print("[postgresql] skipped: set DUBAN_TEST_DATABASE_URL or pass --pg", flush=True)
        else:
            summary("postgresql", bench_backend("postgresql", lambda: temp_pg_database(admin),
                                                sizes, runs, args.skip_naive), sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
