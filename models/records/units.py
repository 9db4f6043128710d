"""Units and bureau-level people: create, look up, list. Every change is logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from models.domain import validation
from models.domain.enums import PersonRole, UnitKind, choose
from models.errors import InputError, NotFound, Refused
from models.store.events import record_event, snapshot
from models.store.tables import Person, Unit


@dataclass(frozen=True)
class UnitInput:
    name: str
    kind: str
    contact_name: str
    contact_email: str
    contact_phone: str | None = None
    leader_name: str | None = None
    leader_email: str | None = None


def _unit_kind(value: str) -> UnitKind:
    return choose(UnitKind, value, "类型")


def validate_unit(data: UnitInput) -> dict:
    """Checked column values for a unit, or InputError on the first bad field."""
    values = {
        "name": validation.text(data.name, "单位名称", max_len=100),
        "kind": _unit_kind(data.kind),
        "contact_name": validation.text(data.contact_name, "联系人", max_len=50),
        "contact_email": validation.email(data.contact_email, "联系邮箱"),
        "contact_phone": validation.text(data.contact_phone, "联系电话", max_len=30, required=False),
        "leader_name": validation.text(data.leader_name, "分管领导", max_len=50, required=False),
        "leader_email": validation.email(data.leader_email, "分管领导邮箱", required=False),
    }
    if values["leader_email"] and not values["leader_name"]:
        raise InputError("分管领导", "", "填写了分管领导邮箱，也须填写分管领导姓名")
    return values


def find_unit(session: Session, name: str) -> Unit | None:
    return session.exec(select(Unit).where(Unit.name == name.strip())).first()


def get_unit(session: Session, name: str) -> Unit:
    unit = find_unit(session, name)
    if unit is None:
        raise NotFound("单位", name)
    return unit


def add_unit(session: Session, data: UnitInput, *, actor: str, now: datetime) -> Unit:
    values = validate_unit(data)
    if find_unit(session, values["name"]) is not None:
        raise Refused(f"单位 “{values['name']}” 已存在")
    unit = Unit(**values, created_at=now, updated_at=now)
    session.add(unit)
    session.flush()
    record_event(session, entity="unit", entity_id=unit.id, action="create",  # type: ignore[arg-type]
                 actor=actor, at=now, after=snapshot(unit))
    return unit


def list_units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(Unit.kind, Unit.id)))  # type: ignore[arg-type]


def add_person(
    session: Session, *, name: str, role: str, email: str, phone: str | None,
    actor: str, now: datetime,
) -> Person:
    parsed_role = choose(PersonRole, role, "角色")
    person = Person(
        name=validation.text(name, "姓名", max_len=50),
        role=parsed_role,
        email=validation.email(email, "邮箱"),
        phone=validation.text(phone, "电话", max_len=30, required=False),
        created_at=now,
    )
    existing = session.exec(
        select(Person).where(Person.name == person.name, Person.role == parsed_role)
    ).first()
    if existing is not None:
        raise Refused(f"{parsed_role.value} “{person.name}” 已存在")
    session.add(person)
    session.flush()
    record_event(session, entity="person", entity_id=person.id, action="create",  # type: ignore[arg-type]
                 actor=actor, at=now, after=snapshot(person))
    return person


def list_people(session: Session, role: PersonRole | None = None) -> list[Person]:
    query = select(Person).order_by(Person.role, Person.id)  # type: ignore[arg-type]
    if role is not None:
        query = query.where(Person.role == role)
    return list(session.exec(query))
