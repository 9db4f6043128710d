"""Flow ``sweep``: queue every reminder that has come due (see models/engine/reminders.py);
returns the whole SweepReport as a dict."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prefect import flow, task

from duban import jobs
from duban.config import load_settings
from flows._now import resolve_now


@task(retries=3, retry_delay_seconds=[10, 60, 300])
def sweep_due_items(now: datetime) -> dict:
    report = jobs.run_sweep(load_settings(), now=now)
    return {**asdict(report), "queued": dict(report.queued), "total": report.total}


@flow(name="sweep", log_prints=True)
def sweep(now: str | None = None) -> dict:
    """Look at items whose next action time has come; ``now`` (ISO) replaces the clock."""
    result = sweep_due_items(resolve_now(now, load_settings()))
    print(f"检查事项 {result['items']} 项；新增提醒 {result['total']} 条")
    return result


if __name__ == "__main__":
    sweep()
