"""`duban web --workers 2`: two worker processes on one port, the same signed-in session on
both, the fixed clock of `--now` in each, and one SIGTERM stops them all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.cli_process import DUBAN, wait_until_serving

ROOT = Path(__file__).resolve().parents[3]


def workers_of(pid: int) -> list[int]:
    """The worker processes uvicorn spawned for ``pid`` (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cmdline = (stat.parent / "cmdline").read_bytes()
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def home(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.update(DUBAN_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1", DUBAN_WEB_PORT=str(port))
    subprocess.run([DUBAN, "init"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    subprocess.run([DUBAN, "user", "add", "--name", "钱督办", "--role", "supervisor"], env=env,
                   cwd=ROOT, check=True, capture_output=True, timeout=120,
                   input="workers-pass-1\n", text=True)
    return env


def test_two_workers_share_the_session_and_the_clock_and_stop_together(home):
    proc = subprocess.Popen([DUBAN, "--now", "2026-06-02T10:00", "web", "--workers", "2"],
                            env=home, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    base = f"http://127.0.0.1:{home['DUBAN_WEB_PORT']}"
    try:
        wait_until_serving(f"{base}/login", proc)
        workers = workers_of(proc.pid)
        assert len(workers) == 2, workers

        with httpx.Client(base_url=base, timeout=30) as client:
            form = client.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            signed_in = client.post("/login", data={"username": "钱督办", "password": "workers-pass-1",
                                                    "csrf": csrf, "next": "/overview"})
            assert signed_in.status_code == 303, signed_in.text
            cookies = dict(client.cookies)
        # Each request on a new connection: the kernel spreads them over both workers, and
        # every one knows the session (kept in the database) and the clock of --now.
        for _ in range(12):
            with httpx.Client(base_url=base, cookies=cookies, timeout=30) as fresh:
                page = fresh.get("/overview")
            assert page.status_code == 200
            assert "2026-06-02" in page.text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    stderr = proc.stderr.read()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "2 个进程" in proc.stdout.read()
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/login", timeout=2)
