"""Render a reminder into an ``EmailMessage``: sandboxed templates, a strict context, bounded sizes.

Templates live in ``notifications/templates/<name>.{subject,txt,html}.j2``; an administrator's
folder passed as ``templates_dir`` is searched first, file by file. Templates are treated as
semi-trusted: the sandbox keeps them away from Python internals and from mutating the context,
and the size limits keep a careless loop from filling the outbox.
"""

from __future__ import annotations

import email.policy
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, select_autoescape
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from duban.errors import ConfigError, RenderError, TransportError
from notifications.addresses import parse_address, parse_addresses

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


def _render_part(env: Environment, name: str, context: dict[str, Any]) -> str:
    """One template rendered to text; every failure becomes a RenderError naming the template."""
    try:
        chunks, size = [], 0
        # Streaming lets the size limit stop a runaway loop before its output is held whole.
        for chunk in env.get_template(name).generate(context):
            size += len(chunk.encode("utf-8"))
            if size > MAX_PART_BYTES:
                raise RenderError(f"模板 {name} 的渲染结果超过 {MAX_PART_BYTES // 1024} KiB 上限，已拒绝")
            chunks.append(chunk)
        return "".join(chunks)
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


def render_email(template: str, context: Mapping[str, Any], *, sender: str, to: Sequence[str],
                 cc: Sequence[str] = (), message_id: str, templates_dir: Path | None = None,
                 date: datetime | None = None) -> EmailMessage:
    """Build the message for ``template`` (``due_soon``, ``overdue``, ``escalation``,
    ``circulation`` or ``digest``) with a text/plain part and a text/html alternative.

    Raises RenderError for any template problem (missing file, syntax, undefined variable,
    sandbox refusal, size limit); TransportError(permanent=True) for a malformed recipient;
    ConfigError for a malformed ``sender``; ValueError when ``message_id`` is not ``<x@y>``
    (a caller bug). ``date`` defaults to the current time.
    """
    if not _TEMPLATE_NAME.match(template):
        raise RenderError(f"模板名 “{template}” 无效，应由小写字母、数字和下划线组成，例如 overdue")
    if not _MESSAGE_ID.match(message_id):
        raise ValueError(f"Message-ID must look like <local@domain>, got {message_id!r}")
    try:
        from_address = parse_address(sender, role="发件地址")
    except TransportError as exc:
        raise ConfigError(f"{exc}，请检查 DUBAN_SMTP_FROM") from None
    to_addresses = parse_addresses(to)
    if not to_addresses:
        raise TransportError("没有收件人", permanent=True)
    taken = {a.addr_spec.lower() for a in to_addresses}
    cc_addresses = [a for a in parse_addresses(cc, role="抄送地址") if a.addr_spec.lower() not in taken]

    env = _environment(templates_dir.resolve() if templates_dir else None)
    values = dict(context)
    subject = clean_subject(_render_part(env, f"{template}.subject.j2", values))
    if not subject:
        raise RenderError(f"模板 {template}.subject.j2 渲染出的主题为空")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise RenderError(f"模板 {template}.subject.j2 渲染出的主题有 {len(subject)} 个字符，"
                          f"超过 {MAX_SUBJECT_CHARS} 个字符上限")
    text = _render_part(env, f"{template}.txt.j2", values)
    html = _render_part(env, f"{template}.html.j2", values)
    return _assemble(subject, text, html, from_address, to_addresses, cc_addresses, message_id,
                     date or datetime.now().astimezone())


def _assemble(subject: str, text: str, html: str, sender: Address, to: list[Address],
              cc: list[Address], message_id: str, date: datetime) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Date"] = date
    msg["Message-ID"] = message_id
    # RFC 3834: keeps out-of-office robots from answering a reminder (and looping).
    msg["Auto-Submitted"] = "auto-generated"
    # base64 keeps both parts 7-bit clean whatever the relay supports; Chinese text costs 4/3.
    msg.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return msg
