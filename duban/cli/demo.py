"""The demo bureau: a fictional district 退役军人事务局 built from the seeds' shortcomings.

Names of people and street offices are invented (示例…, @example.org); the rectification
items paraphrase the 存在的不足 and 整改情况 sections of the bureau's 2023 and 2024 reports.
Loading is idempotent: what already exists (by unit name, person, item code) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from duban.cli.demo_activities import load_activities
from models.domain.enums import ItemKind, ItemStatus, PersonRole
from models.domain.recurrence import Freq, Rule
from models.records.items import add_item, add_progress, complete_item
from models.records.meetings import record_attendance
from models.records.recurring import TemplateInput, add_template, generate, list_templates
from models.records.submissions import submit
from models.records.units import UnitInput, add_person, add_unit, find_unit
from models.store.calendar_store import calendar_from_db
from models.store.tables import Item, Person, Unit

LEADER_A = ("周建华", "zhou.jianhua@example.org")  # 分管思政、权益维护、法规
LEADER_B = ("吴立新", "wu.lixin@example.org")  # 分管优抚、安置、服务体系

DEPARTMENTS = [
    UnitInput("办公室", "科室", "李静", "bangongshi@example.org", "0000-1000001", *LEADER_A),
    UnitInput("政策法规科", "科室", "王磊", "fagui@example.org", "0000-1000002", *LEADER_A),
    UnitInput("思想政治和权益维护科", "科室", "陈晨", "sizheng@example.org", "0000-1000003",
              *LEADER_A),
    UnitInput("优抚褒扬科", "科室", "刘洋", "youfu@example.org", "0000-1000004", *LEADER_B),
    UnitInput("移交安置和就业创业科", "科室", "杨帆", "anzhi@example.org", "0000-1000005",
              *LEADER_B),
    UnitInput("区退役军人服务中心", "其他", "赵敏", "fuwuzhongxin@example.org", "0000-1000006",
              *LEADER_B),
]

_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三"]
_STATION_HEADS = ["孙浩", "马丽", "朱军", "胡亮", "郭敏", "林涛", "何静", "高峰", "罗成", "梁燕",
                  "宋佳", "郑伟", "谢芳"]
STREET_OFFICES = [
    UnitInput(f"示例{num}街道办事处", "街道办事处", head, f"jiedao{i:02d}@example.org",
              f"0000-20000{i:02d}", *LEADER_B)
    for i, (num, head) in enumerate(zip(_NUMERALS, _STATION_HEADS, strict=True), start=1)
]

PEOPLE = [
    ("赵明远", PersonRole.HEAD, "juzhang@example.org"),
    ("钱立群", PersonRole.SUPERVISOR, "duban1@example.org"),
    ("孙雅文", PersonRole.SUPERVISOR, "duban2@example.org"),
]

SRC_2024_SZ = "2024年法治作风建设情况报告·存在的不足（思想政治和权益维护方面）"
SRC_2024_YF = "2024年法治作风建设情况报告·存在的不足（优抚工作方面）"
SRC_2024_NEXT = "2024年法治作风建设情况报告·下一年度初步安排"
SRC_2023 = "2023年法治建设工作报告·存在的困难和不足"

PROBLEM_SZ = "老兵宣讲团成员少，宣讲工作被动开展情况多。"
PROBLEM_YF = "部分基层办事处退役军人服务站工作效率低，报送材料不及时。"


@dataclass(frozen=True)
class DemoItem:
    code: str
    kind: str
    title: str
    unit: str
    deadline: str
    person: str
    source: str
    detail: str
    measure: str
    status: ItemStatus = ItemStatus.NOT_STARTED
    done_at: str | None = None  # local "YYYY-MM-DD HH:MM"
    progress: tuple[tuple[str, str], ...] = ()
    acked: bool = True  # 签收 by its person when assigned; False shows 未签收 a working day on



ITEMS = [
    DemoItem("ZG2024-01", "整改事项", "制定年度老兵宣讲计划", "思想政治和权益维护科", "2026-03-31",
             "陈晨", SRC_2024_SZ, PROBLEM_SZ,
             "制定宣讲计划，明确进社区、进校园宣讲的场次和时间表。",
             done_at="2026-03-25 16:00"),
    DemoItem("ZG2024-02", "整改事项", "吸纳功臣模范充实老兵宣讲团", "思想政治和权益维护科",
             "2026-06-30", "陈晨", SRC_2024_SZ, PROBLEM_SZ,
             "吸纳功臣模范等加入宣讲队伍，主动进社区、进校园开展宣讲活动。",
             done_at="2026-07-08 11:30",
             progress=(("2026-05-12 10:00", "已联系功臣模范6名，4名同意加入宣讲团。"),)),
    DemoItem("ZG2024-03", "整改事项", "全面梳理涉军信访问题和历史遗留问题，推进积案化解",
             "思想政治和权益维护科", "2026-09-30", "陈晨", SRC_2024_SZ, PROBLEM_SZ,
             "全面梳理各类涉军信访问题和历史遗留问题，精准把握政策要求，多部门合力联动化解。",
             status=ItemStatus.IN_PROGRESS,
             progress=(("2026-08-20 15:00", "已梳理积案23件，化解15件，其余8件需多部门协调。"),)),
    DemoItem("ZG2024-04", "整改事项", "落实主动“走访”工作机制和“周研判”机制",
             "思想政治和权益维护科", "2026-12-31", "陈晨", SRC_2024_SZ, PROBLEM_SZ,
             "持续推进主动走访和周研判，注重源头治理，维护退役军人合法权益。",
             status=ItemStatus.IN_PROGRESS),
    DemoItem("ZG2024-05", "整改事项", "及时足额发放优抚资金和大学生义务兵优待金", "优抚褒扬科",
             "2026-06-30", "刘洋", SRC_2024_YF, PROBLEM_YF,
             "积极与市局、区财政部门对接，及时、足额发放各项优抚资金和大学生义务兵优待金。",
             done_at="2026-06-26 17:00"),
    DemoItem("ZG2024-06", "整改事项", "完善机制，督促办事处在规定节点报送材料", "优抚褒扬科",
             "2026-11-20", "刘洋", SRC_2024_YF, PROBLEM_YF,
             "建立报送节点台账，督促各街道办事处在规定节点报送材料，确保优抚资金规范、安全使用。",
             status=ItemStatus.IN_PROGRESS,
             progress=(("2026-10-15 09:30", "报送节点台账初稿已完成，待局务会审定。"),)),
    DemoItem("ZG2024-07", "整改事项", "做好优待证办理工作", "优抚褒扬科", "2026-12-04", "刘洋",
             SRC_2024_YF, PROBLEM_YF, "做好优待证申领、审核、发放工作，做到应办尽办。",
             status=ItemStatus.IN_PROGRESS),
    DemoItem("ZG2024-08", "整改事项", "服务站优抚材料报送整改（示例二街道）", "示例二街道办事处",
             "2026-10-16", "马丽", SRC_2024_YF, PROBLEM_YF,
             "明确服务站专人负责优抚材料，按节点报送。", done_at="2026-10-15 10:00"),
    DemoItem("ZG2024-09", "整改事项", "服务站优抚材料报送整改（示例三街道）", "示例三街道办事处",
             "2026-10-30", "朱军", SRC_2024_YF, PROBLEM_YF,
             "明确服务站专人负责优抚材料，按节点报送。", status=ItemStatus.IN_PROGRESS),
    DemoItem("ZG2024-10", "整改事项", "服务站优抚材料报送整改（示例七街道）", "示例七街道办事处",
             "2026-11-27 17:00", "何静", SRC_2024_YF, PROBLEM_YF,
             "明确服务站专人负责优抚材料，按节点报送。"),
    DemoItem("ZG2024-11", "整改事项", "服务站优抚材料报送整改（示例十一街道）", "示例十一街道办事处",
             "2026-12-11", "宋佳", SRC_2024_YF, PROBLEM_YF,
             "明确服务站专人负责优抚材料，按节点报送。"),
    DemoItem("ZG2023-01", "整改事项", "创新普法宣传形式", "政策法规科", "2026-05-31", "王磊",
             SRC_2023, "法治宣传内容较为单一，形式还不够灵活，宣传投入不足。",
             "把法治宣传融入业务工作，开展“普法进军营”等多形式法治宣传教育活动。",
             done_at="2026-05-28 15:00"),
    DemoItem("ZG2023-02", "整改事项", "提升基层服务站服务水平", "区退役军人服务中心", "2026-08-31",
             "赵敏", SRC_2023,
             "基层服务站工作量增多，面对复杂诉求就业务办业务，服务不够热情和周致。",
             "组织13个街道办事处业务培训和知识测试，跟进服务保障，及时回应退役军人期盼。",
             status=ItemStatus.SUBMITTED,
             progress=(("2026-08-28 16:00", "已完成业务培训2次、知识测试1次，材料已提交待验收。"),)),
    DemoItem("ZG2023-03", "整改事项", "走访慰问因人施策、精准帮扶", "思想政治和权益维护科",
             "2026-11-30", "陈晨", SRC_2023,
             "走访慰问多采取送物资送慰问金等单一方式，缺乏因人施策的精准帮扶措施。",
             "建立走访对象精准帮扶台账，一人一策，全覆盖解决退役军人急难愁盼。",
             status=ItemStatus.IN_PROGRESS),
    DemoItem("RW2025-01", "任务", "深化法治宣传：热点政策正面回应", "政策法规科", "2026-12-15",
             "王磊", SRC_2024_NEXT, "", "依托服务体系广泛宣讲政策，针对热点积极正面回应，引导依法维权。"),
    DemoItem("RW2025-02", "任务", "优化法律服务：建立与政法机关联动机制", "政策法规科",
             "2026-12-31", "王磊", SRC_2024_NEXT, "",
             "发挥基层服务站桥梁作用，加强与政法机关联动，确保法治渠道畅通。", acked=False),
    DemoItem("RW2025-03", "任务", "强化依法行政：年度政策法规学习", "办公室", "2026-09-30", "李静",
             SRC_2024_NEXT, "", "深化政策法规学习宣传，规范执法行为。",
             done_at="2026-10-09 17:00"),
]


def _local(text: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(
        datetime.fromisoformat(text).date(), time.fromisoformat(text.split(" ")[1]), tzinfo=tz
    )


RECURRING = [
    TemplateInput(
        name="优抚资金材料", kind="报送节点", rule=Rule(Freq.MONTHLY, nth_workday=5),
        due_time=time(17, 0), all_street_offices=True, start=date(2026, 10, 1), backfill=True,
        detail="各街道办事处报送当月优抚资金发放明细及佐证材料。", source=SRC_2024_YF),
    TemplateInput(
        name="周汇报", kind="报送节点", rule=Rule(Freq.WEEKLY, weekdays=(5,)),
        due_time=time(17, 0), all_street_offices=True, start=date(2026, 11, 2), backfill=True,
        detail="各街道办事处报送本周退役军人服务站工作情况和涉军信访稳定情况。",
        source="2024年法治作风建设情况报告·“周汇报、日见面、日研判”制度"),
    TemplateInput(
        name="周研判", kind="会议", rule=Rule(Freq.WEEKLY, weekdays=(1,)), due_time=time(9, 0),
        start=date(2026, 11, 2), backfill=True, organiser="办公室", place="局三楼会议室", duration_minutes=60,
        attendee_units=("思想政治和权益维护科", "优抚褒扬科", "区退役军人服务中心"),
        attendee_people=("赵明远",), minutes_due_workdays=2,
        detail="研判涉军信访形势、重点人员稳控和积案化解进展。", source=SRC_2024_SZ),
]


def _demo_submissions(session: Session, *, now: datetime, actor: str) -> int:
    """Past occurrences: some handed in on time, some late, some missing (fixed pattern)."""
    done = 0
    rows = session.exec(
        select(Item, Unit).join(Unit, Item.unit_id == Unit.id)
        .where(Item.template_id.is_not(None), Item.due_at < now,  # type: ignore[union-attr]
               Item.kind == ItemKind.SUBMISSION, Item.status == ItemStatus.NOT_STARTED)
        .order_by(Item.deadline_date, Unit.id))
    for item, unit in list(rows):
        pattern = (unit.id + item.deadline_date.toordinal()) % 6  # type: ignore[operator]
        if pattern == 5:
            continue  # missing
        at = item.due_at - timedelta(hours=3) if pattern < 4 else item.due_at + timedelta(days=1)
        if at > now:
            continue
        submit(session, item.id, at=at, by=unit.contact_name,  # type: ignore[arg-type]
               note="已按要求报送（示例）" if pattern < 4 else "补报（示例）", files=[],
               actor=actor, now=now)
        done += 1
    return done


def _demo_meetings(session: Session, *, now: datetime, actor: str) -> None:
    """Meetings already held: attendance recorded; minutes in for all but the latest."""
    held = list(session.exec(
        select(Item).where(Item.kind == ItemKind.MEETING, Item.template_id.is_not(None),  # type: ignore[union-attr]
                           Item.due_at < now - timedelta(hours=1)).order_by(Item.due_at)))
    for n, meeting in enumerate(held):
        if meeting.status is ItemStatus.NOT_STARTED:
            complete_item(session, meeting.id, at=meeting.due_at + timedelta(hours=1),  # type: ignore[arg-type]
                          actor=actor, now=now)
        record_attendance(session, meeting.id, present=["思想政治和权益维护科", "优抚褒扬科"],  # type: ignore[arg-type]
                          absent=["区退役军人服务中心"] if n % 2 else [], actor=actor, now=now)
        minutes = session.exec(select(Item).where(Item.parent_id == meeting.id)).first()
        if minutes is not None and n < len(held) - 1 and not minutes.status.is_closed:
            submit(session, minutes.id, at=min(minutes.due_at - timedelta(hours=6), now),  # type: ignore[arg-type]
                   by="李静", note="会议纪要已印发（示例）", files=[], actor=actor, now=now)


def is_empty(session: Session) -> bool:
    return session.exec(select(Unit.id)).first() is None and \
        session.exec(select(Item.id)).first() is None


def load_demo(session: Session, *, now: datetime, tz: ZoneInfo, actor: str = "demo") -> dict:
    """Add whatever of the demo bureau is missing; returns counts of what was added."""
    added = {"units": 0, "people": 0, "items": 0, "recurring": 0, "submissions": 0,
             "activities": 0}
    for data in DEPARTMENTS + STREET_OFFICES:
        if find_unit(session, data.name) is None:
            add_unit(session, data, actor=actor, now=now)
            added["units"] += 1
    for name, role, email in PEOPLE:
        exists = session.exec(select(Person).where(Person.name == name, Person.role == role)).first()
        if exists is None:
            add_person(session, name=name, role=role, email=email, phone=None, actor=actor, now=now)
            added["people"] += 1
    for d in ITEMS:
        if session.exec(select(Item).where(Item.code == d.code)).first() is not None:
            continue
        waits = d.status is ItemStatus.SUBMITTED  # handed in below, waiting for 审核
        item = add_item(session, {
            "code": d.code, "kind": d.kind, "title": d.title, "unit": d.unit,
            "deadline": d.deadline, "person": d.person, "source": d.source,
            "detail": d.detail, "measure": d.measure,
            "status": ItemStatus.IN_PROGRESS if waits else d.status,
        }, actor=actor, now=now, tz=tz)
        if d.acked:
            item.acked_at, item.acked_by = now, d.person
        for at, note in d.progress:
            add_progress(session, item.id, note, author=d.person,  # type: ignore[arg-type]
                         at=min(_local(at, tz), now), now=now)
        if waits:
            at, note = d.progress[-1]
            submit(session, item.id, at=min(_local(at, tz), now), by=d.person, note=note,  # type: ignore[arg-type]
                   files=[], actor=d.person, now=now)
        if d.done_at:
            complete_item(session, item.id, at=min(_local(d.done_at, tz), now),  # type: ignore[arg-type]
                          actor=actor, now=now)
        added["items"] += 1
    existing = {t.name for t in list_templates(session)}
    new_templates = [t for t in RECURRING if t.name not in existing]
    for data in new_templates:
        add_template(session, data, actor=actor, now=now, tz=tz)
    added["recurring"] = len(new_templates)
    if new_templates:
        generate(session, now=now, tz=tz, calendar=calendar_from_db(session), actor=actor)
        added["submissions"] = _demo_submissions(session, now=now, actor=actor)
        _demo_meetings(session, now=now, actor=actor)
    added["activities"] = load_activities(session, now=now, today=now.astimezone(tz).date(),
                                          actor=actor)
    return added
