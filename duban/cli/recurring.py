"""duban recur … / submit / meeting … / stats: recurring duties, submissions, meetings, 考核."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from duban.cli.context import JSON_HELP, NOW_HELP, app_context, out, print_json
from models.domain.enums import ItemStatus, choose
from models.domain.parsing import parse_date
from models.domain.recurrence import Freq, HolidayPolicy, Rule, ShortMonth
from models.errors import InputError
from models.records import meetings, recurring, submissions
from models.reports.stats import timeliness
from models.store.tables import Item, Unit

recur_app = typer.Typer(help="周期任务：报送节点、周研判等会议、周汇报和日研判", no_args_is_help=True)
meeting_app = typer.Typer(help="会议：出席情况与会议纪要", no_args_is_help=True)

_SPLIT = re.compile(r"[,，、;；\s]+")
WEEKDAY_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(p for p in _SPLIT.split(text or "") if p)


def _int(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(field, text, "应为整数") from None


def _weekdays(text: str | None) -> tuple[int, ...]:
    days = []
    for part in _names(text):
        key = part.removeprefix("周").removeprefix("星期")
        if key in WEEKDAY_NAMES:
            days.append(WEEKDAY_NAMES[key])
        else:
            days.append(_int(part, "--weekdays") or 0)
    return tuple(days)


def _choice(enum_cls, text: str | None, field: str):
    if text is None:
        return None
    return choose(enum_cls, text, field)


def _time(text: str | None, field: str = "--time") -> time | None:
    if not text:
        return None
    try:
        return time.fromisoformat(text.strip().replace("：", ":"))
    except ValueError:
        raise InputError(field, text, "应为 HH:MM，如 17:00") from None


def _template_input(*, name, kind, freq, weekdays, day, nth_workday, last_workday, month,
                    short_month, dates, at, holiday, lead, units, all_street_offices, start, end,
                    detail, source, organiser, place, duration, attendees, attendee_people,
                    minutes_due) -> recurring.TemplateInput:
    rule = Rule(
        freq=_choice(Freq, freq, "--freq"), weekdays=_weekdays(weekdays),
        day=_int(day, "--day"), nth_workday=_int(nth_workday, "--nth-workday"),
        last_workday=last_workday, month=_int(month, "--month"),
        short_month=_choice(ShortMonth, short_month, "--short-month"),
        dates=tuple(parse_date(d, "--dates") for d in _names(dates)),
        holiday=_choice(HolidayPolicy, holiday, "--holiday") or HolidayPolicy.NEXT,
    )
    return recurring.TemplateInput(
        name=name, kind=kind, rule=rule, due_time=_time(at), units=_names(units),
        all_street_offices=all_street_offices,
        start=parse_date(start, "--start") if start else None,
        end=parse_date(end, "--end") if end else None,
        lead_workdays=_int(lead, "--lead"), detail=detail, source=source, organiser=organiser,
        place=place, duration_minutes=_int(duration, "--duration"),
        attendee_units=_names(attendees), attendee_people=_names(attendee_people),
        minutes_due_workdays=_int(minutes_due, "--minutes-due"),
    )


# The same options for add and edit.
NAME = typer.Option(..., "--name", help="名称，如“优抚资金材料”“周研判”")
KIND = typer.Option(..., "--kind", help="类别：报送节点 / 会议 / 任务")
FREQ = typer.Option(..., "--freq", help="频率：daily（每个工作日）/ weekly / monthly / quarterly / "
                                        "yearly / dates（指定日期）")
WEEKDAYS = typer.Option(None, "--weekdays", help="每周：星期几，1–7 或 周一,周五")
DAY = typer.Option(None, "--day", help="每月/季/年：第几日（1–31）")
NTH = typer.Option(None, "--nth-workday", help="每月/季/年：第几个工作日")
LAST = typer.Option(False, "--last-workday", help="每月/季/年：最后一个工作日")
MONTH = typer.Option(None, "--month", help="每年：几月（1–12）；每季度：季度的第几个月（1–3）")
SHORT = typer.Option(None, "--short-month", help="29–31日遇小月：last（取月末）/ skip（跳过）")
DATES = typer.Option(None, "--dates", help="指定日期，逗号分隔")
TIME = typer.Option(None, "--time", help="截止或开会时间 HH:MM（报送不填则当日24:00截止）")
HOLIDAY = typer.Option(None, "--holiday", help="遇节假日：next 顺延（默认）/ previous 提前 / keep 不变")
LEAD = typer.Option(None, "--lead", help="提前几个工作日生成（默认提前60天全部生成）")
UNITS = typer.Option(None, "--units", help="责任单位，逗号分隔")
ALL_STREETS = typer.Option(False, "--all-street-offices", help="全部街道办事处，每个单位一项")
START = typer.Option(None, "--start", help="开始日期（默认今天）")
END = typer.Option(None, "--end", help="结束日期")
DETAIL = typer.Option(None, "--detail", help="说明或会议议程")
SOURCE = typer.Option(None, "--source", help="来源")
ORGANISER = typer.Option(None, "--organiser", help="会议：组织单位（负责纪要）")
PLACE = typer.Option(None, "--place", help="会议：地点")
DURATION = typer.Option(None, "--duration", help="会议：时长（分钟，默认60）")
ATTENDEES = typer.Option(None, "--attendees", help="会议：参会单位，逗号分隔")
PEOPLE = typer.Option(None, "--attendee-people", help="会议：参会的局领导、督办人员姓名")
MINUTES_DUE = typer.Option(None, "--minutes-due", help="会议：纪要在会后几个工作日内提交")


def _template_row(session, t) -> dict:
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    return {
        "id": t.id, "name": t.name, "kind": t.item_kind.value,
        "rule": Rule.from_json(t.rule).describe(),
        "time": t.due_time.strftime("%H:%M") if t.due_time else None,
        "units": "全部街道办事处" if t.all_street_offices
        else "、".join(names.get(i, str(i)) for i in t.unit_ids),
        "organiser": names.get(t.organiser_unit_id) if t.organiser_unit_id else None,
        "attendees": [names.get(i, str(i)) for i in t.attendee_unit_ids],
        "place": t.place, "minutes_due_workdays": t.minutes_due_workdays,
        "start": t.start_date.isoformat(), "end": t.end_date.isoformat() if t.end_date else None,
        "paused": t.paused,
        "generated_until": t.generated_until.isoformat() if t.generated_until else None,
    }


@recur_app.command("add")
def recur_add(name: str = NAME, kind: str = KIND, freq: str = FREQ, weekdays: str = WEEKDAYS,
              day: str = DAY, nth_workday: str = NTH, last_workday: bool = LAST,
              month: str = MONTH, short_month: str = SHORT, dates: str = DATES, at: str = TIME,
              holiday: str = HOLIDAY, lead: str = LEAD, units: str = UNITS,
              all_street_offices: bool = ALL_STREETS, start: str = START, end: str = END,
              detail: str = DETAIL, source: str = SOURCE, organiser: str = ORGANISER,
              place: str = PLACE, duration: str = DURATION, attendees: str = ATTENDEES,
              attendee_people: str = PEOPLE, minutes_due: str = MINUTES_DUE) -> None:
    """新增周期任务（下次检查时生成今后60天内的各期事项）。"""
    ctx = app_context()
    data = _template_input(**{k: v for k, v in locals().items() if k != "ctx"})
    with ctx.session() as session:
        template = recurring.add_template(session, data, actor=ctx.actor, now=ctx.now(),
                                          tz=ctx.settings.tz)
        rule = Rule.from_json(template.rule).describe()
    out.print(f"已新增周期任务 {template.id}：{template.name}（{rule}）")


@recur_app.command("edit")
def recur_edit(template_id: int = typer.Argument(..., help="周期任务编号"),
               name: str = NAME, kind: str = KIND, freq: str = FREQ, weekdays: str = WEEKDAYS,
               day: str = DAY, nth_workday: str = NTH, last_workday: bool = LAST,
               month: str = MONTH, short_month: str = SHORT, dates: str = DATES,
               at: str = TIME, holiday: str = HOLIDAY, lead: str = LEAD, units: str = UNITS,
               all_street_offices: bool = ALL_STREETS, start: str = START, end: str = END,
               detail: str = DETAIL, source: str = SOURCE, organiser: str = ORGANISER,
               place: str = PLACE, duration: str = DURATION, attendees: str = ATTENDEES,
               attendee_people: str = PEOPLE, minutes_due: str = MINUTES_DUE) -> None:
    """修改周期任务（给出完整定义）；今后尚未开始、无人动过的各期事项按新规则重新生成。"""
    ctx = app_context()
    data = _template_input(**{k: v for k, v in locals().items()
                              if k not in ("ctx", "template_id")})
    with ctx.session() as session:
        _, withdrawn = recurring.update_template(session, template_id, data, actor=ctx.actor,
                                                 now=ctx.now(), tz=ctx.settings.tz)
    out.print(f"已修改周期任务 {template_id}，撤回今后未开始的事项 {withdrawn} 项，将按新规则重新生成")


@recur_app.command("list")
def recur_list(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """列出周期任务。"""
    ctx = app_context()
    with ctx.session() as session:
        rows = [_template_row(session, t) for t in recurring.list_templates(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("编号", "名称", "类别", "规则", "时间", "责任单位", "状态",
                  title=f"周期任务（共 {len(rows)} 个）")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["kind"], r["rule"], r["time"] or "",
                      r["organiser"] or r["units"], "暂停" if r["paused"] else "运行")
    out.print(table)


@recur_app.command("show")
def recur_show(template_id: int = typer.Argument(..., help="周期任务编号"),
               as_json: bool = typer.Option(False, "--json", help="以 JSON 输出")) -> None:
    """查看周期任务的定义及已生成的各期事项。"""
    ctx = app_context()
    with ctx.session() as session:
        template = recurring.get_template(session, template_id)
        row = _template_row(session, template)
        row["occurrences"] = [
            {"id": i.id, "unit": name, "deadline": str(i.deadline_date), "status": i.status.value}
            for i, name in recurring.occurrences_of(session, template_id)
        ]
    if as_json:
        print_json(row)
        return
    for key, label in (("name", "名称"), ("kind", "类别"), ("rule", "规则"), ("time", "时间"),
                       ("units", "责任单位"), ("organiser", "组织单位"), ("place", "地点"),
                       ("start", "开始"), ("end", "结束"), ("generated_until", "已生成至")):
        if row.get(key):
            out.print(f"{label}：{row[key]}")
    out.print(f"状态：{'暂停' if row['paused'] else '运行'}；已生成 {len(row['occurrences'])} 期")


@recur_app.command("pause")
def recur_pause(template_id: int = typer.Argument(..., help="周期任务编号")) -> None:
    """暂停：不再生成新的各期事项，并撤回今后尚未开始的。"""
    ctx = app_context()
    with ctx.session() as session:
        _, withdrawn = recurring.set_paused(session, template_id, True, actor=ctx.actor,
                                            now=ctx.now(), tz=ctx.settings.tz)
    out.print(f"已暂停周期任务 {template_id}，撤回今后未开始的事项 {withdrawn} 项")


@recur_app.command("resume")
def recur_resume(template_id: int = typer.Argument(..., help="周期任务编号")) -> None:
    """恢复：下次检查时重新生成今后的各期事项。"""
    ctx = app_context()
    with ctx.session() as session:
        recurring.set_paused(session, template_id, False, actor=ctx.actor, now=ctx.now(),
                             tz=ctx.settings.tz)
    out.print(f"已恢复周期任务 {template_id}")


def _submit(ctx, item_id: int, *, at: str | None, now: str | None, files: list[Path],
            note: str | None):
    """Check everything, then store the files, then record the submission (one transaction)."""
    current = ctx.now(now)
    when = ctx.now(at, "--at") if at else current
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    for f in files:
        submissions.check_upload(f, max_bytes=limit)
    with ctx.session() as session:
        submissions.check_submission(session, item_id, at=when, now=current,
                                     has_files=bool(files), note=note, by=ctx.actor)
        stored = [submissions.store_file(f, ctx.settings.files_dir, max_bytes=limit)
                  for f in files]
        submission = submissions.submit(session, item_id, at=when, by=ctx.actor, note=note,
                                        files=stored, actor=ctx.actor, now=current,
                                        rules=ctx.settings.loop_rules)
        waiting = session.get(Item, item_id).status is ItemStatus.SUBMITTED  # type: ignore[union-attr]
        return submission, waiting


SUBMIT_NOW = typer.Option(None, "--now", help="以该时刻为“现在”（演示、补录用；报送时间不能晚于它）")


def submit(
    item_id: int = typer.Argument(..., help="事项编号（数字 id）"),
    at: str = typer.Option(None, "--at", help="报送时间（默认现在）"),
    files: list[Path] = typer.Option(None, "--file", help="附件，可重复"),
    note: str = typer.Option(None, "--note", help="报送说明"),
    now: str = SUBMIT_NOW,
) -> None:
    """报送/提交：记录时间、报送人、说明和附件。报送节点即办结；整改事项、任务等需审核的
    类别（DUBAN_REVIEW_KINDS）变为“已提交”，等待审核（item accept / item return）。"""
    result, waiting = _submit(app_context(), item_id, at=at, now=now, files=files or [], note=note)
    timing = "（逾期报送）" if result.late else "（按期）"
    if waiting:
        out.print(f"已提交事项 {item_id}{timing}，等待审核")
    else:
        out.print(f"已报送事项 {item_id}{timing}")


@meeting_app.command("minutes")
def meeting_minutes(
    meeting_id: int = typer.Argument(..., help="会议事项编号"),
    files: list[Path] = typer.Option(..., "--file", help="纪要文件，可重复"),
    at: str = typer.Option(None, "--at", help="提交时间（默认现在）"),
    note: str = typer.Option(None, "--note", help="说明"),
    now: str = SUBMIT_NOW,
) -> None:
    """提交会议纪要（办结该会议的纪要事项）。"""
    ctx = app_context()
    with ctx.session() as session:
        minutes_id = meetings.minutes_item(session, meeting_id).id
    result, _ = _submit(ctx, minutes_id, at=at, now=now, files=files, note=note)  # type: ignore[arg-type]
    out.print(f"已提交会议 {meeting_id} 的纪要" + ("（逾期）" if result.late else "（按期）"))


@meeting_app.command("attend")
def meeting_attend(
    meeting_id: int = typer.Argument(..., help="会议事项编号"),
    units: str = typer.Option(..., "--units", help="出席单位，逗号分隔"),
    absent: str = typer.Option(None, "--absent", help="缺席单位，逗号分隔"),
) -> None:
    """记录会议出席情况。"""
    ctx = app_context()
    with ctx.session() as session:
        n = meetings.record_attendance(session, meeting_id, present=list(_names(units)),
                                       absent=list(_names(absent)), actor=ctx.actor,
                                       now=ctx.now())
    out.print(f"已记录会议 {meeting_id} 的出席情况（{n} 个单位）")


def stats(
    year: int = typer.Option(..., "--year", help="年份"),
    month: int = typer.Option(None, "--month", help="月份"),
    now: str = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """报送节点按期报送率：各单位应报、按期、迟报、未报、未到期，按报送率排名（考核）。"""
    ctx = app_context()
    if month is not None and not 1 <= month <= 12:
        raise InputError("--month", month, "应为 1 到 12")
    with ctx.session() as session:
        rows = timeliness(session, year=year, month=month, now=ctx.now(now))
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    title = f"{year}年{f'{month}月' if month else ''}报送节点按期报送率"
    table = Table("排名", "单位", "应报", "按期", "迟报", "未报", "未到期", "按期报送率", title=title)
    for rank, r in enumerate(rows, start=1):
        rate = "—" if r.rate is None else f"{r.rate:.1%}"
        table.add_row(str(rank), r.unit, str(r.due), str(r.on_time), str(r.late),
                      str(r.missing), str(r.pending), rate)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(recur_app, name="recur")
    app.add_typer(meeting_app, name="meeting")
    app.command("submit")(submit)
    app.command("stats")(stats)

