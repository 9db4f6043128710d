"""The work ledger (工作台账) as a file: import a 工作台账 sheet (.xlsx) or a .csv, export both.

Import follows the item ledger's rules: the whole file is read and every cell checked with the
same cleaning the CLI uses (``clean_activity_field``) before anything is written; any problem
anywhere is reported with sheet, row, column, value and reason, and nothing is written. A row is
keyed by 日期 + 类别 + 活动名称 + 责任单位: a row already in the database with the same figures is
"unchanged", with other figures "updated", so a file that imports once imports again as
unchanged.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, col, select

from models.errors import InputError, ValidationFailed
from models.ledger.cells import cell_text
from models.ledger.columns import ACTIVITY_COLUMNS, ACTIVITY_SHEET
from models.ledger.reading import open_ledger
from models.ledger.sheets import Problems, SheetReader
from models.ledger.styling import (
    DATE_FORMAT,
    NUMBER,
    Col,
    append_row,
    cols,
    finish,
    list_validation,
    make_cell,
    new_sheet,
    save,
)
from models.records.activities import (
    MEASURES,
    build_activity,
    category_ids,
    clean_activity_field,
    list_activities,
    unit_ids,
)
from models.store.events import record_event, snapshot
from models.store.tables import Activity

DEFAULT_MAX_ROWS = 100_000
FIGURES = (*MEASURES, "note")
ACTIVITY_LAYOUT = [NUMBER, *cols(ACTIVITY_COLUMNS)]
Key = tuple[date, int, str, int | None]


@dataclass
class ActivityImport:
    source: str
    added: list[Activity] = field(default_factory=list)
    updated: list[tuple[Activity, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def _cell(key: str, raw: object) -> Any:
    if key == "day" and isinstance(raw, date | datetime):
        return clean_activity_field(key, raw)
    if key in MEASURES and isinstance(raw, int | float) and not isinstance(raw, bool):
        return clean_activity_field(key, raw)
    return clean_activity_field(key, cell_text(raw))


def _check_rows(session: Session, sheet: SheetReader, *, today: date, max_rows: int,
                actor: str, now: datetime) -> tuple[dict[Key, tuple[int, Activity]], int]:
    categories, units = category_ids(session), unit_ids(session)
    rows: dict[Key, tuple[int, Activity]] = {}
    read = 0
    for number, record in sheet.records(max_rows):
        read += 1
        values: dict[str, Any] = dict.fromkeys(c.key for c in ACTIVITY_COLUMNS)
        ok = True
        for key, raw in record.items():
            reason = sheet.cell_problem(number, key, raw)
            if reason is None:
                try:
                    values[key] = _cell(key, raw)
                except InputError as exc:
                    reason = exc.reason
            if reason is None and key == "day" and values[key] > today:
                reason = f"不能晚于今天（{today.isoformat()}）：台账只记已开展的活动"
            if reason is None and key == "category" and values[key] not in categories:
                reason = "不是已设置的类别（现有：" + "、".join(categories) + "）"
            if reason is None and key == "unit" and values[key] is not None \
                    and values[key] not in units:
                reason = "系统中没有这个责任单位"
            if reason is not None:
                sheet.add(number, key, raw, reason)
                ok = False
        if not ok:
            continue
        unit = units.get(values["unit"]) if values["unit"] else None
        key = (values["day"], categories[values["category"]], values["title"], unit)
        if key in rows:
            sheet.add(number, "title", values["title"],
                      f"与第{rows[key][0]}行重复（日期、类别、活动名称、责任单位都相同）")
            continue
        rows[key] = (number, build_activity(values, category=key[1], unit=unit, files=[],
                                            actor=actor, now=now))
    return rows, read


def import_activities(session: Session, path: Path, *, actor: str, now: datetime, today: date,
                      max_rows: int = DEFAULT_MAX_ROWS, dry_run: bool = False) -> ActivityImport:
    """Check ``path`` whole, then (unless ``dry_run``) write it in ``session``'s transaction.
    Refused for a file that is not a readable ledger, ValidationFailed listing every bad cell;
    in both cases nothing has been written."""
    result = ActivityImport(path.name)
    problems = Problems()
    with open_ledger(path, main=ACTIVITY_SHEET, also=()) as ledger:
        sheet = SheetReader(ledger.sheets[ACTIVITY_SHEET], ACTIVITY_COLUMNS, problems,
                            result.ignored_columns)
        if not sheet.complete:
            raise ValidationFailed(ledger.source, problems.sorted(), total=problems.total)
        rows, _ = _check_rows(session, sheet, today=today, max_rows=max_rows, actor=actor,
                              now=now)
    if problems:
        raise ValidationFailed(result.source, problems.sorted(), total=problems.total)
    existing: dict[Key, Activity] = {}
    days = sorted({k[0] for k in rows})
    if days:
        for a in session.exec(select(Activity).where(col(Activity.day) >= days[0],
                                                     col(Activity.day) <= days[-1])):
            existing.setdefault((a.day, a.category_id, a.title, a.unit_id), a)
    for key, (_, new) in rows.items():
        old = existing.get(key)
        if old is None:
            result.added.append(new)
            continue
        changed = {f: getattr(new, f) for f in FIGURES if getattr(new, f) != getattr(old, f)}
        if changed:
            result.updated.append((old, changed))
        else:
            result.unchanged += 1
    if not dry_run:
        _write(session, result, actor=actor, now=now)
    return result


def _write(session: Session, result: ActivityImport, *, actor: str, now: datetime) -> None:
    session.add_all(result.added)
    session.flush()
    for activity in result.added:
        record_event(session, entity="activity", entity_id=activity.id, action="import",  # type: ignore[arg-type]
                     actor=actor, at=now, after=snapshot(activity))
    for activity, changed in result.updated:
        before = snapshot(activity, list(changed))
        for name, value in changed.items():
            setattr(activity, name, value)
        record_event(session, entity="activity", entity_id=activity.id, action="import",  # type: ignore[arg-type]
                     actor=actor, at=now, before=before, after=snapshot(activity, list(changed)))
    session.flush()


# --- export -------------------------------------------------------------------------------------

def _values(view) -> dict[str, Any]:
    return {"day": view.day, "category": view.category, "title": view.title, "unit": view.unit,
            "times": view.times, "people": view.people, "amount": view.amount,
            "pieces": view.pieces, "note": view.note}


def export_activities(session: Session, path: Path, *, start: date | None, end: date | None,
                      heading: str, as_of: str) -> int:
    """Write the activities between ``start`` and ``end`` to ``path`` (.xlsx or .csv, by its
    suffix); a file that reads back through import as unchanged. Returns the rows written."""
    views = list_activities(session, start=start, end=end)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow([c.header for c in ACTIVITY_COLUMNS])
        for view in views:
            values = _values(view)
            writer.writerow(["" if values[c.key] is None else
                             (values[c.key].isoformat() if c.key == "day" else values[c.key])
                             for c in ACTIVITY_COLUMNS])
        _replace(path, buffer.getvalue().encode("utf-8-sig"))
        return len(views)
    if suffix != ".xlsx":
        raise InputError("文件", str(path), "导出文件名须以 .xlsx 或 .csv 结尾")
    wb = Workbook(write_only=True)
    ws = new_sheet(wb, ACTIVITY_SHEET, ACTIVITY_LAYOUT, heading=heading, as_of=as_of, freeze="D2")
    for number, view in enumerate(views, start=1):
        values = _values(view)
        cells = [make_cell(ws, number, NUMBER)]
        for column in ACTIVITY_LAYOUT[1:]:
            cells.append(make_cell(ws, values[column.key], column,
                                   fmt=DATE_FORMAT if column.key == "day" else None))
        append_row(ws, cells, ACTIVITY_LAYOUT, number + 1)
    names = '"' + ",".join(category_ids(session)) + '"'
    list_validation(ws, ACTIVITY_LAYOUT, "category", names, len(views))
    finish(ws, ACTIVITY_LAYOUT, len(views))
    save(wb, path)
    return len(views)


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError("文件", str(path), f"无法写入（{exc.strerror or exc}）") from None


__all__ = ["ACTIVITY_LAYOUT", "ActivityImport", "Col", "export_activities", "import_activities"]
