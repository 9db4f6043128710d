"""Upserting by 编号: changes go through the item operations and the event log; closed items
are not reopened; the 单位 sheet updates units; --dry-run writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from ledger_support import (
    ITEM_HEADER,
    SHANGHAI,
    UNIT_HEADER,
    UNIT_ROW,
    dump,
    import_file,
    write_workbook,
)
from sqlmodel import Session, col, select

from models.domain.enums import ItemKind, ItemStatus
from models.errors import Refused, ValidationFailed
from models.records.items import complete_item
from models.store import db
from models.store.next_actions import next_action_of
from models.store.tables import Event, Item, Unit

T1 = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)


def _ledger(tmp_path, *rows, name="台账.xlsx", header=ITEM_HEADER, units=(UNIT_ROW,)):
    sheets = {"单位": [UNIT_HEADER, *units]} if units is not None else {}
    sheets["事项"] = [header, *rows]
    return write_workbook(tmp_path / name, sheets)


ROW_A = ["A-1", "整改事项", "做好优待证办理工作", "优抚褒扬科", "刘洋", "2026-12-31", "进行中", None,
         None]
ROW_B = ["A-2", "任务", "报送统计表", "优抚褒扬科", None, "2026-12-10 17:00", None, None, "月报"]


def _item(engine, code: str) -> Item:
    with Session(engine) as session:
        return session.exec(select(Item).where(Item.code == code)).one()


def _next(engine, item_id: int) -> datetime | None:
    with Session(engine) as session:
        return next_action_of(session, item_id)


def _log(engine, item_id: int) -> list[tuple[str, dict | None, dict | None]]:
    with Session(engine) as session:
        query = select(Event).where(Event.entity == "item", Event.entity_id == item_id)
        return [(e.action, e.before, e.after) for e in session.exec(query.order_by(col(Event.id)))]


@pytest.fixture
def loaded(engine, tmp_path):
    import_file(engine, _ledger(tmp_path, ROW_A, ROW_B, name="first.xlsx"))
    return engine


def test_a_changed_row_updates_its_item_and_the_log_records_it(loaded, tmp_path):
    changed = [*ROW_A]
    changed[2], changed[5] = "做好优待证申领和发放工作", "2027-01-15"
    b = _item(loaded, "A-2")
    b_before = dump(loaded)["item"]

    result = import_file(loaded, _ledger(tmp_path, changed, ROW_B), now=T1)

    assert (result.items_added, result.items_updated, result.items_unchanged) == (0, 1, 1)
    a = _item(loaded, "A-1")
    assert (a.title, a.deadline_date, a.status) == ("做好优待证申领和发放工作", date(2027, 1, 15),
                                                    ItemStatus.IN_PROGRESS)
    assert a.updated_at == T1 and _next(loaded, a.id) == T1  # a new deadline starts a new ladder
    action, before, after = _log(loaded, a.id)[-1]
    assert action == "update"
    assert before == {"title": "做好优待证办理工作", "deadline_date": "2026-12-31",
                      "due_at": "2026-12-31T16:00:00+00:00"}
    assert after["title"] == "做好优待证申领和发放工作"
    assert [r for r in dump(loaded)["item"] if r[0] == b.id] == \
        [r for r in b_before if r[0] == b.id]


def test_a_row_marked_done_closes_the_item_through_the_log(loaded, tmp_path):
    done = [*ROW_A]
    done[6], done[7] = "已办结", datetime(2026, 11, 28, 15, 30)

    result = import_file(loaded, _ledger(tmp_path, done, ROW_B), now=T1)

    assert result.items_updated == 1
    a = _item(loaded, "A-1")
    assert (a.status, a.completed_at, _next(loaded, a.id)) == (
        ItemStatus.DONE, datetime(2026, 11, 28, 7, 30, tzinfo=UTC), None)
    action, before, after = _log(loaded, a.id)[-1]
    assert (action, before) == ("status", {"status": "进行中", "completed_at": None})
    assert after["status"] == "已办结"
    # And the same file again is "unchanged", with no new event.
    events = len(dump(loaded)["event"])
    again = import_file(loaded, _ledger(tmp_path, done, ROW_B, name="again.xlsx"), now=T1)
    assert (again.items_updated, again.items_unchanged) == (0, 2)
    assert len(dump(loaded)["event"]) == events


def test_a_status_change_between_open_states_is_a_status_event(loaded, tmp_path):
    submitted = [*ROW_A]
    submitted[6] = "已提交"

    import_file(loaded, _ledger(tmp_path, submitted, ROW_B), now=T1)

    a = _item(loaded, "A-1")
    assert _log(loaded, a.id)[-1] == ("status", {"status": "进行中"}, {"status": "已提交"})


def test_closed_items_are_not_changed_or_reopened(loaded, tmp_path):
    a = _item(loaded, "A-1")
    with db.session_scope(loaded) as session:
        complete_item(session, a.id, at=datetime(2026, 11, 20, 16, 0, 0, 123456, tzinfo=SHANGHAI),
                      actor="test", now=T1)
    before = dump(loaded)
    same = [*ROW_A]
    same[6], same[7] = "已办结", "2026-11-20 16:00"
    reopened = [*ROW_A]
    reopened[2] = "改个名字"

    # The same completion, written to the second: unchanged.
    result = import_file(loaded, _ledger(tmp_path, same, ROW_B, name="same.xlsx"), now=T1)
    assert (result.items_updated, result.items_unchanged) == (0, 2)
    assert dump(loaded) == before

    with pytest.raises(ValidationFailed) as caught:
        import_file(loaded, _ledger(tmp_path, reopened, ROW_B, name="reopen.xlsx"), now=T1)
    assert [str(p) for p in caught.value.problems] == [
        "事项 第2行 事项名称 “改个名字”：事项在系统中是“已办结”，不能再修改（系统中为“做好优待证办理工作”）",
        "事项 第2行 状态 “进行中”：事项在系统中是“已办结”，不能再修改",
    ]
    assert dump(loaded) == before


def test_empty_category_keeps_the_kind_and_a_missing_status_column_keeps_the_status(
        loaded, tmp_path):
    header = [h for h in ITEM_HEADER if h != "状态"]
    row = [v for i, v in enumerate(ROW_A) if ITEM_HEADER[i] != "状态"]
    row[1] = None
    before = dump(loaded)

    result = import_file(loaded, _ledger(tmp_path, row, header=header), now=T1)

    assert (result.items_updated, result.items_unchanged) == (0, 1)
    assert dump(loaded) == before
    a = _item(loaded, "A-1")
    assert (a.kind, a.status) == (ItemKind.RECTIFICATION, ItemStatus.IN_PROGRESS)


def test_an_empty_status_cell_means_not_started(loaded, tmp_path):
    row = [*ROW_A]
    row[6] = None

    import_file(loaded, _ledger(tmp_path, row), now=T1)

    assert _item(loaded, "A-1").status is ItemStatus.NOT_STARTED


def test_the_unit_sheet_updates_a_unit_and_logs_it(loaded, tmp_path):
    moved = [*UNIT_ROW]
    moved[2], moved[3] = "王芳", "wangfang@example.org"

    result = import_file(loaded, _ledger(tmp_path, ROW_A, ROW_B, units=[moved]), now=T1)

    assert (result.units_updated, result.units_unchanged) == (1, 0)
    with Session(loaded) as session:
        unit = session.exec(select(Unit)).one()
        event = session.exec(select(Event).where(Event.entity == "unit")
                             .order_by(col(Event.id).desc())).first()
    assert (unit.contact_name, unit.contact_email, unit.updated_at) == (
        "王芳", "wangfang@example.org", T1)
    assert (event.action, event.before, event.after) == (
        "update", {"contact_name": "刘洋", "contact_email": "youfu@example.org"},
        {"contact_name": "王芳", "contact_email": "wangfang@example.org"})


def test_units_may_come_from_the_database_alone(loaded, tmp_path):
    result = import_file(loaded, _ledger(tmp_path, ["A-3", "任务", "新事项", "优抚褒扬科", None,
                                                    "2026-12-20", None, None, None], units=None))

    assert result.items_added == 1


def test_dry_run_reports_the_counts_and_writes_nothing(loaded, tmp_path):
    changed = [*ROW_A]
    changed[2] = "新名字"
    new = ["A-9", "任务", "新事项", "优抚褒扬科", None, "2026-12-20", None, None, None]
    before = dump(loaded)

    result = import_file(loaded, _ledger(tmp_path, changed, ROW_B, new), now=T1, dry_run=True)

    assert (result.dry_run, result.items_added, result.items_updated, result.items_unchanged,
            result.units_unchanged) == (True, 1, 1, 1, 1)
    assert dump(loaded) == before


def test_a_failure_while_writing_leaves_nothing_behind(loaded, tmp_path, monkeypatch):
    """The whole import is one transaction: an error after some rows were written undoes them."""
    import models.ledger.writing as writing

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    new = ["A-9", "任务", "新事项", "优抚褒扬科", None, "2026-12-20", None, None, None]
    changed = [*ROW_A]
    changed[2] = "新名字"
    monkeypatch.setattr(writing, "_add_items", fail)
    before = dump(loaded)

    with pytest.raises(RuntimeError, match="disk full"):
        import_file(loaded, _ledger(tmp_path, changed, ROW_B, new), now=T1)

    assert dump(loaded) == before


def test_a_clash_found_only_when_writing_is_refused_and_undone(loaded, tmp_path, monkeypatch):
    """On PostgreSQL another session may add the same 编号 between check and write."""
    import models.ledger.checking as checking

    monkeypatch.setattr(checking, "_existing_items", lambda session, codes: {})
    before = dump(loaded)

    with pytest.raises(Refused, match=r"被同时修改.*未写入任何数据"):
        import_file(loaded, _ledger(tmp_path, ROW_A, ROW_B), now=T1)

    assert dump(loaded) == before
