"""Checks on single values; each raises InputError naming the field and the value."""

from __future__ import annotations

import re

from models.errors import InputError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9._%+\-]+@{_LABEL}(?:\.{_LABEL})+$")


def text(value: str | None, field: str, *, max_len: int, required: bool = True,
         multiline: bool = False) -> str | None:
    """Stripped text; None when empty and optional. Refuses control characters, and
    line breaks unless ``multiline`` (names and titles end up in mail headers)."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InputError(field, value or "", "不能为空")
        return None
    bad = (_CONTROL if multiline else _CONTROL_OR_NEWLINE).search(cleaned)
    if bad:
        raise InputError(field, cleaned, f"含有不允许的控制字符（{bad.group()!r}）")
    if len(cleaned) > max_len:
        raise InputError(field, cleaned, f"长度 {len(cleaned)} 超过上限 {max_len}")
    return cleaned


def email(value: str | None, field: str, *, required: bool = True) -> str | None:
    cleaned = text(value, field, max_len=254, required=required)
    if cleaned is None:
        return None
    if not _EMAIL.match(cleaned):
        raise InputError(field, cleaned, "不是有效的邮箱地址")
    return cleaned
