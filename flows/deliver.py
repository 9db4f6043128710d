"""Flow ``deliver``: send ready outbox rows in office hours (see notifications/delivery.py).

Async: an async flow run costs a fraction of a sync one (no heartbeat thread to join).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prefect import flow, task

from duban import jobs
from duban.config import load_settings
from flows._now import resolve_now


@task(retries=2, retry_delay_seconds=[30, 120])
async def deliver_ready(now: datetime) -> dict:
    return asdict(await jobs.run_deliver_async(load_settings(), now=now))


@flow(name="deliver", log_prints=True)
async def deliver(now: str | None = None) -> dict:
    """Claim, render, send and record ready reminders; ``now`` (ISO) replaces the clock."""
    result = await deliver_ready(resolve_now(now, load_settings()))
    print(f"发送 {result['sent']} 条，重试 {result['retried']} 条，失败 {result['failed']} 条")
    return result


if __name__ == "__main__":
    import asyncio

    asyncio.run(deliver())
