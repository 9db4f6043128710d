"""Database tables. Every instant is a timezone-aware UTC datetime (see models.types).

Schema changes go through Alembic revisions in duban/migrations; keep both in step
(tests/models/test_migrations.py compares them).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import ItemKind, ItemStatus, PersonRole, UnitKind
from models.types import EnumText, UTCDateTime


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, nullable=nullable, index=index)


class Unit(SQLModel, table=True):
    """A unit that is responsible for items: a 科室, a 街道办事处 or another body."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100), unique=True, nullable=False)
    kind: UnitKind = Field(sa_type=EnumText(UnitKind), nullable=False)
    contact_name: str = Field(sa_type=String(50), nullable=False)
    contact_email: str = Field(sa_type=String(254), nullable=False)
    contact_phone: str | None = Field(default=None, sa_type=String(30))
    leader_name: str | None = Field(default=None, sa_type=String(50))
    leader_email: str | None = Field(default=None, sa_type=String(254))
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class Person(SQLModel, table=True):
    """A bureau-level contact (主要负责人, 督办人员) that escalation and digests reach."""

    __table_args__ = (UniqueConstraint("name", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(50), nullable=False)
    role: PersonRole = Field(sa_type=EnumText(PersonRole), nullable=False)
    email: str = Field(sa_type=String(254), nullable=False)
    phone: str | None = Field(default=None, sa_type=String(30))
    active: bool = Field(default=True, nullable=False)
    created_at: datetime = _instant()


class Item(SQLModel, table=True):
    """A supervised item (督办事项): something a unit must finish by a deadline.

    The deadline is what the user gave: a date, optionally with a local wall-clock time.
    ``due_at`` is the derived UTC instant it ends (a date-only deadline ends at 24:00 local),
    indexed so that "what is overdue now" never scans the table.
    """

    __table_args__ = (Index("ix_item_open_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, sa_type=String(50), unique=True)
    kind: ItemKind = Field(sa_type=EnumText(ItemKind), nullable=False)
    title: str = Field(sa_type=String(200), nullable=False)
    detail: str | None = Field(default=None, sa_type=Text)
    measure: str | None = Field(default=None, sa_type=Text)
    source: str | None = Field(default=None, sa_type=String(200))
    unit_id: int = Field(foreign_key="unit.id", nullable=False, index=True)
    person: str | None = Field(default=None, sa_type=String(50))
    deadline_date: date = Field(nullable=False)
    deadline_time: time | None = Field(default=None)
    due_at: datetime = _instant()
    status: ItemStatus = Field(
        default=ItemStatus.NOT_STARTED, sa_type=EnumText(ItemStatus), nullable=False
    )
    completed_at: datetime | None = _instant(nullable=True)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()


class ProgressEntry(SQLModel, table=True):
    """A dated note on how an item is getting on (进展情况)."""

    __tablename__ = "progress_entry"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", nullable=False, index=True)
    at: datetime = _instant()
    note: str = Field(sa_type=Text, nullable=False)
    author: str = Field(sa_type=String(50), nullable=False)


class Event(SQLModel, table=True):
    """Append-only audit log: who did what, when, with the values before and after.

    The database refuses UPDATE and DELETE on this table (triggers in the migrations).
    """

    __table_args__ = (Index("ix_event_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _instant()
    actor: str = Field(sa_type=String(100), nullable=False)
    entity: str = Field(sa_type=String(20), nullable=False)
    entity_id: int = Field(nullable=False)
    action: str = Field(sa_type=String(20), nullable=False)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class CalendarDay(SQLModel, table=True):
    """An administrator's override of one day: a holiday (休) or a 调休 working day (班)."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    workday: bool = Field(nullable=False)
    name: str = Field(sa_type=String(50), nullable=False)
    loaded_at: datetime = _instant()
