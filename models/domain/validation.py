"""Checks on single values; each raises InputError naming the field and the value.

Every text a user hands duban (CLI arguments, ledger cells, CSV fields, web forms) passes
through :func:`text` or at least :func:`xml_chars` before it is stored: one place decides which
characters a stored text may hold.
"""

from __future__ import annotations

import re

from models.errors import InputError

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# XML 1.0 allows TAB, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and U+10000 up (the Char
# production). One character outside makes every XML document that holds it invalid: the
# exported .xlsx, a .docx report, an iCalendar feed read by an XML tool.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9._%+\-]+@{_LABEL}(?:\.{_LABEL})+$")


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def xml_chars(value: str, field: str) -> str:
    """``value`` unchanged when XML can carry every character of it; else InputError naming
    ``field``, the character and its position. For any free text a form or file brings in."""
    bad = _XML_ILLEGAL.search(value)
    if bad:
        raise InputError(field, value, f"第 {bad.start() + 1} 个字符是不允许的字符"
                                       f"（{_describe(bad.group())}，文档中无法保存）")
    return value


def xml_safe(value: str) -> str:
    """``value`` with each character XML cannot carry written as Excel writes it (``_xFFFE_``):
    for writers of stored text, so that text stored before these checks cannot break a file."""
    return _XML_ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def text(value: str | None, field: str, *, max_len: int, required: bool = True,
         multiline: bool = False) -> str | None:
    """Stripped text; None when empty and optional. Refuses characters XML cannot carry,
    control characters, and line breaks unless ``multiline`` (names and titles end up in mail
    headers)."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InputError(field, value or "", "不能为空")
        return None
    bad = (_CONTROL if multiline else _CONTROL_OR_NEWLINE).search(cleaned)
    if bad:
        raise InputError(field, cleaned, f"含有不允许的控制字符（{bad.group()!r}）")
    xml_chars(cleaned, field)
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
