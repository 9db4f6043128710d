"""The overview's counts agree with the item-by-item rule, and the 考核 ranking shares ranks."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.domain.enums import Light
from models.records.extensions import approve_extension, request_extension
from models.records.items import cancel_item, complete_item, list_items
from models.records.submissions import submit
from models.reports.overview import Grades, UnitRow, _rank, overview, unit_totals
from models.reports.views import Clock, item_light
from models.store.calendar_store import calendar_from_db
from tests.support.factories import SHANGHAI, make_item, make_unit

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


def _bureau(session):
    a, b = make_unit(session, "优抚褒扬科"), make_unit(session, "示例一街道办事处", "街道办事处")
    for day in ("2026-11-20", "2026-11-30", "2026-12-01 09:00", "2026-12-01 17:00", "2026-12-03",
                "2026-12-04", "2026-12-07", "2026-12-31"):
        make_item(session, a, deadline=day, now=T0)
    make_item(session, b, deadline="2026-11-25", now=T0)
    done_on_time = make_item(session, b, deadline="2026-11-10", now=T0)
    complete_item(session, done_on_time.id, at=datetime(2026, 11, 9, 12, tzinfo=SHANGHAI), actor="t",
                  now=NOW)
    done_late = make_item(session, a, deadline="2026-11-10", now=T0)
    complete_item(session, done_late.id, at=datetime(2026, 11, 13, 12, tzinfo=SHANGHAI), actor="t",
                  now=NOW)
    cancel_item(session, make_item(session, b, deadline="2026-11-11", now=T0).id, actor="t", now=NOW)
    waiting = make_item(session, b, deadline="2026-11-26", now=T0)
    submit(session, waiting.id, at=NOW - timedelta(hours=1), by="孙浩", note="已报送", files=[],
           actor="孙浩", now=NOW)
    extended = make_item(session, a, deadline="2026-11-28", now=T0)
    ext = request_extension(session, extended.id, to="2026-12-20", reason="等数据", actor="刘洋",
                            now=T0 + timedelta(days=3), tz=SHANGHAI)
    approve_extension(session, ext.id, actor="钱立群", now=T0 + timedelta(days=4), tz=SHANGHAI)
    return a, b


def test_lights_agree_with_the_item_by_item_rule(session):
    _bureau(session)
    clock = Clock(now=NOW, tz=SHANGHAI, calendar=calendar_from_db(session))
    data = overview(session, clock)
    expected = {lt.value: 0 for lt in Light}
    for item, _ in list_items(session):
        expected[item_light(item, clock).value] += 1
    assert data.lights == expected
    assert data.lights[Light.RED.value] == 5  # 11-20, 11-30, 12-01 09:00, B 11-25, the waiting one
    per_unit = {u.unit: u for u in data.units}
    a = per_unit["优抚褒扬科"]
    # 考核 of A: 1 late completion (3 working days), missing 11-20, 11-30, 12-01 09:00 and the
    # extended item judged by its first deadline 11-28: 0 of 5 on time.
    assert (a.on_time, a.late, a.missing, a.judged) == (0, 1, 4, 5)
    b = per_unit["示例一街道办事处"]
    assert (b.on_time, b.late, b.missing, b.submitted) == (1, 0, 1, 1)  # the waiting item is not missing
    assert b.rank == 1 and a.rank == 2


def test_totals_from_a_cache_give_the_same_overview(session):
    _bureau(session)
    clock = Clock(now=NOW, tz=SHANGHAI, calendar=calendar_from_db(session))
    kept = unit_totals(session, clock.calendar, clock.tz)
    assert overview(session, clock, totals=kept) == overview(session, clock)


def test_equal_units_share_a_rank_and_the_next_rank_skips():
    rows = [UnitRow(1, "甲", on_time=9, missing=1), UnitRow(2, "乙", on_time=9, missing=1),
            UnitRow(3, "丙", on_time=5, missing=5), UnitRow(4, "丁")]
    _rank(rows, Grades(95, 85, 70))
    assert [(r.unit, r.rank, r.grade) for r in rows] == [
        ("甲", 1, "良好"), ("乙", 1, "良好"), ("丙", 3, "较差"), ("丁", 0, "")]
