"""Render a reminder into a ready-to-send message: sandboxed templates, a strict context, bounded sizes.

Templates live in ``notifications/templates/<name>.{subject,txt,html}.j2``; an administrator's
folder passed as ``templates_dir`` is searched first, file by file. Templates are treated as
semi-trusted: the sandbox keeps them away from Python internals and from mutating the context,
and the size limits keep a careless loop from filling the outbox.

Deviation from the house rule "rendering returns an EmailMessage": ``render_email`` returns a
``RenderedEmail`` holding the envelope, the Message-ID and the exact bytes, written directly by
``_head`` and ``_body`` (the one builder). Building an ``EmailMessage`` with ``policy.SMTP``,
then having aiosmtplib flatten it and the transport re-parse its addresses, was most of
delivery's time (about 3 ms a message); writing the bytes costs a small fraction of that.
``RenderedEmail.message`` parses the bytes back into an ``EmailMessage`` (``policy.default``)
for whoever wants one.

The bytes come in two forms. ``eight_bit`` carries the text parts as UTF-8 unencoded
(``Content-Transfer-Encoding: 8bit``), for a server that announces 8BITMIME (RFC 6152): Chinese
text costs 3 bytes a character instead of 4, and nothing is encoded or decoded on either side.
``seven_bit`` base64-encodes them, for any other server; it is built only when asked for. A
part whose lines could not travel unencoded (one longer than 998 octets, RFC 5322 2.1.1; a NUL;
the "=_" that starts our boundaries) is base64 in both forms. Headers are the same 7-bit text in
both: every non-ASCII word RFC 2047-encoded, addresses ASCII.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cached_property, lru_cache, partial
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from models.errors import ConfigError, RenderError, TransportError
from notifications.addresses import parse_address, parse_addresses
from notifications.bounded import render_bounded

PACKAGED_TEMPLATES = Path(__file__).parent / "templates"
MAX_TEMPLATE_BYTES = 64 * 1024
MAX_PART_BYTES = 512 * 1024
MAX_SUBJECT_CHARS = 200
PARTS = ("subject", "txt", "html")

_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# RFC 5322 msg-id with printable ASCII only: nothing that could end the header line.
_MESSAGE_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+>$")


class _Loader(BaseLoader):
    """The administrator's folder first, then the packaged one; oversized sources are refused."""

    def __init__(self, searchpath: Sequence[Path]):
        self.searchpath = list(searchpath)

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses "..": no escaping the folders
        for base in self.searchpath:
            path = base.joinpath(*pieces)
            if not path.is_file():
                continue
            stat = path.stat()
            if stat.st_size > MAX_TEMPLATE_BYTES:
                raise RenderError(
                    f"模板 {template}（{path}）超过 {MAX_TEMPLATE_BYTES // 1024} KiB 上限，已拒绝")
            try:
                source = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise RenderError(f"模板 {template}（{path}）不是 UTF-8 文本") from exc

            def uptodate(path: Path = path, mtime: float = stat.st_mtime) -> bool:
                try:
                    return path.stat().st_mtime == mtime
                except OSError:
                    return False

            return source, str(path), uptodate
        raise TemplateNotFound(template)


