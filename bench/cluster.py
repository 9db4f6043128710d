"""Benchmark: the scaled-out mode (Prefect server on PostgreSQL, 1, 2, 4 process workers) beside
the embedded mode's same jobs in one process, interleaved in the same period.

    python -m bench cluster                          # 100,000 items, 1 in 10 due; 1, 2, 4 workers
    python -m bench cluster --items 20000 --workers 1 2 --rounds 1     # smaller
    python -m bench cluster --pg URL                 # default: $DUBAN_TEST_DATABASE_URL

One database, loaded once (bench/sweep.py's data). Each round, for the embedded mode and then
for each worker count k:
- sweep:   the due items are made due again and the outbox emptied; embedded: the sweep in a
           fresh child process; k workers: the ``sweep`` deployment with ``shards=k``, its runs on
           k workers taking one run each. Items/s = items examined / wall time (from
           ``run_deployment`` to the last run's end, every Prefect cost included).
- deliver: the rows that sweep queued, to a counting SMTP sink (bench/smtp_sink.py): embedded,
           duban's delivery in a child process (what ``duban deliver`` runs); k workers, the
           ``deliver`` deployment with ``shards=k``. No SMTP rate limit: this measures the engine.
- Prefect's overhead per flow run, from the server's API: pickup (created → started: the
  worker's poll and a new process) and in-run (the run's time beyond its one task's time);
  its share is (pickup + in-run) / (pickup + in-run + the task's work), median over the runs.
The machine has 2 cores shared with other work: read ratios within one round, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from sqlalchemy import text

from bench import deliver as bench_deliver
from bench import sweep as bench_sweep
from bench.common import NOW, machine_notes, pg_admin_url, run_child
from deploy.cluster import Cluster, free_port
from deploy.runs import run_all
from models.store import db


def _pending(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar_one()


async def _overhead(client: PrefectClient, runs: list[FlowRun]) -> list[dict]:
    """Per run: pickup (created → start), in-run (run − its task), work (its task), seconds."""
    fresh = await client.read_flow_runs(flow_run_filter=FlowRunFilter(
        id=FlowRunFilterId(any_=[r.id for r in runs])))
    out = []
    for run in fresh:
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
        work = sum((t.end_time - t.start_time).total_seconds() for t in tasks
                   if t.start_time and t.end_time)
        ran = (run.end_time - run.start_time).total_seconds()
        out.append({"pickup": (run.start_time - run.created).total_seconds(),
                    "in_run": ran - work, "work": work})
    return out


async def _cluster_round(cluster: Cluster, k: int, engine, items: int, due: int, every: int,
                         sink: bench_deliver.Sink) -> dict:
    names = [f"worker-k{k}-{n}" for n in range(1, k + 1)]
    for name in names:
        cluster.start_worker(name, limit=1)
    cluster.wait_for_workers(names)
    try:
        bench_sweep.reset(engine, items, due, every)
        async with PrefectClient(cluster.api_url) as client:
            start = time.perf_counter()
            sweep_run, sweep_shards = await run_all(client, "sweep/sweep",
                                                    {"now": NOW.isoformat(), "shards": k})
            sweep_wall = time.perf_counter() - start
            queued = _pending(engine)
            sink.command("reset")
            start = time.perf_counter()
            deliver_run, deliver_shards = await run_all(
                client, "deliver/deliver", {"now": NOW.isoformat(), "shards": k,
                                            "per_shard": max(1, queued // k)})
            deliver_wall = time.perf_counter() - start
            runs = [sweep_run, *sweep_shards, deliver_run, *deliver_shards]
            failed = [r.name for r in runs if not r.state or not r.state.is_completed()]
            if failed:
                raise RuntimeError(f"runs did not complete: {failed}")
            costs = await _overhead(client, runs)
    finally:
        for name in names:
            cluster.stop_worker(name)
    stats = sink.command("stats")
    assert stats is not None
    if (stats["messages"], stats["distinct_ids"]) != (queued, queued):
        raise RuntimeError(f"{k} workers: {queued} queued, sink got {stats}")
    return {"sweep_s": sweep_wall, "deliver_s": deliver_wall, "queued": queued,
            "sweep_runs": 1 + len(sweep_shards), "deliver_runs": 1 + len(deliver_shards),
            "costs": costs}


def _embedded_round(url: str, engine, items: int, due: int, every: int,
                    sink: bench_deliver.Sink) -> dict:
    bench_sweep.reset(engine, items, due, every)
    swept = run_child("bench.sweep", url, "sweep")
    queued = _pending(engine)
    sink.command("reset")
    delivered = bench_deliver.run_figure(url, "pooled", sink, 1)
    return {"sweep_s": swept["seconds"], "deliver_s": delivered["seconds"], "queued": queued,
            "examined": swept["items"]}


def run(pg: str, *, items: int, every: int, workers: list[int], rounds: int) -> dict:
    due = items // every
    home = Path(tempfile.mkdtemp(prefix="duban_bench_cluster_"))
    tag = uuid.uuid4().hex[:8]
    sink = bench_deliver.Sink()
    cluster = Cluster(home=home, pg=pg, prefect_db=f"duban_bench_prefect_{tag}",
                      duban_db=f"duban_bench_cluster_{tag}", port=free_port(), smtp_rate=None,
                      poll_seconds=1,
                      extra_env={"DUBAN_SMTP_HOST": sink.host, "DUBAN_SMTP_PORT": str(sink.port),
                                 "DUBAN_SMTP_FROM": "duban@bench.example.org",
                                 "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"})
    results: dict[str, list[dict]] = {"embedded": [], **{f"{k} workers": [] for k in workers}}
    try:
        began = time.perf_counter()
        cluster.up(workers=0)
        up_seconds = time.perf_counter() - began
        engine = db.make_engine(cluster.duban_url)
        bench_sweep.load(engine, items, every=every)
        for _ in range(rounds):
            results["embedded"].append(_embedded_round(cluster.duban_url, engine, items, due, every, sink))
            for k in workers:
                results[f"{k} workers"].append(
                    asyncio.run(_cluster_round(cluster, k, engine, items, due, every, sink)))
        engine.dispose()
    finally:
        cluster.down()
        cluster.drop_databases()
        sink.close()
        shutil.rmtree(home, ignore_errors=True)
    _print(results, items, due, up_seconds)
    return results


def _print(results: dict, items: int, due: int, up_seconds: float) -> None:
    print(f"\nCluster: {items:,} items, {due:,} due; cluster up (databases, migrations, server, "
          f"pool, deploy) {up_seconds:.0f} s. Best of the rounds (median in brackets).")
    print(f"{'mode':<12} {'sweep s':>8} {'items/s':>9} {'deliver s':>10} {'msg/s':>8} {'runs':>5} "
          f"{'pickup s':>9} {'in-run s':>9} {'overhead':>9}")
    examined = results["embedded"][0]["examined"]
    for mode, rows in results.items():
        sweep_best = min(r["sweep_s"] for r in rows)
        deliver_best = min(r["deliver_s"] for r in rows)
        queued = rows[0]["queued"]
        line = (f"{mode:<12} {sweep_best:>8.2f} {examined / sweep_best:>9,.0f} {deliver_best:>10.2f} "
                f"{queued / deliver_best:>8,.0f}")
        if "costs" in rows[0]:
            costs = [c for r in rows for c in r["costs"]]
            pickup = statistics.median(c["pickup"] for c in costs)
            in_run = statistics.median(c["in_run"] for c in costs)
            share = statistics.median((c["pickup"] + c["in_run"]) / (c["pickup"] + c["in_run"] + c["work"])
                                      for c in costs)
            runs = rows[0]["sweep_runs"] + rows[0]["deliver_runs"]
            line += f" {runs:>5} {pickup:>9.2f} {in_run:>9.2f} {share:>8.0%}"
        sweeps = [r["sweep_s"] for r in rows]
        delivers = [r["deliver_s"] for r in rows]
        print(line + f"   (sweep {statistics.median(sweeps):.2f}, deliver {statistics.median(delivers):.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--due-every", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pg", help="PostgreSQL server (default: $DUBAN_TEST_DATABASE_URL)")
    parser.add_argument("--smoke", action="store_true", help="not run in smoke mode (see tests/cluster)")
    args = parser.parse_args(argv)
    if args.smoke:
        print("bench cluster: skipped in smoke mode; CI runs the cluster test (pytest -m cluster)")
        return 0
    pg = pg_admin_url(args.pg)
    if not pg:
        print("bench cluster needs PostgreSQL: --pg URL or DUBAN_TEST_DATABASE_URL")
        return 2
    print(machine_notes())
    run(pg, items=args.items, every=args.due_every, workers=args.workers, rounds=args.rounds)
    return 0
