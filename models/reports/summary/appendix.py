"""The figures appendix (附件：数据说明): every number in the report and how it was counted."""

from __future__ import annotations

from typing import Any

from models.reports.summary.context import cn_date, percent
from models.reports.summary.figures import SummaryFigures

ITEM_RULE = ("完成时限在本期间内、截至统计时点已登记且未撤销的事项；完成时间不晚于统计时点为“已办结”，"
             "其中不晚于完成时限为“按期”，否则为“逾期办结”；未办结且已过完成时限为“逾期未办结”")


def figures_appendix(fig: SummaryFigures) -> list[dict[str, Any]]:
    rows: list[tuple[str, str, str]] = []
    total = fig.all_items
    rows.append(("督办事项总数", f"{total.total}项", ITEM_RULE))
    rows.append(("按期办结", f"{total.on_time}项", "同上口径中完成时间不晚于完成时限的事项"))
    rows.append(("逾期办结", f"{total.late}项", "同上口径中完成时间晚于完成时限的事项"))
    rows.append(("尚未办结", f"{total.open}项", "截至统计时点未办结的事项（含未到期的）"))
    rows.append(("逾期未办结", f"{total.overdue}项", "截至统计时点未办结且已过完成时限的事项"))
    rows.append(("按期办结率", percent(total.rate),
                 "按期办结数 ÷（按期办结数 + 逾期办结数 + 逾期未办结数）；未到期且未办结的事项不计入"))
    for kind, o in fig.kinds.items():
        if o.total:
            rows.append((f"{kind}", f"{o.total}项，按期{o.on_time}、逾期办结{o.late}、"
                         f"未办结{o.open}（逾期{o.overdue}）", f"类别为“{kind}”的事项，口径同上"))
    rows.append(("召开会议", f"{fig.meetings_held}次", "类别为“会议”、会议时间在本期间内且截至统计时点已办结的会议"))  # noqa: E501
    rows.append(("会议纪要", f"应交{fig.minutes.due}份，按期{fig.minutes.on_time}份，"
                 f"逾期{fig.minutes.late}份，未交{fig.minutes.missing}份",
                 "由会议生成的纪要事项，按其完成时限计，口径同督办事项"))
    for stage, n in fig.reminders.items():
        if n:
            rows.append((f"发送{stage}", f"{n}条", "发件箱中状态为“已发送”、发送时间在本期间内且不晚于统计时点的消息，"  # noqa: E501
                         "每位收件人计一条"))
    rows.append(("转入下一年度的事项", f"{fig.carry_total}项",
                 "本期间的事项中截至统计时点未办结的，不含周期任务生成的事项和会议纪要（它们会自动再生成）"))
    rows.append(("批准延期", "未统计（记为0次）" if fig.extensions is None else f"{fig.extensions}次",
                 "系统尚未登记延期申请，本项暂不能统计" if fig.extensions is None
                 else "审批决定时间在本期间内、不晚于统计时点且结果为“已批准”的延期申请"))
    for c in fig.activities:
        rows.append((f"工作台账·{c.category}", f"{c.count}项，{c.times}次，{c.people}人，"
                     f"{c.amount:g}元，{c.pieces}件",
                     "日期在本期间内、截至统计时点已登记的活动；未填次数的活动按1次计，其余为所填数字之和"))
    for month, n in fig.monthly_overdue:
        if n is not None:
            rows.append((f"{month.year}年{month.month}月末逾期事项", f"{n}项",
                         "按登记的完成时限和完成时间，该月末（当月未结束的取统计时点）已过完成时限而当时尚未办结的未撤销事项，不论属于哪个期间"))
    rows.append(("统计时点", cn_date(fig.as_of.astimezone(fig.tz).date())
                 + fig.as_of.astimezone(fig.tz).strftime(" %H:%M"), "以上数字均按此时点数据库中的记录计算"))
    return [{"no": n, "name": name, "value": value, "how": how}
            for n, (name, value, how) in enumerate(rows, start=1)]