class _Sandbox(ImmutableSandboxedEnvironment):
    """Also bounds ``*`` and ``**``: ``{{ 'x' * 10**9 }}`` would otherwise build a gigabyte string
    before the output limit could see it."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and right > 64:
            raise SecurityError("模板中的乘方指数过大")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (isinstance(seq, str | list | tuple) and isinstance(count, int)
                        and len(seq) * count > MAX_PART_BYTES):
                    raise SecurityError("模板中的重复运算结果过大")
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=8)
def _environment(templates_dir: Path | None) -> Environment:
    searchpath = [templates_dir, PACKAGED_TEMPLATES] if templates_dir else [PACKAGED_TEMPLATES]
    return _Sandbox(
        loader=_Loader(searchpath),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False,
                                     default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )


def _too_big(name: str) -> RenderError:
    return RenderError(f"模板 {name} 的渲染结果超过 {MAX_PART_BYTES // 1024} KiB 上限，已拒绝")


def _render_part(env: Environment, name: str, context: dict[str, Any]) -> str:
    """One template rendered to text; every failure becomes a RenderError naming the template."""
    try:
        chunks, size = [], 0
        # Streaming lets the size limit stop a runaway loop before its output is held whole.
        # Characters are counted as it runs (never more than bytes; encoding every chunk cost
        # more than the rendering), bytes once at the end.
        for chunk in env.get_template(name).generate(context):
            size += len(chunk)
            if size > MAX_PART_BYTES:
                raise _too_big(name)
            chunks.append(chunk)
        text = "".join(chunks)
        if size * 4 > MAX_PART_BYTES and len(text.encode("utf-8")) > MAX_PART_BYTES:
            raise _too_big(name)
        return text
    except RenderError:
        raise
    except TemplateNotFound as exc:
        missing = "" if exc.name == name else f"引用的模板 {exc.name} "
        raise RenderError(f"模板 {name} {missing}不存在") from exc
    except TemplateSyntaxError as exc:
        where = exc.name or name
        raise RenderError(f"模板 {name} 有语法错误（{where} 第 {exc.lineno} 行）：{exc.message}") from exc
    except SecurityError as exc:
        raise RenderError(f"模板 {name} 被沙箱拒绝：{exc}") from exc
    except Exception as exc:  # undefined variables, type errors, …: any template fault is a RenderError
        raise RenderError(f"模板 {name} 渲染失败：{exc}") from exc


def clean_subject(text: str) -> str:
    """Collapse every run of whitespace (newlines included) to one space; drop control characters."""
    text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(text.split())


def shorten_subject(subject: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    """``subject`` cut to ``limit`` characters, ending in "…" when cut: a long title (or an
    administrator's template) makes a long subject, never a reminder that fails to go out.
    The packaged subjects already shorten the title itself, keeping their ending (unit, days)."""
    return subject if len(subject) <= limit else subject[:limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Invitation:
    """An iCalendar invitation to attach as invite.ics; ``method`` is its METHOD (REQUEST, CANCEL)."""

    method: str
    data: bytes


@dataclass(frozen=True)
class Attachment:
    """A file to attach (the year-end summary's .docx): its name, MIME type and bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RenderedEmail:
    """A message ready to send: the SMTP envelope, the Message-ID and the exact bytes in two forms
    (CRLF lines; headers 7-bit in both: non-ASCII words RFC 2047-encoded, addresses ASCII).

    ``eight_bit``  text parts as 8bit UTF-8 where their lines allow it: send with
                   ``BODY=8BITMIME``, and only to a server that announced 8BITMIME
    ``seven_bit``  every part 7-bit (base64 unless plain ASCII): for any server
    ``make_seven_bit`` builds the 7-bit form on first use; it is None when ``eight_bit`` is 7-bit
    already (``needs_8bitmime`` is False), and the two forms are then the same bytes.
    """

    sender: str
    recipients: tuple[str, ...]
    message_id: str
    eight_bit: bytes
    make_seven_bit: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def needs_8bitmime(self) -> bool:
        """Whether ``eight_bit`` holds 8-bit octets (and so differs from ``seven_bit``)."""
        return self.make_seven_bit is not None

    @cached_property
    def seven_bit(self) -> bytes:
        return self.eight_bit if self.make_seven_bit is None else self.make_seven_bit()

    @cached_property
    def message(self) -> EmailMessage:
        """The bytes parsed back (``policy.default``): for reading, not for sending. Both forms
        read back the same."""
        return email.message_from_bytes(self.eight_bit, policy=email.policy.default)


def render_email(template: str, context: Mapping[str, Any], *, sender: str,
                 to: Sequence[str | Address], cc: Sequence[str] = (), message_id: str,
                 templates_dir: Path | None = None, date: datetime | None = None,
                 invitation: Invitation | None = None,
                 attachments: Sequence[Attachment] = ()) -> RenderedEmail:
    """Build the message for ``template`` (``due_soon``, ``overdue``, ``escalation``,
    ``circulation``, ``digest``, ``meeting``…) with a text/plain part and a text/html
    alternative, ``invitation`` attached as invite.ics when given, and ``attachments``.

    ``to`` holds address strings or ``Address`` values already parsed by
    ``notifications.addresses`` (e.g. ``named(...)``). Raises RenderError for any template
    problem (missing file, syntax, undefined variable, sandbox refusal, size limit);
    TransportError(permanent=True) for a malformed recipient; ConfigError for a malformed
    ``sender``; ValueError when ``message_id`` is not ``<x@y>`` or the invitation's method is
    not a plain word (caller bugs). ``date`` defaults to the current time.
    """
    if not _TEMPLATE_NAME.match(template):
        raise RenderError(f"模板名 “{template}” 无效，应由小写字母、数字和下划线组成，例如 overdue")
    if not _MESSAGE_ID.match(message_id):
        raise ValueError(f"Message-ID must look like <local@domain>, got {message_id!r}")
    if invitation is not None and not _METHOD.match(invitation.method):
        raise ValueError(f"iCalendar METHOD must be a plain word, got {invitation.method!r}")
    try:
        from_address = parse_address(sender, role="发件地址")
    except TransportError as exc:
        raise ConfigError(f"{exc}，请检查 DUBAN_SMTP_FROM") from None
    to_addresses = parse_addresses(to)
    if not to_addresses:
        raise TransportError("没有收件人", permanent=True)
    taken = {a.addr_spec.lower() for a in to_addresses}
    cc_addresses = [a for a in parse_addresses(cc, role="抄送地址") if a.addr_spec.lower() not in taken]

    raw_subject, raw_text, raw_html = _render_parts(template, dict(context), templates_dir)
    subject = clean_subject(raw_subject)
    if not subject:
        raise RenderError(f"模板 {template}.subject.j2 渲染出的主题为空")
    subject = shorten_subject(subject)
    text = _text("plain", raw_text)
    html = _text("html", raw_html)
    head = _head(subject, from_address, to_addresses, cc_addresses, message_id,
                 date or datetime.now().astimezone())
    body = partial(_body, (text, html), hashlib.sha256(message_id.encode("ascii")).hexdigest()[:24],
                   invitation, tuple(attachments))
    eight_bit = text.bare == "8bit" or html.bare == "8bit"
    return RenderedEmail(sender=from_address.addr_spec,
                         recipients=tuple(a.addr_spec for a in [*to_addresses, *cc_addresses]),
                         message_id=message_id, eight_bit=head + body(eight_bit=True),
                         make_seven_bit=partial(_join, head, body) if eight_bit else None)


def _render_parts(template: str, values: dict[str, Any], templates_dir: Path | None) -> list[str]:
    """The subject, text and HTML templates rendered. An administrator's folder is rendered in a
    worker bounded in time and memory (notifications.bounded); the packaged templates here."""
    names = [f"{template}.{part}.j2" for part in PARTS]
    if templates_dir is not None:
        return render_bounded(templates_dir.resolve(), names, values)
    env = _environment(None)
    return [_render_part(env, name, values) for name in names]


# -- the builder: headers and MIME parts written directly, every line CRLF-terminated and short --

_CRLF = "\r\n"
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_METHOD = re.compile(r"^[A-Z][A-Z-]{0,30}$")
_PLAIN_CHARS = 60  # longer ASCII text is sent as encoded words too: short header lines
_WORD_BYTES = 39   # UTF-8 bytes per encoded word: 52 base64 characters, 64 with the wrapping


def _encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded words, one per folded line, each at most 64 characters
    and never splitting a character. (``email.header.Header`` does the same at 0.1 ms a call,
    weighing Q against B encoding character by character.)"""
    data = text.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return (_CRLF + " ").join(words)


def _plain(text: str) -> bool:
    return text.isascii() and len(text) <= _PLAIN_CHARS and "=?" not in text


def _phrase(name: str) -> str:
    """A display name (already cleaned) as header text: encoded words unless plain short ASCII, so
    it can neither break the line nor be read as part of the address."""
    if not _plain(name):
        return _encoded_words(name)
    if _SPECIALS.search(name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


@lru_cache(maxsize=1024)
def _mailbox_text(name: str, addr_spec: str) -> str:
    name = clean_subject(name)  # names come from data: no CR/LF or controls, ever
    return f"{_phrase(name)} <{addr_spec}>" if name else addr_spec


def _mailbox(address: Address) -> str:
    return _mailbox_text(address.display_name, address.addr_spec)


def _address_header(field: str, addresses: list[Address]) -> str:
    return f"{field}: " + ("," + _CRLF + " ").join(_mailbox(a) for a in addresses)


def _subject_header(subject: str) -> str:
    return "Subject: " + (subject if _plain(subject) else _encoded_words(subject))


def _base64(data: bytes) -> str:
    """Base64 in 76-character CRLF lines (RFC 2045); one encoding call, then slices (``encodebytes``
    calls the encoder once per line)."""
    text = binascii.b2a_base64(data, newline=False).decode("ascii")
    return "".join(text[i:i + 76] + _CRLF for i in range(0, len(text), 76))


MAX_LINE_OCTETS = 998  # RFC 5322 2.1.1 (and RFC 2045 2.7/2.8): CRLF not counted


@dataclass(frozen=True)
class _Text:
    """A rendered text part as canonical bytes (UTF-8, CRLF line ends, RFC 2046), and how it may
    travel unencoded: "7bit" (plain ASCII), "8bit", or None (base64 only)."""

    subtype: str
    data: bytes
    bare: str | None


def _text(subtype: str, text: str) -> _Text:
    lines = text.encode("utf-8").splitlines()
    data = b"\r\n".join(lines) + b"\r\n"
    # Unencoded lines must fit (998 octets), hold no NUL (RFC 2045 2.7, 2.8), and never contain
    # "=_", with which every boundary of ours begins: base64 cannot contain it, so a part that
    # does (from a title, say) goes as base64 rather than risk ending the part early.
    if b"\0" in data or b"=_" in data or max(map(len, lines), default=0) > MAX_LINE_OCTETS:
        return _Text(subtype, data, None)
    return _Text(subtype, data, "7bit" if data.isascii() else "8bit")


def _text_part(part: _Text, *, eight_bit: bool) -> bytes:
    head = f'Content-Type: text/{part.subtype}; charset="utf-8"{_CRLF}'
    if part.bare == "7bit" or (part.bare == "8bit" and eight_bit):
        # The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1): one more keeps the
        # text's own last line end, so both forms read back the same.
        return (f"{head}Content-Transfer-Encoding: {part.bare}{_CRLF}{_CRLF}".encode("ascii")
                + part.data + b"\r\n")
    return f"{head}Content-Transfer-Encoding: base64{_CRLF}{_CRLF}{_base64(part.data)}".encode("ascii")


def _calendar_part(invitation: Invitation) -> bytes:
    # An attachment: base64 in both forms (it is small, and only meeting notices carry one).
    return (f'Content-Type: text/calendar; charset="utf-8"; method="{invitation.method}"{_CRLF}'
            f'Content-Disposition: attachment; filename="invite.ics"{_CRLF}'
            f"Content-Transfer-Encoding: base64{_CRLF}{_CRLF}{_base64(invitation.data)}").encode("ascii")


def _file_part(attachment: Attachment) -> bytes:
    # RFC 2231 filename*: a Chinese file name travels as percent-encoded UTF-8 in 7-bit headers.
    from urllib.parse import quote

    if not re.fullmatch(r"[\w./+-]+", attachment.content_type, flags=re.ASCII):
        raise ValueError(f"bad content type {attachment.content_type!r}")
    name = clean_subject(attachment.filename).replace("/", "_") or "attachment"
    return (f"Content-Type: {attachment.content_type}{_CRLF}"
            f"Content-Disposition: attachment; filename*=utf-8''{quote(name, safe='')}{_CRLF}"
            f"Content-Transfer-Encoding: base64{_CRLF}{_CRLF}{_base64(attachment.data)}").encode("ascii")


def _multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    # "=_" occurs neither in base64, nor in the part headers above, nor in an unencoded part
    # (``_text`` sees to that), so the boundary cannot either.
    delimiter = f"--{boundary}{_CRLF}".encode("ascii")
    return (f'Content-Type: multipart/{subtype}; boundary="{boundary}"{_CRLF}{_CRLF}'.encode("ascii")
            + b"".join(delimiter + part for part in parts) + f"--{boundary}--{_CRLF}".encode("ascii"))


def _head(subject: str, sender: Address, to: list[Address], cc: list[Address], message_id: str,
          date: datetime) -> bytes:
    """The header lines shared by both forms: ASCII, every line CRLF-terminated and short."""
    headers = [f"From: {_mailbox(sender)}", _address_header("To", to)]
    if cc:
        headers.append(_address_header("Cc", cc))
    headers += [
        _subject_header(subject),
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        # RFC 3834: keeps out-of-office robots from answering a reminder (and looping).
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
    ]
    return (_CRLF.join(headers) + _CRLF).encode("ascii")


def _body(texts: tuple[_Text, ...], tag: str, invitation: Invitation | None,
          attachments: tuple[Attachment, ...] = (), *, eight_bit: bool) -> bytes:
    """The MIME body (its Content-Type header first) with the text parts 8bit where they may be
    (``eight_bit``) or 7-bit."""
    body = _multipart("alternative", f"=_a{tag}", [_text_part(t, eight_bit=eight_bit) for t in texts])
    extra = [_calendar_part(invitation)] if invitation is not None else []
    extra += [_file_part(a) for a in attachments]
    if extra:
        body = _multipart("mixed", f"=_m{tag}", [body, *extra])
    return body


def _join(head: bytes, body: Callable[..., bytes]) -> bytes:
    return head + body(eight_bit=False)
