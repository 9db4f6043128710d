"""Export then import is the identity on every field the ledger carries; generated ledgers
round-trip exactly, and any invalid cell is reported where it is with nothing written."""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_support import NOW, clock, dump, import_file, ledger_view, write_workbook
from sqlalchemy import Engine

from models.domain.enums import ItemKind, ItemStatus, UnitKind
from models.errors import ValidationFailed
from models.ledger.cells import ERROR_VALUES
from models.ledger.export import export_ledger
from models.records.items import cancel_item, complete_item
from models.store import db
from tests.support.factories import make_item, make_unit

UNIT_KEYS = ("name", "kind", "contact_name", "contact_email", "contact_phone", "leader_name",
             "leader_email")
UNIT_HEADERS = ("单位名称", "类型", "联系人", "联系邮箱", "联系电话", "分管领导", "分管领导邮箱")
ITEM_KEYS = ("code", "kind", "title", "detail", "measure", "source", "unit", "person",
             "deadline", "status", "completed_at", "remark")
ITEM_HEADERS = ("编号", "类别", "事项名称", "问题描述", "整改措施", "来源", "责任单位", "责任人",
                "完成时限", "状态", "完成时间", "备注")


@pytest.fixture(scope="module")
def migrated_file(sqlite_template) -> Path:
    """The run's migrated SQLite file; each example copies it (an upgrade per example is slow)."""
    return sqlite_template


@contextmanager
def fresh_database(template: Path) -> Iterator[Engine]:
    folder = Path(tempfile.mkdtemp(prefix="ledger_"))
    shutil.copy(template, folder / "duban.db")
    engine = db.make_engine(f"sqlite:///{folder / 'duban.db'}")
    try:
        yield engine
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


# --- a hand-picked ledger with every awkward value, on SQLite and PostgreSQL --------------------

def test_export_then_import_into_an_empty_database_is_the_identity(engine, migrated_file, tmp_path):
    with db.session_scope(engine) as session:
        make_unit(session, "优抚褒扬科", contact_phone="010-12345678")
        make_unit(session, "示例一街道办事处", "街道办事处", contact_email="jd@example.org",
                  leader_name=None, leader_email=None)
        make_unit(session, "没有事项的单位", "其他", contact_email="qt@example.org")
        make_item(session, "优抚褒扬科", code="=A1", title="=SUM(1,2)", deadline="2026-03-31 00:00",
                  detail="第一行\n\n第三行", measure="“引号”, 逗号 & <尖括号>", source="#N/A 不是错误",
                  person="刘洋", remark="0012", status="进行中")
        make_item(session, "示例一街道办事处", code="1001", title="2026-03-31",
                  deadline="2026-12-04 17:30:15", status="已提交")
        done = make_item(session, "优抚褒扬科", code="D-1", title="已办结", deadline="2026-11-10")
        complete_item(session, done.id, at=NOW - timedelta(days=3, microseconds=123456),
                      actor="test", now=NOW)
        gone = make_item(session, "优抚褒扬科", code="C-1", title="已撤销", kind="会议",
                         deadline="2026-12-31 09:00")
        cancel_item(session, gone.id, actor="test", now=NOW)
        make_item(session, "优抚褒扬科", title="无编号的事项不在“事项”表中", deadline="2026-12-31")
        path = tmp_path / "台账.xlsx"
        export_ledger(session, path, clock=clock())
    before = dump(engine)

    with fresh_database(migrated_file) as empty:
        result = import_file(empty, path)
        assert (result.items_added, result.units_added) == (4, 3)
        assert ledger_view(empty) == ledger_view(engine)

    again = import_file(engine, path)  # and back into the database it came from: nothing to do
    assert (again.items_unchanged, again.units_unchanged, again.changed) == (4, 3, False)
    assert dump(engine) == before


# --- generated ledgers ------------------------------------------------------------------------

_CHARS = ("做好优待证办理工作退役军人事务局整改措施报送节点会议任务街道科室一二三"
          "abcXYZ0123456789 -_=#\"',.;:()（）“”，。、《》%&*+/<>?!@[]{}|~`^$")
_line = st.text(alphabet=_CHARS, min_size=1, max_size=30).map(str.strip).filter(
    lambda s: s and s not in ERROR_VALUES)
