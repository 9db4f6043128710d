"""The append-only event log: every create, change and status change of a record."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, select

from models.store.tables import Event


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def snapshot(record: SQLModel, fields: list[str] | None = None) -> dict[str, Any]:
    """The record's column values as JSON-ready data (all columns, or just ``fields``)."""
    names = fields or [c.name for c in record.__table__.columns]  # type: ignore[attr-defined]
    return {name: jsonable(getattr(record, name)) for name in names}


def record_event(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    actor: str,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        at=at, actor=actor, entity=entity, entity_id=entity_id,
        action=action, before=before, after=after,
    )
    session.add(event)
    return event


def history(session: Session, entity: str, entity_id: int) -> list[Event]:
    query = (
        select(Event)
        .where(Event.entity == entity, Event.entity_id == entity_id)
        .order_by(Event.id)  # type: ignore[arg-type]
    )
    return list(session.exec(query))
