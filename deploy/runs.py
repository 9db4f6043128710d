"""Running deployments on a cluster and reading back, through the server's API, what ran where."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter
from prefect.states import Crashed

EXECUTED = "prefect.worker.submitted-flow-run"


async def start(client: PrefectClient, name: str, parameters: dict[str, Any]) -> FlowRun:
    """A new run of deployment ``name`` ("flow/deployment"), not waited for."""
    return await arun_deployment(name, client=client, parameters=parameters, timeout=0,
                                 as_subflow=False)


async def wait(client: PrefectClient, run_id: UUID, *, timeout: float, poll: float = 0.5) -> FlowRun:
    deadline = time.monotonic() + timeout
    while True:
        run = await client.read_flow_run(run_id)
        if run.state and run.state.is_final():
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"flow run {run.name} still {run.state_name} after {timeout:.0f} s")
        await asyncio.sleep(poll)


async def shards_of(client: PrefectClient, parent: UUID) -> list[FlowRun]:
    return await client.read_flow_runs(flow_run_filter=FlowRunFilter(
        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent])))


async def run_all(client: PrefectClient, name: str, parameters: dict[str, Any], *,
                  timeout: float = 600) -> tuple[FlowRun, list[FlowRun]]:
    """Run deployment ``name`` and wait for it and for every shard run it started."""
    deadline = time.monotonic() + timeout
    coordinator = await wait(client, (await start(client, name, parameters)).id, timeout=timeout)
    shards = await shards_of(client, coordinator.id)
    done = [await wait(client, s.id, timeout=max(1.0, deadline - time.monotonic())) for s in shards]
    return coordinator, done


async def workers_of(client: PrefectClient, runs: list[FlowRun], *, since: datetime,
                     timeout: float = 30) -> dict[UUID, str]:
    """Which worker submitted each run, from the workers' events (the server stores events a
    few seconds after they happen, so this waits until every run has one)."""
    wanted = {run.id for run in runs}
    deadline = time.monotonic() + timeout
    while True:
        found: dict[UUID, str] = {}
        page = await client.read_events(filter=EventFilter(
            event=EventNameFilter(name=[EXECUTED]),
            occurred=EventOccurredFilter(since=since - timedelta(seconds=5))), limit=50)
        while True:
            for event in page.events:
                worker = event.resource.get("prefect.resource.name", event.resource.id)
                for related in event.related:
                    if related.id.startswith("prefect.flow-run."):
                        found[UUID(related.id.removeprefix("prefect.flow-run."))] = worker
            if not page.next_page:
                break
            page = await client.read_events_page(page.next_page)
        if wanted <= found.keys() or time.monotonic() > deadline:
            return {run_id: found.get(run_id, "?") for run_id in wanted}
        await asyncio.sleep(1)


async def crash(client: PrefectClient, runs: list[FlowRun], message: str) -> None:
    """Mark runs whose process is gone as crashed, releasing their concurrency slots: what
    Prefect's zombie-flow automation does once their heartbeats stop (docs/scaling.md)."""
    for run in runs:
        await client.set_flow_run_state(run.id, Crashed(message=message), force=True)


def seconds(run: FlowRun) -> float | None:
    if run.start_time and run.end_time:
        return (run.end_time - run.start_time).total_seconds()
    return None
