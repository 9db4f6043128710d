"""A sheet as import sees it: its header found and mapped to fields, its data rows, and the
problems found in it, each placed by sheet, row and column."""

from __future__ import annotations

from collections.abc import Iterator

from models.errors import Problem, Refused, quote
from models.ledger.cells import ERROR_VALUES, display, is_blank
from models.ledger.columns import (
    ACTIVITY_SHEET,
    EXPORT_ONLY,
    ITEM_SHEET,
    UNIT_SHEET,
    Column,
    header_names,
    normalise_header,
)
from models.ledger.reading import Row, SheetSource

HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common
MAX_KEPT_PROBLEMS = 1_000  # the rest are counted, not kept: a bad file may have millions
MAX_IGNORED_COLUMNS = 20
_SHEET_ORDER = {UNIT_SHEET: 0, ITEM_SHEET: 1, ACTIVITY_SHEET: 2}


class Problems:
    """Every problem found (the first MAX_KEPT_PROBLEMS kept, all counted), sorted for the
    report by sheet, row and column."""

    def __init__(self) -> None:
        self._found: list[tuple[tuple[int, int, int], Problem]] = []
        self.total = 0

    def add(self, sheet: str, row: int, column: int, label: str, value: object,
            reason: str) -> None:
        self.total += 1
        if len(self._found) >= MAX_KEPT_PROBLEMS:
            return
        where = f"{sheet} 第{row}行"
        self._found.append(((_SHEET_ORDER[sheet], row, column),
                            Problem(where, label, display(value), reason)))

    def __len__(self) -> int:
        return self.total

    def sorted(self) -> list[Problem]:
        return [p for _, p in sorted(self._found, key=lambda kp: kp[0])]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


class SheetReader:
    """A sheet's header located and mapped; its data rows as {field key: raw cell}.
    ``formulas`` holds (row, column) → formula text for the mapped columns' formula cells
    whose value is blank (no saved result), as the rows are read."""

    def __init__(self, source: SheetSource, columns: tuple[Column, ...], problems: Problems,
                 ignored: list[str]):
        self.name, self.problems = source.name, problems
        self.formulas: dict[tuple[int, int], str] = {}
        names = header_names(columns)
        self.header_row, header, self._rows = _find_header(source.rows, names)
        self.index: dict[str, int] = {}
        self.columns = {c.key: c for c in columns}
        unknown = 0
        for position, raw in sorted(header.items()):
            text = normalise_header(raw)
            if not text:
                continue
            column = names.get(text)
            if column is None:
                if text not in EXPORT_ONLY:
                    unknown += 1
                    if unknown <= MAX_IGNORED_COLUMNS:
                        ignored.append(f"{self.name}：{quote(str(raw).strip(), 30)}")
                    elif unknown == MAX_IGNORED_COLUMNS + 1:
                        ignored.append(f"{self.name}：……")
            elif column.key in self.index:
                first = _column_letter(self.index[column.key])
                problems.add(self.name, self.header_row, position, "表头", raw,
                             f"与 {first} 列重复（都是“{column.header}”）")
            else:
                self.index[column.key] = position
        self.complete = True
        for column in columns:
            if column.required and column.key not in self.index:
                also = f"（也可写作 {'、'.join(column.variants)}）" if column.variants else ""
                problems.add(self.name, self.header_row, max(header, default=-1) + 1, "表头",
                             column.header, f"缺少必需的列{also}")
                self.complete = False

    def records(self, max_rows: int) -> Iterator[tuple[int, dict[str, object]]]:
        """The data rows below the header, as {field key: raw cell}. Every row with anything
        in it counts towards ``max_rows``, even one that holds nothing import reads (a
        formula in an unmapped column), so no file can make import read without end."""
        count = 0
        for number, cells, formulas in self._rows:
            count += 1
            if count > max_rows:
                raise Refused(f"“{self.name}”工作表的数据超过 {max_rows} 行，超出单次导入的上限"
                              "（可用 --max-rows 调整）")
            record = {key: cells.get(i) for key, i in self.index.items()}
            unsaved = False
            if formulas:
                for i in self.index.values():
                    if i in formulas and is_blank(cells.get(i)):
                        self.formulas[(number, i)] = formulas[i]
                        unsaved = True
            if not unsaved and all(is_blank(v) for v in record.values()):
                continue  # e.g. a template's row with only its 序号 filled in
            yield number, record

    def cell_problem(self, number: int, key: str, raw: object) -> str | None:
        """Why a raw cell cannot be read at all (an unsaved formula, an error value), or None."""
        if self.formulas and is_blank(raw) and (number, self.index[key]) in self.formulas:
            return "公式没有保存计算结果：请在 Excel 中打开并保存后再导入"
        if isinstance(raw, str) and raw[:2].lstrip()[:1] == "#" and raw.strip() in ERROR_VALUES:
            return "单元格是公式的错误值"
        return None

    def add(self, number: int, key: str, value: object, reason: str) -> None:
        position = self.index.get(key, len(self.index) + 1)
        label = self.columns[key].header
        if (number, position) in self.formulas and is_blank(value):
            value = self.formulas[(number, position)]
        self.problems.add(self.name, number, position, label, value, reason)


def _find_header(rows: Iterator[Row], names: dict[str, Column]) -> tuple[int, dict, Iterator[Row]]:
    """The header row: the first of the first few rows naming two known columns (rows above
    it are titles), else the first row."""
    peeked: list[Row] = []
    for row in rows:
        if sum(1 for cell in row[1].values() if normalise_header(cell) in names) >= 2:
            return row[0], row[1], rows
        peeked.append(row)
        if len(peeked) == HEADER_SEARCH_ROWS:
            break
    if not peeked:
        return 1, {}, iter(())
    return peeked[0][0], peeked[0][1], _chain(peeked[1:], rows)


def _chain(first: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from first
    yield from rest
