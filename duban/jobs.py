"""The engine's three jobs, from settings: what the CLI, the embedded scheduler and the
Prefect flows all call. Each takes ``now``; none reads the clock."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Engine

from duban import migrations
from duban.config import Settings
from models.engine.digest import queue_digest
from models.engine.reminders import SweepReport, sweep
from models.errors import DatabaseNotReady
from models.store import db
from notifications.delivery import DeliveryReport, combined, deliver
from notifications.transport import make_transport


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    missing = db.missing_sqlite_file(url)
    if missing is not None:  # never leave an empty database file behind
        raise DatabaseNotReady(f"在 {missing} 没有找到数据库，请先运行 duban init")
    engine = db.make_engine(url)
    migrations.require_current(engine)
    return engine


def run_sweep(settings: Settings, *, now: datetime) -> SweepReport:
    return sweep(engine_for(settings.resolved_database_url), now=now,
                 config=settings.engine_config)


async def run_deliver_async(settings: Settings, *, now: datetime) -> DeliveryReport:
    transport = make_transport(settings.mail_config)
    try:
        return await deliver(engine_for(settings.resolved_database_url), transport, now=now,
                             config=settings.engine_config,
                             sender=settings.smtp_from, templates_dir=settings.templates_dir)
    finally:
        await transport.close()


def run_deliver(settings: Settings, *, now: datetime, workers: int = 1) -> DeliveryReport:
    """Deliver in this process, or in ``workers`` sender processes at once over the same outbox
    (claims never overlap): rendering is CPU-bound, so one process uses one core at most."""
    if workers <= 1:
        return asyncio.run(run_deliver_async(settings, now=now))
    # spawn, not fork: a forked child would share this process's database connections.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        reports = list(pool.map(_deliver_in_child, [settings] * workers, [now] * workers))
    return combined(reports)


def _deliver_in_child(settings: Settings, now: datetime) -> DeliveryReport:
    return run_deliver(settings, now=now)


def run_digest(settings: Settings, *, now: datetime) -> int:
    return queue_digest(engine_for(settings.resolved_database_url), now=now,
                        config=settings.engine_config)