_lines = st.lists(_line, min_size=1, max_size=3).map("\n".join)
_email = st.from_regex(r"[a-z][a-z0-9._-]{0,10}@[a-z]{2,8}\.(org|cn)", fullmatch=True)
_day = st.dates(date(2024, 1, 1), date(2026, 12, 31))  # years the calendar package knows
_at = st.one_of(st.none(), st.just(time(0)), st.times().map(lambda t: t.replace(microsecond=0)))


@st.composite
def _units(draw) -> list[dict]:
    names = draw(st.lists(_line.map(lambda s: s[:100]), min_size=1, max_size=3, unique=True))
    units = []
    for name in names:
        leader = draw(st.one_of(st.none(), _line.map(lambda s: s[:50])))
        units.append({
            "name": name, "kind": draw(st.sampled_from([k.value for k in UnitKind])),
            "contact_name": draw(_line.map(lambda s: s[:50])), "contact_email": draw(_email),
            "contact_phone": draw(st.one_of(st.none(), st.from_regex(r"0\d{2,3}-\d{7,8}",
                                                                     fullmatch=True))),
            "leader_name": leader,
            "leader_email": draw(st.one_of(st.none(), _email)) if leader else None,
        })
    return units


@st.composite
def ledgers(draw) -> tuple[list[dict], list[dict]]:
    units = draw(_units())
    codes = draw(st.lists(_line.map(lambda s: s[:50]), min_size=1, max_size=6, unique=True))
    items = []
    for code in codes:
        status = draw(st.sampled_from([s.value for s in ItemStatus]))
        completed = None
        if status == ItemStatus.DONE.value:
            completed = draw(st.datetimes(datetime(2020, 1, 1), datetime(2026, 11, 30, 23, 59)))
            completed = completed.replace(microsecond=0)
        optional = st.one_of(st.none(), _lines)
        items.append({
            "code": code, "kind": draw(st.sampled_from([k.value for k in ItemKind])),
            "title": draw(_line), "detail": draw(optional), "measure": draw(optional),
            "source": draw(st.one_of(st.none(), _line)),
            "unit": draw(st.sampled_from([u["name"] for u in units])),
            "person": draw(st.one_of(st.none(), _line.map(lambda s: s[:50]))),
            "deadline": (draw(_day), draw(_at)), "status": status, "completed_at": completed,
            "remark": draw(optional),
        })
    return units, items


def _deadline_cell(day: date, at: time | None, rnd: random.Random):
    """The deadline written the way some clerk would: an Excel date or one of the text forms."""
    if at is None:
        return rnd.choice([day, day.isoformat(), f"{day.year}/{day.month}/{day.day}",
                           f"{day.year}.{day.month}.{day.day}",
                           f"{day.year}年{day.month}月{day.day}日"])
    clock_text = at.strftime("%H:%M:%S" if at.second else "%H:%M")
    forms = [f"{day.isoformat()} {clock_text}", f"{day.year}年{day.month}月{day.day}日 {clock_text}"]
    if at != time(0):  # a midnight datetime cell means the whole day
        forms.append(datetime.combine(day, at))
    return rnd.choice(forms)


def _workbook_rows(units: list[dict], items: list[dict], rnd: random.Random):
    """Both sheets with their columns in a random order and a 序号 column somewhere."""
    unit_order = rnd.sample(range(len(UNIT_KEYS)), len(UNIT_KEYS))
    item_order = rnd.sample(range(len(ITEM_KEYS)), len(ITEM_KEYS))
    unit_rows = [[UNIT_HEADERS[i] for i in unit_order]]
    unit_rows += [[u[UNIT_KEYS[i]] for i in unit_order] for u in units]
    item_rows = [["序号"] + [ITEM_HEADERS[i] for i in item_order]]
    for n, item in enumerate(items, start=1):
        cells = dict(item)
        cells["deadline"] = _deadline_cell(*item["deadline"], rnd)
        if item["completed_at"] is not None and rnd.random() < 0.5:
            cells["completed_at"] = item["completed_at"].strftime("%Y-%m-%d %H:%M:%S")
        item_rows.append([n] + [cells[ITEM_KEYS[i]] for i in item_order])
    return {"单位": unit_rows, "事项": item_rows}, unit_order, item_order


