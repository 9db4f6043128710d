"""Failures of the world around duban, explained in Chinese in one place.

The database server down, an unknown database or role, a full disk, a folder that is a file,
missing permissions: none is a bug, and none should reach a user as a traceback. ``explain``
turns each into a message naming the cause and what to do; the CLI prints it and exits 1, the
scheduler prints it and waits for its next tick, the web layer can show it. Whatever was being
written is rolled back (one transaction per command; files are written beside their target
and renamed), so the message can say that nothing was written.

Messages never quote a database URL or a setting's value, only the driver's own words, and
``redact`` removes any password the settings hold from whatever text is printed.
"""

from __future__ import annotations

import errno
import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from models.errors import quote

_NOTHING_WRITTEN = "本次操作未完成，未写入任何数据"
_PG_MISSING = re.compile(r'(database|role) "([^"]*)" does not exist')
_OS_REASONS = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EFBIG: "文件超过了系统允许的大小（磁盘已满或受限）",
    errno.EACCES: "没有访问权限",
    errno.EPERM: "没有操作权限",
    errno.EROFS: "文件系统是只读的",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EEXIST: "已有同名的文件",
    errno.EISDIR: "是目录而不是文件",
    errno.ENOENT: "不存在",
    errno.EIO: "磁盘读写出错",
}


def _driver_line(exc: DBAPIError) -> str:
    """The driver's own first words, short (never the statement or its parameters)."""
    text = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    return quote(text, 160)


def _database(exc: DBAPIError) -> str | None:
    text = str(exc.orig)
    lowered = text.lower()
    missing = _PG_MISSING.search(text)
    if missing:
        what = "数据库" if missing.group(1) == "database" else "数据库用户（角色）"
        return (f"{what} “{quote(missing.group(2), 60)}” 不存在：请检查 DUBAN_DATABASE_URL，"
                "或先在 PostgreSQL 中创建它。")
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return "数据库拒绝了登录（用户名或密码不正确）：请检查 DUBAN_DATABASE_URL。"
    if "database or disk is full" in lowered or "no space left on device" in lowered:
        return f"磁盘空间已满，数据库无法写入：请清理磁盘后重试。{_NOTHING_WRITTEN}。"
    if "disk i/o error" in lowered:
        return (f"数据库文件读写出错（磁盘可能已满、只读或损坏）：请检查磁盘后重试。"
                f"{_NOTHING_WRITTEN}。")
    if "unable to open database file" in lowered:
        return (f"无法打开数据库文件（{_driver_line(exc)}）：请检查 DUBAN_HOME 或 DUBAN_DATABASE_URL "
                "指向的目录是否存在、可写。")
    if "readonly database" in lowered or "read-only" in lowered:
        return f"数据库是只读的，无法写入：请检查数据库文件的权限。{_NOTHING_WRITTEN}。"
    if "database is locked" in lowered:
        return f"数据库正被其他进程长时间占用：请稍后重试。{_NOTHING_WRITTEN}。"
    if exc.connection_invalidated or any(word in lowered for word in (
            "connection refused", "could not connect", "connection failed", "timeout expired",
            "could not translate host name", "server closed the connection", "terminating connection",
            "no route to host", "name or service not known")):
        return (f"无法连接数据库服务器（{_driver_line(exc)}）：请确认 PostgreSQL 已启动，"
                f"DUBAN_DATABASE_URL 中的主机和端口正确。{_NOTHING_WRITTEN}。")
    return None


def _os(exc: OSError) -> str | None:
    reason = _OS_REASONS.get(exc.errno or -1)
    if reason is None:
        return None
    where = f"{quote(str(exc.filename), 200)}：" if exc.filename else ""
    advice = "请清理磁盘后重试" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else "请检查该路径"
    return f"{where}{reason}。{advice}；{_NOTHING_WRITTEN}。"


def explain(exc: BaseException) -> str | None:
    """A Chinese message for a failure of the world around duban; None for anything else
    (a bug keeps its traceback)."""
    if isinstance(exc, DBAPIError):
        return _database(exc)
    if isinstance(exc, OSError):
        return _os(exc)
    if isinstance(exc, MemoryError):
        return f"内存不足：{_NOTHING_WRITTEN}。"
    return None


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret (a password from the settings) replaced by ***."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


_USERINFO = re.compile(r"://[^?#]*@")
_QUERY_PASSWORD = re.compile(r"(password=)([^&]*)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """A database URL as it may be shown: who logs in, and with what password, left out."""
    return _QUERY_PASSWORD.sub(r"\1***", _USERINFO.sub("://***@", url))


def url_passwords(url: str | None) -> list[str]:
    """The passwords a database URL carries (in its authority or its query), to be kept out of
    every message; found by hand when the URL does not parse."""
    if not url:
        return []
    found = [m.group(2) for m in _QUERY_PASSWORD.finditer(url)]
    userinfo = _USERINFO.search(url)
    if userinfo and ":" in userinfo.group()[3:]:
        found.append(userinfo.group()[3:-1].split(":", 1)[1])
    try:
        password = make_url(url).password
    except Exception:  # unparsable: what was found by hand is all there is
        password = None
    return [p for p in {*found, *([str(password)] if password else [])} if p]
