"""The scaled-out mode for real: a Prefect server on PostgreSQL, prefect.yaml deployed with
`prefect deploy --all`, two process workers, aiosmtpd as the mail relay (deploy/cluster.py).

20,000 items, 2,000 of them due: a sharded sweep, then a sharded delivery during which one
worker and its flow runs are killed with SIGKILL, then the delivery that takes over their rows
once their lease has run out. Runs alone with ``pytest -m cluster`` (2–5 minutes here).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from prefect.client.orchestration import PrefectClient
from sqlalchemy import text

from bench.common import CONFIG
from bench.common import NOW as BENCH_NOW  # a Tuesday, 10:00 in Shanghai: office hours
from bench.sweep import load
from deploy.cluster import Cluster
from deploy.runs import crash, run_all, shards_of, start, wait, workers_of
from flows.throttle import CHUNK
from models.engine.reminders import sweep
from models.store.db import make_engine, scratch_pg_database
from notifications.delivery import LEASE
from tests.conftest import _server_url
from tests.support.smtp import SmtpServer, free_port

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]

ITEMS, EVERY = 20_000, 10  # every 10th item due: 2,000
# Each due item its own unit (10 and 9,999 share no factor) and no bureau people: every
# reminder then has a recipient of its own, so one message is one row even though delivery
# groups a recipient's reminders into one list; the counts below compare messages with rows.
DATA = {"units": 9_999, "people": False}
RATE = 250  # the SMTP rate limit, messages per second over every worker
PHASES: dict[str, float] = {}  # seconds, printed at the end (pytest -s) to watch the test's cost
DEPLOYMENTS = {"sweep", "sweep-shard", "deliver", "deliver-shard", "digest", "year_end_summary"}


@pytest.fixture
def cluster(tmp_path):
    server = _server_url()
    with SmtpServer() as relay:
        tag = uuid.uuid4().hex[:10]
        made = Cluster(home=tmp_path / "cluster", pg=server, prefect_db=f"duban_prefect_t{tag}",
                       duban_db=f"duban_cluster_t{tag}", port=free_port(), smtp_rate=RATE,
                       poll_seconds=1,
                       extra_env={"DUBAN_SMTP_HOST": relay.host, "DUBAN_SMTP_PORT": str(relay.port),
                                  "DUBAN_SMTP_FROM": "duban@bench.example.org",
                                  # Only the runs this test starts: no wall-clock ticks.
                                  "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"})
        try:
            began = time.monotonic()
            made.up(workers=2, worker_limit=2)
            PHASES["up"] = round(time.monotonic() - began)
            made.relay = relay  # type: ignore[attr-defined]
            yield made
        finally:
            made.down()
            made.drop_databases()


def _outbox(cluster: Cluster, sql: str) -> list:
    engine = make_engine(cluster.duban_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def _one_sweep_queues(server: str) -> Counter[str]:
    """What a single sweep in this process queues for the same data: the reference."""
    with scratch_pg_database(server, prefix="duban_test") as url:
        engine = make_engine(url)
        load(engine, ITEMS, every=EVERY, **DATA)
        queued = sweep(engine, now=BENCH_NOW, config=CONFIG).queued
        engine.dispose()
    return Counter(queued)


def test_two_workers_sweep_and_deliver_every_reminder_once_through_a_worker_kill(cluster):
    relay: SmtpServer = cluster.relay  # type: ignore[attr-defined]
    engine = make_engine(cluster.duban_url)
    load(engine, ITEMS, every=EVERY, **DATA)
    engine.dispose()
    expected = _one_sweep_queues(_server_url())
    asyncio.run(_scenario(cluster, relay, expected, BENCH_NOW.isoformat(),
                          (BENCH_NOW + LEASE + timedelta(minutes=1)).isoformat()))


async def _scenario(cluster: Cluster, relay: SmtpServer, expected: Counter[str], now: str,
                    after_lease: str) -> None:
    since = datetime.now(UTC)
    began = time.monotonic()

    def mark(phase: str) -> None:
        PHASES[phase] = round(time.monotonic() - began - sum(v for k, v in PHASES.items() if k != "up"))

    async with PrefectClient(cluster.api_url) as client:
        # What `prefect deploy --all` created, and both workers as the server sees them (the
        # very call that answered 422 with an ill-matched FastAPI).
        deployments = await client.read_deployments()
        assert {d.name for d in deployments} == DEPLOYMENTS
        workers = await client.read_workers_for_work_pool("duban")
        assert {w.name for w in workers} == {"worker-1", "worker-2"}

        # The sweep, split in two runs: together they queue what one sweep would, and leave
        # no due item behind.
        swept, sweep_shards = await run_all(client, "sweep/sweep", {"now": now, "shards": 2}, timeout=300)
        assert [r.state_name for r in [swept, *sweep_shards]] == ["Completed", "Completed"]
        assert Counter(dict(_outbox(cluster, "SELECT reminder, count(*) FROM outbox GROUP BY 1"))) == expected
        assert _outbox(cluster, f"SELECT count(*) FROM next_action WHERE at <= '{now}'") == [(0,)]
        rows = expected.total()
        assert rows > ITEMS // EVERY // 2  # each due item owes at least one (most one or two)
        mark("sweep")

        # The delivery, four runs over two workers; one worker dies with its runs mid-way.
        deliver = await start(client, "deliver/deliver", {"now": now, "shards": 4, "per_shard": 500})
        victim = await _kill_a_worker_mid_delivery(client, deliver.id, cluster, relay, rows)
        killed_at = len(relay.messages)
        assert 0 < killed_at < rows
        shards = await _settle(client, cluster, deliver.id, victim, since)
        mark("deliver")

        by_worker = await workers_of(client, [swept, *sweep_shards, *shards], since=since)
        assert set(by_worker.values()) == {"worker-1", "worker-2"}  # both ran flow runs
        stranded = {m for (m,) in _outbox(cluster, "SELECT message_id FROM outbox WHERE status = 'sending'")}
        assert stranded and len(stranded) <= 2 * 200 * 2  # two batches per run, two runs per worker
        assert _outbox(cluster, "SELECT count(*) FROM outbox WHERE status = 'pending'") == [(0,)]

        # Once the lease has run out, the next delivery sends what the dead runs held.
        recovery, _ = await run_all(client, "deliver/deliver", {"now": after_lease}, timeout=300)
        assert recovery.state_name == "Completed"
        mark("recovery")

        # Visible through the server's API: every run, and how it ended.
        runs = await client.read_flow_runs()
        states = Counter(r.state_name for r in runs if r.start_time and r.start_time >= since)
        assert states["Completed"] >= 4 and states["Crashed"] >= 1, states

    assert _outbox(cluster, "SELECT status, count(*) FROM outbox GROUP BY status") == [("sent", rows)]
    received = Counter(m.message["Message-ID"] for m in relay.messages)
    assert len(received) == rows  # every reminder reached the relay
    duplicates = {mid for mid, n in received.items() if n > 1}
    assert duplicates <= stranded and all(received[m] == 2 for m in duplicates)
    print(f"\n{rows} reminders; killed {victim} at {killed_at} sent; {len(stranded)} rows stranded, "
          f"{len(duplicates)} sent twice; phases: {PHASES}")

    # The rate limit held over every sender: the messages before the kill took at least the
    # time the limit allows (its one-second burst and the chunks already taken aside).
    first, last = relay.messages[0].at, relay.messages[killed_at - 1].at
    assert last - first >= (killed_at - RATE - CHUNK * 4) / RATE


async def _kill_a_worker_mid_delivery(client: PrefectClient, coordinator, cluster: Cluster,
                                      relay: SmtpServer, rows: int) -> str:
    """SIGKILL a worker, and the flow runs under it, while one of them holds claimed rows,
    once a quarter is sent. (A worker also keeps idle processes ready for its next runs.)"""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(relay.messages) >= rows // 4:
            holders = {int(who.split(":")[1]) for (who,) in _outbox(
                cluster, "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'sending'")}
            for name in cluster.worker_names():
                if holders & set(cluster.flow_processes(name)):
                    cluster.kill_worker(name)
                    return name
        run = await client.read_flow_run(coordinator)
        assert run.state and (run.state.is_completed() or not run.state.is_final()), run.state
        await asyncio.sleep(0.2)
    raise AssertionError(f"no worker was delivering; {len(relay.messages)} of {rows} sent")


async def _settle(client: PrefectClient, cluster: Cluster, coordinator, victim: str, since):
    """Wait for the survivors' runs to end; mark the dead worker's runs crashed."""
    for _ in range(600):
        runs = [await client.read_flow_run(coordinator), *await shards_of(client, coordinator)]
        by_worker = await workers_of(client, runs, since=since)
        if "?" not in by_worker.values():
            alive = [r for r in runs if by_worker[r.id] != victim]
            if all(r.state and r.state.is_final() for r in alive):
                break
        await asyncio.sleep(0.5)
    dead = [r for r in runs if by_worker[r.id] == victim and not (r.state and r.state.is_final())]
    assert dead, "the killed worker held no running delivery"
    await crash(client, dead, f"{victim} was killed (SIGKILL)")
    return [await wait(client, r.id, timeout=30) for r in runs]
