"""The scaled-out mode on one machine: a Prefect server on PostgreSQL, the ``duban`` process work
pool, the deployments of prefect.yaml and N process workers, all on loopback.

    python -m deploy.cluster up --workers 2     # make cluster-up WORKERS=2
    python -m deploy.cluster demo               # make cluster-demo: sweep and deliver the demo
    python -m deploy.cluster down               # make cluster-down

Everything lives in ``var/cluster/`` (Prefect's home, logs, pid files, duban's file outbox).
Two PostgreSQL databases on ``DUBAN_CLUSTER_PG``'s server: ``duban_cluster`` (duban's) and
``duban_prefect`` (Prefect's own, never shared with duban). The same steps by hand, for real
machines: docs/scaling.md. The cluster test (tests/cluster) and bench/cluster.py use this class.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models.store.db import psycopg_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POOL = "duban"
SMTP_LIMIT = "smtp"


@dataclass
class Cluster:
    """One Prefect server, its databases and workers. ``pg`` is any URL on the PostgreSQL server
    (its database part is replaced); ``home`` holds logs, pid files and Prefect's home."""

    home: Path
    pg: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    prefect_db: str = "duban_prefect"
    duban_db: str = "duban_cluster"
    port: int = 4200
    smtp_rate: float | None = 20.0  # messages per second, all workers together; None: no limit
    poll_seconds: float = 2.0  # how often a worker asks for scheduled runs
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def db_url(self, name: str, driver: str = "psycopg") -> str:
        url = make_url(psycopg_url(self.pg)).set(drivername=f"postgresql+{driver}", database=name)
        return url.render_as_string(hide_password=False)

    @property
    def duban_url(self) -> str:
        return self.db_url(self.duban_db)

    def env(self) -> dict[str, str]:
        """The environment of every Prefect command, server and worker (and so of flow runs)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DUBAN_"))}
        env.update({
            "PREFECT_HOME": str(self.home / "prefect"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": self.db_url(self.prefect_db, "asyncpg"),
            # Migrations are a step of their own (`prefect server database upgrade`), never a
            # side effect of starting a server: with several API servers they would race.
            "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": str(self.poll_seconds),
            "PREFECT_CLI_PROMPT": "false",
            "DUBAN_DATABASE_URL": self.duban_url,
            "DUBAN_HOME": str(self.home / "duban"),
        })
        env.update(self.extra_env)
        return env

    # -- steps ---------------------------------------------------------------------------------

    def create_databases(self) -> None:
        """Both databases if missing; pg_trgm in Prefect's (its migrations create it too, but
        only a superuser may: on a managed server, have the administrator run this once)."""
        admin = create_engine(self.db_url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                have = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
                for name in (self.prefect_db, self.duban_db):
                    if name not in have:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        prefect = create_engine(self.db_url(self.prefect_db), isolation_level="AUTOCOMMIT")
        try:
            with prefect.connect() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        finally:
            prefect.dispose()

    def drop_databases(self) -> None:
        admin = create_engine(self.db_url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for name in (self.prefect_db, self.duban_db):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    def prefect(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``prefect ARGS`` from the repository root against this server."""
        proc = subprocess.run([str(BIN / "prefect"), *args], cwd=ROOT, env=self.env(), text=True,
                              capture_output=True, timeout=600)
        if check and proc.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def duban(self, *args: str) -> str:
        proc = subprocess.run([str(BIN / "duban"), *args], cwd=ROOT, env=self.env(), text=True,
                              capture_output=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"duban {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def migrate(self) -> None:
        self.prefect("server", "database", "upgrade", "-y")

    def start_server(self, timeout: float = 120) -> None:
        self._spawn("server", [str(BIN / "prefect"), "server", "start"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
            if not _alive(self._pid("server")):
                break
            time.sleep(0.5)
        raise RuntimeError(f"the Prefect server did not come up; see {self._log('server')}")

    def configure(self) -> None:
        """The work pool, the SMTP rate limit and every deployment of prefect.yaml."""
        if self.prefect("work-pool", "inspect", POOL, check=False).returncode != 0:
            self.prefect("work-pool", "create", POOL, "--type", "process")
        exists = self.prefect("gcl", "inspect", SMTP_LIMIT, check=False).returncode == 0
        if self.smtp_rate is None:  # no relay quota: nothing throttles (flows/throttle.py)
            if exists:
                self.prefect("gcl", "delete", SMTP_LIMIT)
        else:
            rate = f"{self.smtp_rate:g}"
            limit = str(max(10, round(self.smtp_rate)))  # the burst: a second's worth, >= a chunk
            self.prefect("gcl", "update" if exists else "create", SMTP_LIMIT, "--limit", limit,
                         "--slot-decay-per-second", rate)
        self.prefect("deploy", "--all")

    def start_worker(self, name: str, limit: int = 2) -> int:
        """A process worker called ``name`` ("worker-…") taking at most ``limit`` runs at once."""
        return self._spawn(name, [str(BIN / "prefect"), "worker", "start", "--pool", POOL,
                                  "--type", "process", "--name", name, "--limit", str(limit)])

    def worker_names(self) -> list[str]:
        return sorted(p.stem for p in self.home.glob("worker-*.pid"))

    def kill_worker(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal a worker and every process under it (its flow runs, each in a session of its
        own): as when the worker's machine dies."""
        pid = self._pid(name)
        for victim in ([pid, *self.flow_processes(name)] if pid else []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, sig)

    def flow_processes(self, name: str) -> list[int]:
        """The live processes under worker ``name``: its flow runs, and the idle processes it
        keeps ready for its next runs."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().split(") ", 1)[1].split()
                if fields[0] != "Z":
                    children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = [], list(children.get(self._pid(name) or -1, []))
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def up(self, workers: int, *, worker_limit: int = 2) -> None:
        (self.home / "duban").mkdir(parents=True, exist_ok=True)
        self.create_databases()
        self.migrate()
        self.start_server()
        self.configure()
        names = [f"worker-{n}" for n in range(1, workers + 1)]
        for name in names:
            self.start_worker(name, worker_limit)
        self.wait_for_workers(names)

    def online_workers(self) -> list[str]:
        """The names of the pool's workers the server has heard from lately."""
        request = urllib.request.Request(f"{self.api_url}/work_pools/{POOL}/workers/filter",
                                         data=b"{}", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return sorted(w["name"] for w in json.load(reply) if w["status"] == "ONLINE")

    def wait_for_workers(self, names: list[str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not set(names) <= set(self.online_workers()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.online_workers()} of {names} came online; "
                                   f"see {self.home}/worker-*.log")
            time.sleep(0.5)

    def stop_worker(self, name: str, timeout: float = 30) -> None:
        """Stop a worker as `prefect worker start` expects (SIGTERM), after its runs."""
        pid = self._pid(name)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            self.kill_worker(name)
        (self.home / f"{name}.pid").unlink(missing_ok=True)

    def down(self) -> None:
        """Stop every process this cluster started (workers first), by their pid files."""
        names = [p.stem for p in sorted(self.home.glob("worker-*.pid"))] + ["server"]
        for name in names:
            pid = self._pid(name)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
        for name in names:
            pid = self._pid(name)
            deadline = time.monotonic() + 20
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            (self.home / f"{name}.pid").unlink(missing_ok=True)

    # -- processes -------------------------------------------------------------------------------

    def _log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def _pid(self, name: str) -> int | None:
        path = self.home / f"{name}.pid"
        return int(path.read_text()) if path.exists() else None

    def _spawn(self, name: str, argv: list[str]) -> int:
        """Start a long-running process in a session of its own (so it outlives `make` and
        can be stopped with everything it started); its pid goes to NAME.pid."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self._log(name), "ab") as log:
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        (self.home / f"{name}.pid").write_text(str(proc.pid))
        return proc.pid


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ", 1)[1][0] != "Z"  # a zombie has exited
    return True


def from_environment() -> Cluster:
    return Cluster(home=ROOT / "var" / "cluster",
                   pg=os.environ.get("DUBAN_CLUSTER_PG", Cluster.pg),
                   port=int(os.environ.get("PREFECT_PORT", "4200")),
                   smtp_rate=float(os.environ.get("SMTP_RATE", "20")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the server, the pool, the deployments and N workers")
    up.add_argument("--workers", type=int, default=2)
    up.add_argument("--worker-limit", type=int, default=2, help="flow runs at once per worker")
    demo = sub.add_parser("demo", help="load the demo bureau, sweep and deliver it on the workers")
    demo.add_argument("--now", default="2026-12-01T10:00")
    down = sub.add_parser("down", help="stop every process of the cluster")
    down.add_argument("--drop", action="store_true", help="also drop its two databases")
    args = parser.parse_args(argv)
    cluster = from_environment()
    if args.command == "up":
        cluster.down()  # a second `up` replaces the first instead of leaving strays
        cluster.up(args.workers, worker_limit=args.worker_limit)
        print(f"Prefect UI: {cluster.ui_url}  (API {cluster.api_url}; logs in {cluster.home})")
        print(f"{args.workers} workers on pool '{POOL}'; duban's database {cluster.duban_db}, "
              f"Prefect's {cluster.prefect_db}. Next: make cluster-demo, or make cluster-down.")
    elif args.command == "demo":
        from deploy.demo import run_demo

        print(json.dumps(run_demo(cluster, now=args.now), ensure_ascii=False, indent=2))
    else:
        cluster.down()
        if args.drop:
            cluster.drop_databases()
        print(f"cluster stopped (databases {'dropped' if args.drop else 'kept'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
