"""Throttling SMTP across every worker: Prefect's global concurrency limit ``smtp`` as a rate limit.

Create it once per Prefect server (``make cluster-up`` does):

    prefect gcl create smtp --limit 20 --slot-decay-per-second 20     # 20 messages per second

Each sender takes slots in chunks (one API call per chunk, ~40 ms on a busy 2-core machine, not
one per message) and spends them locally. Without the limit on the server, or with it disabled,
nothing is throttled and no call is made: the embedded mode never comes here at all.
"""

from __future__ import annotations

import asyncio
from email.message import Message

from prefect.client.orchestration import get_client
from prefect.concurrency.asyncio import rate_limit
from prefect.exceptions import ObjectNotFound

from notifications.render import RenderedEmail
from notifications.transport import SendResult, Transport

LIMIT_NAME = "smtp"
CHUNK = 10  # at most; never more than the limit's size (its burst)


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


async def throttled(inner: Transport, name: str = LIMIT_NAME) -> Transport:
    """``inner`` behind the limit ``name`` if the server has it active, else ``inner`` itself."""
    async with get_client() as client:
        try:
            limit = await client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return inner
    if not limit.active:
        return inner
    return RateLimitedTransport(inner, name=name, chunk=max(1, min(CHUNK, limit.limit)))
