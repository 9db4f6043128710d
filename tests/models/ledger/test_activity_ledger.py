"""The work ledger's import and export (models/ledger/activities.py) on SQLite and PostgreSQL:
all or nothing, every problem placed, a re-import unchanged, changed figures updated."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from models.errors import ValidationFailed
from models.ledger.activities import export_activities, import_activities
from models.records.activities import list_activities
from tests.support.factories import make_unit

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = date(2026, 12, 5)
HEADER = "日期,类别,活动名称,责任单位,次数,人数,金额,件数,备注\n"


def _import(session, path, **kw):
    return import_activities(session, path, actor="test", now=NOW, today=TODAY, **kw)


def test_import_again_and_changed(session, tmp_path):
    make_unit(session, "政策法规科")
    path = tmp_path / "台账.csv"
    path.write_text(HEADER + "2026-04-23,普法宣传,进社区宣传,政策法规科,1,150,,,\n"
                    "2026-05-10,优待证发放,优待证发放,,1,,,\"1,228\",批量\n", encoding="utf-8")
    first = _import(session, path)
    assert (len(first.added), len(first.updated), first.unchanged) == (2, 0, 0)
    assert _import(session, path).unchanged == 2
    path.write_text(HEADER + "2026-04-23,普法宣传,进社区宣传,政策法规科,1,180,2000.50,,\n",
                    encoding="utf-8")
    changed = _import(session, path)
    assert [c for _, c in changed.updated] == [{"people": 180, "amount": 2000.5}]
    rows = list_activities(session)
    assert [(r.title, r.people, r.pieces) for r in rows] == [("进社区宣传", 180, None),
                                                             ("优待证发放", None, 1228)]


def test_a_bad_file_writes_nothing_and_lists_every_problem(session, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "2026-04-23,普法宣传,好的一行,,1,,,,\n"
                    "2026-02-30,普法宣传,坏日期,,1,,,,\n"
                    "2026-04-24,普法宣传,,,-1,,,,\n"
                    "2026-04-25,普法宣传,无此单位,不存在的科,1,,,,\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        _import(session, path)
    where = [(p.where, p.field) for p in caught.value.problems]
    assert where == [("工作台账 第3行", "日期"), ("工作台账 第4行", "活动名称"),
                     ("工作台账 第4行", "次数"), ("工作台账 第5行", "责任单位")]
    assert list_activities(session) == []


def test_export_reads_back_unchanged(session, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "2026-04-23,业务培训,服务站业务培训,,1,26,,,第一期\n", encoding="utf-8")
    _import(session, path)
    out = tmp_path / "out.xlsx"
    assert export_activities(session, out, start=None, end=None, heading="台账", as_of="截至") == 1
    sheet = load_workbook(out)["工作台账"]
    assert [c.value for c in sheet[1]][:4] == ["序号", "日期", "类别", "活动名称"]
    assert _import(session, out).unchanged == 1
