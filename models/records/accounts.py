"""Web accounts: add, list, disable, change password; sign in and out with server-side sessions.

Passwords are kept as argon2id hashes (argon2-cffi). Five wrong passwords in a row lock an
account for 15 minutes. Sessions live in ``web_session``: a browser holds a random token, the
table holds its SHA-256, so deleting the row (logout, disable, new password) ends it at once.
Every sign-in, failed sign-in, lockout and sign-out is an event of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, col, select

from models.domain import validation
from models.domain.enums import Role, choose
from models.errors import InputError, NotFound, Refused
from models.records.units import get_unit
from models.store.events import record_event, snapshot
from models.store.tables import Account, Unit, WebSession

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
PASSWORD_MIN, PASSWORD_MAX = 8, 128
PUBLIC_FIELDS = ["name", "role", "unit_id", "disabled"]

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("duban-no-such-account")


def check_password(password: str | None) -> str:
    """The password as given (not stripped: spaces count), or InputError."""
    value = password or ""
    if len(value) < PASSWORD_MIN:
        raise InputError("密码", "******", f"至少 {PASSWORD_MIN} 个字符")
    if len(value) > PASSWORD_MAX:
        raise InputError("密码", "******", f"最多 {PASSWORD_MAX} 个字符")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InputError("密码", "******", "含有控制字符")
    return value


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_account(session: Session, name: str) -> Account:
    account = session.exec(select(Account).where(Account.name == name)).first()
    if account is None:
        raise NotFound("账号", name)
    return account


def add_account(session: Session, *, name: str, role: str | Role, unit: str | None, password: str,
                actor: str, now: datetime) -> Account:
    """A new account; a 承办单位 account needs its unit, the others take none."""
    clean_name = validation.text(name, "用户名", max_len=50)
    chosen = role if isinstance(role, Role) else choose(Role, role, "角色")
    unit_id = None
    if chosen is Role.UNIT:
        if not (unit and unit.strip()):
            raise InputError("单位", "", "承办单位账号必须指定所属单位（--unit）")
        unit_id = get_unit(session, unit.strip()).id
    elif unit and unit.strip():
        raise InputError("单位", unit, f"{chosen.value}账号不属于某个单位，请不要指定单位")
    secret = check_password(password)
    if session.exec(select(Account.id).where(Account.name == clean_name)).first() is not None:
        raise Refused(f"用户名 “{clean_name}” 已存在")
    account = Account(name=clean_name, role=chosen, unit_id=unit_id,  # type: ignore[arg-type]
                      password_hash=_hasher.hash(secret), created_at=now)
    session.add(account)
    session.flush()
    record_event(session, entity="account", entity_id=account.id, action="create",  # type: ignore[arg-type]
                 actor=actor, at=now, after=snapshot(account, PUBLIC_FIELDS))
    return account


def list_accounts(session: Session) -> list[tuple[Account, Unit | None]]:
    query = (select(Account, Unit).join(Unit, col(Account.unit_id) == col(Unit.id), isouter=True)
             .order_by(col(Account.id)))
    return list(session.exec(query))  # type: ignore[arg-type]


def _end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(WebSession).where(col(WebSession.account_id) == account_id))


def set_disabled(session: Session, name: str, disabled: bool, *, actor: str,
                 now: datetime) -> Account:
    """Disable (signing the account out everywhere at once) or enable again."""
    account = get_account(session, name)
    if account.disabled == disabled:
        return account
    account.disabled = disabled
    if disabled:
        _end_sessions(session, account.id)  # type: ignore[arg-type]
    else:
        account.failed_logins, account.locked_until = 0, None
    record_event(session, entity="account", entity_id=account.id,  # type: ignore[arg-type]
                 action="disable" if disabled else "enable", actor=actor, at=now,
                 before={"disabled": not disabled}, after={"disabled": disabled})
    return account


def set_password(session: Session, name: str, password: str, *, actor: str,
                 now: datetime) -> Account:
    """A new password; every open session of the account ends and a lockout is lifted."""
    account = get_account(session, name)
    account.password_hash = _hasher.hash(check_password(password))
    account.failed_logins, account.locked_until = 0, None
    _end_sessions(session, account.id)  # type: ignore[arg-type]
    record_event(session, entity="account", entity_id=account.id, action="password",  # type: ignore[arg-type]
                 actor=actor, at=now)
    return account


@dataclass(frozen=True)
class LoginOutcome:
    """``account`` when the password was right and the account may sign in; else ``message``."""

    account: Account | None
    message: str = ""


WRONG = "用户名或密码错误"


def login(session: Session, name: str, password: str, *, now: datetime) -> LoginOutcome:
    """Check a password, counting failures; the caller commits whatever the outcome."""
    account = session.exec(select(Account).where(Account.name == (name or "").strip())).first()
    if account is None:
        _verify(_DUMMY_HASH, password)
        return LoginOutcome(None, WRONG)
    if account.locked_until is not None and account.locked_until > now:
        return LoginOutcome(None, "连续输错密码次数过多，账号已锁定 15 分钟，请稍后再试")
    if not _verify(account.password_hash, password):
        account.failed_logins += 1
        record_event(session, entity="account", entity_id=account.id, action="login_failed",  # type: ignore[arg-type]
                     actor=account.name, at=now, after={"failed_logins": account.failed_logins})
        if account.failed_logins >= MAX_FAILURES:
            account.failed_logins, account.locked_until = 0, now + LOCK_FOR
            record_event(session, entity="account", entity_id=account.id, action="lockout",  # type: ignore[arg-type]
                         actor=account.name, at=now,
                         after={"locked_until": account.locked_until.isoformat()})
            return LoginOutcome(None, "连续输错密码次数过多，账号已锁定 15 分钟，请稍后再试")
        return LoginOutcome(None, WRONG)
    if account.disabled:
        return LoginOutcome(None, "该账号已停用，请联系管理员")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.failed_logins, account.locked_until = 0, None
    record_event(session, entity="account", entity_id=account.id, action="login",  # type: ignore[arg-type]
                 actor=account.name, at=now)
    return LoginOutcome(account)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def open_session(session: Session, account: Account, *, now: datetime) -> str:
    """A new signed-in session; returns the token for the cookie (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_token_id(token), account_id=account.id,  # type: ignore[arg-type]
                           csrf=secrets.token_urlsafe(32), created_at=now,
                           expires_at=now + SESSION_TTL))
    return token


def session_account(session: Session, token: str | None, *,
                    now: datetime) -> tuple[Account, WebSession] | None:
    """The account a cookie's token signs in, with its session row; None when the token is
    unknown, expired, or its account is disabled."""
    if not token:
        return None
    query = (select(Account, WebSession).join(WebSession, col(WebSession.account_id) == col(Account.id))
             .where(WebSession.id == _token_id(token), col(WebSession.expires_at) > now,
                    Account.disabled == False))  # noqa: E712
    found = session.exec(query).first()
    return None if found is None else (found[0], found[1])


def close_session(session: Session, token: str, *, now: datetime) -> None:
    """Sign out: the session row goes, and the account's event log says so."""
    found = session.get(WebSession, _token_id(token))
    if found is None:
        return
    session.delete(found)
    account = session.get(Account, found.account_id)
    if account is not None:
        record_event(session, entity="account", entity_id=account.id, action="logout",  # type: ignore[arg-type]
                     actor=account.name, at=now)


def purge_expired(session: Session, *, now: datetime) -> int:
    result = session.execute(delete(WebSession).where(col(WebSession.expires_at) <= now))
    return result.rowcount or 0  # type: ignore[attr-defined]
