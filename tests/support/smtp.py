"""A real SMTP server (aiosmtpd) for tests, shared by every test package (see tests/conftest.py).

``SmtpServer`` is self-contained (no other fixture needed), so tests elsewhere can reuse it:

    with SmtpServer() as server:            # or the ``smtp_server`` fixture
        server.defer_data(2)                # the next 2 DATA commands get 451, then 250
        server.reject_recipient("x@example.org")
        ... send to server.host, server.port ...
        server.messages[0].message["Subject"], server.messages[0].rcpt_tos, server.connections

aiosmtpd announces 8BITMIME (it keeps message bytes as they come); ``SmtpServer(eight_bit=False)``
leaves it out of the EHLO reply and, as a strict old relay would, refuses ``BODY=8BITMIME`` and
any message with 8-bit octets; ``SmtpServer(esmtp=False)`` also answers EHLO with 502 (HELO only).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def free_port() -> int:
    """A port nobody listens on right now (Controller cannot be given port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    mail_options: tuple[str, ...] = ()  # MAIL FROM parameters, e.g. ("BODY=8BITMIME",)


class _Controller(Controller):
    """Counts TCP connections: aiosmtpd builds one SMTP protocol object per connection."""

    def __init__(self, owner: SmtpServer, **kwargs: Any):
        self.owner = owner
        super().__init__(owner, **kwargs)

    def factory(self) -> SMTP:
        with self.owner._lock:
            self.owner.connections += 1
        return super().factory()


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a free port, recording what it receives.

    ``messages``     every accepted message (parsed with ``email.policy.default``), in order
    ``connections``  TCP connections opened by clients (not counting start()'s own probe)
    ``logins``       user names that authenticated (when built with ``credentials``)
    ``ehlo_replies``  the extensions announced, one list per EHLO answered
    Behaviours, switchable at any time: ``defer_data``, ``reject_recipient``.
    ``stop()`` then ``start()`` brings the same port down and up again; the records stay.
    """

    def __init__(self, port: int | None = None, *, credentials: tuple[str, str] | None = None,
                 tls_context: Any = None, ssl_context: Any = None, eight_bit: bool = True,
                 esmtp: bool = True):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.messages: list[Received] = []
        self.connections = 0
        self.logins: list[str] = []
        self.ehlo_replies: list[list[str]] = []
        self.eight_bit = eight_bit and esmtp
        self.esmtp = esmtp
        self._credentials = credentials
        self._tls_context = tls_context    # offers STARTTLS
        self._ssl_context = ssl_context    # implicit TLS on connect
        self._data_replies: deque[str] = deque()
        self._rejected: dict[str, str] = {}
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    # -- behaviours -------------------------------------------------------------------------
    def defer_data(self, times: int = 1, reply: str = "451 4.3.0 稍后再试") -> None:
        """Answer the next ``times`` DATA commands with ``reply`` (any code) instead of 250."""
        with self._lock:
            self._data_replies.extend([reply] * times)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 user unknown") -> None:
        """Answer RCPT TO for ``address`` with ``reply``."""
        with self._lock:
            self._rejected[address.lower()] = reply

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port,
                                  "server_hostname": "smtp.test.local"}
        if self._credentials:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=self._tls_context is not None)
        if self._tls_context:
            kwargs["tls_context"] = self._tls_context
        if self._ssl_context:
            kwargs["ssl_context"] = self._ssl_context
        self._controller = _Controller(self, **kwargs)
        self._controller.start()
        with self._lock:
            self.connections -= 1  # start() itself connected once, to check readiness
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- aiosmtpd handler hooks -------------------------------------------------------------
    async def handle_EHLO(self, server, session, envelope, hostname: str, responses: list[str]):
        if not self.esmtp:
            return ["502 5.5.1 EHLO not implemented, say HELO"]
        session.host_name = hostname  # what aiosmtpd does itself when no hook is set
        if not self.eight_bit:
            responses = [r for r in responses if r[4:].upper() != "8BITMIME"]
        with self._lock:
            self.ehlo_replies.append([r[4:] for r in responses[1:]])
        return responses

    async def handle_MAIL(self, server, session, envelope, address: str, mail_options) -> str:
        if not self.eight_bit and "BODY=8BITMIME" in mail_options:
            return "555 5.5.4 BODY=8BITMIME not supported"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        with self._lock:
            reply = self._rejected.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            reply = self._data_replies.popleft() if self._data_replies else None
        if reply:
            return reply
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        if not self.eight_bit and not raw.isascii():
            return "554 5.6.1 8-bit data refused: 8BITMIME not offered"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, message,
                                          tuple(envelope.mail_options)))
        return "250 2.0.0 OK queued"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self._credentials == (
                auth_data.login.decode(), auth_data.password.decode()):
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_servers():
    """Make SmtpServers (``start=False`` to only reserve a port); all are stopped after the test."""
    made: list[SmtpServer] = []

    def make(*, start: bool = True, **kwargs: Any) -> SmtpServer:
        server = SmtpServer(**kwargs)
        made.append(server)
        return server.start() if start else server

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def smtp_server(smtp_servers) -> SmtpServer:
    """A running SmtpServer on a free port; stopped after the test."""
    return smtp_servers()


def deliver_to(engine, server: SmtpServer, *, now, config, sender: str, **kwargs):
    """One delivery pass (``notifications.delivery.deliver``) to ``server`` over a real SmtpTransport."""
    from notifications.delivery import deliver
    from notifications.transport import SmtpTransport

    async def scenario():
        transport = SmtpTransport(host=server.host, port=server.port, security="none")
        try:
            return await deliver(engine, transport, now=now, config=config, sender=sender, **kwargs)
        finally:
            await transport.close()

    return asyncio.run(scenario())
