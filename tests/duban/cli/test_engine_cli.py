"""`duban sweep / deliver / digest / outbox / ladder` on the demo bureau, into a real SMTP
server or the file sink.

At 2026-12-01 10:00 (a Tuesday) the demo's fixed items owe 18 messages: five overdue items
(催办 to their unit's contact; a sixth is 已提交, waiting for 审核, and not chased), three of
them three or more working days late (督办 to the lead leader, copying the contact) and five
or more (通报 to the head and both supervisors), and one item due on Friday (临期提醒); loaded
on 11-22, one task not acknowledged since owes its contact a 签收提醒. The demo's recurring
duties add more, all checked against the same rules: who receives what follows from the unit
and the reminder kind.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from duban.cli.demo import DEPARTMENTS, ITEMS, PEOPLE, STREET_OFFICES, load_demo
from models.store import db
from models.store.tables import Item, Outbox, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = "2026-12-01T10:00"
NOW_AT = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
DEMO_AT = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)  # when the fixed-time demo is loaded

CODE_BY_TITLE = {d.title: d.code for d in ITEMS}
CONTACT = {u.name: u.contact_email for u in DEPARTMENTS + STREET_OFFICES}
LEADER = {u.name: u.leader_email for u in DEPARTMENTS + STREET_OFFICES}
UNIT = {d.code: d.unit for d in ITEMS}
BUREAU = sorted(email for _, _, email in PEOPLE)  # the head and both supervisors

# ZG2023-02 is overdue too, but 已提交: it waits for 审核 and nothing chases it (issue 14 §2).
OVERDUE = ["ZG2024-03", "ZG2024-06", "ZG2024-09", "ZG2024-10", "ZG2023-03"]
# Three or more working days late (ZG2024-10 was due Friday 11-27, ZG2023-03 Monday 11-30).
LONG_OVERDUE = ["ZG2024-03", "ZG2024-06", "ZG2024-09"]

MARKERS = (("催办", "催办通知"), ("督办", "督办通知"), ("通报", "逾期事项通报"), ("临期", "即将到期"),
           ("签收", "请签收"))
KIND_OF_REMINDER = {"逾期催办": "催办", "督办": "督办", "通报": "通报", "临期提醒": "临期",
                    "签收提醒": "签收"}


def expected_fixed_items(*, unacked: bool = True) -> set[tuple[str, str, str, tuple[str, ...]]]:
    """(kind, item code, To, Cc) of every message the demo's fixed items owe at NOW;
    ``unacked``: the demo was loaded more than a working day before, so RW2025-02 (not
    acknowledged) owes a 签收提醒."""
    mail = {("催办", code, CONTACT[UNIT[code]], ()) for code in OVERDUE}
    if unacked:
        mail.add(("签收", "RW2025-02", CONTACT[UNIT["RW2025-02"]], ()))
    mail |= {("督办", code, LEADER[UNIT[code]], (CONTACT[UNIT[code]],)) for code in LONG_OVERDUE}
    mail |= {("通报", code, person, ()) for code in LONG_OVERDUE for person in BUREAU}
    mail.add(("临期", "ZG2024-07", CONTACT[UNIT["ZG2024-07"]], ()))
    return mail


def describe(message) -> tuple[str, str, str, tuple[str, ...]]:
    """(kind, title, To, Cc) of a received message."""
    subject = message["Subject"]
    kind = next((k for k, marker in MARKERS if marker in subject), "其他")
    title = re.search(r"《(.+?)》", subject).group(1)
    [to] = [a.addr_spec for a in message["To"].addresses]
    cc = tuple(a.addr_spec for a in message["Cc"].addresses) if message["Cc"] else ()
    return kind, title, to, cc


def fixed_items_mail(messages) -> set[tuple[str, str, str, tuple[str, ...]]]:
    described = [describe(m) for m in messages]
    return {(k, CODE_BY_TITLE[t], to, cc) for k, t, to, cc in described if t in CODE_BY_TITLE}


def home_of(tmp_path: Path) -> Path:
    return tmp_path / "home"  # the `cli` fixture's DUBAN_HOME


def outbox_rows(tmp_path: Path) -> list[Outbox]:
    engine = db.make_engine(f"sqlite:///{home_of(tmp_path) / 'duban.db'}")
    try:
        with db.session_scope(engine) as session:
            return list(session.exec(select(Outbox).order_by(col(Outbox.id))))
    finally:
        engine.dispose()


def unit_of_items(tmp_path: Path) -> dict[int, str]:
    """Each item's unit name (outbox rows store no copy of their item)."""
    engine = db.make_engine(f"sqlite:///{home_of(tmp_path) / 'duban.db'}")
    try:
        with db.session_scope(engine) as session:
            return dict(session.exec(select(Item.id, Unit.name).join(Unit)).all())
    finally:
        engine.dispose()


