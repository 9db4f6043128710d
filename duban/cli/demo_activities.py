"""The demo bureau's work ledger (工作台账).

2024 and 2023: the activities and figures the bureau's own reports give (../shared/seeds/):
老兵课堂 4次, 老兵进校园 3次 受众200人, 业务培训 2次, 集中学习 10次, 走访慰问 2020人, 优待证 1228张,
安置 49名 … Where a report gives only a year's total (集中学习 10次), it is one row dated at the
year's end with that total; where it gives a total and no split (2020人 over 春节 and 八一), the
split is invented and the note says so.
2026: invented (note 示例（虚构）), shaped like 2024, so that the 2026 demo report has content.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from models.records.activities import add_activity
from models.store.tables import Activity

SEED_2024 = "2024年法治作风建设情况报告"
SEED_2023 = "2023年法治建设工作报告"
SPLIT = "；分次数字为示例拆分，合计与报告一致"
INVENTED = "示例（虚构）"
SZ, YF, AZ, FW, BGS = "思想政治和权益维护科", "优抚褒扬科", "移交安置和就业创业科", "区退役军人服务中心", "办公室"  # noqa: E501

# (date, category, title, unit, times, people, amount, pieces, note)
Row = tuple[str, str, str, str, int | None, int | None, float | None, int | None, str]

ACTIVITIES_2024: list[Row] = [
    ("2024-01-03", "褒扬激励", "为荣立二等功现役军人家庭送喜报", SZ, 1, None, None, 1, SEED_2024),
    ("2024-02-01", "走访慰问", "春节前夕走访慰问退役军人、现役军人及立功官兵家庭", SZ, 1, 1210, None, None,
     SEED_2024 + SPLIT),
    ("2024-03-15", "优待证发放", "优待证集中发放（第一批）", YF, 1, None, None, 412, SEED_2024 + SPLIT),
    ("2024-03-20", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, None, None, None, SEED_2024),
    ("2024-04-03", "思政宣讲", "“清明祭英烈”主题活动", SZ, 1, None, None, None, SEED_2024),
    ("2024-04-18", "思政宣讲", "老兵进校园讲课", SZ, 1, 70, None, None, SEED_2024 + SPLIT),
    ("2024-04-25", "业务培训", "街道办事处退役军人服务站业务培训", FW, 1, 13, None, None, SEED_2024),
    ("2024-05-22", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, None, None, None, SEED_2024),
    ("2024-05-30", "思政宣讲", "老兵进校园讲课", SZ, 1, 65, None, None, SEED_2024 + SPLIT),
    ("2024-06-14", "优待证发放", "优待证集中发放（第二批）", YF, 1, None, None, 386, SEED_2024 + SPLIT),
    ("2024-07-31", "走访慰问", "“八一”走访慰问退役军人、现役军人及立功官兵家庭", SZ, 1, 810, None, None,
     SEED_2024 + SPLIT),
    ("2024-07-31", "走访慰问", "“八一”走访慰问驻区部队和消防救援大队", BGS, 5, None, None, None,
     SEED_2024 + "（4个驻区部队和1个消防救援大队）"),
    ("2024-08-06", "褒扬激励", "为荣立三等功现役官兵家庭送喜报", SZ, 1, None, None, 7, SEED_2024),
    ("2024-09-13", "优待证发放", "优待证集中发放（第三批）", YF, 1, None, None, 260, SEED_2024 + SPLIT),
    ("2024-09-18", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, None, None, None, SEED_2024),
    ("2024-09-26", "业务培训", "街道办事处退役军人服务站业务培训", FW, 1, 13, None, None, SEED_2024),
    ("2024-09-27", "业务培训", "服务站业务知识测试", FW, 1, 13, None, None, SEED_2024),
    ("2024-10-30", "移交安置", "政府安排工作退役士兵安置", AZ, 1, 49, None, None, SEED_2024),
    ("2024-11-15", "思政宣讲", "老兵进校园讲课", SZ, 1, 65, None, None, SEED_2024 + SPLIT),
    ("2024-11-20", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, None, None, None, SEED_2024),
    ("2024-11-29", "优待证发放", "优待证集中发放（第四批）", YF, 1, None, None, 170, SEED_2024 + SPLIT),
    ("2024-12-10", "集中学习", "邀请区委宣讲团宣讲党的二十届三中全会精神", BGS, 1, None, None, None, SEED_2024),  # noqa: E501
    ("2024-12-20", "思政宣讲", "老兵宣讲团成员宣讲党的理论", SZ, 6, None, None, None, SEED_2024 + "；全年合计"),  # noqa: E501
    ("2024-12-20", "集中学习", "班子成员集中学习", BGS, 10, None, None, None, SEED_2024 + "；全年合计"),
    ("2024-12-20", "集中学习", "班子成员集中研讨", BGS, 8, None, None, 8, SEED_2024 + "；全年合计，撰写笔记8篇"),  # noqa: E501
    ("2024-12-20", "党建活动", "“一把手”讲主题党课", BGS, 3, None, None, None, SEED_2024 + "；全年合计"),
    ("2024-12-20", "党建活动", "主题党日活动", BGS, 12, None, None, None, SEED_2024 + "；全年合计"),
    ("2024-12-20", "党建活动", "“三双”服务", BGS, 50, None, None, 18, SEED_2024 + "；全年约50次，解决问题近18条"),  # noqa: E501
    ("2024-12-20", "政务服务", "“一把手”在服务大厅“陪跑”帮办", FW, 20, None, None, None, SEED_2024 + "；全年20余次"),  # noqa: E501
]

ACTIVITIES_2023: list[Row] = [
    ("2023-10-20", "移交安置", "阳光安置政府安排工作退役士兵", AZ, 1, 10, None, None, SEED_2023),
    ("2023-06-14", "党建活动", "组织退役军人参加无偿献血", SZ, 1, 2, None, None, SEED_2023),
    ("2023-12-15", "普法宣传", "“法治宣传”“普法进军营”宣传活动", "政策法规科", 1, None, None, None, SEED_2023),  # noqa: E501
]

ACTIVITIES_2026: list[Row] = [
    ("2026-01-06", "褒扬激励", "为荣立三等功现役官兵家庭送喜报", SZ, 1, None, None, 5, INVENTED),
    ("2026-02-10", "走访慰问", "春节前夕走访慰问退役军人、现役军人及立功官兵家庭", SZ, 1, 1186, 356000.0, None, INVENTED),  # noqa: E501
    ("2026-03-13", "优待证发放", "优待证集中发放（第一批）", YF, 1, None, None, 318, INVENTED),
    ("2026-03-19", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, 60, None, None, INVENTED),
    ("2026-04-02", "思政宣讲", "“清明祭英烈”主题活动", SZ, 1, 120, None, None, INVENTED),
    ("2026-04-16", "业务培训", "街道办事处退役军人服务站业务培训", FW, 1, 26, None, None, INVENTED),
    ("2026-04-23", "普法宣传", "《退役军人保障法》进社区宣传", "政策法规科", 1, 150, None, None, INVENTED),
    ("2026-05-21", "思政宣讲", "老兵进校园讲课", SZ, 1, 80, None, None, INVENTED),
    ("2026-06-12", "优待证发放", "优待证集中发放（第二批）", YF, 1, None, None, 241, INVENTED),
    ("2026-06-18", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, 55, None, None, INVENTED),
    ("2026-07-30", "走访慰问", "“八一”走访慰问退役军人、现役军人及立功官兵家庭", SZ, 1, 842, 252600.0, None, INVENTED),  # noqa: E501
    ("2026-07-31", "走访慰问", "“八一”走访慰问驻区部队和消防救援大队", BGS, 5, None, None, None, INVENTED),
    ("2026-09-17", "业务培训", "街道办事处退役军人服务站业务培训", FW, 1, 26, None, None, INVENTED),
    ("2026-09-24", "普法宣传", "“普法进军营”宣传活动", "政策法规科", 1, 200, None, None, INVENTED),
    ("2026-10-22", "移交安置", "政府安排工作退役士兵安置", AZ, 1, 37, None, None, INVENTED),
    ("2026-10-29", "思政宣讲", "老兵进校园讲课", SZ, 1, 90, None, None, INVENTED),
    ("2026-11-13", "优待证发放", "优待证集中发放（第三批）", YF, 1, None, None, 196, INVENTED),
    ("2026-11-19", "思政宣讲", "“老兵课堂”系列主题活动", SZ, 1, 48, None, None, INVENTED),
    ("2026-11-27", "集中学习", "班子成员集中学习（1—11月）", BGS, 9, None, None, None, INVENTED + "；累计"),
]


def load_activities(session: Session, *, now: datetime, today: date, actor: str) -> int:
    """Add the rows not there yet (by date, category and title) that are not in the future."""
    have = {(a.day, a.title, a.unit_id) for a in session.exec(select(Activity))}
    seen = {(d, t) for d, t, _ in have}
    added = 0
    for row in ACTIVITIES_2023 + ACTIVITIES_2024 + ACTIVITIES_2026:
        day = date.fromisoformat(row[0])
        if day > today or (day, row[2]) in seen:
            continue
        add_activity(session, {"day": day, "category": row[1], "title": row[2], "unit": row[3],
                               "times": row[4], "people": row[5], "amount": row[6],
                               "pieces": row[7], "note": row[8]},
                     actor=actor, now=now, today=today)
        seen.add((day, row[2]))
        added += 1
    return added


__all__ = ["ACTIVITIES_2023", "ACTIVITIES_2024", "ACTIVITIES_2026", "load_activities"]
