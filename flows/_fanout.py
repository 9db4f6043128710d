"""Splitting a large job over workers: more flow runs of a shard deployment, not more tasks.

A coordinator run (``sweep``, ``deliver``) does its share in its own process and starts
``count - 1`` runs of the matching ``*-shard`` deployment, which any free worker picks up. The
shards need no partition of their own: every claim (due items, outbox rows) uses
``FOR UPDATE SKIP LOCKED``, so runs that drain the same table side by side never take the same
row, and a faster worker simply takes more batches. The coordinator does not wait for its
shards, so it never holds a worker slot idle (a waiting coordinator can deadlock a pool whose
slots are all coordinators).
"""

from __future__ import annotations

from uuid import UUID

from prefect import runtime
from prefect.deployments import arun_deployment


async def launch(deployment: str, count: int, parameters: dict) -> list[UUID]:
    """Start ``count`` runs of ``deployment`` ("flow/deployment") with ``parameters``; returns
    their ids. Idempotent per coordinator run: a retried coordinator starts no second set."""
    parent = runtime.flow_run.id or "local"
    runs = [await arun_deployment(deployment, parameters=parameters, timeout=0, as_subflow=True,
                                  idempotency_key=f"{parent}:{deployment}:{n}")
            for n in range(count)]
    return [run.id for run in runs]


def shard_count(work: int, *, per_shard: int, most: int) -> int:
    """How many runs share ``work`` units: one per ``per_shard`` units, 1 to ``most``. Below
    ``per_shard`` the cost of starting a run (a new process, ~1-3 s) outweighs the help."""
    return max(1, min(most, work // max(1, per_shard)))
