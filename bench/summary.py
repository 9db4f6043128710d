"""Benchmark: the year-end summary of a province-sized year, beside its bare SQL aggregates.

    python -m bench.summary                  # 1,000,000 items, 100,000 activities, SQLite and PostgreSQL
    python -m bench.summary --smoke          # 20,000 items, 2,000 activities (CI)
    python -m bench.summary --items 200000 --backends sqlite

The year (loaded once, not timed; tests/support/summary_year.py): 2,000 units, half of them
street offices; items over four kinds with few 整改事项 (0.5%), a tenth outside the year, every
outcome (on time, late, open, cancelled, done after the report's instant); 100,000 activities
over the ten default categories; 200,000 outbox rows.

Figures, each in a fresh child process: wall time, the child's CPU time, peak memory (the
child's VmHWM: interpreter and imports included; not ``ru_maxrss``, which a child started from
this parent inherits: after loading a million rows the parent holds 400 MB, and every child's
ru_maxrss then read at least that):
- sql:     the baseline: the bare aggregates the report rests on (items GROUP BY kind and unit
           with the outcome sums, activities GROUP BY category and title, outbox GROUP BY stage)
           through SQLAlchemy Core, nothing else;
- figures: ``compute`` (every figure of the report, as of 2026-12-20 09:00);
- docx:    the whole report written as .docx (figures, charts, template, layout, file).
Targets: docx ≤ 10 s and ≤ 300 MB at 1,000,000 items and 100,000 activities.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from bench.common import (
    Stopwatch,
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

UNITS = 2_000
WEIGHTS = (0.005, 0.55, 0.05, 0.395)  # 整改事项, 报送节点, 会议, 任务


def _hwm_mb() -> float:
    """This process's own peak RSS since its exec (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return peak_rss_mb()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bare_sql(url: str) -> dict:
    import sqlalchemy as sa

    from models.domain.periods import parse_period
    from models.reports.summary.figures import ACTIVITY, ITEM, OUTBOX
    from tests.support.summary_year import AS_OF

    period = parse_period("2026")
    engine = db.make_engine(url)
    with engine.connect() as conn:
        done = sa.and_(ITEM.c.completed_at.is_not(None), ITEM.c.completed_at <= AS_OF)
        rows = conn.execute(
            sa.select(ITEM.c.kind, ITEM.c.unit_id, sa.func.count(),
                      sa.func.sum(sa.case((sa.and_(done, ITEM.c.completed_at <= ITEM.c.due_at), 1),
                                          else_=0)),
                      sa.func.sum(sa.case((sa.not_(done), 1), else_=0)))
            .where(ITEM.c.deadline_date >= period.start, ITEM.c.deadline_date <= period.end,
                   ITEM.c.status != "已撤销")
            .group_by(ITEM.c.kind, ITEM.c.unit_id)).all()
        acts = conn.execute(sa.select(ACTIVITY.c.category_id, ACTIVITY.c.title, sa.func.count(),
                                      sa.func.sum(ACTIVITY.c.people))
                            .where(ACTIVITY.c.day >= period.start, ACTIVITY.c.day <= period.end)
                            .group_by(ACTIVITY.c.category_id, ACTIVITY.c.title)).all()
        sent = conn.execute(sa.select(OUTBOX.c.reminder, sa.func.count())
                            .where(OUTBOX.c.status == "sent").group_by(OUTBOX.c.reminder)).all()
    return {"groups": len(rows) + len(acts) + len(sent)}


def child(url: str, mode: str, out: str) -> None:
    from models.domain.periods import parse_period
    from models.reports.summary.report import ReportSettings, summary_figures, write_report
    from tests.support.summary_year import AS_OF, SHANGHAI

    settings = ReportSettings(tz=SHANGHAI, bureau="省退役军人事务厅")
    cpu = _cpu()
    with Stopwatch() as watch:
        if mode == "sql":
            extra = _bare_sql(url)
        elif mode == "figures":
            fig = summary_figures(db.make_engine(url), parse_period("2026"), as_of=AS_OF,
                                  settings=settings)
            extra = {"items": fig.all_items.total}
        else:
            fig = write_report(db.make_engine(url), Path(out), parse_period("2026"), as_of=AS_OF,
                               settings=settings)
            extra = {"items": fig.all_items.total, "kb": Path(out).stat().st_size // 1024}
    emit({"seconds": watch.seconds, "cpu": _cpu() - cpu, "peak_mb": _hwm_mb(), **extra})


def _line(name: str, figure: dict, baseline: dict | None = None) -> str:
    ratio = f", {figure['seconds'] / baseline['seconds']:.2f}x sql" if baseline else ""
    more = "".join(f", {k} {figure[k]:,}" for k in ("items", "kb") if k in figure)
    return (f"{name:<8} {figure['seconds']:6.2f} s (CPU {figure['cpu']:5.2f} s)  "
            f"peak {figure['peak_mb']:5.0f} MB{ratio}{more}  [load {os.getloadavg()[0]:.1f}]")


def load(url: str, items: int, activities: int) -> None:
    from tests.support.summary_year import generate

    engine = db.make_engine(url)
    migrations.upgrade(engine)
    with Stopwatch() as watch:
        generate(engine, items=items, activities=activities, units=UNITS,
                 outbox=items // 5, weights=WEIGHTS)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    engine.dispose()
    print(f"loaded {items:,} items, {activities:,} activities in {watch.seconds:.0f} s", flush=True)


def measure(name: str, url: str, folder: Path) -> None:
    out = str(folder / f"{name}.docx")
    sql = run_child("bench.summary", url, "sql", out)
    print(f"[{name}] {_line('sql', sql)}", flush=True)
    for mode in ("figures", "docx"):
        print(f"[{name}] {_line(mode, run_child('bench.summary', url, mode, out), sql)}",
              flush=True)


def bench_backend(name: str, database, items: int, activities: int, folder: Path) -> None:
    with database() as url:
        load(url, items, activities)
        measure(name, url, folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="20,000 items (CI)")
    parser.add_argument("--items", type=int, help="items (default 1,000,000)")
    parser.add_argument("--activities", type=int, help="activities (default items / 10)")
    parser.add_argument("--pg", help="PostgreSQL server URL (default: $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--url", help="measure an already loaded database (no load, not dropped)")
    parser.add_argument("--load-only", metavar="URL", help="load a year into URL and stop")
    parser.add_argument("--child", nargs=3, metavar=("URL", "MODE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    items = args.items or (20_000 if args.smoke else 1_000_000)
    activities = args.activities or items // 10
    if args.load_only:
        load(args.load_only, items, activities)
        return 0
    print(f"bench.summary: {machine_notes()}", flush=True)
    if args.url:
        folder = Path(tempfile.mkdtemp(prefix="duban_summary_"))
        try:
            measure(db.make_engine(args.url).dialect.name, args.url, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="duban_summary_"))
    try:
        backends = args.backends.split(",")
        if "sqlite" in backends:
            bench_backend("sqlite", temp_sqlite_database, items, activities, folder)
        if "postgresql" in backends:
            admin = pg_admin_url(args.pg)
            if admin is None:
                print("[postgresql] skipped: set DUBAN_TEST_DATABASE_URL or pass --pg", flush=True)
            else:
                bench_backend("postgresql", lambda: temp_pg_database(admin), items, activities,
                              folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
