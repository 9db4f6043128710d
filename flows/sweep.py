"""Flows ``sweep`` and ``sweep-shard``: queue every reminder that has come due
(models/engine/reminders.py); each returns its whole SweepReport as a dict.

Async flows around the synchronous engine: an async flow run costs Prefect less than a sync one.

``sweep`` (one at a time) sweeps in its own process; with ``shards`` > 1 it first starts
``shards - 1`` runs of ``sweep-shard`` at the same instant, and the runs split the due items
between them (see flows/_fanout.py). One sweep is enough for a district; shards are for a
backlog of many districts' items on one database.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prefect import flow, task

from duban import jobs
from duban.config import load_settings
from flows._fanout import launch
from flows._now import resolve_now


@task(retries=3, retry_delay_seconds=[10, 60, 300])
def sweep_due_items(now: datetime) -> dict:
    report = jobs.run_sweep(load_settings(), now=now)
    return {**asdict(report), "queued": dict(report.queued), "total": report.total}


def _print(result: dict) -> dict:
    print(f"检查事项 {result['items']} 项；新增提醒 {result['total']} 条")
    return result


@flow(name="sweep", log_prints=True)
async def sweep(now: str | None = None, shards: int = 1) -> dict:
    """Look at items whose next action time has come; ``now`` (ISO) replaces the clock.
    ``shards`` runs share the work (this one included)."""
    instant = resolve_now(now, load_settings())
    if shards > 1:
        started = await launch("sweep-shard/sweep-shard", shards - 1, {"now": instant.isoformat()})
        print(f"另启动 {len(started)} 个分片运行，共同检查")
    return _print(sweep_due_items(instant))


@flow(name="sweep-shard", log_prints=True)
async def sweep_shard(now: str) -> dict:
    """One share of a sharded sweep, at the coordinator's instant ``now``."""
    return _print(sweep_due_items(resolve_now(now, load_settings())))


if __name__ == "__main__":
    import asyncio

    asyncio.run(sweep())
