"""The year_end_summary flow, run for real (Prefect's temporary local server) in a child
process, and its deployment in prefect.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.flows.test_flows import ROOT, _env

SCRIPT = """
import json
from flows.summary import year_end_summary
print(json.dumps(year_end_summary(year=2026, as_of="2026-12-05T10:00", now="2026-12-20T09:00")))
"""


def test_flow_writes_the_report_and_queues_the_mails(tmp_path):
    env = _env(tmp_path)
    duban = str(Path(sys.executable).parent / "duban")
    for args in (["init"], ["--now", "2026-12-04T18:00", "demo"]):
        subprocess.run([duban, *args], env=env, check=True, capture_output=True)
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, text=True,
                         capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    message = json.loads(run.stdout.strip().splitlines()[-1])
    assert "2026年度工作总结.docx" in message and "邮件 2 封" in message
    assert (tmp_path / "home" / "reports" / "2026年度工作总结.docx").is_file()


def test_deployment_runs_on_20_december_at_nine_shanghai_time():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployment = next(d for d in spec["deployments"] if d["name"] == "year_end_summary")
    assert deployment["entrypoint"] == "flows/summary.py:year_end_summary"
    assert deployment["schedules"] == [{"cron": "0 9 20 12 *", "timezone": "Asia/Shanghai"}]
    assert deployment["parameters"] == {"notify": True, "carry_over": False}
