"""Mail addresses: one strict parser shared by rendering and every transport.

An address problem belongs to the delivery row that carries it and never heals by retrying, so
every refusal here is ``TransportError(permanent=True)``.
"""

from __future__ import annotations

import email.policy
import unicodedata
from collections.abc import Sequence
from email.headerregistry import Address
from functools import lru_cache

from models.errors import TransportError

# Categories that must never reach a header: controls (CR, LF, NUL, DEL…) and the Unicode
# line/paragraph separators some mail software treats as line breaks.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


# A display name holding an at sign can pass for an address: "evil@x.org" <evil@x.org> as a
# name is shown by mail clients as that address. ASCII and full-width forms alike.
_AT_SIGNS = frozenset("@\uff20\ufe6b")


def display_name(name: str | None) -> str:
    """``name`` as a display name that cannot pose as an address: a name holding an at sign is
    dropped altogether ("": the bare address is shown, which is always the truth); control
    characters go and whitespace is collapsed. Quotes, brackets and commas stay (the builder
    quotes or encodes them)."""
    if not name or any(ch in _AT_SIGNS for ch in name):
        return ""
    text = "".join(" " if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES else ch for ch in name)
    return " ".join(text.split())


def visible(text: str) -> str:
    """``text`` with control characters spelled out (``\\r``), safe to quote in an error message."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES else ch
        for ch in text
    )


@lru_cache(maxsize=4096)
def parse_address(raw: str, *, role: str = "收件地址") -> Address:
    """Parse one address, ``"刘洋 <youfu@example.org>"`` or ``"youfu@example.org"``.

    Raises TransportError(permanent=True) when ``raw`` is not exactly one well-formed address
    with an ASCII local part and a domain (a non-ASCII domain is returned in its IDNA form),
    or contains a control character (CR/LF among them): such a
    value could otherwise smuggle a header into the message. Pure and cached: a batch names the
    same people again and again, and the header parser costs about 0.1 ms an address.
    """
    def refuse(reason: str) -> TransportError:
        return TransportError(f"{role} “{visible(str(raw))}” 无效：{reason}", permanent=True)

    if not isinstance(raw, str) or not raw.strip():
        raise refuse("为空")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in raw):
        raise refuse("含有换行或控制字符")
    try:
        header = email.policy.default.header_factory("To", raw.strip())
        addresses = header.addresses
    except Exception as exc:  # the header parser raises IndexError & co. on some garbage
        raise refuse("无法解析") from exc
    if len(addresses) != 1:
        raise refuse("每项只能填写一个地址")
    if header.defects:
        raise refuse("格式不正确")
    address = addresses[0]
    if not address.username or not address.domain or " " in address.domain:
        raise refuse("缺少用户名或域名")
    try:  # a Chinese domain name travels as its ASCII (IDNA) form: no SMTPUTF8 needed
        domain = address.domain if address.domain.isascii() else address.domain.encode("idna").decode()
    except UnicodeError:
        raise refuse("域名无效") from None
    return Address(display_name=display_name(address.display_name), username=address.username,
                   domain=domain)


def named(address: Address, name: str | None) -> Address:
    """``address`` with ``name`` as its display name unless it already has one (the outbox keeps
    a recipient's name beside the bare address), made safe by :func:`display_name`; the
    builder encodes it."""
    if not name or address.display_name:
        return address
    return Address(display_name=display_name(name), username=address.username,
                   domain=address.domain)


def parse_addresses(raws: Sequence[str | Address], *, role: str = "收件地址") -> list[Address]:
    """Parse each entry with :func:`parse_address`, dropping repeats of the same mailbox.

    A bare string is one address, not a sequence of characters; an ``Address`` (e.g. from
    :func:`named`) keeps its display name, and its mailbox is checked like a string's.
    """
    if isinstance(raws, str):
        raws = [raws]
    seen: set[str] = set()
    result = []
    for raw in raws:
        if isinstance(raw, Address):
            address = named(parse_address(raw.addr_spec, role=role), raw.display_name)
        else:
            address = parse_address(raw, role=role)
        if address.addr_spec.lower() not in seen:
            seen.add(address.addr_spec.lower())
            result.append(address)
    return result
