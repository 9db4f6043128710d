"""Benchmark: importing a large ledger (台账), against openpyxl reading the same file.

    python -m bench.import_ledger                # 50,000 rows, SQLite and PostgreSQL
    python -m bench.import_ledger --smoke        # 2,000 rows (CI)
    python -m bench.import_ledger --rows 100000 --pg URL

The workbook (written once, not timed): a 单位 sheet of 200 units and a 事项 sheet of N rows
with every column filled as clerks fill them: titles, measures and descriptions of 20–60
Chinese characters, deadlines as Excel dates (70%) or text (30%), statuses spread over all
five, 已办结 rows with a 完成时间. openpyxl writes its strings inline, which is slower to
parse than Excel's shared strings, so this is the harder case.

Figures, each measured in a fresh child process: wall time, the child's own CPU time (which
other processes on the machine disturb less; on PostgreSQL the server's work is not in it),
peak memory as the child's ``ru_maxrss`` (interpreter and imports included), and the load
average when the figure was taken:
- parse:     the baseline: openpyxl read-only, ``data_only=True``, every row of both sheets,
             nothing else;
- import:    ``models.ledger.import_ledger`` into an empty, migrated database, committed;
- again:     the same file into the same database (every row unchanged, nothing written);
- changed:   the file with 1,000 open rows edited (title and deadline) into that database.
Targets: import ≤ 10 s and ≤ 400 MB at 50,000 rows.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import (
    SHANGHAI,
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

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
UNITS = 200
CHANGED = 1_000
TEXT = ("退役军人服务站优抚资金发放材料报送整改措施落实情况督促各街道办事处按节点完成工作"
        "建立台账明确专人负责定期通报进展强化法治宣传教育提升服务水平")
STATUSES = ["未开始", "进行中", "已提交", "已办结", "已撤销"]
KINDS = ["整改事项", "报送节点", "会议", "任务"]


def _text(rnd: random.Random, low: int, high: int) -> str:
    start = rnd.randrange(len(TEXT))
    size = rnd.randint(low, high)
    return (TEXT * 3)[start:start + size]


def write_ledger(path: Path, rows: int, *, seed: int = 1, changed: int = 0) -> None:
    """The benchmark workbook; ``changed`` rows get another title and deadline."""
    from openpyxl import Workbook

    rnd = random.Random(seed)
    wb = Workbook(write_only=True)
    units = wb.create_sheet("单位")
    units.append(["单位名称", "类型", "联系人", "联系邮箱", "联系电话", "分管领导", "分管领导邮箱"])
    names = [f"示例单位{i:03d}" for i in range(UNITS)]
    for i, name in enumerate(names):
        units.append([name, "科室" if i % 3 else "街道办事处", "联系人", f"u{i}@example.org",
                      f"0000-{i:07d}", "分管领导", "leader@example.org"])
    items = wb.create_sheet("事项")
    items.append(["序号", "编号", "类别", "事项名称", "问题描述", "整改措施", "来源", "责任单位",
                  "责任人", "完成时限", "状态", "完成时间", "备注"])
    first = date(2026, 1, 5)
    for n in range(rows):
        deadline = first + timedelta(days=rnd.randrange(330))
        title = _text(rnd, 12, 30)
        status = STATUSES[n % 5]
        if changed and status in STATUSES[:3]:  # closed items cannot be changed by a ledger
            title, deadline = f"（已调整）{title}", deadline + timedelta(days=7)
            changed -= 1
        done = (datetime.combine(deadline, datetime.min.time()) - timedelta(hours=30)
                if status == "已办结" else None)
        items.append([
            n + 1, f"ZG{n:06d}", KINDS[n % 4], title, _text(rnd, 20, 40), _text(rnd, 30, 60),
            "2024年法治建设工作报告·存在的不足", names[n % UNITS], "责任人",
            deadline if n % 10 < 7 else f"{deadline.year}年{deadline.month}月{deadline.day}日",
            status, done, "备注" if n % 4 == 0 else None,
        ])
    wb.save(path)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(url: str, mode: str, path: str) -> None:
    if mode == "parse":
        from openpyxl import load_workbook

        cpu = _cpu_seconds()
        with Stopwatch() as watch:
            wb = load_workbook(path, read_only=True, data_only=True)
            rows = sum(1 for title in ("单位", "事项") for _ in wb[title].iter_rows(values_only=True))
            wb.close()
        emit({"seconds": watch.seconds, "cpu": _cpu_seconds() - cpu, "peak_mb": peak_rss_mb(),
              "rows": rows})
        return
    from models.ledger import import_ledger

    engine = db.make_engine(url)
    cpu = _cpu_seconds()
    with Stopwatch() as watch, db.session_scope(engine) as session:
        result = import_ledger(session, Path(path), actor="bench", now=NOW, tz=SHANGHAI)
    emit({"seconds": watch.seconds, "cpu": _cpu_seconds() - cpu, "peak_mb": peak_rss_mb(),
          "added": result.items_added, "updated": result.items_updated,
          "unchanged": result.items_unchanged})


def _line(name: str, figure: dict, baseline: dict | None = None) -> str:
    ratio = f", {figure['seconds'] / baseline['seconds']:.2f}x parse" if baseline else ""
    counts = "".join(f", {k} {figure[k]:,}" for k in ("added", "updated", "unchanged")
                     if figure.get(k))
    return (f"{name:<8} {figure['seconds']:6.2f} s (CPU {figure['cpu']:5.2f} s)  "
            f"peak {figure['peak_mb']:5.0f} MB{ratio}{counts}  [load {os.getloadavg()[0]:.1f}]")


def bench_backend(name: str, database, files: dict[str, Path], parse: dict) -> None:
    with database() as url:
        engine = db.make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        for label, file in (("import", "ledger"), ("again", "ledger"), ("changed", "changed")):
            figure = run_child("bench.import_ledger", url, "import", str(files[file]))
            print(f"[{name}] {_line(label, figure, parse)}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_ledger", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="2,000 rows (CI)")
    parser.add_argument("--rows", type=int, help="rows in the 事项 sheet (default 50,000)")
    parser.add_argument("--pg", help="PostgreSQL server URL (default: $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=3, metavar=("URL", "MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    rows = args.rows or (2_000 if args.smoke else 50_000)
    print(f"bench.import_ledger: {machine_notes()}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="duban_ledger_"))
    try:
        files = {"ledger": folder / "ledger.xlsx", "changed": folder / "changed.xlsx"}
        write_ledger(files["ledger"], rows)
        write_ledger(files["changed"], rows, changed=min(CHANGED, rows))
        size = files["ledger"].stat().st_size / 2**20
        print(f"{rows:,} rows + {UNITS} units, {size:.1f} MB", flush=True)
        parse = run_child("bench.import_ledger", "-", "parse", str(files["ledger"]))
        print(f"[openpyxl] {_line('parse', parse)}", flush=True)
        backends = args.backends.split(",")
        if "sqlite" in backends:
            bench_backend("sqlite", temp_sqlite_database, files, parse)
        if "postgresql" in backends:
            admin = pg_admin_url(args.pg)
            if admin is None:
                print("[postgresql] skipped: set DUBAN_TEST_DATABASE_URL or pass --pg", flush=True)
            else:
                bench_backend("postgresql", lambda: temp_pg_database(admin), files, parse)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
