"""Hand-made ledgers import field for field; the broken one is refused with every problem
listed and the database untouched. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from ledger_support import ACTOR, FIXTURES, SHANGHAI, add_office, dump, import_file
from sqlmodel import Session, col, select

from models.domain.enums import ItemKind, ItemStatus, UnitKind
from models.errors import ValidationFailed
from models.store import db
from models.store.next_actions import next_actions
from models.store.tables import Event, Item, Unit


def _items(engine) -> dict[str, tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Item, Unit).join(Unit, col(Unit.id) == col(Item.unit_id)))
        return {item.code: (
            item.kind, item.title, item.detail, item.measure, item.source, unit.name, item.person,
            item.deadline_date, item.deadline_time, item.status,
            item.completed_at.astimezone(SHANGHAI).replace(tzinfo=None) if item.completed_at
            else None, item.remark) for item, unit in rows}


def _units(engine) -> dict[str, tuple]:
    with Session(engine) as session:
        return {u.name: (u.kind, u.contact_name, u.contact_email, u.contact_phone,
                         u.leader_name, u.leader_email) for u in session.exec(select(Unit))}


@pytest.fixture
def office(engine):
    with db.session_scope(engine) as session:
        add_office(session)


def test_handmade_workbook_imports_every_field(engine, office):
    result = import_file(engine, FIXTURES / "handmade.xlsx")

    assert (result.items_added, result.items_updated, result.items_unchanged) == (7, 0, 0)
    assert (result.units_added, result.units_updated, result.units_unchanged) == (3, 0, 0)
    assert result.ignored_columns == ("事项：进展情况",)
    R, N, M, T = (ItemKind.RECTIFICATION, ItemKind.SUBMISSION, ItemKind.MEETING,
                  ItemKind.TASK)
    assert _items(engine) == {
        "ZG-01": (R, "制定年度老兵宣讲计划", "老兵宣讲团成员少。", "制定宣讲计划。", "2024年报告",
                  "思想政治和权益维护科", "陈晨", date(2026, 3, 31), None, ItemStatus.DONE,
                  datetime(2026, 3, 25, 16, 0), "按期完成"),
        "ZG-02": (R, "及时足额发放优抚资金", None, "与区财政对接。", "2024年报告", "优抚褒扬科",
                  "刘洋", date(2026, 6, 30), None, ItemStatus.IN_PROGRESS, None, None),
        "ZG-03": (N, "报送季度材料", None, None, None, "示例一街道办事处", "孙浩",
                  date(2026, 9, 30), None, ItemStatus.NOT_STARTED, None, None),
        "ZG-04": (M, "周研判会议", None, None, None, "办公室", "李静", date(2026, 12, 4),
                  time(9, 30), ItemStatus.NOT_STARTED, None, None),
        "ZG-05": (T, "优化法律服务", None, "建立联动机制。", None, "优抚褒扬科", None,
                  date(2026, 12, 31), time(17, 0), ItemStatus.SUBMITTED, None, "第一行\n第二行"),
        "ZG-06": (T, "停办的旧任务", None, None, None, "优抚褒扬科", None, date(2026, 11, 30),
                  time(17, 0), ItemStatus.CANCELLED, None, None),
        "1001": (R, "服务站材料报送整改", None, None, None, "示例一街道办事处", "孙浩",
                 date(2026, 10, 16), None, ItemStatus.DONE, datetime(2026, 10, 15, 10, 0), None),
    }
    assert _units(engine) == {
        "办公室": (UnitKind.DEPARTMENT, "李静", "bgs@example.org", None, None, None),
        "思想政治和权益维护科": (UnitKind.DEPARTMENT, "陈晨", "sizheng@example.org",
                                  "0000-1000003", "周建华", "zhou@example.org"),
        "优抚褒扬科": (UnitKind.DEPARTMENT, "刘洋", "youfu@example.org", "13800000000",
                       "吴立新", "wu@example.org"),
        "示例一街道办事处": (UnitKind.STREET_OFFICE, "孙浩", "jiedao01@example.org", None,
                             None, None),
    }


def test_closed_rows_are_created_then_closed_through_the_event_log(engine, office):
    import_file(engine, FIXTURES / "handmade.xlsx")

    with Session(engine) as session:
        done = session.exec(select(Item).where(Item.code == "ZG-01")).one()
        cancelled = session.exec(select(Item).where(Item.code == "ZG-06")).one()
        log = {item.code: [(e.action, e.actor, e.before, e.after) for e in session.exec(
            select(Event).where(Event.entity == "item", Event.entity_id == item.id)
            .order_by(col(Event.id)))] for item in (done, cancelled)}
    assert [a for a, *_ in log["ZG-01"]] == ["create", "status"]
    assert log["ZG-01"][0][3]["status"] == "未开始"
    actor, before, after = log["ZG-01"][1][1:]
    assert (actor, before, after["status"]) == (
        ACTOR, {"status": "未开始", "completed_at": None}, "已办结")
    assert datetime.fromisoformat(after["completed_at"]) == datetime(2026, 3, 25, 16, 0,
                                                                    tzinfo=SHANGHAI)
    assert log["ZG-06"][1][3] == {"status": "已撤销", "completed_at": None}
    with Session(engine) as session:
        assert next_actions(session, [done.id, cancelled.id]) == {}


def test_importing_the_same_file_again_changes_nothing(engine, office):
    import_file(engine, FIXTURES / "handmade.xlsx")
    before = dump(engine)

    result = import_file(engine, FIXTURES / "handmade.xlsx",
                         now=datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI))

    assert (result.items_added, result.items_updated, result.items_unchanged) == (0, 0, 7)
    assert (result.units_added, result.units_updated, result.units_unchanged) == (0, 0, 3)
    assert dump(engine) == before


def test_libreoffice_workbook_reads_saved_formula_results(engine):
    result = import_file(engine, FIXTURES / "libreoffice.xlsx")

    assert (result.items_added, result.units_added) == (3, 2)
    items = _items(engine)
    # 完成时限 of LO-01 is the formula =DATE(2026;6;30): its saved result is what counts.
    assert items["LO-01"][7:11] == (date(2026, 6, 30), None, ItemStatus.DONE,
                                     datetime(2026, 6, 26, 17, 0))
    assert items["LO-02"][5:10] == ("示例二街道办事处", "马丽", date(2026, 12, 10), time(17, 0),
                                     ItemStatus.NOT_STARTED)
    assert items["LO-03"][7:10] == (date(2026, 12, 31), None, ItemStatus.IN_PROGRESS)
    assert _units(engine)["示例二街道办事处"][3] == "13800000002"


@pytest.mark.parametrize("name", ["items_gb18030.csv", "items_utf8_bom.csv"])
def test_csv_holds_the_item_columns_alone(engine, name):
    with db.session_scope(engine) as session:
        from tests.support.factories import make_unit

        make_unit(session, "优抚褒扬科")

    result = import_file(engine, FIXTURES / name)

    assert (result.items_added, result.units_added) == (3, 0)
    items = _items(engine)
    assert items["CSV-01"][9:] == (ItemStatus.IN_PROGRESS, None, "第一行\n第二行")
    assert items["CSV-02"][7:11] == (date(2026, 11, 20), time(17, 0), ItemStatus.DONE,
                                     datetime(2026, 11, 19, 15, 30))
    assert items["CSV-03"][0] is ItemKind.TASK  # an empty 类别
    assert items["CSV-03"][9] is ItemStatus.NOT_STARTED  # an empty 状态


BROKEN = [
    "单位 第2行 类型 “处室”：应为 科室、街道办事处、其他 之一",
    "单位 第2行 联系邮箱 “not-an-email”：不是有效的邮箱地址",
    "单位 第3行 联系人 “”：不能为空",
    "单位 第4行 单位名称 “优抚褒扬科”：与第2行重复",
    "单位 第5行 分管领导 “”：填写了分管领导邮箱，也须填写分管领导姓名",
    "事项 第3行 完成时限 “2026-02-30”：不是有效日期",
    "事项 第4行 状态 “完成”：应为 未开始、进行中、已提交、已办结、已撤销 之一",
    "事项 第5行 编号 “ZG-01”：与第2行重复",
    "事项 第6行 责任单位 “不存在科”：单位不存在：既不在“单位”工作表中，也不在系统中",
    "事项 第7行 类别 “杂事”：应为 整改事项、报送节点、会议、任务 之一",
    "事项 第7行 事项名称 “”：不能为空",
    "事项 第8行 完成时限 “=DATE(2026,3,31)”：公式没有保存计算结果：请在 Excel 中打开并保存后再导入",
    "事项 第9行 完成时间 “”：状态为“已办结”时须填写完成时间",
    "事项 第10行 完成时间 “2026-10-20 10:00”：只有状态为“已办结”的事项才填写完成时间",
    "事项 第11行 完成时间 “2027-01-05 10:00”：不能晚于当前时间（2026-12-01 10:00）",
    "事项 第12行 编号 “”：不能为空（事项按编号新增或更新）",
    "事项 第13行 事项名称 “标题\\n换行”：含有不允许的控制字符（'\\n'）",
    "事项 第14行 完成时限 “#REF!”：单元格是公式的错误值",
]


def test_broken_workbook_reports_every_problem_and_writes_nothing(engine, office):
    import_file(engine, FIXTURES / "libreoffice.xlsx")  # something already in the database
    before = dump(engine)

    with pytest.raises(ValidationFailed) as caught:
        import_file(engine, FIXTURES / "broken.xlsx")

    assert [str(p) for p in caught.value.problems] == BROKEN
    assert str(caught.value).startswith("broken.xlsx 有 18 处错误，未写入任何数据：\n  单位 第2行")
    assert dump(engine) == before
