"""Test data builders: one place that knows how to make a valid unit or item."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel

from models.records.items import add_item
from models.records.units import UnitInput, add_unit
from models.store.tables import Item, Unit

M = TypeVar("M", bound=SQLModel)
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


def make_unit(session: Session, name: str = "优抚褒扬科", kind: str = "科室", *,
              now: datetime = T0, **kw) -> Unit:
    data = UnitInput(
        name=name, kind=kind,
        contact_name=kw.pop("contact_name", "刘洋"),
        contact_email=kw.pop("contact_email", "youfu@example.org"),
        contact_phone=kw.pop("contact_phone", None),
        leader_name=kw.pop("leader_name", "吴立新"),
        leader_email=kw.pop("leader_email", "wu.lixin@example.org"),
    )
    assert not kw, f"unknown unit fields {kw}"
    return add_unit(session, data, actor="test", now=now)


def make_item(session: Session, unit: Unit | str = "优抚褒扬科", *, now: datetime = T0,
              tz: ZoneInfo = SHANGHAI, acked: bool = True, **fields) -> Item:
    """An item as assigned at ``now``; acknowledged (签收) at once unless ``acked=False``, so
    that only tests about 签收 see its reminder."""
    values = {"kind": "整改事项", "title": "做好优待证办理工作", "deadline": "2026-11-30"}
    values.update(fields)
    values["unit"] = unit if isinstance(unit, str) else unit.name
    item = add_item(session, values, actor="test", now=now, tz=tz)
    if acked:
        item.acked_at, item.acked_by = now, "test"
    return item


def reload(session: Session, model: type[M], key: object) -> M:
    """The row as the database holds it now: drops every cached attribute, then re-reads."""
    session.flush()
    session.expire_all()
    row = session.get(model, key)
    assert row is not None, f"{model.__name__} {key} is gone"
    return row