def load_fixed_demo(tmp_path: Path) -> None:
    """The demo as `duban demo` loads it, but at a fixed instant instead of the wall clock."""
    engine = db.make_engine(f"sqlite:///{home_of(tmp_path) / 'duban.db'}")
    try:
        with db.session_scope(engine) as session:
            load_demo(session, now=DEMO_AT, tz=SHANGHAI)
    finally:
        engine.dispose()


def assert_each_row_went_to_the_right_people(rows: list[Outbox], units: dict[int, str]) -> None:
    """The rules, for every reminder: contact; leader copying the contact; the whole bureau."""
    bureau: dict[tuple[int | None, str], list[str]] = {}
    for row in rows:
        unit = units[row.item_id]  # type: ignore[index]
        kind = KIND_OF_REMINDER.get(row.reminder.value)
        if kind in ("催办", "临期", "签收"):
            assert (row.recipient, row.cc) == (CONTACT[unit], []), row.dedupe_key
        elif kind == "督办":
            assert (row.recipient, row.cc) == (LEADER[unit], [CONTACT[unit]]), row.dedupe_key
        elif kind == "通报":
            bureau.setdefault((row.item_id, row.stage), []).append(row.recipient)
    for key, recipients in bureau.items():
        assert sorted(recipients) == BUREAU, key


@pytest.fixture
def smtp_cli(cli, smtp_server):
    cli.runner.env.update({"DUBAN_SMTP_HOST": smtp_server.host,
                           "DUBAN_SMTP_PORT": str(smtp_server.port)})
    return cli


def test_demo_sweep_and_deliver_put_the_right_reminders_into_the_server(smtp_cli, smtp_server,
                                                                        tmp_path):
    smtp_cli("--now", "2026-12-01T09:00", "demo")  # the demo dates its items by its clock
    swept = smtp_cli("sweep", "--now", NOW).stdout
    rows = outbox_rows(tmp_path)
    assert f"新增提醒 {len(rows)} 条" in swept
    sent = smtp_cli("deliver", "--now", NOW).stdout
    assert f"发送 {len(rows)} 条，稍后重试 0 条，失败 0 条" in sent

    messages = [m.message for m in smtp_server.messages]
    assert fixed_items_mail(messages) == expected_fixed_items(unacked=False)
    assert len(expected_fixed_items(unacked=False)) == 18
    # Every row went out exactly once, to the people the rules name.
    assert sorted(m["Message-ID"] for m in messages) == sorted(r.message_id for r in rows)
    assert_each_row_went_to_the_right_people(rows, unit_of_items(tmp_path))
    for m in smtp_server.messages:
        _, _, to, cc = describe(m.message)
        assert m.rcpt_tos == [to, *cc]
        assert m.message.get_body(("plain",)) is not None
        assert m.message.get_body(("html",)) is not None

    # The same pass again sends nothing.
    assert "新增提醒 0 条（无新提醒）" in smtp_cli("sweep", "--now", NOW).stdout
    assert "发送 0 条，稍后重试 0 条，失败 0 条" in smtp_cli("deliver", "--now", NOW).stdout
    assert len(smtp_server.messages) == len(rows)

    shown = smtp_cli.json("outbox")
    assert len(shown) == len(rows)
    assert {r["status"] for r in shown} == {"sent"}
    assert {r["attempts"] for r in shown} == {1}
    assert smtp_cli.json("outbox", "--failed") == []
    assert f"发件箱（{len(rows)} 条）" in smtp_cli("outbox").stdout


def test_fixed_time_demo_gives_the_same_mail_and_every_recipient_follows_the_rules(
        smtp_cli, smtp_server, tmp_path):
    load_fixed_demo(tmp_path)
    smtp_cli("sweep", "--now", NOW)
    smtp_cli("deliver", "--now", NOW)
    rows = outbox_rows(tmp_path)
    assert fixed_items_mail(m.message for m in smtp_server.messages) == expected_fixed_items()
    assert len(smtp_server.messages) == len(rows) > 19
    assert_each_row_went_to_the_right_people(rows, unit_of_items(tmp_path))
    assert {r.reminder.value for r in rows} <= set(KIND_OF_REMINDER)


def test_deliver_with_two_sender_processes_sends_each_row_once(smtp_cli, smtp_server, tmp_path):
    load_fixed_demo(tmp_path)
    smtp_cli("sweep", "--now", NOW)
    rows = outbox_rows(tmp_path)
    out = smtp_cli("deliver", "--now", NOW, "--workers", "2").stdout
    assert f"发送 {len(rows)} 条，稍后重试 0 条，失败 0 条" in out
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(
        r.message_id for r in rows)


def test_deliver_at_night_sends_no_reminders(smtp_cli, smtp_server, tmp_path):
    load_fixed_demo(tmp_path)
    smtp_cli("sweep", "--now", "2026-12-01T22:00")
    out = smtp_cli("deliver", "--now", "2026-12-01T22:00").stdout
    assert "2026-12-01 22:00 不在工作日办公时间（09:00-17:30）" in out
    assert "发送 0 条" in out
    assert smtp_server.messages == []
    rows = smtp_cli.json("outbox")
    assert rows and {r["status"] for r in rows} == {"pending"}
    assert f"发送 {len(rows)} 条" in smtp_cli("deliver", "--now", "2026-12-02T09:00").stdout


