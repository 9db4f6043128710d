"""Delivering rendered messages: SMTP for real, a folder of .eml files when no server is set.

A transport sends a ``RenderedEmail`` as it is: its envelope, its bytes (no re-flattening, no
address re-parsing). SMTP sends the 8-bit form with ``BODY=8BITMIME`` to a server that announced
8BITMIME in its EHLO reply, the 7-bit form to any other; the file sink writes the 8-bit form. A
hand-built ``EmailMessage`` is accepted too: ``outgoing`` checks its addresses strictly
(``envelope``) and flattens it once. A transport raises only ``TransportError``; ``permanent``
tells the caller whether the delivery row may be retried. Only ``SmtpTransport`` talks SMTP
(``_deliver`` sends; ``_checkout`` connects, greets and probes; ``close`` says QUIT), and
``_translate`` is the only place where aiosmtplib, OS and ssl errors become ``TransportError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import hashlib
import os
import re
import ssl
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from functools import partial
from pathlib import Path
from typing import Protocol

import aiosmtplib

from models.errors import TransportError
from notifications.addresses import parse_address, visible
from notifications.render import RenderedEmail

SECURITY_MODES = ("none", "starttls", "tls")
_SEVEN_BIT = email.policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class SendResult:
    """A message accepted for at least one recipient. ``refused`` maps each recipient the server
    turned away (while accepting others) to its reply, e.g. ``"550 5.1.1 user unknown"``."""

    refused: dict[str, str] = field(default_factory=dict)


class Transport(Protocol):
    async def send(self, message: RenderedEmail | Message) -> SendResult: ...

    async def close(self) -> None: ...


def outgoing(message: RenderedEmail | Message) -> RenderedEmail:
    """``message`` as sent: a RenderedEmail as it is; a hand-built message checked by
    ``envelope`` (TransportError(permanent=True) for a missing or malformed address) and
    flattened once with ``policy.SMTP`` (``set_content`` makes non-ASCII text 8bit, so the
    7-bit form, flattened again with base64 parts, is made only when needed)."""
    if isinstance(message, RenderedEmail):
        return message
    sender, recipients = envelope(message)
    data = message.as_bytes(policy=email.policy.SMTP)
    return RenderedEmail(sender=sender, recipients=tuple(recipients),
                         message_id=str(message.get("Message-ID", "")).strip(), eight_bit=data,
                         make_seven_bit=None if data.isascii() else partial(message.as_bytes,
                                                                            policy=_SEVEN_BIT))


def envelope(message: Message) -> tuple[str, list[str]]:
    """The SMTP envelope of ``message``: the From mailbox and the To/Cc/Bcc mailboxes, repeats
    dropped. Raises TransportError(permanent=True) for a missing or malformed address."""
    senders = _mailboxes(message, "From")
    if len(senders) != 1:
        raise TransportError("邮件必须恰好有一个发件地址", permanent=True)
    sender = parse_address(senders[0], role="发件地址").addr_spec
    recipients: list[str] = []
    for name in ("To", "Cc", "Bcc"):
        for spec in _mailboxes(message, name):
            addr = parse_address(spec).addr_spec
            if addr.lower() not in {r.lower() for r in recipients}:
                recipients.append(addr)
    if not recipients:
        raise TransportError("邮件没有收件人", permanent=True)
    return sender, recipients


def _mailboxes(message: Message, name: str) -> list[str]:
    specs = []
    for value in message.get_all(name, []):
        parsed = getattr(value, "addresses", None)  # policy.default headers come parsed
        if parsed is not None:
            specs.extend(a.addr_spec for a in parsed)
        elif visible(str(value)) != str(value):  # a raw header with CR/LF: never guess
            raise TransportError(f"{name} 头含有换行或控制字符：{visible(str(value))}", permanent=True)
        else:
            specs.extend(spec for _, spec in getaddresses([str(value)]))
    return specs


class SmtpTransport:
    """Sends through one SMTP server over a small pool of reused connections.

    At most ``pool_size`` connections exist; a healthy one goes back to the pool after each
    message, one that saw any error is closed. A pooled connection idle for ``probe_after``
    seconds is checked with NOOP before reuse (servers drop idle clients), and one idle for
    ``max_idle`` seconds is simply replaced. The pool belongs to the event loop that uses it:
    ``await close()`` before that loop ends.
    """

    def __init__(self, *, host: str, port: int, security: str = "none", username: str | None = None,
                 password: str | None = None, timeout: float = 30, pool_size: int = 4,
                 tls_context: ssl.SSLContext | None = None, probe_after: float = 1.0,
                 max_idle: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if str(security) not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, got {security!r}")
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.host, self.port, self.security = host, port, str(security)
        self.username, self._password = username, password
        self.timeout, self.pool_size, self.tls_context = timeout, pool_size, tls_context
        self.probe_after, self.max_idle, self._clock = probe_after, max_idle, clock
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    async def send(self, message: RenderedEmail | Message) -> SendResult:
        """Deliver ``message`` to its envelope recipients. Raises TransportError only."""
        mail = outgoing(message)
        slots = self._bind_loop()
        async with slots:
            return await self._deliver(mail)

    async def close(self) -> None:
        """QUIT every pooled connection. The transport stays usable and reconnects on demand."""
        if self._loop is not asyncio.get_running_loop():
            self._bind_loop()  # the pool's loop is gone, and with it any chance to say QUIT
            return
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await _quit(conn)

    async def _deliver(self, mail: RenderedEmail) -> SendResult:
        """The one function that talks SMTP."""
        conn = None
        try:
            conn = await self._checkout()
            if mail.needs_8bitmime and conn.supports_extension("8bitmime"):
                data, options = mail.eight_bit, ["BODY=8BITMIME"]
            else:
                data, options = mail.seven_bit, []
            refused, _ = await conn.sendmail(mail.sender, list(mail.recipients), data,
                                             mail_options=options)
        except BaseException as exc:
            if conn is not None:
                conn.close()  # a connection that saw an error is never reused
            if isinstance(exc, aiosmtplib.SMTPException | OSError | ValueError):
                raise _translate(exc, self.where) from exc
            raise
        self._idle.append((conn, self._clock()))
        return SendResult(refused={addr: f"{reply.code} {reply.message}" for addr, reply in refused.items()})

    async def _checkout(self) -> aiosmtplib.SMTP:
        while self._idle:
            conn, since = self._idle.pop()
            idle_for = self._clock() - since
            if not conn.is_connected:
                continue
            if idle_for > self.max_idle:
                conn.close()  # no QUIT: the server has likely forgotten us, and it could hang
                continue
            if idle_for >= self.probe_after:
                try:
                    await conn.noop()
                except (aiosmtplib.SMTPException, OSError):
                    conn.close()
                    continue
            return conn
        conn = aiosmtplib.SMTP(
            hostname=self.host, port=self.port, username=self.username, password=self._password,
            timeout=self.timeout, use_tls=self.security == "tls",
            # "none" means none: no opportunistic STARTTLS that could fail on a self-signed relay.
            start_tls=self.security == "starttls", tls_context=self.tls_context,
        )
        await conn.connect()
        await _greet(conn)
        return conn

    def _bind_loop(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._slots is None:
            # Connections of an earlier loop can be neither used nor closed from this one; a
            # caller that ends a loop without close() leaks them (ResourceWarning).
            self._idle = []
            self._slots = asyncio.Semaphore(self.pool_size)
            self._loop = loop
        return self._slots


async def _greet(conn: aiosmtplib.SMTP) -> None:
    """EHLO, unless STARTTLS or login on connect has already done it (after STARTTLS it must be
    said again); HELO to a server that refuses EHLO, which then offers no extensions. The reply
    tells ``_deliver`` whether the server takes 8BITMIME, so it must come before the first send
    (``sendmail`` would say EHLO itself, but only after the bytes were chosen)."""
    if not conn.is_ehlo_or_helo_needed:
        return
    try:
        await conn.ehlo()
    except aiosmtplib.SMTPHeloError:
        if not conn.is_connected:
            raise
        await conn.helo()


async def _quit(conn: aiosmtplib.SMTP) -> None:
    try:
        await conn.quit()
    except (aiosmtplib.SMTPException, OSError):
        conn.close()


def _translate(exc: BaseException, where: str) -> TransportError:
    """Every aiosmtplib / OS / ssl failure as a TransportError; the server's code and text kept."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        replies = "；".join(f"{r.recipient}：{r.code} {r.message}" for r in exc.recipients)
        permanent = all(500 <= r.code < 600 for r in exc.recipients)
        return TransportError(f"邮件服务器 {where} 拒收全部收件人：{replies}", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError
                  | aiosmtplib.SMTPConnectResponseError):
        # Wrong credentials or a refused greeting are the server's or our settings' fault, not
        # this message's: the row must go out once an administrator fixes them.
        return TransportError(f"邮件服务器 {where} 拒绝建立会话：{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        permanent = 500 <= exc.code < 600
        word = "拒收" if permanent else "暂时拒收"
        return TransportError(f"邮件服务器 {where} {word}：{exc.code} {exc.message}", permanent=permanent)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):  # e.g. a non-ASCII address, no SMTPUTF8
        return TransportError(f"邮件服务器 {where} 不支持该邮件：{exc.message}", permanent=True)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return TransportError(f"邮件服务器 {where} 响应超时：{exc}")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return TransportError(f"与邮件服务器 {where} 的连接中断：{exc}")
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        if isinstance(exc.__cause__, ssl.SSLError):  # implicit TLS fails inside connect
            return TransportError(f"与邮件服务器 {where} 的 TLS 握手失败：{exc.__cause__}")
        return TransportError(f"无法连接邮件服务器 {where}：{exc}")
    if isinstance(exc, aiosmtplib.SMTPException):  # STARTTLS or AUTH not offered, and the like
        return TransportError(f"与邮件服务器 {where} 的会话失败：{exc}")
    if isinstance(exc, ssl.SSLError):
        return TransportError(f"与邮件服务器 {where} 的 TLS 握手失败：{exc}")
    if isinstance(exc, OSError):
        return TransportError(f"与邮件服务器 {where} 通信失败：{exc}")
    # aiosmtplib raises ValueError for an address it cannot put on a command line.
    return TransportError(f"邮件地址无法发送：{visible(str(exc))}", permanent=True)


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@-]+")


