"""`make cluster-demo`: the demo bureau swept and delivered by the cluster's workers, as of a
given instant (the demo's reminders fall due on 2026-12-01)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from prefect.client.orchestration import PrefectClient
from sqlalchemy import create_engine, text

from deploy.cluster import Cluster
from deploy.runs import run_all, workers_of


def run_demo(cluster: Cluster, *, now: str) -> dict:
    cluster.duban("init")
    cluster.duban("--now", f"{now[:10]}T09:00", "demo", "--if-empty")
    return asyncio.run(_run(cluster, now))


async def _run(cluster: Cluster, now: str) -> dict:
    since = datetime.now(UTC)
    workers = max(1, len(cluster.worker_names()))
    async with PrefectClient(cluster.api_url) as client:
        sweep, _ = await run_all(client, "sweep/sweep", {"now": now})
        # Small shards on purpose: the demo's hundred reminders are spread over every worker.
        deliver, shards = await run_all(client, "deliver/deliver",
                                        {"now": now, "shards": 2 * workers, "per_shard": 20})
        runs = [("sweep", sweep), ("deliver", deliver), *(("deliver-shard", s) for s in shards)]
        by = await workers_of(client, [r for _, r in runs], since=since)
    engine = create_engine(cluster.duban_url)
    with engine.connect() as conn:
        outbox = dict(conn.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
    engine.dispose()
    files = list((Path(cluster.env()["DUBAN_HOME"]) / "outbox").glob("*.eml"))
    return {
        "ui": cluster.ui_url,
        "runs": [{"deployment": label, "run": r.name, "state": r.state_name, "worker": by[r.id]}
                 for label, r in runs],
        "outbox": outbox,
        "mail files": len(files),
    }
