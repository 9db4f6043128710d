"""Shared pieces of the benchmarks: the fixed clock, throwaway databases, child processes.

Every measurement runs in a fresh child process (``python -m bench.<script> --child …``) that
prints one JSON line; the parent only loads data and prints figures. So a measurement's peak
memory (``ru_maxrss``) is its own, and imports or an earlier run's caches never leak into it.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from models.engine.config import EngineConfig
from models.store import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday in office hours, far enough from the year's end that no ladder reaches 2027
# (chinesecalendar 1.11 stops at 2026; an uncovered year would only add a warning).
NOW = datetime(2026, 6, 2, 10, 0, tzinfo=SHANGHAI)
CONFIG = EngineConfig(tz=SHANGHAI, office_start=clock_time(9, 0), office_end=clock_time(17, 30),
                      bureau="区退役军人事务局", mail_domain="bench.example.org")
SENDER = "duban@bench.example.org"
PG_ENV = "DUBAN_TEST_DATABASE_URL"
ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pg_admin_url(explicit: str | None = None) -> str | None:
    """The server to create benchmark databases on; None when not configured."""
    return explicit or os.environ.get(PG_ENV) or None


def temp_pg_database(admin_url: str) -> contextlib.AbstractContextManager[str]:
    """A fresh PostgreSQL database for one benchmark; dropped afterwards, even on error."""
    return db.scratch_pg_database(admin_url, prefix="duban_bench")


@contextlib.contextmanager
def temp_sqlite_database() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="duban_bench_"))
    try:
        yield f"sqlite:///{folder / 'duban.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_child(module: str, *args: str, timeout: float = 1800) -> dict:
    """Run ``python -m <module> --child <args>``; returns the JSON its last stdout line holds."""
    proc = subprocess.run([sys.executable, "-m", module, "--child", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def emit(result: dict) -> None:
    """A child's answer to its parent: one JSON line on stdout."""
    print(json.dumps(result), flush=True)


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def cpu_check_seconds(loops: int = 5_000_000) -> float:
    """Seconds one core takes for a fixed pure-Python loop (best of 3). This VM's speed has
    been seen to differ by 2x between days, so each run prints it: compare figures from
    different days only together with it."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(loops):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def machine_notes() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} CPUs ({cpu}); "
            f"{mem:.0f} GiB RAM; Python {platform.python_version()}; {platform.platform()}; "
            f"CPU check {cpu_check_seconds():.2f} s (a fixed Python loop, lower is faster)")
