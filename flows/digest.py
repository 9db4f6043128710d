"""Flow ``digest``: queue this week's digest for each supervisor (see models/engine/digest.py).

Scheduled daily at 09:00: the digest falls due on the week's first working day, which is
Monday unless Monday is a holiday; it is queued once per week whatever the schedule.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, task

from duban import jobs
from duban.config import load_settings
from flows._now import resolve_now


@task(retries=3, retry_delay_seconds=[10, 60, 300])
def queue_weekly_digest(now: datetime) -> int:
    return jobs.run_digest(load_settings(), now=now)


@flow(name="digest", log_prints=True)
def digest(now: str | None = None) -> int:
    added = queue_weekly_digest(resolve_now(now, load_settings()))
    print(f"新增周报 {added} 份")
    return added


if __name__ == "__main__":
    digest()
