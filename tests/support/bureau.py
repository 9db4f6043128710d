"""The small bureau most engine tests share: its engine settings, its people, its outbox."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import col, select

from models.engine.config import EngineConfig
from models.records.units import add_person
from models.store.db import session_scope
from models.store.tables import Outbox
from tests.support.clock import SHANGHAI
from tests.support.factories import T0

CONFIG = EngineConfig(tz=SHANGHAI, office_start=time(9, 0), office_end=time(17, 30),
                      bureau="区退役军人事务局", mail_domain="duban.example.org")
SENDER = "区退役军人事务局督办 <duban@example.org>"

CONTACT = "youfu@example.org"
LEADER = "wu.lixin@example.org"
HEAD = "juzhang@example.org"
SUPERVISORS = ("duban1@example.org", "duban2@example.org")


def add_people(session, *, now: datetime = T0) -> None:
    """The bureau head and two supervisors."""
    add_person(session, name="赵明远", role="主要负责人", email=HEAD, phone=None, actor="test",
               now=now)
    for n, email in enumerate(SUPERVISORS, start=1):
        add_person(session, name=f"督办员{n}", role="督办人员", email=email, phone=None,
                   actor="test", now=now)


def outbox(engine, **where) -> list[Outbox]:
    """Outbox rows in insertion order, filtered by column values."""
    with session_scope(engine) as session:
        query = select(Outbox).order_by(col(Outbox.id))
        for name, value in where.items():
            query = query.where(getattr(Outbox, name) == value)
        return list(session.exec(query))
