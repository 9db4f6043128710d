"""The Prefect flows, run for real (Prefect's temporary local server) in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, json
from flows.sweep import sweep
from flows.digest import digest
from flows.deliver import deliver
now = "2026-12-01T10:00"
print(json.dumps({"sweep": sweep(now=now), "digest": digest(now=now),
                  "deliver": asyncio.run(deliver(now=now)),
                  "again": sweep(now=now)["queued"]}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DUBAN_", "PREFECT_"))}
    env.update(DUBAN_HOME=str(tmp_path / "home"), PREFECT_HOME=str(tmp_path / "prefect"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false",
               # a temporary server on a loaded 2-core machine may need more than the default 20 s
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    return env


def test_flows_sweep_digest_and_deliver_the_demo_bureau(tmp_path):
    env = _env(tmp_path)
    duban = str(Path(sys.executable).parent / "duban")
    for args in (["init"], ["--now", "2026-12-01T09:00", "demo"]):
        subprocess.run([duban, *args], env=env, check=True, capture_output=True)
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, text=True,
                         capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    queued = sum(result["sweep"]["queued"].values())
    # The demo's rectification items alone owe these on 2026-12-01 (recurring duties add more;
    # ZG2023-02, 已提交 and waiting for 审核, owes nothing).
    assert result["sweep"]["queued"]["督办"] >= 3 and result["sweep"]["queued"]["通报"] >= 9
    assert result["digest"] == 2
    assert result["deliver"]["sent"] == queued + 2 and result["deliver"]["failed"] == 0
    assert result["again"] == {}
    # One file per message: a person's reminders of one kind are one list.
    files = list((tmp_path / "home" / "outbox").glob("*.eml"))
    assert len(files) == result["deliver"]["messages"] < queued + 2


def test_prefect_yaml_declares_a_deployment_per_flow_with_shanghai_schedules():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {"sweep", "deliver", "digest", "year_end_summary"}
    for name, deployment in deployments.items():
        path, _, func = deployment["entrypoint"].partition(":")
        assert (ROOT / path).is_file() and func == name
        assert deployment["work_pool"]["name"] == "duban"
        assert all(s["timezone"] == "Asia/Shanghai" for s in deployment["schedules"])
    text = (ROOT / "prefect.yaml").read_text().lower()
    assert "password" not in text and "postgresql://" not in text  # no secrets in the repo
