"""Running a piece of code in a child process held to CPU-time and memory limits.

    outcome = run_bounded(fn, *args, cpu_seconds=10, memory_mb=400)
    outcome.kind       "returned", "raised" or "killed" (by a signal: SIGXCPU at the CPU limit)
    outcome.value      what fn returned, or the exception it raised (its class and text)
    outcome.cpu        CPU seconds the child used, user and system (from wait4)
    outcome.grown_mb   how far the child's resident memory rose above what it held when forked

The child is a fork of the calling process, so nothing is imported again and each run costs a
few milliseconds. RLIMIT_CPU stops it after ``cpu_seconds``; RLIMIT_AS makes every allocation
beyond ``memory_mb`` more than it had fail with MemoryError; a wall-clock guard kills a child
that waits on something instead of computing. Whatever the code does, the machine is safe.

A fresh ``duban`` process holds about 100 MB before it reads a file, so ``memory_mb=400`` is the
issue's "≤ 500 MB" for the whole process.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Raised:
    type: type
    text: str


@dataclass(frozen=True)
class Outcome:
    kind: str
    value: Any
    cpu: float
    grown_mb: float

    def __str__(self) -> str:
        shown = self.value
        if self.kind == "raised":
            shown = f"{self.value.type.__name__}: {self.value.text[:300]}"
        return f"{self.kind} after {self.cpu:.2f} s CPU, +{self.grown_mb:.0f} MB: {shown}"


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _child(write_fd: int, fn: Callable, args: tuple, cpu_seconds: int, memory_mb: int) -> None:
    start = _status_kb("VmRSS")
    room = (_status_kb("VmSize") + memory_mb * 1024) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (room, room))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        result: tuple[str, Any] = ("returned", fn(*args))
    except BaseException as exc:  # the outcome to report, whatever it is
        result = ("raised", Raised(type(exc), str(exc)))
    grown = (_status_kb("VmHWM") - start) / 1024
    try:
        payload = pickle.dumps((*result, grown))
    except Exception as exc:  # an unpicklable return value
        payload = pickle.dumps(("raised", Raised(type(exc), str(exc)), grown))
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(payload)


def run_bounded(fn: Callable, *args: Any, cpu_seconds: int = 10, memory_mb: int = 400,
                wall_seconds: float | None = None) -> Outcome:
    """``fn(*args)`` in a forked child within the limits; its outcome (see the module doc)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _child(write_fd, fn, args, cpu_seconds, memory_mb)
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + (wall_seconds or cpu_seconds * 6 + 30)
    chunks = []
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return Outcome("killed", name, cpu, usage.ru_maxrss / 1024)
    if not chunks:
        return Outcome("killed", f"exit status {os.WEXITSTATUS(status)}", cpu, usage.ru_maxrss / 1024)
    kind, value, grown = pickle.loads(b"".join(chunks))
    return Outcome(kind, value, cpu, grown)
