"""The empty ledger a clerk fills in: both sheets' headers, drop-down lists, one example row
each, and a 填写说明 sheet that says what each column takes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment

from models.domain.enums import ItemKind, ItemStatus, UnitKind
from models.ledger.columns import ITEM_SHEET, LIGHT, UNIT_SHEET
from models.ledger.styling import (
    DATE_FORMAT,
    ITEM_LAYOUT,
    NUMBER,
    UNIT_LAYOUT,
    VALIDATION_ROWS,
    Col,
    append_row,
    choices,
    finish,
    list_validation,
    make_cell,
    new_sheet,
    save,
)

EXAMPLE_UNIT = {"name": "优抚褒扬科", "kind": "科室", "contact_name": "刘洋",
                "contact_email": "youfu@example.org", "contact_phone": "010-12345678",
                "leader_name": "吴立新", "leader_email": "wu.lixin@example.org"}
EXAMPLE_ITEM = {"code": "ZG2026-01", "kind": "整改事项", "title": "做好优待证办理工作",
                "detail": "优待证办理进度慢，部分申请积压。",
                "measure": "做好优待证申领、审核、发放工作，做到应办尽办。",
                "source": "2025年法治建设工作报告·存在的不足", "unit": "优抚褒扬科",
                "person": "刘洋", "deadline": date(2026, 12, 31), "status": "进行中",
                "completed_at": None, "remark": "示例行：填写前请删除"}
GUIDE = [
    ("列", "说明"),
    ("编号", "必填，每个事项唯一。再次导入时按编号更新已有事项。"),
    ("类别", "整改事项、报送节点、会议、任务之一；不填为“任务”。"),
    ("事项名称", "必填。"),
    ("责任单位", "必填，须是“单位”表中或系统中已有的单位名称（也可写作“牵头单位”）。"),
    ("完成时限", "必填。日期（2026-03-31、2026/3/31、2026.3.31、2026年3月31日），"
                 "可带时间（2026-03-31 17:00）；也可写作“完成期限”或“时限”。"),
    ("状态", "未开始、进行中、已提交、已办结、已撤销之一；不填为“未开始”。"),
    ("完成时间", "状态为“已办结”时必填，如 2026-03-25 16:00。"),
    ("序号、督办状态", "导入时忽略。"),
    ("单位表", "单位名称、类型、联系人、联系邮箱必填；类型为 科室、街道办事处、其他 之一。"),
]


def write_template(path: Path) -> None:
    """An empty ledger to fill in: both sheets' headers, drop-down lists, one example row each,
    and a 填写说明 sheet."""
    wb = Workbook(write_only=True)
    layout = [c for c in ITEM_LAYOUT if c.key != LIGHT]
    items_ws = new_sheet(wb, ITEM_SHEET, layout, heading="督办事项台账", as_of="", freeze="E2")
    example = [make_cell(items_ws, 1, NUMBER)]
    for column in layout[1:]:
        value = EXAMPLE_ITEM[column.key]
        example.append(make_cell(items_ws, value, column,
                             fmt=DATE_FORMAT if isinstance(value, date) else None))
    example[-1].comment = Comment("这是示例行，填写前请删除整行。", "duban")
    append_row(items_ws, example, layout, 2)
    for key, formula in (("kind", choices(ItemKind)), ("status", choices(ItemStatus)),
                         ("unit", f"'{UNIT_SHEET}'!$B$2:$B${1 + VALIDATION_ROWS}")):
        list_validation(items_ws, layout, key, formula, 1, warn=key == "unit")
    finish(items_ws, layout, 1)

    units_ws = new_sheet(wb, UNIT_SHEET, UNIT_LAYOUT, heading="责任单位", as_of="", freeze="C2")
    append_row(units_ws, [make_cell(units_ws, 1, NUMBER)]
            + [make_cell(units_ws, EXAMPLE_UNIT[c.key], c) for c in UNIT_LAYOUT[1:]], UNIT_LAYOUT, 2)
    list_validation(units_ws, UNIT_LAYOUT, "kind", choices(UnitKind), 1)
    finish(units_ws, UNIT_LAYOUT, 1)

    guide_layout = [Col("column", "列", 16), Col("note", "说明", 90, wrap=True)]
    guide = new_sheet(wb, "填写说明", guide_layout, heading="填写说明", as_of="")
    for number, (name, note) in enumerate(GUIDE[1:], start=2):
        append_row(guide, [make_cell(guide, name, guide_layout[0]), make_cell(guide, note, guide_layout[1])],
                guide_layout, number)
    save(wb, path)
