"""Domain errors. The CLI turns them into exit code 1 and a message; the web layer into 4xx.

    DubanError
    ├── ConfigError        a DUBAN_* variable has a bad value
    ├── DatabaseNotReady   the database is missing or behind the newest migration
    ├── InputError         a value is malformed (names the field and the value)
    ├── ValidationFailed   a file with bad cells: every Problem (row, column, value, reason)
    ├── NotFound           a unit, item or person that does not exist
    ├── Refused            a valid request the current state does not allow
    ├── RenderError        a message template failed to render (bad template or context)
    └── TransportError     a message could not be delivered; ``permanent`` says retry or not
"""

from __future__ import annotations

import errno
import unicodedata
from dataclasses import dataclass

QUOTE_CHARS = 60  # how much of a value a message quotes
MAX_LISTED_PROBLEMS = 200  # how many problems of a file a message lists


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """``value`` as a message may quote it: at most ``limit`` characters (then "…（共 N 字）"),
    control characters, lone surrogates and other invisible or unencodable ones spelled out
    (``\\x00``, ``\\ufffe``), so a hostile value can neither flood the output nor break the line
    or the terminal's encoding."""
    text = value if isinstance(value, str) else str(value)
    shown = text[:limit]
    if not shown.isprintable():
        shown = "".join(_visible(ch) for ch in shown)
    return shown if len(text) <= limit else f"{shown}…（共 {len(text)} 字）"


def _visible(ch: str) -> str:
    if ch.isprintable() or unicodedata.category(ch) in ("Lo", "Zs", "Mn", "Mc"):
        return ch
    return ch.encode("unicode_escape", "backslashreplace").decode("ascii")


class DubanError(Exception):
    """Base of every error duban reports to a user. ``str(err)`` is Chinese and complete."""


class ConfigError(DubanError):
    pass


class DatabaseNotReady(DubanError):
    pass


class InputError(DubanError):
    """``value`` is quoted up to ``limit`` characters (longer for a path than for a cell)."""

    def __init__(self, field: str, value: object, reason: str, *, where: str = "",
                 limit: int = QUOTE_CHARS):
        self.field, self.value, self.reason, self.where = field, value, reason, where
        prefix = f"{where} " if where else ""
        super().__init__(f"{prefix}{field} “{quote(value, limit)}”：{reason}")


@dataclass(frozen=True)
class Problem:
    """One bad cell of a file: where it is and why it was refused."""

    where: str
    field: str
    value: object
    reason: str

    def __str__(self) -> str:
        return f"{self.where} {self.field} “{quote(self.value)}”：{self.reason}"


class ValidationFailed(DubanError):
    """``problems`` are the first ones found (at most what the finder kept); ``total`` counts
    them all. The message lists at most MAX_LISTED_PROBLEMS."""

    def __init__(self, source: str, problems: list[Problem], *, total: int | None = None):
        self.source, self.problems = source, problems
        self.total = len(problems) if total is None else total
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = self.total - len(listed)
        super().__init__(
            f"{source} 有 {self.total} 处错误，未写入任何数据：\n"
            + "\n".join(f"  {p}" for p in listed)
            + (f"\n  ……另有 {more} 处错误未列出" if more else ""),
        )


class NotFound(DubanError):
    def __init__(self, what: str, key: object):
        self.what, self.key = what, key
        super().__init__(f"{what} “{key}” 不存在")


class Refused(DubanError):
    pass


class RenderError(DubanError):
    pass


class TransportError(DubanError):
    """Delivery failed. ``permanent`` (5xx, malformed address) means never retry."""

    def __init__(self, message: str, *, permanent: bool = False):
        self.permanent = permanent
        super().__init__(message)


_OS_ERRORS = {errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
              errno.EISDIR: "这是一个目录，不是文件", errno.ENOTDIR: "路径中有一段不是目录",
              errno.ENOSPC: "磁盘空间不足", errno.EROFS: "只读文件系统", errno.EEXIST: "已存在",
              errno.ENAMETOOLONG: "文件名太长"}


def os_error_words(exc: OSError) -> str:
    """An OSError as a Chinese phrase (the system's English strerror when it is unusual)."""
    return _OS_ERRORS.get(exc.errno or 0, exc.strerror or str(exc))
