"""Throttling SMTP across every worker: Prefect's global concurrency limit ``smtp`` as a rate limit.

Create it once per Prefect server (``make cluster-up`` does):

    prefect gcl create smtp --limit 20 --slot-decay-per-second 20     # 20 messages per second

Each sender takes slots in small chunks (one API call per ``CHUNK`` messages, not per message)
and spends them locally. Without the limit on the server, nothing is throttled (Prefect's
``strict=False``): the embedded mode and a server without a relay quota need nothing.
"""

from __future__ import annotations

import asyncio
from email.message import Message

from prefect.concurrency.asyncio import rate_limit

from notifications.render import RenderedEmail
from notifications.transport import SendResult, Transport

LIMIT_NAME = "smtp"
# The limit's size must be at least this (a rate below 5 messages/s needs CHUNK lowered).
CHUNK = 5


class RateLimitedTransport:
    """``inner``, sending no faster than the global limit ``name`` lets all senders together."""

    def __init__(self, inner: Transport, *, name: str = LIMIT_NAME, chunk: int = CHUNK):
        self.inner, self.name, self.chunk = inner, name, chunk
        self._left = 0
        self._lock = asyncio.Lock()

    async def send(self, message: RenderedEmail | Message) -> SendResult:
        async with self._lock:
            if self._left == 0:
                await rate_limit(self.name, occupy=self.chunk)
                self._left = self.chunk
            self._left -= 1
        return await self.inner.send(message)

    async def close(self) -> None:
        await self.inner.close()
