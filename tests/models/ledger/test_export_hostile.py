"""No stored text can break an exported workbook or change on its way back in: text stored
before input refused XML-illegal characters (issue 16: one U+FFFE in a title made every later
export invalid XML) is written as Excel's escape, and a literal escape stays literal."""

from __future__ import annotations

import zipfile
from xml.parsers import expat

import pytest
from ledger_support import clock, import_file
from openpyxl import load_workbook
from sqlalchemy import update

from models.errors import InputError, ValidationFailed
from models.ledger.export import export_ledger
from models.records.items import add_item
from models.store import db
from models.store.tables import Item, Unit
from tests.support.factories import make_item, make_unit

LEGACY_TITLE = "旧数据\ufffe\uffff\x01标题"  # what a title could hold before the checks


def _every_part_is_xml(path) -> None:
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                expat.ParserCreate().Parse(package.read(name), True)  # raises on invalid XML


def test_characters_xml_cannot_carry_are_refused_at_input_with_the_field_named(session):
    make_unit(session)
    for title in ("标题\ufffe", "标题\uffff", "标题\ud800"):
        with pytest.raises(InputError, match=r"事项名称 .*第 3 个字符是不允许的字符（U\+"):
            add_item(session, {"kind": "任务", "title": title, "unit": "优抚褒扬科",
                               "deadline": "2026-12-31"}, actor="test", now=clock().now, tz=clock().tz)


def test_stored_text_xml_cannot_carry_is_escaped_and_the_export_stays_valid(engine, tmp_path):
    with db.session_scope(engine) as session:
        make_unit(session)
        item = make_item(session, code="L-1")
        session.flush()
        # Written behind the checks' back, as a database from before them may hold it.
        session.execute(update(Item).where(Item.id == item.id).values(title=LEGACY_TITLE,
                                                                      remark="备注\ufffe"))
        session.execute(update(Unit).values(contact_name="刘\uffff洋"))
    path = tmp_path / "台账.xlsx"

    with db.session_scope(engine) as session:
        export_ledger(session, path, clock=clock())

    _every_part_is_xml(path)
    wb = load_workbook(path)
    titles = [c.value for c in wb["事项"]["D"]][1:]
    assert titles == ["旧数据_xFFFE__xFFFF__x0001_标题"]  # Excel's own escapes: nothing lost
    # Read back, the characters are what they were, and import names each field holding them.
    with pytest.raises(ValidationFailed) as caught:
        import_file(engine, path, dry_run=True)
    assert [(p.where, p.field, p.value) for p in caught.value.problems] == [
        ("单位 第2行", "联系人", "刘\uffff洋"), ("事项 第2行", "事项名称", LEGACY_TITLE),
        ("事项 第2行", "备注", "备注\ufffe")]


def test_a_literal_escape_in_stored_text_comes_back_unchanged(engine, tmp_path):
    with db.session_scope(engine) as session:
        make_unit(session)
        make_item(session, code="L-2", title="文本里写着_x000D_和_x005F_")
    path = tmp_path / "台账.xlsx"
    with db.session_scope(engine) as session:
        export_ledger(session, path, clock=clock())

    result = import_file(engine, path, dry_run=True)

    assert (result.items_added, result.items_updated, result.items_unchanged) == (0, 0, 1)
