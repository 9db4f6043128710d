"""Calendar overrides in the database: load a State Council notice as CSV, build a WorkCalendar."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models.domain import validation
from models.domain.calendar import DayOverride, WorkCalendar
from models.domain.parsing import parse_date
from models.errors import InputError, Problem, ValidationFailed
from models.store.events import record_event
from models.store.files import csv_problem, read_regular_file
from models.store.tables import CalendarDay

COLUMNS = ("日期", "类型", "名称")
MAX_FILE_BYTES = 1 << 20  # a year's notice is a few dozen lines
KINDS = {"休": False, "班": True}


@dataclass(frozen=True)
class LoadedYear:
    """A year's overrides as loaded by ``duban calendar load``."""

    year: int
    days_off: int
    workdays: int
    loaded_at: datetime


def loaded_years(session: Session) -> list[LoadedYear]:
    """The years with overrides, oldest first, with their counts and last load time."""
    year = func.strftime("%Y", CalendarDay.day) if session.get_bind().dialect.name == "sqlite" \
        else func.extract("year", CalendarDay.day)
    rows = session.execute(
        select(year, func.sum(case((col(CalendarDay.workday).is_(False), 1), else_=0)),
               func.sum(case((col(CalendarDay.workday).is_(True), 1), else_=0)),
               func.max(CalendarDay.loaded_at))
        .group_by(year).order_by(year))
    return [LoadedYear(int(y), off, work, at) for y, off, work, at in rows]


def year_is_covered(session: Session, year: int) -> bool:
    """True when the year's holidays are known: the package covers it or overrides are loaded."""
    return calendar_from_db(session).is_covered(year)


def calendar_from_db(session: Session, **kwargs) -> WorkCalendar:
    rows = session.exec(select(CalendarDay))
    return WorkCalendar(
        (DayOverride(r.day, r.workday, r.name) for r in rows), **kwargs
    )


def _read_text(path: Path) -> str:
    raw = read_regular_file(path, max_bytes=MAX_FILE_BYTES, field="文件")
    # Excel on Chinese Windows saves CSV as GB18030; elsewhere UTF-8, perhaps with a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("文件", str(path), "既不是 UTF-8 也不是 GB18030 编码的文本")


def _csv_rows(path: Path, text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over the csv module's 131,072 characters
            raise InputError("文件", path.name,
                             f"第 {reader.line_num} 行无法按 CSV 读取（{csv_problem(exc)}）") from None


def parse_calendar_csv(path: Path) -> list[DayOverride]:
    """Every row checked; ValidationFailed lists every bad cell with its row and column."""
    reader = _csv_rows(path, _read_text(path))
    header = [h.strip().replace("\u3000", "") for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError("表头", ",".join(header), f"缺少列：{'、'.join(missing)}（应为 日期,类型,名称）")
    index = {name: header.index(name) for name in COLUMNS}
    problems: list[Problem] = []
    overrides: dict[date, DayOverride] = {}
    seen: dict[date, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in index.items()}
        where = f"{path.name} 第{line_no}行"
        try:
            day = parse_date(cells["日期"], "日期")
        except InputError:
            problems.append(Problem(where, "日期", cells["日期"], "不是有效日期（应为 2027-01-01）"))
            day = None
        if cells["类型"] not in KINDS:
            problems.append(Problem(where, "类型", cells["类型"], "应为 休 或 班"))
        if not cells["名称"]:
            problems.append(Problem(where, "名称", "", "不能为空"))
        elif len(cells["名称"]) > 50:
            problems.append(Problem(where, "名称", cells["名称"], "超过 50 字"))
        else:
            try:
                validation.text(cells["名称"], "名称", max_len=50)
            except InputError as exc:
                problems.append(Problem(where, "名称", cells["名称"], exc.reason))
                cells["名称"] = ""
        if day is not None and day in seen:
            problems.append(Problem(where, "日期", cells["日期"], f"与第{seen[day]}行重复"))
        elif day is not None:
            seen[day] = line_no
        if day is not None and cells["类型"] in KINDS and cells["名称"]:
            overrides.setdefault(day, DayOverride(day, KINDS[cells["类型"]], cells["名称"]))
    if problems:
        raise ValidationFailed(path.name, problems)
    if not overrides:
        raise InputError("文件", path.name, "没有任何数据行")
    return list(overrides.values())


def save_overrides(
    session: Session, overrides: list[DayOverride], *, actor: str, now: datetime
) -> tuple[int, int]:
    """Insert or replace each day; returns (added, changed)."""
    if not overrides:
        return 0, 0
    added = changed = 0
    for o in overrides:
        row = session.get(CalendarDay, o.day)
        if row is None:
            session.add(CalendarDay(day=o.day, workday=o.workday, name=o.name, loaded_at=now))
            added += 1
        elif (row.workday, row.name) != (o.workday, o.name):
            row.workday, row.name, row.loaded_at = o.workday, o.name, now
            changed += 1
    years = sorted({o.day.year for o in overrides})
    record_event(session, entity="calendar", entity_id=years[0], action="load", actor=actor,
                 at=now, after={"years": years, "added": added, "changed": changed})
    return added, changed
