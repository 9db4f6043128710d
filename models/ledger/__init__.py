"""The ledger (台账): Excel workbooks and CSV files in, Excel workbooks out.

    columns.py   the sheets, their headers and the variants clerks write
    reading.py   what a file is (by its bytes) and its sheets' rows
    xlsx.py      a workbook's cells, values and formulas, in one streaming pass
    cells.py     a cell as duban's values (text, deadline, instant)
    sheets.py    a sheet's header located and mapped; problems placed by sheet, row, column
    checking.py  every cell and row checked, compared with the database: an ImportPlan
    writing.py   the plan written in the caller's transaction
    styling.py   building blocks of the styled workbooks
    export.py    the workbook a clerk files and prints (事项, 单位, 逾期)
    template.py  the empty workbook to fill in

Import is all or nothing: the whole file is checked before anything is written, every
problem is reported at once, and a file that imports once imports again as "unchanged".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.errors import Refused
from models.ledger.changes import describe_plan, holiday_warnings
from models.ledger.checking import DEFAULT_MAX_ROWS, ImportPlan, check_ledger
from models.ledger.reading import open_ledger
from models.ledger.writing import ImportResult, apply_plan, result_of
from models.store.calendar_store import calendar_from_db

__all__ = ["DEFAULT_MAX_ROWS", "ImportPlan", "ImportResult", "import_ledger"]


def import_ledger(session: Session, path: Path, *, actor: str, now: datetime, tz: ZoneInfo,
                  max_rows: int = DEFAULT_MAX_ROWS, dry_run: bool = False) -> ImportResult:
    """Check ``path`` whole, then (unless ``dry_run``) write it in ``session``'s transaction.

    Raises Refused for a file that is not a readable ledger, ValidationFailed listing every
    bad cell; in both cases nothing has been written.
    """
    with open_ledger(path) as ledger:
        plan = check_ledger(session, ledger, now=now, tz=tz, max_rows=max_rows)
    said = {"changes": tuple(describe_plan(plan, tz)),
            "warnings": tuple(holiday_warnings(plan, calendar_from_db(session)))}
    if dry_run:
        return replace(result_of(plan, dry_run=True), **said)
    try:
        return replace(apply_plan(session, plan, actor=actor, now=now, tz=tz), **said)
    except IntegrityError as exc:
        # Someone added the same 编号 or unit between the check and the write (PostgreSQL;
        # SQLite's write lock, taken at the first read, rules it out). The caller rolls back.
        detail = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
        raise Refused(f"{plan.source} 导入时，系统中的事项或单位被同时修改（{detail}），"
                      "未写入任何数据，请重新导入") from exc
