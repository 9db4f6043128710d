"""Running the web app under uvicorn: alone (``duban web``, in this process or in several
worker processes) or beside the embedded scheduler (``duban serve``, in this process)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime

import uvicorn

from duban.config import Settings, load_settings
from duban.web.app import create_app

# proxy_headers: behind an https proxy on this machine the cookies are marked Secure.
UVICORN_OPTIONS = {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1",
                   "log_level": "warning", "access_log": False}
# How ``duban --now … web --workers N`` hands its fixed clock to the worker processes, which
# uvicorn starts anew and which read their settings from the environment like any command.
FIXED_NOW_ENV = "DUBAN_WEB_FIXED_NOW"


def address(settings: Settings) -> str:
    return f"http://{settings.web_host}:{settings.web_port}"


def _serving(app):
    """The app, with 总览's whole-table counts started in the background: a server just started
    then answers its first 总览 from them instead of counting while a user waits."""
    threading.Thread(target=app.state.web.count_units_ahead, name="duban-web-count",
                     daemon=True).start()
    return app


class WebServer:
    def __init__(self, settings: Settings, **app_options):
        self.settings = settings
        app = _serving(create_app(settings, **app_options))
        self.server = uvicorn.Server(uvicorn.Config(
            app, host=settings.web_host, port=settings.web_port, **UVICORN_OPTIONS))

    def run(self, alive: Callable[[], bool] = lambda: True) -> None:
        """Serve until Ctrl+C / SIGTERM, or until ``alive()`` turns false (checked each second)."""
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(1.0):
                if not alive():
                    self.server.should_exit = True
                    return

        watcher = threading.Thread(target=watch, name="duban-web-watch", daemon=True)
        watcher.start()
        try:
            self.server.run()
        finally:
            stop.set()


def serve_workers(settings: Settings, workers: int, fixed_now: datetime | None = None) -> None:
    """Serve with ``workers`` processes on one socket (uvicorn's supervisor restarts one that
    dies), until Ctrl+C / SIGTERM. Pages are rendered in Python, one at a time per process:
    several processes use the machine's cores. Each keeps its own 总览 counts."""
    if fixed_now is not None:
        os.environ[FIXED_NOW_ENV] = fixed_now.isoformat()
    uvicorn.run("duban.web.server:worker_app", factory=True, workers=workers,
                host=settings.web_host, port=settings.web_port, **UVICORN_OPTIONS)


def worker_app():
    """The app of one worker process of ``serve_workers``."""
    fixed = os.environ.get(FIXED_NOW_ENV)
    options = {"clock": lambda at=datetime.fromisoformat(fixed): at} if fixed else {}
    return _serving(create_app(load_settings(), **options))
