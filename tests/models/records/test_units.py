"""Units: validation names the Chinese field, duplicates are refused, every create is logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from models.domain.enums import UnitKind
from models.errors import InputError, NotFound, Refused
from models.records.units import UnitInput, add_unit, get_unit, list_units
from models.store.events import history
from models.store.tables import Event, Unit
from tests.support.factories import T0, make_unit, reload


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _data(**overrides) -> UnitInput:
    values = {"name": "优抚褒扬科", "kind": "科室", "contact_name": "刘洋",
              "contact_email": "youfu@example.org", "contact_phone": "010-12345678",
              "leader_name": "吴立新", "leader_email": "wu.lixin@example.org"}
    values.update(overrides)
    return UnitInput(**values)


def test_add_unit_stores_checked_values_and_logs_the_creation(session):
    unit = add_unit(session, _data(name="  优抚褒扬科 ", contact_email=" youfu@example.org "),
                    actor="督办室", now=T0)

    stored = reload(session, Unit, unit.id)
    assert (stored.name, stored.kind, stored.contact_name, stored.contact_email,
            stored.contact_phone, stored.leader_name, stored.leader_email) == (
        "优抚褒扬科", UnitKind.DEPARTMENT, "刘洋", "youfu@example.org", "010-12345678",
        "吴立新", "wu.lixin@example.org")
    assert stored.created_at == stored.updated_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert stored.created_at.utcoffset() == timedelta(0)

    [event] = history(session, "unit", unit.id)
    assert (event.action, event.actor, event.at, event.before) == ("create", "督办室", T0, None)
    assert event.after["name"] == "优抚褒扬科"
    assert event.after["kind"] == "科室"
    assert event.after["created_at"] == "2026-11-02T09:00:00+08:00"


def test_optional_fields_may_be_empty(session):
    unit = add_unit(session, _data(contact_phone="  ", leader_name="", leader_email=None),
                    actor="test", now=T0)

    stored = reload(session, Unit, unit.id)
    assert (stored.contact_phone, stored.leader_name, stored.leader_email) == (None, None, None)


@pytest.mark.parametrize(("kind", "expected"), [
    ("街道办事处", UnitKind.STREET_OFFICE),
    (" 其他 ", UnitKind.OTHER),
    ("department", UnitKind.DEPARTMENT),
])
def test_unit_kind_accepts_chinese_words_and_english_names(session, kind, expected):
    unit = add_unit(session, _data(kind=kind), actor="test", now=T0)

    assert reload(session, Unit, unit.id).kind is expected


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"kind": "局"}, "类型", "应为 科室、街道办事处、其他 之一"),
    ({"kind": ""}, "类型", "应为"),
    ({"contact_email": "youfu.example.org"}, "联系邮箱", "不是有效的邮箱地址"),
    ({"contact_email": "youfu@example"}, "联系邮箱", "不是有效的邮箱地址"),
    ({"contact_email": ""}, "联系邮箱", "不能为空"),
    ({"leader_email": "wu@@example.org"}, "分管领导邮箱", "不是有效的邮箱地址"),
    ({"name": ""}, "单位名称", "不能为空"),
    ({"name": "   "}, "单位名称", "不能为空"),
    ({"name": "优抚\n褒扬科"}, "单位名称", "控制字符"),
    ({"name": "优抚\r褒扬科"}, "单位名称", "控制字符"),
    ({"name": "科" * 101}, "单位名称", "超过上限 100"),
    ({"contact_name": ""}, "联系人", "不能为空"),
    ({"contact_name": "刘\n洋"}, "联系人", "控制字符"),
    ({"leader_name": None}, "分管领导", "也须填写分管领导姓名"),
])
def test_add_unit_refuses_bad_input_naming_the_field(session, overrides, field, reason):
    with pytest.raises(InputError) as err:
        add_unit(session, _data(**overrides), actor="test", now=T0)

    assert err.value.field == field
    assert str(err.value).startswith(f"{field} “")
    assert reason in str(err.value)
    assert _count(session, Unit) == 0
    assert _count(session, Event) == 0


def test_duplicate_unit_name_is_refused(session):
    make_unit(session, "优抚褒扬科")

    with pytest.raises(Refused, match="“优抚褒扬科” 已存在"):
        make_unit(session, "优抚褒扬科", contact_email="other@example.org")
    with pytest.raises(Refused, match="已存在"):
        make_unit(session, " 优抚褒扬科\t", kind="其他")

    assert [u.name for u in list_units(session)] == ["优抚褒扬科"]
    assert _count(session, Event) == 1


def test_get_unit_finds_by_stripped_name_or_raises_not_found(session):
    unit = make_unit(session, "东华门街道办事处", kind="街道办事处")

    assert get_unit(session, " 东华门街道办事处 ").id == unit.id
    with pytest.raises(NotFound, match="单位 “东华门街道” 不存在"):
        get_unit(session, "东华门街道")

