"""The ledger's sheets and columns: their Chinese headers, the variants clerks write, widths.

Headers are matched after normalisation: full-width forms are folded and spaces (including
the ideographic space) and asterisks removed, so " 完成　时限 " and "完成时限＊" both mean
完成时限. Words are not guessed: a header must be the column's name or one of its variants.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from models.records.items import FIELD_LABELS

UNIT_SHEET = "单位"
ITEM_SHEET = "事项"
OVERDUE_SHEET = "逾期"
ACTIVITY_SHEET = "工作台账"

# Columns that exports add for people and imports pass over without a word.
ROW_NUMBER = "序号"
LIGHT = "督办状态"
DAYS_OVERDUE = "逾期工作日"
EXPORT_ONLY = (ROW_NUMBER, LIGHT, DAYS_OVERDUE)


@dataclass(frozen=True)
class Column:
    key: str  # the field name in models (Unit column, or items.FIELD_LABELS key)
    header: str
    width: float  # in Excel character units, chosen so a landscape A4 page holds the sheet
    required: bool = False  # the column must be present in an imported sheet
    variants: tuple[str, ...] = ()
    wrap: bool = False


UNIT_COLUMNS = (
    Column("name", "单位名称", 22, required=True),
    Column("kind", "类型", 11, required=True),
    Column("contact_name", "联系人", 9, required=True),
    Column("contact_email", "联系邮箱", 26, required=True),
    Column("contact_phone", "联系电话", 15),
    Column("leader_name", "分管领导", 9),
    Column("leader_email", "分管领导邮箱", 26),
)


def _item(key: str, width: float, **kw) -> Column:
    return Column(key, FIELD_LABELS.get(key, "完成时间"), width, **kw)


ITEM_COLUMNS = (
    _item("code", 11, required=True),
    _item("kind", 9),
    _item("title", 24, required=True, wrap=True),
    _item("detail", 24, wrap=True),
    _item("measure", 30, wrap=True),
    _item("source", 18, wrap=True),
    _item("unit", 14, required=True, variants=("牵头单位",), wrap=True),
    _item("person", 7),
    _item("deadline", 16, required=True, variants=("完成期限", "时限")),
    _item("status", 7),
    _item("completed_at", 16),
    _item("remark", 12, wrap=True),
)

ACTIVITY_COLUMNS = (
    Column("day", "日期", 12, required=True, variants=("开展日期", "时间")),
    Column("category", "类别", 11, required=True, variants=("活动类别",)),
    Column("title", "活动名称", 30, required=True, variants=("名称", "活动内容"), wrap=True),
    Column("unit", "责任单位", 16, variants=("牵头单位",), wrap=True),
    Column("times", "次数", 7),
    Column("people", "人数", 8, variants=("受众人数",)),
    Column("amount", "金额", 11, variants=("金额（元）", "金额(元)")),
    Column("pieces", "件数", 8),
    Column("note", "备注", 24, wrap=True),
)

_SPACE_AND_MARKS = re.compile(r"[\s*]+")


def normalise_header(text: object) -> str:
    """Header text as compared: NFKC (full-width letters, digits and spaces folded to their
    ordinary forms), then every space and asterisk removed."""
    if text is None:
        return ""
    return _SPACE_AND_MARKS.sub("", unicodedata.normalize("NFKC", str(text)))


def header_names(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Every accepted (normalised) header text → its column."""
    names: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, *column.variants):
            names[normalise_header(name)] = column
    return names