def _expected(units: list[dict], items: list[dict]) -> dict[str, list[tuple]]:
    return {
        "units": sorted(tuple(u[k] for k in UNIT_KEYS) for u in units),
        "items": sorted(
            (i["code"], i["kind"], i["title"], i["detail"], i["measure"], i["source"], i["unit"],
             i["person"], i["deadline"][0], i["deadline"][1], i["status"], i["completed_at"],
             i["remark"]) for i in items),
    }


SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(ledger=ledgers(), seed=st.integers(0, 2**32 - 1))
def test_generated_ledgers_round_trip_exactly(migrated_file, ledger, seed):
    units, items = ledger
    rnd = random.Random(seed)
    sheets, _, _ = _workbook_rows(units, items, rnd)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_workbook(Path(tmp) / "手工.xlsx", sheets, formulas=False)
        exported = Path(tmp) / "导出.xlsx"
        with fresh_database(migrated_file) as first:
            import_file(first, source)
            assert ledger_view(first) == _expected(units, items)
            with db.session_scope(first) as session:
                export_ledger(session, exported, clock=clock())
            before = dump(first)
            again = import_file(first, exported)
            assert not again.changed
            assert dump(first) == before
        with fresh_database(migrated_file) as second:
            import_file(second, exported)
            assert ledger_view(second) == _expected(units, items)


# Bad values per column, each with the reason import must give (a fragment of it).
BAD_ITEM_CELLS = {
    "deadline": [("2026-02-30", "不是有效日期"), ("明天", "无法识别"), (None, "不能为空"),
                 ("2026-12-01 25:00", "不是有效时间")],
    "status": [("完成", "应为 未开始、进行中")],
    "kind": [("杂事", "应为 整改事项")],
    "title": [(None, "不能为空"), ("两\n行", "控制字符"), ("长" * 201, "超过上限 200")],
    "unit": [("没有这个单位啊", "单位不存在")],
    "code": [(None, "不能为空"), ("号" * 51, "超过上限 50")],
    "completed_at": [("昨天下午", "无法识别"), ("2026-02-30 10:00", "不是有效日期")],
    "person": [("人" * 51, "超过上限 50")],
}
BAD_UNIT_CELLS = {
    "contact_email": [("刘洋的邮箱", "不是有效的邮箱地址")],
    "kind": [("处室", "应为 科室")],
    "contact_name": [(None, "不能为空")],
}


@SETTINGS
@given(ledger=ledgers(), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_invalid_cells_are_reported_where_they_are_and_nothing_is_written(
        migrated_file, ledger, seed, data):
    units, items = ledger
    rnd = random.Random(seed)
    sheets, unit_order, item_order = _workbook_rows(units, items, rnd)
    spots = data.draw(st.lists(st.one_of(
        st.tuples(st.just("事项"), st.integers(0, len(items) - 1),
                  st.sampled_from(sorted(BAD_ITEM_CELLS))),
        st.tuples(st.just("单位"), st.integers(0, len(units) - 1),
                  st.sampled_from(sorted(BAD_UNIT_CELLS))),
    ), min_size=1, max_size=4, unique_by=lambda s: s[:2]))  # one bad cell per row
    expected = set()
    for sheet, index, key in spots:
        if sheet == "事项":
            value, reason = data.draw(st.sampled_from(BAD_ITEM_CELLS[key]))
            column = 1 + item_order.index(ITEM_KEYS.index(key))
            label = ITEM_HEADERS[ITEM_KEYS.index(key)]
        else:
            value, reason = data.draw(st.sampled_from(BAD_UNIT_CELLS[key]))
            column = unit_order.index(UNIT_KEYS.index(key))
            label = UNIT_HEADERS[UNIT_KEYS.index(key)]
        sheets[sheet][index + 1][column] = value
        expected.add((f"{sheet} 第{index + 2}行", label, reason))

    with tempfile.TemporaryDirectory() as tmp, fresh_database(migrated_file) as engine:
        with db.session_scope(engine) as session:
            make_unit(session, "原有单位")
            make_item(session, "原有单位", code="OLD-1")
        before = dump(engine)
        path = write_workbook(Path(tmp) / "错.xlsx", sheets, formulas=False)

        with pytest.raises(ValidationFailed) as caught:
            import_file(engine, path)

        assert dump(engine) == before
    reported = [(p.where, p.field, p.reason) for p in caught.value.problems]
    for where, label, reason in expected:
        assert any(w == where and f == label and reason in r for w, f, r in reported), (
            where, label, reason, reported)
