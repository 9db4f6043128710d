"""The Alembic revisions: they build the schema the models describe, keep old rows, and
guard the event log — on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, String, func, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, select

import models.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from duban import migrations
from models.domain.enums import ItemKind, ItemStatus, UnitKind
from models.errors import DatabaseNotReady
from models.records.items import overdue_items
from models.records.units import find_unit
from models.store import db
from models.store.events import history
from models.store.next_actions import next_actions
from models.store.tables import Event, Item, Outbox, ProgressEntry, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_TABLES = set(SQLModel.metadata.tables)  # head has exactly the tables the models declare
CORE_TABLES = {"unit", "item", "progress_entry", "event"}  # what revision 0001 created


@pytest.fixture
def empty_engine(db_url) -> Iterator[Engine]:
    """An engine on a database with no tables at all (not even alembic_version)."""
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _event_triggers(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'event'::regclass "
                     "AND NOT tgisinternal ORDER BY tgname")
        else:
            query = ("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                     "AND tbl_name = 'event' ORDER BY name")
        return list(conn.execute(text(query)).scalars())


def _schema_diffs(engine: Engine, metadata: MetaData = SQLModel.metadata) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


# --- upgrade ------------------------------------------------------------------------------------

def test_empty_database_upgrades_to_head(empty_engine):
    assert migrations.current_revision(empty_engine) is None
    assert _tables(empty_engine) == set()

    migrations.upgrade(empty_engine)

    assert migrations.head_revision() != ""
    assert migrations.current_revision(empty_engine) == migrations.head_revision()
    assert _tables(empty_engine) == ALL_TABLES
    assert CORE_TABLES | {"person", "calendar_day"} <= ALL_TABLES


def test_upgrade_twice_is_harmless(empty_engine):
    migrations.upgrade(empty_engine)
    triggers = _event_triggers(empty_engine)
    assert triggers, "the first upgrade installs the event-log triggers"
    with db.session_scope(empty_engine) as session:
        unit = Unit(name="优抚褒扬科", kind=UnitKind.DEPARTMENT, contact_name="刘洋",
                    contact_email="youfu@example.org",
                    created_at=datetime(2026, 11, 2, 9, tzinfo=SHANGHAI),
                    updated_at=datetime(2026, 11, 2, 9, tzinfo=SHANGHAI))
        session.add(unit)

    migrations.upgrade(empty_engine)

    assert migrations.current_revision(empty_engine) == migrations.head_revision()
    assert _tables(empty_engine) == ALL_TABLES
    assert _event_triggers(empty_engine) == triggers
    with Session(empty_engine) as session:
        assert [u.name for u in session.exec(select(Unit))] == ["优抚褒扬科"]


def test_upgrade_to_first_revision_only(empty_engine):
    migrations.upgrade(empty_engine, "0001")

    assert migrations.current_revision(empty_engine) == "0001"
    assert migrations.current_revision(empty_engine) != migrations.head_revision()
    assert _tables(empty_engine) == CORE_TABLES


# --- a database made by revision 0001 -----------------------------------------------------------

def _instant(engine: Engine, local: datetime):
    """A timestamp literal as the 0001-era application stored it on each dialect.

    PostgreSQL: timestamptz text with the bureau's offset (the server converts it).
    SQLite: no zone type; UTCDateTime wrote the UTC wall time in SQLAlchemy's format.
    """
    if engine.dialect.name == "postgresql":
        return local.isoformat(sep=" ")
    return local.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert(conn, table: str, row: dict) -> int:
    columns = ", ".join(f'"{c}"' for c in row)
    params = ", ".join(f":{c}" for c in row)
    return conn.execute(
        text(f'INSERT INTO "{table}" ({columns}) VALUES ({params}) RETURNING id'), row
    ).scalar_one()


def _local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_database_from_revision_0001_upgrades_without_losing_rows(empty_engine):
    eng = empty_engine
    migrations.upgrade(eng, "0001")
    t_created = _local(2026, 11, 2, 9, 0, 0)
    t_updated = _local(2026, 11, 5, 8, 30, 15, 250000)
    t_done = _local(2026, 11, 20, 23, 45)
    t_note = _local(2026, 11, 10, 0, 30)  # 16:30 UTC the day before: crosses the date line
    with eng.begin() as conn:
        unit_a = _insert(conn, "unit", {
            "name": "优抚褒扬科", "kind": "科室", "contact_name": "刘洋",
            "contact_email": "youfu@example.org", "contact_phone": "010-12345678",
            "leader_name": "吴立新", "leader_email": "wu.lixin@example.org",
            "created_at": _instant(eng, t_created), "updated_at": _instant(eng, t_updated),
        })
        unit_b = _insert(conn, "unit", {
            "name": "东华门街道办事处", "kind": "街道办事处", "contact_name": "陈静",
            "contact_email": "dhm@example.org", "contact_phone": None,
            "leader_name": None, "leader_email": None,
            "created_at": _instant(eng, t_created), "updated_at": _instant(eng, t_created),
        })
        item_open = _insert(conn, "item", {
            "code": "DB-2026-001", "kind": "整改事项", "title": "做好优待证办理工作",
            "detail": "第一行\n第二行", "measure": None, "source": "市局通报",
            "unit_id": unit_a, "person": "刘洋",
            "deadline_date": "2026-11-30", "deadline_time": None,
            "due_at": _instant(eng, _local(2026, 12, 1, 0, 0)),
            "status": "进行中", "completed_at": None,
            "created_at": _instant(eng, t_created), "updated_at": _instant(eng, t_updated),
        })
        item_done = _insert(conn, "item", {
            "code": None, "kind": "报送节点", "title": "报送季度统计表",
            "detail": None, "measure": "按时报送", "source": None,
            "unit_id": unit_b, "person": None,
            "deadline_date": "2026-11-25",
            "deadline_time": "17:00:00" if eng.dialect.name == "postgresql" else "17:00:00.000000",
            "due_at": _instant(eng, _local(2026, 11, 25, 17, 0)),
            "status": "已办结", "completed_at": _instant(eng, t_done),
            "created_at": _instant(eng, t_created), "updated_at": _instant(eng, t_done),
        })
        progress = _insert(conn, "progress_entry", {
            "item_id": item_open, "at": _instant(eng, t_note),
            "note": "已完成 80%，剩余材料待补", "author": "刘洋",
        })
        event = _insert(conn, "event", {
            "at": _instant(eng, t_updated), "actor": "督办室", "entity": "item",
            "entity_id": item_open, "action": "status",
            "before": '{"status": "未开始"}', "after": '{"status": "进行中"}',
        })
        event_null = _insert(conn, "event", {
            "at": _instant(eng, t_created), "actor": "督办室", "entity": "unit",
            "entity_id": unit_b, "action": "create", "before": None,
            "after": '{"name": "东华门街道办事处", "n": 3}',
        })

    migrations.upgrade(eng)

    assert migrations.current_revision(eng) == migrations.head_revision()
    migrations.require_current(eng)
    with Session(eng) as session:
        counts = {model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
                  for model in (Unit, Item, ProgressEntry, Event)}
        assert counts == {"unit": 2, "item": 2, "progress_entry": 1, "event": 2}

        a = session.get(Unit, unit_a)
        assert (a.name, a.kind, a.contact_name, a.contact_email, a.contact_phone,
                a.leader_name, a.leader_email) == (
            "优抚褒扬科", UnitKind.DEPARTMENT, "刘洋", "youfu@example.org", "010-12345678",
            "吴立新", "wu.lixin@example.org")
        assert a.created_at == t_created and a.updated_at == t_updated
        assert a.updated_at.utcoffset() == timedelta(0)
        assert a.updated_at.microsecond == 250000
        b = session.get(Unit, unit_b)
        assert (b.name, b.kind, b.contact_phone, b.leader_name, b.leader_email) == (
            "东华门街道办事处", UnitKind.STREET_OFFICE, None, None, None)

        o = session.get(Item, item_open)
        assert (o.code, o.kind, o.title, o.detail, o.measure, o.source, o.unit_id, o.person) == (
            "DB-2026-001", ItemKind.RECTIFICATION, "做好优待证办理工作", "第一行\n第二行", None,
            "市局通报", unit_a, "刘洋")
        assert (o.deadline_date, o.deadline_time, o.status, o.completed_at) == (
            date(2026, 11, 30), None, ItemStatus.IN_PROGRESS, None)
        assert o.due_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
        assert o.due_at.utcoffset() == timedelta(0)
        assert (o.created_at, o.updated_at) == (t_created, t_updated)

        d = session.get(Item, item_done)
        assert (d.code, d.kind, d.unit_id, d.deadline_date, d.deadline_time, d.status) == (
            None, ItemKind.SUBMISSION, unit_b, date(2026, 11, 25), time(17, 0), ItemStatus.DONE)
        assert d.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        assert d.completed_at == t_done
        assert d.completed_at.utcoffset() == timedelta(0)
        # Columns added later are filled in for old rows (0003: open items are due a sweep;
        # 0007 moved that time to next_action).
        assert next_actions(session, [item_open, item_done]) == {item_open: t_updated}

        p = session.get(ProgressEntry, progress)
        assert (p.item_id, p.note, p.author) == (item_open, "已完成 80%，剩余材料待补", "刘洋")
        assert p.at == datetime(2026, 11, 9, 16, 30, tzinfo=UTC)

        e = session.get(Event, event)
        assert (e.at, e.actor, e.entity, e.entity_id, e.action, e.before, e.after) == (
            t_updated, "督办室", "item", item_open, "status",
            {"status": "未开始"}, {"status": "进行中"})
        n = session.get(Event, event_null)
        assert (n.before, n.after) == (None, {"name": "东华门街道办事处", "n": 3})

        # The old rows work with today's code: queries, lookups, the history.
        assert find_unit(session, "东华门街道办事处").id == unit_b
        assert [i.id for i, _ in overdue_items(session, now=_local(2026, 12, 1, 0, 0, 1))] == [item_open]
        assert [ev.id for ev in history(session, "item", item_open)] == [event]

    # New rows get fresh ids after the raw inserts (PostgreSQL sequences were advanced).
    with db.session_scope(eng) as session:
        unit = Unit(name="新单位", kind=UnitKind.OTHER, contact_name="王五",
                    contact_email="w@example.org", created_at=t_done, updated_at=t_done)
        session.add(unit)
        session.flush()
        assert unit.id not in (unit_a, unit_b)

    # The upgraded database still guards its event log.
    with pytest.raises(DBAPIError, match="append-only"), eng.begin() as conn:
        conn.execute(text("DELETE FROM event"))


# --- the models and the migrations agree --------------------------------------------------------

def test_schema_at_head_matches_the_models(empty_engine):
    migrations.upgrade(empty_engine)

    assert _schema_diffs(empty_engine) == []


def test_schema_comparison_notices_missing_revisions(empty_engine):
    """The comparison is live: a database left at 0001 is reported, table by table."""
    migrations.upgrade(empty_engine, "0001")

    diffs = _schema_diffs(empty_engine)

    added = sorted(d[1].name for d in diffs if d[0] == "add_table")
    assert added == sorted(ALL_TABLES - CORE_TABLES)
    assert "calendar_day" in added and "person" in added


def test_schema_comparison_notices_a_changed_type(empty_engine):
    """Type comparison is on: a column whose length differs from the migrations is reported."""
    migrations.upgrade(empty_engine)
    drifted = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["item"].c.title.type = String(300)

    diffs = [d for group in _schema_diffs(empty_engine, drifted) for d in
             (group if isinstance(group, list) else [group])]

    changed = [(d[2], d[3]) for d in diffs if d[0] == "modify_type"]
    assert changed == [("item", "title")]


# --- the event log is append-only ---------------------------------------------------------------

def test_event_table_refuses_update_and_delete(engine):
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO event (at, actor, entity, entity_id, action) "
                 "VALUES (:at, 'test', 'item', 1, 'create')"),
            {"at": _instant(engine, _local(2026, 11, 2, 9, 0))},
        )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM event")).scalar() == 1

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE event SET actor = 'tampered'"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM event"))

    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM event")).scalars().all() == ["test"]


def test_event_table_refuses_orm_changes(engine):
    with db.session_scope(engine) as session:
        session.add(Event(at=_local(2026, 11, 2, 9, 0), actor="test", entity="item", entity_id=1,
                          action="create", after={"title": "原标题"}))

    with pytest.raises(DBAPIError, match="append-only"), db.session_scope(engine) as session:
        event = session.exec(select(Event)).one()
        event.after = {"title": "改过的标题"}
    with pytest.raises(DBAPIError, match="append-only"), db.session_scope(engine) as session:
        session.delete(session.exec(select(Event)).one())

    with Session(engine) as session:
        assert session.exec(select(Event)).one().after == {"title": "原标题"}


# --- require_current ----------------------------------------------------------------------------

def test_require_current_refuses_an_empty_database(empty_engine):
    with pytest.raises(DatabaseNotReady, match="duban init") as err:
        migrations.require_current(empty_engine)
    assert "尚未初始化" in str(err.value)


def test_require_current_refuses_an_old_revision(empty_engine):
    migrations.upgrade(empty_engine, "0001")

    with pytest.raises(DatabaseNotReady, match="duban init") as err:
        migrations.require_current(empty_engine)
    assert "0001" in str(err.value) and "过旧" in str(err.value)


def test_require_current_accepts_head(empty_engine):
    migrations.upgrade(empty_engine)

    assert migrations.require_current(empty_engine) is None


# --- revision 0006: outbox.failed_at --------------------------------------------------------------

def test_0006_dates_existing_failures_by_their_last_attempt(empty_engine):
    eng = empty_engine
    migrations.upgrade(eng, "0005")
    due = _local(2026, 11, 20, 9, 0, 0)
    base = {"item_id": None, "reminder": "逾期催办", "stage": "overdue#0", "recipient": "a@example.org",
            "recipient_name": "某人", "cc": "[]", "context": "{}", "send_after": _instant(eng, due),
            "attempts": 1, "message_id": "<x@duban.example.org>", "any_hour": False,
            "created_at": _instant(eng, due - timedelta(days=3))}
    with eng.begin() as conn:
        failed = _insert(conn, "outbox", {**base, "dedupe_key": "f", "status": "failed"})
        sent = _insert(conn, "outbox", {**base, "dedupe_key": "s", "status": "sent"})
    migrations.upgrade(eng)
    with Session(eng) as session:
        rows = {r.id: r for r in session.exec(select(Outbox))}
    assert rows[failed].failed_at == due
    assert rows[sent].failed_at is None


# --- revision 0007: the sweep's schedule in next_action -------------------------------------------

def _indexes(engine: Engine, table: str) -> dict[str, list[str]]:
    return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes(table)}


def test_0007_moves_the_schedule_to_next_action_and_back(empty_engine):
    eng = empty_engine
    migrations.upgrade(eng, "0006")
    unit = {"kind": "科室", "contact_name": "刘洋", "contact_email": "youfu@example.org",
            "created_at": _instant(eng, _local(2026, 11, 2, 9)),
            "updated_at": _instant(eng, _local(2026, 11, 2, 9))}
    due = _local(2026, 12, 1, 0, 0)
    nexts = [_local(2026, 11, 28, 9, 0), _local(2026, 11, 28, 9, 0), None,
             _local(2026, 11, 30, 9, 0, 0, 250000)]
    with eng.begin() as conn:
        unit_id = _insert(conn, "unit", {**unit, "name": "优抚褒扬科"})
        ids = [_insert(conn, "item", {
            "kind": "整改事项", "title": f"事项{n}", "unit_id": unit_id,
            "deadline_date": "2026-11-30", "due_at": _instant(eng, due),
            "status": "已办结" if at is None else "进行中", "ics_sequence": 0,
            "next_action_at": None if at is None else _instant(eng, at),
            "created_at": unit["created_at"], "updated_at": unit["created_at"],
        }) for n, at in enumerate(nexts)]
    expected = {i: at for i, at in zip(ids, nexts, strict=True) if at is not None}

    migrations.upgrade(eng)

    assert _schema_diffs(eng) == []
    with Session(eng) as session:
        assert next_actions(session, ids) == expected
    assert "next_action_at" not in {c["name"] for c in inspect(eng).get_columns("item")}
    assert {"ix_item_next_action_at", "ix_item_template_id"}.isdisjoint(_indexes(eng, "item"))
    assert _indexes(eng, "next_action")["ix_next_action_at"] == ["at", "item_id"]
    # What replaces ix_item_template_id: the occurrence key, led by template_id.
    [occurrence] = [u for u in inspect(eng).get_unique_constraints("item")
                    if u["name"] == "uq_item_occurrence"]
    assert occurrence["column_names"][0] == "template_id"
    # The schedule goes with its item.
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM item WHERE id = :id"), {"id": ids[0]})
        assert conn.execute(text("SELECT count(*) FROM next_action")).scalar() == 2

    migrations.downgrade(eng, "0006")

    assert migrations.current_revision(eng) == "0006"
    assert "next_action" not in _tables(eng)
    assert _indexes(eng, "item")["ix_item_next_action_at"] == ["next_action_at"]
    assert _indexes(eng, "item")["ix_item_template_id"] == ["template_id"]
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT id, next_action_at FROM item ORDER BY id")).all()
    restored = {i: at for i, at in rows}
    assert set(restored) == set(ids[1:])
    for item_id in ids[1:]:
        at = restored[item_id]
        if isinstance(at, str):  # SQLite, read without the model's type
            at = datetime.fromisoformat(at).replace(tzinfo=UTC)
        assert at == expected.get(item_id)

    migrations.upgrade(eng)  # and up again, as before
    assert _schema_diffs(eng) == []
    with Session(eng) as session:
        assert next_actions(session, ids) == {i: expected[i] for i in ids[1:] if i in expected}


# --- revision 0008: meetings found by kind -------------------------------------------------------

def test_0008_adds_the_kind_index_and_takes_it_back(empty_engine):
    eng = empty_engine
    migrations.upgrade(eng, "0007")
    assert "ix_item_kind_open_due" not in _indexes(eng, "item")

    migrations.upgrade(eng)
    assert _indexes(eng, "item")["ix_item_kind_open_due"] == ["kind", "status", "due_at"]
    assert _schema_diffs(eng) == []

    migrations.downgrade(eng, "0007")
    assert "ix_item_kind_open_due" not in _indexes(eng, "item")
    assert _indexes(eng, "item")["ix_item_open_due"] == ["status", "due_at"]
    migrations.upgrade(eng)
    assert _schema_diffs(eng) == []


def test_0012_adds_the_outbox_group_index_and_takes_it_back(empty_engine):
    eng = empty_engine
    migrations.upgrade(eng, "0008")
    assert "ix_outbox_group" not in _indexes(eng, "outbox")
    migrations.upgrade(eng)
    assert _indexes(eng, "outbox")["ix_outbox_group"] == ["recipient", "reminder", "status"]
    assert _schema_diffs(eng) == []
    migrations.downgrade(eng, "0008")
    assert "ix_outbox_group" not in _indexes(eng, "outbox")
    migrations.upgrade(eng)
    assert _schema_diffs(eng) == []
