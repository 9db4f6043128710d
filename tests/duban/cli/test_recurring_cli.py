"""duban recur / submit / meeting / stats through the real CLI, and the issue's "done when":
after the demo, December's 优抚资金材料 nodes are overdue, one handed in late leaves the list
and counts as late, and the meeting reminder mail carries a valid .ics.

The demo loads at the wall clock; the assertions below hold for any day before 2026-12-07.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from duban.cli.demo import load_demo
from models.store import db
from models.store.tables import Submission

TZ = ZoneInfo("Asia/Shanghai")
STREETS = {f"示例{n}街道办事处" for n in
           ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三")}


def home(tmp_path: Path) -> Path:
    return tmp_path / "home"  # the cli fixture's DUBAN_HOME


def submissions_in(tmp_path: Path) -> int:
    engine = db.make_engine(f"sqlite:///{home(tmp_path) / 'duban.db'}")
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Submission)).scalar_one()
    finally:
        engine.dispose()


def stored(tmp_path: Path) -> list[Path]:
    files = home(tmp_path) / "files"
    return sorted(p for p in files.rglob("*") if p.is_file()) if files.exists() else []


def invitations(tmp_path: Path) -> list[tuple[email.message.EmailMessage, Calendar]]:
    """Every .eml the file sink wrote that carries invite.ics, with the calendar parsed."""
    found = []
    for path in sorted((home(tmp_path) / "outbox").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.iter_attachments():
            if part.get_filename() == "invite.ics":
                found.append((message, Calendar.from_ical(part.get_payload(decode=True))))
    return found


def event_of(cal: Calendar):
    [event] = cal.walk("VEVENT")
    return event


def by_unit(rows: list[dict]) -> dict[str, dict]:
    return {r["unit"]: r for r in rows}


# -- the "done when" -------------------------------------------------------------------

def test_december_nodes_after_the_demo_overdue_submitted_late_and_counted(cli, tmp_path):
    cli("demo")
    cli("sweep", "--now", "2026-12-08T10:00")
    [template] = [t for t in cli.json("recur", "list") if t["name"] == "优抚资金材料"]
    assert template["rule"] == "每月第5个工作日" and template["units"] == "全部街道办事处"
    occurrences = cli.json("recur", "show", str(template["id"]))["occurrences"]
    december = {o["id"]: o for o in occurrences if o["deadline"] == "2026-12-07"}
    assert {o["unit"] for o in december.values()} == STREETS
    assert {o["status"] for o in december.values()} == {"未开始"}

    def overdue_december() -> dict[int, dict]:
        rows = cli.json("overdue", "--now", "2026-12-08T10:00")
        return {r["id"]: r for r in rows
                if r["title"] == "优抚资金材料" and r["deadline"].startswith("2026-12-07")}

    listed = overdue_december()
    assert set(listed) == set(december)  # exactly those not submitted: all 13
    assert {(r["kind"], r["deadline"], r["light"], r["days_overdue"]) for r in listed.values()} == {
        ("报送节点", "2026-12-07T17:00+08:00", "逾期", 1)}

    def stats() -> dict[str, dict]:
        return by_unit(cli.json("stats", "--year", "2026", "--month", "12", "--now", "2026-12-08T10:00"))

    before = stats()
    assert set(before) == STREETS

    chosen = min(listed.values(), key=lambda r: r["id"])
    material = tmp_path / "十二月优抚资金明细.xlsx"
    material.write_bytes("优抚资金发放明细".encode() * 100)
    result = cli("submit", str(chosen["id"]), "--file", str(material), "--now", "2026-12-08T10:00")
    assert result.stdout.strip() == f"已报送事项 {chosen['id']}（逾期报送）"

    assert set(overdue_december()) == set(december) - {chosen["id"]}
    after = stats()
    unit = chosen["unit"]
    assert after[unit]["late"] == before[unit]["late"] + 1
    assert after[unit]["missing"] == before[unit]["missing"] - 1
    assert after[unit]["on_time"] == before[unit]["on_time"]
    assert after[unit]["due"] == before[unit]["due"]
    assert {u: r for u, r in after.items() if u != unit} == {u: r for u, r in before.items() if u != unit}
    sha = hashlib.sha256(material.read_bytes()).hexdigest()
    assert stored(tmp_path) == [home(tmp_path) / "files" / sha[:2] / sha]
    shown = cli.json("item", "show", str(chosen["id"]))
    assert shown["status"] == "已办结" and shown["completed_at"] == "2026-12-08T10:00+08:00"
    [event] = [e for e in shown["history"] if e["action"] == "submit"]
    assert event["after"]["late"] is True and event["after"]["files"] == [material.name]


def test_a_demo_loaded_on_1_october_gets_its_december_nodes_from_the_sweep(cli, tmp_path):
    """The same, with the demo loaded at a fixed time: exact counts, whatever today is."""
    engine = db.make_engine(f"sqlite:///{home(tmp_path) / 'duban.db'}")
    with db.session_scope(engine) as session:
        load_demo(session, now=datetime(2026, 10, 1, 9, 0, tzinfo=TZ), tz=TZ)
    engine.dispose()
    [template] = [t for t in cli.json("recur", "list") if t["name"] == "优抚资金材料"]
    assert template["generated_until"] == "2026-11-30"

    def december() -> dict[int, dict]:
        occurrences = cli.json("recur", "show", str(template["id"]))["occurrences"]
        return {o["id"]: o for o in occurrences if o["deadline"] == "2026-12-07"}

    assert december() == {}
    cli("sweep", "--now", "2026-12-08T10:00")
    nodes = december()
    assert {o["unit"] for o in nodes.values()} == STREETS
    rows = cli.json("overdue", "--now", "2026-12-08T10:00")
    assert {r["id"] for r in rows if r["title"] == "优抚资金材料"
            and r["deadline"] == "2026-12-07T17:00+08:00"} == set(nodes)
    # December per office: 优抚资金材料 on the 7th, 周汇报 on the 4th (both missed), 11th, 18th, 25th.
    stats = by_unit(cli.json("stats", "--year", "2026", "--month", "12", "--now", "2026-12-08T10:00"))
    assert {u: (r["due"], r["on_time"], r["late"], r["missing"], r["pending"], r["rate"])
            for u, r in stats.items()} == {u: (5, 0, 0, 2, 3, 0.0) for u in STREETS}
    chosen = min(nodes)
    cli("submit", str(chosen), "--note", "补报", "--now", "2026-12-08T10:00")
    assert chosen not in {r["id"] for r in cli.json("overdue", "--now", "2026-12-08T10:00")}
    stats = by_unit(cli.json("stats", "--year", "2026", "--month", "12", "--now", "2026-12-08T10:00"))
    assert (stats[nodes[chosen]["unit"]]["late"], stats[nodes[chosen]["unit"]]["missing"]) == (1, 1)


def test_the_demo_meeting_reminder_mail_carries_a_valid_invitation(cli, tmp_path):
    cli("demo")
    # Friday 11 December 09:00: the working day before Monday 14 December's 周研判.
    cli("sweep", "--now", "2026-12-11T09:00")
    cli("deliver", "--now", "2026-12-11T09:00")
    [meeting] = [i for i in cli.json("item", "list", "--kind", "会议")
                 if i["deadline"] == "2026-12-14T09:00+08:00"]
    sent = [(m, cal) for m, cal in invitations(tmp_path)
            if str(event_of(cal)["UID"]) == f"duban-meeting-{meeting['id']}@example.org"]
    assert {m["To"].addresses[0].addr_spec for m, _ in sent} == {
        "bangongshi@example.org", "sizheng@example.org", "youfu@example.org",
        "fuwuzhongxin@example.org", "juzhang@example.org"}
    for message, cal in sent:
        assert message["Subject"] == "关于召开《周研判》的通知（2026-12-14 09:00）"
        assert str(cal["METHOD"]) == "REQUEST"
        event = event_of(cal)
        assert event["DTSTART"].dt == datetime(2026, 12, 14, 9, 0, tzinfo=TZ)
        assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
        assert event["DTEND"].dt == datetime(2026, 12, 14, 10, 0, tzinfo=TZ)
        assert int(event["SEQUENCE"]) == 0
        assert str(event["LOCATION"]) == "局三楼会议室"
        assert str(event["ORGANIZER"]) == "mailto:bangongshi@example.org"
        [zone] = cal.walk("VTIMEZONE")
        assert str(zone["TZID"]) == "Asia/Shanghai"


# -- refusing bad rules ------------------------------------------------------------------------

BASE = ["recur", "add", "--name", "周汇报", "--kind", "报送节点"]


@pytest.mark.parametrize(("args", "reason"), [
    (["--freq", "yearly", "--month", "13", "--day", "1", "--units", "示例一街道办事处"],
     "月 “13”：应为 1 到 12"),
    (["--freq", "monthly", "--month", "13", "--day", "5", "--units", "示例一街道办事处"],
     "月 “13”：应为 1 到 12"),
    (["--freq", "weekly", "--weekdays", "8", "--units", "示例一街道办事处"],
     "星期 “8”：应为 1（周一）到 7（周日）"),
    (["--freq", "weekly", "--units", "示例一街道办事处"], "每周规则须指定星期几"),
    (["--freq", "monthly", "--day", "31", "--units", "示例一街道办事处"],
     "有的月份没有31日，请指定小月处理方式（last 取月末 / skip 跳过）"),
    (["--freq", "monthly", "--day", "5", "--nth-workday", "5", "--units", "示例一街道办事处"],
     "须且只能指定一种"),
    (["--freq", "quarterly", "--month", "4", "--day", "1", "--units", "示例一街道办事处"],
     "季度内月份 “4”：应为 1 到 3"),
    (["--freq", "weekly", "--weekdays", "5", "--units", "示例十四街道办事处"],
     "责任单位 “示例十四街道办事处”：单位不存在"),
    (["--freq", "weekly", "--weekdays", "5", "--units", "示例一街道办事处",
      "--start", "2026-12-01", "--end", "2026-11-30"], "结束日期 “2026-11-30”：早于开始日期 2026-12-01"),
    (["--freq", "hourly", "--units", "示例一街道办事处"], "--freq “hourly”：应为 daily、weekly、monthly"),
    (["--freq", "weekly", "--weekdays", "周八", "--units", "示例一街道办事处"],
     "--weekdays “周八”：应为整数"),
    (["--freq", "weekly", "--weekdays", "5", "--time", "25:00", "--units", "示例一街道办事处"],
     "--time “25:00”：应为 HH:MM"),
    (["--freq", "weekly", "--weekdays", "5", "--holiday", "sometimes", "--units", "示例一街道办事处"],
     "--holiday “sometimes”：应为 next、previous、keep 之一"),
    (["--freq", "monthly", "--day", "31", "--short-month", "never", "--units", "示例一街道办事处"],
     "--short-month “never”：应为 last、skip 之一"),
])
def test_a_bad_rule_is_refused_with_the_reason(cli, args, reason):
    cli("unit", "add", "--name", "示例一街道办事处", "--kind", "街道办事处", "--contact", "孙浩",
        "--email", "jiedao01@example.org")
    result = cli(*BASE, *args, code=1)
    assert result.stderr.startswith("错误：")
    assert reason in result.stderr
    assert cli.json("recur", "list") == []


def test_a_meeting_needs_an_organiser_and_a_time(cli):
    meeting = ["recur", "add", "--name", "周研判", "--kind", "会议", "--freq", "weekly",
               "--weekdays", "周一"]
    assert "会议须指定组织单位（--organiser）" in cli(*meeting, "--time", "09:00", code=1).stderr
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bangongshi@example.org")
    assert "会议须指定开始时间（--time）" in cli(*meeting, "--organiser", "办公室", code=1).stderr
    assert "参会单位 “督察科”：单位不存在" in cli(*meeting, "--organiser", "办公室", "--time", "09:00",
                                          "--attendees", "督察科", code=1).stderr
    assert "参会人员 “钱立群”：人员不存在" in cli(*meeting, "--organiser", "办公室", "--time", "09:00",
                                          "--attendee-people", "钱立群", code=1).stderr
    assert cli.json("recur", "list") == []


# -- recur add / list / show / edit / pause / resume ------------------------------------------

def two_street_offices(cli) -> None:
    for n, name in ((1, "示例一街道办事处"), (2, "示例二街道办事处")):
        cli("unit", "add", "--name", name, "--kind", "街道办事处", "--contact", f"站长{n}",
            "--email", f"jiedao{n:02d}@example.org")
    cli("unit", "add", "--name", "办公室", "--kind", "科室", "--contact", "李静",
        "--email", "bangongshi@example.org")


def test_recur_add_list_show_edit_pause_and_resume(cli):
    two_street_offices(cli)
    added = cli("recur", "add", "--name", "周汇报", "--kind", "报送节点", "--freq", "weekly",
                "--weekdays", "周五", "--time", "17:00", "--all-street-offices",
                "--start", "2026-12-07", "--end", "2026-12-31", "--detail", "本周工作情况")
    assert added.stdout.strip() == "已新增周期任务 1：周汇报（每周五（顺延至下一工作日））"
    [row] = cli.json("recur", "list")
    assert {k: row[k] for k in ("id", "name", "kind", "rule", "time", "units", "start", "end",
                                "paused", "generated_until")} == {
        "id": 1, "name": "周汇报", "kind": "报送节点", "rule": "每周五（顺延至下一工作日）",
        "time": "17:00", "units": "全部街道办事处", "start": "2026-12-07", "end": "2026-12-31",
        "paused": False, "generated_until": None}
    table = cli("recur", "list").stdout
    assert "周期任务（共 1 个）" in table and "每周五" in table and "运行" in table

    cli("sweep", "--now", "2026-12-01T10:00")
    shown = cli.json("recur", "show", "1")
    assert shown["generated_until"] == "2026-12-31"
    assert sorted((o["deadline"], o["unit"]) for o in shown["occurrences"]) == sorted(
        (day, unit) for day in ("2026-12-11", "2026-12-18", "2026-12-25")
        for unit in ("示例一街道办事处", "示例二街道办事处"))
    assert "已生成 6 期" in cli("recur", "show", "1").stdout

    assert cli("recur", "pause", "1").stdout.strip() == "已暂停周期任务 1，撤回今后未开始的事项 6 项"
    paused = cli.json("recur", "show", "1")
    assert paused["paused"] is True and paused["occurrences"] == []
    assert "暂停" in cli("recur", "list").stdout
    assert "周期任务 1 已暂停" in cli("recur", "pause", "1", code=1).stderr
    cli("sweep", "--now", "2026-12-02T10:00")
    assert cli.json("recur", "show", "1")["occurrences"] == []

    assert cli("recur", "resume", "1").stdout.strip() == "已恢复周期任务 1"
    assert "已在运行" in cli("recur", "resume", "1", code=1).stderr
    cli("sweep", "--now", "2026-12-02T10:00")
    assert len(cli.json("recur", "show", "1")["occurrences"]) == 6

    edited = cli("recur", "edit", "1", "--name", "周汇报", "--kind", "报送节点", "--freq", "weekly",
                 "--weekdays", "4", "--time", "16:00", "--units", "示例二街道办事处",
                 "--start", "2026-12-07", "--end", "2026-12-31")
    assert edited.stdout.strip() == "已修改周期任务 1，撤回今后未开始的事项 6 项，将按新规则重新生成"
    cli("sweep", "--now", "2026-12-03T10:00")
    shown = cli.json("recur", "show", "1")
    assert shown["units"] == "示例二街道办事处" and shown["rule"] == "每周四（顺延至下一工作日）"
    assert [(o["deadline"], o["unit"]) for o in shown["occurrences"]] == [
        ("2026-12-10", "示例二街道办事处"), ("2026-12-17", "示例二街道办事处"),
        ("2026-12-24", "示例二街道办事处"), ("2026-12-31", "示例二街道办事处")]


def test_recur_commands_on_a_missing_template(cli):
    for command in ("show", "pause", "resume"):
        assert "周期任务 “9” 不存在" in cli("recur", command, "9", code=1).stderr


# -- submit ------------------------------------------------------------------------------------

@pytest.fixture
def node(cli) -> str:
    cli("unit", "add", "--name", "示例一街道办事处", "--kind", "街道办事处", "--contact", "孙浩",
        "--email", "jiedao01@example.org")
    cli("item", "add", "--kind", "报送节点", "--title", "周汇报", "--unit", "示例一街道办事处",
        "--deadline", "2026-12-11 17:00")
    return "1"


def test_submitting_at_the_deadline_is_on_time(cli, node):
    result = cli("submit", node, "--note", "已报送", "--at", "2026-12-11T17:00:00",
                 "--now", "2026-12-11T18:00")
    assert result.stdout.strip() == "已报送事项 1（按期）"
    cli("item", "add", "--kind", "报送节点", "--title", "周汇报", "--unit", "示例一街道办事处",
        "--deadline", "2026-12-11 17:00")
    late = cli("submit", "2", "--note", "补报", "--at", "2026-12-11T17:00:01", "--now", "2026-12-11T18:00")
    assert late.stdout.strip() == "已报送事项 2（逾期报送）"
    rows = by_unit(cli.json("stats", "--year", "2026", "--now", "2026-12-11T18:00"))
    assert rows["示例一街道办事处"] == {"unit": "示例一街道办事处", "due": 2, "on_time": 1, "late": 1,
                                  "missing": 0, "pending": 0, "rate": 0.5, "extended": 0}
    table = cli("stats", "--year", "2026", "--month", "12", "--now", "2026-12-11T18:00").stdout
    assert "2026年12月报送节点按期报送率" in table and "50.0%" in table


def test_an_empty_file_is_refused_and_nothing_is_written(cli, node, tmp_path):
    good, empty = tmp_path / "明细.xlsx", tmp_path / "空.xlsx"
    good.write_bytes(b"data")
    empty.write_bytes(b"")
    result = cli("submit", node, "--file", str(good), "--file", str(empty),
                 "--now", "2026-12-11T10:00", code=1)
    assert "文件 “空.xlsx”：是空文件" in result.stderr
    assert stored(tmp_path) == [] and submissions_in(tmp_path) == 0
    assert cli.json("item", "show", node)["status"] == "未开始"


def test_an_oversize_file_is_refused_and_nothing_is_written(cli, node, tmp_path):
    cli.runner.env["DUBAN_MAX_UPLOAD_MB"] = "1"
    big = tmp_path / "扫描件.pdf"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    result = cli("submit", node, "--file", str(big), "--now", "2026-12-11T10:00", code=1)
    assert "文件 “扫描件.pdf”：大小 1.0 MB，超过上限 1 MB" in result.stderr
    assert stored(tmp_path) == [] and submissions_in(tmp_path) == 0
    big.write_bytes(b"x" * (1024 * 1024))  # exactly the limit
    assert "（按期）" in cli("submit", node, "--file", str(big), "--now", "2026-12-11T10:00").stdout
    assert len(stored(tmp_path)) == 1 and submissions_in(tmp_path) == 1


@pytest.mark.parametrize(("args", "reason"), [
    (("submit", "1", "--note", "已报送\x07"), "说明"),
    (("--by", "督" * 51, "submit", "1"), "报送人"),
])
def test_a_bad_note_or_submitter_stores_no_file(cli, node, tmp_path, args, reason):
    material = tmp_path / "明细.xlsx"
    material.write_bytes(b"data")
    result = cli(*args, "--file", str(material), "--now", "2026-12-11T10:00", code=1)
    assert reason in result.stderr
    assert stored(tmp_path) == [] and submissions_in(tmp_path) == 0


def test_a_closed_item_refuses_a_second_submission_before_storing_its_files(cli, node, tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    cli("submit", node, "--file", str(first), "--now", "2026-12-11T10:00")
    result = cli("submit", node, "--file", str(second), "--now", "2026-12-11T11:00", code=1)
    assert "事项 1 状态为“已办结”，不能再报送" in result.stderr
    assert len(stored(tmp_path)) == 1 and submissions_in(tmp_path) == 1


def test_submission_time_and_content_are_checked(cli, node):
    assert "报送时间" in cli("submit", node, "--note", "x", "--at", "2026-12-11T12:00",
                         "--now", "2026-12-11T10:00", code=1).stderr
    assert "至少附一个文件（--file）或写明情况（--note）" in cli(
        "submit", node, "--now", "2026-12-11T10:00", code=1).stderr
    assert "事项 “7” 不存在" in cli("submit", "7", "--note", "x", code=1).stderr
    assert cli.json("item", "show", node)["status"] == "未开始"


# -- meetings: minutes, attendance, moving and cancelling ---------------------------------------

@pytest.fixture
def weekly_meeting(cli) -> dict[str, int]:
    two_street_offices(cli)
    cli("unit", "add", "--name", "优抚褒扬科", "--kind", "科室", "--contact", "刘洋",
        "--email", "youfu@example.org")
    cli("person", "add", "--name", "赵明远", "--role", "主要负责人", "--email", "juzhang@example.org")
    cli("recur", "add", "--name", "周研判", "--kind", "会议", "--freq", "weekly", "--weekdays", "1",
        "--time", "09:00", "--organiser", "办公室", "--place", "局三楼会议室",
        "--attendees", "优抚褒扬科，示例一街道办事处", "--attendee-people", "赵明远",
        "--minutes-due", "2", "--start", "2026-12-07", "--end", "2026-12-14")
    cli("sweep", "--now", "2026-12-03T10:00")
    meetings = {i["deadline"]: i["id"] for i in cli.json("item", "list", "--kind", "会议")}
    minutes = {i["deadline"]: i["id"] for i in cli.json("item", "list", "--kind", "任务")}
    assert set(meetings) == {"2026-12-07T09:00+08:00", "2026-12-14T09:00+08:00"}
    assert set(minutes) == {"2026-12-09", "2026-12-16"}
    return {"meeting": meetings["2026-12-07T09:00+08:00"], "minutes": minutes["2026-12-09"]}


def test_meeting_minutes_close_the_minutes_item(cli, weekly_meeting, tmp_path):
    meeting, minutes = str(weekly_meeting["meeting"]), str(weekly_meeting["minutes"])
    cli("sweep", "--now", "2026-12-07T10:00")
    assert cli.json("item", "show", meeting)["status"] == "已办结"  # held
    assert cli.json("item", "show", minutes)["status"] == "未开始"
    notes = tmp_path / "周研判纪要.docx"
    notes.write_bytes("会议纪要".encode())
    done = cli("meeting", "minutes", meeting, "--file", str(notes), "--now", "2026-12-08T10:00")
    assert done.stdout.strip() == f"已提交会议 {meeting} 的纪要（按期）"
    assert cli.json("item", "show", minutes)["status"] == "已办结"
    assert "不能再报送" in cli("meeting", "minutes", meeting, "--file", str(notes),
                          "--now", "2026-12-08T11:00", code=1).stderr
    assert "不是会议" in cli("meeting", "minutes", minutes, "--file", str(notes), code=1).stderr


def test_meeting_attendance(cli, weekly_meeting):
    meeting = str(weekly_meeting["meeting"])
    result = cli("meeting", "attend", meeting, "--units", "办公室,优抚褒扬科", "--absent", "示例一街道办事处")
    assert result.stdout.strip() == f"已记录会议 {meeting} 的出席情况（3 个单位）"
    [event] = [e for e in cli.json("item", "show", meeting)["history"] if e["action"] == "attendance"]
    assert event["after"] == {"present": ["办公室", "优抚褒扬科"], "absent": ["示例一街道办事处"]}
    assert "单位 “督察科”：单位不存在" in cli("meeting", "attend", meeting, "--units", "督察科",
                                       code=1).stderr
    assert "不能既出席又缺席" in cli("meeting", "attend", meeting, "--units", "办公室",
                             "--absent", "办公室", code=1).stderr


def test_moving_then_cancelling_a_meeting_mails_an_update_then_a_cancellation(cli, weekly_meeting,
                                                                             tmp_path):
    meeting = weekly_meeting["meeting"]
    uid = f"duban-meeting-{meeting}@example.org"
    cli("--now", "2026-12-03T10:30", "item", "update", str(meeting), "--deadline", "2026-12-08 14:00")
    assert cli.json("item", "show", str(weekly_meeting["minutes"]))["deadline"] == "2026-12-10"
    cli("sweep", "--now", "2026-12-03T11:00")
    cli("deliver", "--now", "2026-12-03T11:00")
    updates = invitations(tmp_path)
    assert {m["To"].addresses[0].addr_spec for m, _ in updates} == {
        "bangongshi@example.org", "youfu@example.org", "jiedao01@example.org", "juzhang@example.org"}
    for message, cal in updates:
        assert message["Subject"] == "《周研判》时间变更通知（改为 2026-12-08 14:00）"
        event = event_of(cal)
        assert (str(cal["METHOD"]), str(event["UID"]), int(event["SEQUENCE"])) == ("REQUEST", uid, 1)
        assert event["DTSTART"].dt == datetime(2026, 12, 8, 14, 0, tzinfo=TZ)

    cli("--now", "2026-12-03T19:00", "item", "cancel", str(meeting))
    assert cli.json("item", "show", str(weekly_meeting["minutes"]))["status"] == "已撤销"
    cli("sweep", "--now", "2026-12-03T20:00")
    report = cli("deliver", "--now", "2026-12-03T20:00").stdout  # outside office hours
    assert "只发送会议通知" in report and "发送 4 条" in report
    cancels = [(m, cal) for m, cal in invitations(tmp_path) if str(cal["METHOD"]) == "CANCEL"]
    assert len(cancels) == 4
    for message, cal in cancels:
        assert message["Subject"] == "《周研判》（2026-12-08 14:00）取消通知"
        event = event_of(cal)
        assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (uid, 2, "CANCELLED")
