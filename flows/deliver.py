"""Flows ``deliver`` and ``deliver-shard``: send ready outbox rows in office hours
(notifications/delivery.py), no faster than the ``smtp`` global rate limit (flows/throttle.py).

``deliver`` (one at a time) measures the backlog; past ``per_shard`` rows it starts more
``deliver-shard`` runs (up to ``shards`` runs in all, itself included), which any free worker
picks up; all of them claim batches of the same outbox with SKIP LOCKED (flows/_fanout.py).
Async: an async flow run costs a fraction of a sync one (no heartbeat thread to join).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prefect import flow, task

from duban import jobs
from duban.config import load_settings
from flows._fanout import launch, shard_count
from flows._now import resolve_now
from flows.throttle import throttled
from notifications.transport import make_transport

# A shard run costs a process start on a worker (~2-4 s here): worth it for this many rows.
PER_SHARD = 2000


@task(retries=2, retry_delay_seconds=[30, 120])
async def deliver_ready(now: datetime) -> dict:
    settings = load_settings()
    transport = await throttled(make_transport(settings.mail_config))
    return asdict(await jobs.run_deliver_async(settings, now=now, transport=transport))


def _print(result: dict) -> dict:
    print(f"发送 {result['sent']} 条，重试 {result['retried']} 条，失败 {result['failed']} 条")
    return result


@flow(name="deliver", log_prints=True)
async def deliver(now: str | None = None, shards: int = 1, per_shard: int = PER_SHARD) -> dict:
    """Claim, render, send and record ready reminders; ``now`` (ISO) replaces the clock."""
    settings = load_settings()
    instant = resolve_now(now, settings)
    if shards > 1:
        runs = shard_count(jobs.deliver_backlog(settings, now=instant), per_shard=per_shard,
                           most=shards)
        if runs > 1:
            started = await launch("deliver-shard/deliver-shard", runs - 1,
                                   {"now": instant.isoformat()})
            print(f"另启动 {len(started)} 个分片运行，共同发送")
    return _print(await deliver_ready(instant))


@flow(name="deliver-shard", log_prints=True)
async def deliver_shard(now: str) -> dict:
    """One share of a sharded delivery, at the coordinator's instant ``now``."""
    return _print(await deliver_ready(resolve_now(now, load_settings())))


if __name__ == "__main__":
    import asyncio

    asyncio.run(deliver())
