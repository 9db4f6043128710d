"""New rows are inserted in batches (executemany, or COPY on PostgreSQL), not through
items.add_item; the rows and the log they leave must be exactly what add_item (then
complete_item / cancel_item) leaves. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from ledger_support import ACTOR, NOW, SHANGHAI, clock, import_file, write_workbook
from sqlalchemy import select

from models.domain.loop import LoopRules
from models.records.items import add_item, cancel_item, complete_item
from models.reports.views import unacked
from models.store import db
from models.store.next_actions import NEXT_ACTION
from models.store.tables import Event, Item
from tests.support.factories import make_unit

FIELDS = [
    {"code": "1", "kind": "整改事项", "title": "做好优待证办理工作", "unit": "优抚褒扬科",
     "deadline": "2026-12-31", "person": "刘洋", "detail": "办理慢", "measure": "应办尽办",
     "source": "2024年报告", "remark": "备注\n两行", "status": "进行中"},
    {"code": "2", "kind": "会议", "title": "周研判", "unit": "优抚褒扬科",
     "deadline": "2026-12-04 09:30", "status": "未开始"},
    {"code": "3", "kind": "报送节点", "title": "报送月报", "unit": "优抚褒扬科",
     "deadline": "2026-11-20 17:00", "status": "已办结"},
    {"code": "4", "kind": "任务", "title": "旧任务", "unit": "优抚褒扬科",
     "deadline": "2026-11-30", "status": "已撤销"},
    {"code": "5", "kind": "会议", "title": "取消的会议", "unit": "优抚褒扬科",
     "deadline": "2026-12-08 14:00", "status": "已撤销"},  # cancel_item also tells invitees
    {"code": "6", "kind": "会议", "title": "开过的会议", "unit": "优抚褒扬科",
     "deadline": "2026-11-18 14:00", "status": "已办结"},
]
COMPLETED = datetime(2026, 11, 19, 15, 30, tzinfo=SHANGHAI)
COLUMNS = ["code", "kind", "title", "unit", "deadline", "person", "detail", "measure", "source",
           "remark", "status"]
HEADER = ["编号", "类别", "事项名称", "责任单位", "完成时限", "责任人", "问题描述", "整改措施", "来源",
          "备注", "状态", "完成时间"]


def _items(engine, prefix: str) -> dict[str, dict]:
    """Item rows by 编号 without the prefix, with their schedule, minus what must differ (id,
    code)."""
    item = Item.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(item, NEXT_ACTION.c.at.label("next_action"))
            .outerjoin(NEXT_ACTION, NEXT_ACTION.c.item_id == item.c.id)
            .where(item.c.code.like(f"{prefix}%")))
        return {row.code[1:]: {k: v for k, v in row._mapping.items() if k not in ("id", "code")}
                for row in rows}


def _events(engine, ids: dict[int, str]) -> list[tuple]:
    """The item events as (编号 without prefix, order, action, actor, at, before, after)."""
    table = Event.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.entity == "item").order_by(table.c.id))
        seen: dict[str, int] = {}
        found = []
        for row in rows:
            code = ids.get(row.entity_id)
            if code is None:
                continue
            after = {k: v for k, v in (row.after or {}).items() if k not in ("id", "code")}
            found.append((code[1:], seen.get(code, 0), row.action, row.actor, row.at, row.before,
                          after))
            seen[code] = seen.get(code, 0) + 1
        return sorted(found, key=repr)


def test_imported_rows_and_events_equal_those_of_add_item(engine, tmp_path):
    with db.session_scope(engine) as session:
        make_unit(session, "优抚褒扬科", now=NOW)
        for fields in FIELDS:
            status = fields["status"]
            opened = {**fields, "code": "H" + fields["code"]}
            if status in ("已办结", "已撤销"):
                opened["status"] = "未开始"
            item = add_item(session, opened, actor=ACTOR, now=NOW, tz=SHANGHAI)
            if status == "已办结":
                complete_item(session, item.id, at=COMPLETED, actor=ACTOR, now=NOW)
            elif status == "已撤销":
                cancel_item(session, item.id, actor=ACTOR, now=NOW)
    rows = [["L" + f["code"]] + [f.get(c) for c in COLUMNS[1:]]
            + [COMPLETED.replace(tzinfo=None) if f["status"] == "已办结" else None] for f in FIELDS]
    path = write_workbook(tmp_path / "w.xlsx", {"事项": [HEADER, *rows]})

    import_file(engine, path)

    by_hand, by_ledger = _items(engine, "H"), _items(engine, "L")
    assert len(by_hand) == len(FIELDS)
    assert by_ledger == by_hand
    with engine.connect() as conn:
        ids = dict(conn.execute(select(Item.__table__.c.id, Item.__table__.c.code)).all())
    hand_events = _events(engine, {i: c for i, c in ids.items() if c.startswith("H")})
    ledger_events = _events(engine, {i: c for i, c in ids.items() if c.startswith("L")})
    assert len(hand_events) == 6 + 4  # six creations, four closings
    assert ledger_events == hand_events


def test_a_row_already_in_progress_is_entered_acknowledged_and_a_new_one_owes_its_ack(engine,
                                                                                     tmp_path):
    with db.session_scope(engine) as session:
        make_unit(session, "优抚褒扬科", now=NOW)
    rows = [["Q1", "整改事项", "延续上年的整改", "优抚褒扬科", "2026-12-31", None, None, None, None,
             None, "进行中", None],
            ["Q2", "整改事项", "新交办的整改", "优抚褒扬科", "2026-12-31", None, None, None, None,
             None, "未开始", None]]
    import_file(engine, write_workbook(tmp_path / "w.xlsx", {"事项": [HEADER, *rows]}))

    later = clock(NOW + timedelta(days=3))  # Friday: the working day for 签收 has passed
    with db.session_scope(engine) as session:
        items = {i.code: i for i in session.scalars(select(Item))}
        carried, assigned = items["Q1"], items["Q2"]
        assert (carried.acked_at, carried.acked_by) == (NOW, ACTOR)
        assert not unacked(carried, later, LoopRules())
        assert assigned.acked_at is None
        assert unacked(assigned, later, LoopRules())
