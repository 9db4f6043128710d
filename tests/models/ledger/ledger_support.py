"""Shared pieces of the ledger tests: the fixture files, a fixed clock, whole-database dumps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session, SQLModel

import models.store.tables  # noqa: F401  (every table on the metadata, for the dumps)
from models.domain.calendar import WorkCalendar
from models.ledger import import_ledger
from models.records.units import UnitInput, add_unit
from models.reports.views import Clock
from models.store import db

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
ACTOR = "督办室"


CALENDAR = WorkCalendar()  # shared: it caches each year it has worked out


def clock(now: datetime = NOW) -> Clock:
    return Clock(now=now, tz=SHANGHAI, calendar=CALENDAR)


def import_file(engine: Engine, path: Path, *, now: datetime = NOW, **kw):
    """Import in one transaction of its own, as the CLI does."""
    with db.session_scope(engine) as session:
        return import_ledger(session, path, actor=ACTOR, now=now, tz=SHANGHAI, **kw)


def add_office(session: Session, name: str = "办公室") -> None:
    """A unit that exists only in the database, not in a ledger's 单位 sheet."""
    add_unit(session, UnitInput(name, "科室", "李静", "bgs@example.org"), actor="test", now=NOW)


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal dumps mean nothing was written."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


def write_workbook(path: Path, sheets: dict[str, list[list]], *, formulas: bool = True) -> Path:
    """A workbook with the given sheets, each a list of rows (the first is usually the header).

    Text starting with "=" is a formula (saved without a result, as openpyxl does), unless
    ``formulas`` is False: then it is text, as a clerk types it with a leading apostrophe.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if not formulas:
            for cells in ws.iter_rows():
                for cell in cells:
                    if cell.data_type == "f":
                        cell.data_type = "s"
    wb.save(path)
    return path


ITEM_HEADER = ["编号", "类别", "事项名称", "责任单位", "责任人", "完成时限", "状态", "完成时间", "备注"]
UNIT_HEADER = ["单位名称", "类型", "联系人", "联系邮箱", "联系电话", "分管领导", "分管领导邮箱"]
UNIT_ROW = ["优抚褒扬科", "科室", "刘洋", "youfu@example.org", None, "吴立新", "wu@example.org"]



def ledger_view(engine: Engine) -> dict[str, list[tuple]]:
    """Every field a ledger carries, units by name and items by 编号 (items without one are
    not ledger rows); instants as local time to the second."""
    from sqlmodel import col
    from sqlmodel import select as select_models

    from models.store.tables import Item, Unit

    with Session(engine) as session:
        units = sorted(
            (u.name, u.kind.value, u.contact_name, u.contact_email, u.contact_phone,
             u.leader_name, u.leader_email) for u in session.exec(select_models(Unit)))
        pairs = session.exec(select_models(Item, Unit)
                             .join(Unit, col(Unit.id) == col(Item.unit_id)))
        items = sorted(
            (i.code, i.kind.value, i.title, i.detail, i.measure, i.source, u.name, i.person,
             i.deadline_date, i.deadline_time, i.status.value,
             i.completed_at.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
             if i.completed_at else None, i.remark)
            for i, u in pairs if i.code is not None)
    return {"units": units, "items": items}


def ledger_db_view(home: Path) -> dict[str, list[tuple]]:
    """ledger_view of the SQLite database in a DUBAN_HOME."""
    engine = db.make_engine(f"sqlite:///{home / 'duban.db'}")
    try:
        return ledger_view(engine)
    finally:
        engine.dispose()
