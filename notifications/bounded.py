"""Rendering an administrator's templates within bounds of time and memory.

The sandbox keeps templates away from Python's internals and caps what they write, but it
cannot bound what they compute: ``'%2000000000d' % 1`` asks for 2 GB in one step, and two
nested loops over ``range(100000)`` run for hours without writing a byte. So templates from an
administrator's folder (DUBAN_HOME/templates) are rendered in a worker process held to
MEMORY_MB of memory (RLIMIT_AS) and SECONDS of wall time a message. A message whose template
exceeds either fails with a RenderError saying so; the worker is replaced, and until the
folder's templates change, that template fails at once instead of stalling every message
again; delivery goes on with the other messages. The packaged templates render in-process.

    render_bounded(templates_dir, names, context) -> list[str]     (RenderError)

One worker per sending process and folder, started on first use (about half a second) and
ended with the process; requests are answered one at a time.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from models.errors import RenderError

SECONDS = 5.0
MEMORY_MB = 256
STARTUP_SECONDS = 120.0  # a spawned interpreter importing Jinja, on a machine under load


def _serve(connection, templates_dir: Path, memory_mb: int) -> None:
    """The worker: render what is asked, answer ("ok", texts) or ("error", message)."""
    with open("/proc/self/status") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    room = (size_kb * 1024) + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (room, room))
    from notifications.render import _environment, _render_part

    env = _environment(templates_dir)
    connection.send(("ready", None))  # the clock of each message starts after the imports
    while True:
        try:
            names, context = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", [_render_part(env, name, context) for name in names]))
        except RenderError as exc:
            if isinstance(exc.__cause__, MemoryError):
                connection.send(("memory", str(names[0])))
                return  # a fresh worker, not a fragmented heap, for the next message
            connection.send(("error", str(exc)))
        except MemoryError:
            connection.send(("memory", str(names[0])))
            return


def _signature(templates_dir: Path) -> tuple[float, ...]:
    """Changes whenever a template in the folder is added, removed or edited."""
    return tuple(sorted(p.stat().st_mtime for p in templates_dir.glob("*.j2")))


class _Worker:
    def __init__(self, templates_dir: Path):
        self.templates_dir = templates_dir
        self.process: Any = None
        self.connection: Any = None
        self.lock = threading.Lock()
        self.disabled: dict[str, str] = {}  # template → why, while the folder is unchanged
        self.disabled_at: tuple[float, ...] = ()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        ours, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs, self.templates_dir, MEMORY_MB),
                                       daemon=True, name="duban-template-render")
        self.process.start()
        theirs.close()
        self.connection = ours
        try:
            ready = ours.poll(STARTUP_SECONDS) and ours.recv() == ("ready", None)
        except EOFError:
            ready = False
        if not ready:
            self._stop()
            raise RenderError("模板渲染进程未能启动")

    def _stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.connection.close()
        self.process = self.connection = None

    def render(self, names: Sequence[str], context: dict[str, Any]) -> list[str]:
        with self.lock:
            template = names[0].split(".")[0]
            if self.disabled and _signature(self.templates_dir) != self.disabled_at:
                self.disabled.clear()
            if template in self.disabled:
                raise RenderError(f"{self.disabled[template]}（此后使用该模板的提醒不再尝试，"
                                  "修改模板文件后恢复）")
            if self.process is None or not self.process.is_alive():
                self._start()
            self.connection.send((list(names), context))
            if not self.connection.poll(SECONDS):
                self._stop()
                raise self._disable(template, f"模板 {template} 渲染超过 {SECONDS:g} 秒，已中止")
            try:
                kind, value = self.connection.recv()
            except EOFError:
                self._stop()
                raise self._disable(template, f"模板 {template} 渲染时进程意外退出") from None
            if kind == "ok":
                return value
            if kind == "memory":
                self._stop()
                raise self._disable(template, f"模板 {template} 渲染所需内存超过 {MEMORY_MB} MB，已中止")
            raise RenderError(value)

    def _disable(self, template: str, reason: str) -> RenderError:
        self.disabled[template] = reason
        self.disabled_at = _signature(self.templates_dir)
        return RenderError(reason)


_workers: dict[Path, _Worker] = {}
_workers_lock = threading.Lock()


def render_bounded(templates_dir: Path, names: Sequence[str], context: dict[str, Any]) -> list[str]:
    """``names`` (the parts of one message) rendered with ``context`` from ``templates_dir``
    and the packaged templates, within SECONDS and MEMORY_MB; RenderError otherwise."""
    with _workers_lock:
        worker = _workers.get(templates_dir)
        if worker is None:
            worker = _workers[templates_dir] = _Worker(templates_dir)
    return worker.render(names, context)
