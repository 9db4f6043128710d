"""The real `duban` executable in a process of its own, as a user runs it: for tests of what
reaches the terminal (exit codes, messages, tracebacks, secrets)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

DUBAN = str(Path(sys.executable).parent / "duban")


def run(*args: str | bytes, home: Path | None = None, fsize: int | None = None,
        **env: str) -> subprocess.CompletedProcess:
    """``duban *args`` with no DUBAN_* variable but ``env`` (and DUBAN_HOME=home); ``fsize``
    caps the size of every file it writes (RLIMIT_FSIZE: EFBIG beyond, as on a full disk)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    environment.update(env)
    if home is not None:
        environment["DUBAN_HOME"] = str(home)

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([DUBAN, *args], env=environment, capture_output=True, timeout=120,
                          preexec_fn=limit)


def refused(result: subprocess.CompletedProcess, *needles: str) -> str:
    """stderr of a command that must have failed as a user should see it: exit 1, a Chinese
    "错误：" line holding every needle, no traceback."""
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert any(line.startswith("错误：") for line in stderr.splitlines()), stderr
    for needle in needles:
        assert needle in stderr, stderr
    return stderr


def wait_until_serving(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Return once ``url`` answers over HTTP; fail with the server's stderr if ``proc`` ends
    first or ``seconds`` pass."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{url} did not answer:\n{proc.communicate()[1]}") from None
            time.sleep(0.2)
