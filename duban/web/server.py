"""Running the web app under uvicorn: alone (``duban web``) or beside the embedded scheduler
(``duban serve``), in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable

import uvicorn

from duban.config import Settings
from duban.web.app import create_app


def address(settings: Settings) -> str:
    return f"http://{settings.web_host}:{settings.web_port}"


class WebServer:
    def __init__(self, settings: Settings, **app_options):
        self.settings = settings
        app = create_app(settings, **app_options)
        # proxy_headers: behind an https proxy on this machine the cookies are marked Secure.
        self.server = uvicorn.Server(uvicorn.Config(
            app, host=settings.web_host, port=settings.web_port, proxy_headers=True,
            forwarded_allow_ips="127.0.0.1", log_level="warning", access_log=False))

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
