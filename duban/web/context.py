"""What every request needs: settings, the database, the clock, the signed-in viewer.

Access is declared on each route by one dependency, ``allow(...)`` (pages) or
``allow_post(...)`` (forms: also checks the CSRF token). It carries its rule as ``.rule`` so
the tests can build the route × role matrix from ``app.routes``: a route without a rule
fails them. Objects are checked in one place each (``duban.web.access``): another unit's item
is a 404, never a 403.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Depends, Form, Request
from sqlalchemy import Engine
from sqlmodel import Session

from duban.config import Settings
from duban.web.memo import Memo
from models.domain.enums import Role
from models.domain.validation import xml_chars
from models.records.accounts import session_account
from models.reports.overview import data_version, unit_totals
from models.reports.views import Clock
from models.store import db
from models.store.calendar_store import calendar_from_db

COOKIE = "duban_session"
LOGIN_COOKIE = "duban_login_csrf"
EVERYONE = frozenset(Role)
OFFICE = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.LEADER})  # the bureau: sees every unit
SUPERVISORS = frozenset({Role.ADMIN, Role.SUPERVISOR})
log = logging.getLogger("duban.web")


@dataclass
class Web:
    """The application's state, built once by create_app."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    totals: Memo = field(default_factory=Memo)  # the overview's time-independent counts

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that writes (forms)."""
        with db.session_scope(self.engine) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (pages): on SQLite it takes no write lock, so pages
        never queue behind each other."""
        # Closing (not rolling back) ends the transaction and keeps what was loaded readable.
        with Session(db.reader(self.engine), expire_on_commit=False) as session:
            yield session

    def unit_totals(self, session: Session, clock: Clock) -> dict:
        """总览's whole-table counts per unit, kept until an item changes (one pass over the
        table when they are not yet counted: seconds at a million items)."""
        return self.totals.get(data_version(session),
                               lambda: unit_totals(session, clock.calendar, clock.tz))

    def count_units_ahead(self) -> None:
        """Count ``unit_totals`` once now, so that the first 总览 after a start does not wait."""
        try:
            with self.reading() as session:
                self.unit_totals(session, self.clock_for(session))
        except Exception:  # a page counts again, and shows the error if there is one
            log.exception("总览统计预先计算失败")

    def clock_for(self, session: Session, now: datetime | None = None) -> Clock:
        return Clock(now=now or self.now(), tz=self.settings.tz, calendar=calendar_from_db(session))


def wall_clock() -> datetime:
    return datetime.now(UTC)


def web(request: Request) -> Web:
    return request.app.state.web


@dataclass(frozen=True)
class Viewer:
    account_id: int
    name: str
    role: Role
    unit_id: int | None
    csrf: str

    @property
    def is_unit(self) -> bool:
        return self.role is Role.UNIT

    def may(self, roles: frozenset[Role]) -> bool:
        return self.role in roles


class LoginRequired(Exception):
    """No valid session: pages redirect to /login."""


class Hidden(Exception):
    """Not this viewer's to see: answered exactly like an unknown address (404)."""


class CsrfFailed(Exception):
    """A form without the session's token: refused (403) and nothing done."""


def current_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    state = web(request)
    with state.reading() as session:
        found = session_account(session, token, now=state.now())
        if found is None:
            return None
        account, row = found
        return Viewer(account.id, account.name, account.role, account.unit_id,  # type: ignore[arg-type]
                      row.csrf)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]  # empty: anyone, signed in or not
    post: bool = False


def allow(*roles: Role) -> Callable[..., Viewer]:
    """A page for these roles (none given: every signed-in role)."""
    rule = Rule(frozenset(roles) or EVERYONE)

    def dependency(request: Request) -> Viewer:
        return _admit(request, rule)

    dependency.rule = rule  # type: ignore[attr-defined]
    return dependency


def allow_post(*roles: Role) -> Callable[..., Viewer]:
    """A form handler for these roles; the form's ``csrf`` field must match the session's."""
    rule = Rule(frozenset(roles) or EVERYONE, post=True)

    async def dependency(request: Request, csrf: str = Form("")) -> Viewer:
        viewer = _admit(request, rule)
        if not (csrf and hmac.compare_digest(csrf.encode(), viewer.csrf.encode())):
            raise CsrfFailed
        await refuse_illegal_text(request)
        return viewer

    dependency.rule = rule  # type: ignore[attr-defined]
    return dependency


async def refuse_illegal_text(request: Request) -> None:
    """Every text field of a form passes the one check of characters no stored text may hold
    (NUL, other controls, U+FFFE…): InputError (a 400 naming the field) before a handler runs,
    so not even a lookup sends such a value to the database."""
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            xml_chars(value, name)


def public(request: Request) -> Viewer | None:
    """Pages anyone may open (the login page); the viewer when signed in."""
    return current_viewer(request)


public.rule = Rule(frozenset())  # type: ignore[attr-defined]


def _admit(request: Request, rule: Rule) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise LoginRequired
    if not viewer.may(rule.roles):
        raise Hidden
    return viewer


WebState = Depends(web)