class FileSinkTransport:
    """Writes each message to ``<directory>/<name from Message-ID>.eml`` instead of sending it.

    Used when no SMTP server is configured. The file is written atomically (temporary file,
    then ``os.replace``); the same Message-ID always maps to the same file, so a re-sent
    message overwrites its earlier copy instead of duplicating it.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path_for(self, message_id: str) -> Path:
        """The file for ``message_id``: readable, filesystem-safe, and distinct per id (the hash
        keeps ids that differ only in replaced characters apart)."""
        stem = _UNSAFE_NAME.sub("_", message_id.strip().strip("<>"))[:120].strip("._") or "message"
        digest = hashlib.sha256(message_id.strip().encode("utf-8")).hexdigest()[:12]
        return self.directory / f"{stem}-{digest}.eml"

    async def send(self, message: RenderedEmail | Message) -> SendResult:
        mail = outgoing(message)  # the same address checks as SMTP, so the dev sink fails like production
        if not mail.message_id:
            raise TransportError("邮件缺少 Message-ID，无法写入发件箱", permanent=True)
        try:
            await asyncio.to_thread(self._write, self.path_for(mail.message_id), mail.eight_bit)
        except OSError as exc:
            raise TransportError(f"无法写入发件箱 {self.directory}：{exc}") from exc
        return SendResult()

    async def close(self) -> None:
        return None

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@dataclass(frozen=True)
class MailConfig:
    """Where messages go, built once at the top (``duban.config.Settings.mail_config``).
    ``host`` None means no relay: messages become .eml files in ``outbox_dir``."""

    outbox_dir: Path
    host: str | None = None
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None


def make_transport(config: MailConfig) -> Transport:
    """A FileSinkTransport on ``config.outbox_dir`` when no host is set, else SMTP."""
    if not config.host:
        return FileSinkTransport(config.outbox_dir)
    return SmtpTransport(host=config.host, port=config.port, security=config.security,
                         username=config.username, password=config.password)
