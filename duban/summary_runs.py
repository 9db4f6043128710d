"""The year-end summary run in the background, for the web workspace's button: start a run,
read its progress, then offer its file. The file is the scheduled job's, written by the same
``jobs.run_year_end_summary`` (without mail), so the web, the CLI and the schedule give the same
bytes for the same period and instant.

The web layer wires it (not yet on main when this was written):
    runs = SummaryRuns(settings)                       # one per process
    run_id = runs.start(year=2026, as_of=None, by=user.name)   # supervisors and admins only
    runs.status(run_id)  -> RunStatus(state, step, path, error)  # poll for the progress bar
    FileResponse(runs.status(run_id).path)             # once state == "done"
A bad request (a future year) raises InputError at ``start``, before any thread starts.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from duban import jobs
from duban.config import Settings
from models.domain.periods import check_not_future, parse_period
from models.errors import DubanError

STEPS = ("排队", "统计数据", "绘制图表", "填写模板", "写入文件", "完成")


@dataclass(frozen=True)
class RunStatus:
    state: str  # "running", "done" or "failed"
    step: str  # one of STEPS, in Chinese, for the progress bar
    period: str
    requested_by: str
    path: Path | None = None
    error: str | None = None

    @property
    def percent(self) -> int:
        return 100 if self.state != "running" else int(100 * STEPS.index(self.step) / (len(STEPS) - 1))


class SummaryRuns:
    def __init__(self, settings: Settings, clock=lambda: datetime.now(UTC)):
        self.settings, self.clock = settings, clock
        self._lock = threading.Lock()
        self._runs: dict[str, RunStatus] = {}
        self._threads: dict[str, threading.Thread] = {}

    def start(self, *, year: int | None = None, period: str | None = None,
              as_of: datetime | None = None, by: str) -> str:
        now = self.clock()
        chosen = parse_period(period or str(year or now.astimezone(self.settings.tz).year))
        check_not_future(chosen, (as_of or now).astimezone(self.settings.tz).date())
        run_id = uuid.uuid4().hex
        self._runs[run_id] = RunStatus("running", STEPS[0], chosen.key, by)
        thread = threading.Thread(target=self._run, args=(run_id, chosen.key, now, as_of),
                                  name=f"summary-{run_id[:8]}", daemon=True)
        self._threads[run_id] = thread
        thread.start()
        return run_id

    def _set(self, run_id: str, **changes) -> None:
        with self._lock:
            self._runs[run_id] = replace(self._runs[run_id], **changes)

    def _run(self, run_id: str, period: str, now: datetime, as_of: datetime | None) -> None:
        try:
            result = jobs.run_year_end_summary(
                self.settings, now=now, period=period, as_of=as_of, notify=False,
                progress=lambda step: self._set(run_id, step=step))
        except DubanError as exc:
            self._set(run_id, state="failed", error=str(exc))
        except Exception as exc:  # never a traceback on the page: say what failed
            self._set(run_id, state="failed", error=f"生成失败（{type(exc).__name__}: {exc}）")
        else:
            self._set(run_id, state="done", step=STEPS[-1], path=result.path)

    def status(self, run_id: str) -> RunStatus | None:
        """None for an unknown run (the web answers 404)."""
        with self._lock:
            return self._runs.get(run_id)

    def wait(self, run_id: str, timeout: float | None = None) -> RunStatus | None:
        thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)
        return self.status(run_id)