def test_weekly_digest_by_hand(smtp_cli, smtp_server, tmp_path):
    load_fixed_demo(tmp_path)
    assert "新增周报 2 份" in smtp_cli("digest", "--now", "2026-11-30T09:00").stdout
    assert "本周周报已生成或尚未到时间" in smtp_cli("digest", "--now", NOW).stdout
    assert "本周周报已生成或尚未到时间" in smtp_cli("digest", "--now", "2026-12-07T08:59").stdout
    smtp_cli("deliver", "--now", "2026-11-30T09:05")
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "duban1@example.org", "duban2@example.org"]
    assert {m.message["Subject"] for m in smtp_server.messages} == {"督办周报（截至 2026-11-30 09:00）"}
    text = smtp_server.messages[0].message.get_body(("plain",)).get_content()
    assert "全面梳理涉军信访问题和历史遗留问题，推进积案化解" in text  # ZG2024-03, overdue


def test_a_refused_contact_shows_in_outbox_failed(smtp_cli, smtp_server, tmp_path):
    load_fixed_demo(tmp_path)
    refused = CONTACT["思想政治和权益维护科"]
    smtp_server.reject_recipient(refused)
    smtp_cli("sweep", "--now", NOW)
    rows = outbox_rows(tmp_path)
    alone = [r for r in rows if r.recipient == refused and not r.cc]
    copied = [r for r in rows if refused in r.cc]
    assert len(alone) == 2 and len(copied) == 1  # 催办 for ZG2024-03 and ZG2023-03; 督办 cc
    out = smtp_cli("deliver", "--now", NOW).stdout
    assert f"发送 {len(rows) - 2} 条，稍后重试 0 条，失败 2 条" in out

    failed = smtp_cli.json("outbox", "--failed")
    assert sorted(f["id"] for f in failed) == sorted(r.id for r in alone)
    for f in failed:
        assert (f["recipient"], f["status"], f["reminder"]) == (refused, "failed", "逾期催办")
        assert "550 5.1.1 user unknown" in f["last_error"]
    [esc] = [r for r in smtp_cli.json("outbox") if r["id"] == copied[0].id]
    assert esc["status"] == "sent" and refused in esc["last_error"]
    table = smtp_cli("outbox", "--failed").stdout
    assert "发件箱（2 条）" in table and "失败" in table


def test_without_an_smtp_host_the_file_sink_writes_eml_files(cli, tmp_path):
    load_fixed_demo(tmp_path)
    cli("sweep", "--now", NOW)
    rows = outbox_rows(tmp_path)
    assert f"发送 {len(rows)} 条" in cli("deliver", "--now", NOW).stdout
    folder = home_of(tmp_path) / "outbox"
    files = sorted(folder.glob("*.eml"))
    assert len(files) == len(rows)
    messages = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                for f in files]
    assert fixed_items_mail(messages) == expected_fixed_items()
    assert sorted(m["Message-ID"] for m in messages) == sorted(r.message_id for r in rows)
    # Again: nothing new is written.
    assert "发送 0 条" in cli("deliver", "--now", NOW).stdout
    assert len(list(folder.glob("*.eml"))) == len(rows)


def test_ladder_list_shows_the_ladders(cli):
    rows = cli.json("ladder", "list")
    assert [(r["key"], r["reminder"], r["offset"], r["to"], r["cc"], r["repeat_every"])
            for r in rows if r["item_kind"] == "*"] == [
        ("due_soon_3", "临期提醒", -3, "contact", None, None),
        ("due_soon_1", "临期提醒", -1, "contact", None, None),
        ("due_today", "临期提醒", 0, "contact", None, None),
        ("overdue", "逾期催办", 1, "contact", None, 2),
        ("escalation", "督办", 3, "leader", "contact", None),
        ("circulation", "通报", 5, "bureau", None, None),
    ]
    out = cli("ladder", "list").stdout
    assert "到期前 3 天" in out and "每 2 个工作日" in out and "主要负责人和督办人员" in out
    # Every ladder in the database can be shown, whatever its audience (会议: 参会人员).
    for r in rows:
        assert r["key"] in out
    assert "开始前 60 分钟" in out and "参会人员" in out


def test_sweep_without_a_database_says_to_run_init(tmp_path):
    from typer.testing import CliRunner

    from duban.cli import app

    result = CliRunner(env={"DUBAN_HOME": str(tmp_path / "empty"), "DUBAN_DATABASE_URL": ""}).invoke(
        app, ["sweep", "--now", NOW])
    assert result.exit_code == 1
    assert "duban init" in result.stderr
