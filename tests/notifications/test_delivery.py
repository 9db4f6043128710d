"""Delivery end to end against a real aiosmtpd server: claim, render, send, record.

Faults are real too: the server stopped and started again, answering 451 or 550, a broken
template in an administrator's folder, and a sender process killed between claim and send.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from duban.cli import app
from models.domain.enums import OutboxStatus
from models.engine.outbox import Outcome, claim, record
from models.engine.reminders import sweep
from models.records.units import add_person
from models.store.db import session_scope
from models.store.tables import Outbox
from notifications.delivery import LEASE
from tests.support.bureau import CONFIG
from tests.support.factories import make_item, make_unit
from tests.support.smtp import deliver_to

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
SENDER = "区退役军人事务局督办 <duban@example.org>"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # Tuesday, office hours

TITLE = "做好优待证办理工作"
CONTACT = "youfu@example.org"
LEADER = "wu.lixin@example.org"
HEAD = "juzhang@example.org"
SUPERVISORS = ("duban1@example.org", "duban2@example.org")


@pytest.fixture
def bureau(engine):
    """One unit, a head, two supervisors."""
    with session_scope(engine) as session:
        make_unit(session)
        add_person(session, name="赵明远", role="主要负责人", email=HEAD, phone=None,
                   actor="test", now=NOW)
        for n, email in enumerate(SUPERVISORS, start=1):
            add_person(session, name=f"督办员{n}", role="督办人员", email=email, phone=None,
                       actor="test", now=NOW)
    return engine


def queue(engine, deadline: str = "2026-11-20", **fields) -> int:
    """Add an item and sweep at NOW. 2026-11-20 owes 催办, 督办 and 通报 (5 rows)."""
    with session_scope(engine) as session:
        make_item(session, deadline=deadline, **fields)
    return sweep(engine, now=NOW, config=CONFIG).total


def rows(engine, **where) -> list[Outbox]:
    with session_scope(engine) as session:
        query = select(Outbox).order_by(col(Outbox.id))
        for name, value in where.items():
            query = query.where(getattr(Outbox, name) == value)
        return list(session.exec(query))


def only(engine, **where) -> Outbox:
    [row] = rows(engine, **where)
    return row


def run_deliver(engine, server, now: datetime = NOW, **kw):
    return deliver_to(engine, server, now=now, config=CONFIG, sender=SENDER, **kw)


def by_message_id(server) -> dict[str, list]:
    found: dict[str, list] = {}
    for m in server.messages:
        found.setdefault(m.message["Message-ID"], []).append(m)
    return found


def engine_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


# --- what arrives ---------------------------------------------------------------------------

def test_reminders_arrive_as_rendered_and_are_recorded(bureau, smtp_server):
    assert queue(bureau) == 5
    report = run_deliver(bureau, smtp_server)
    assert (report.office_open, report.claimed, report.sent, report.retried, report.failed) == (
        True, 5, 5, 0, 0)

    received = by_message_id(smtp_server)
    assert len(smtp_server.messages) == len(received) == 5
    subjects = {
        "逾期催办": f"关于《{TITLE}》逾期未办结的催办通知",
        "督办": f"关于《{TITLE}》逾期未办结的督办通知",
        "通报": f"逾期事项通报：《{TITLE}》（优抚褒扬科，逾期 7 个工作日）",
    }
    for row in rows(bureau):
        [got] = received[row.message_id]
        msg = got.message
        assert msg["Message-ID"] == row.message_id
        assert got.mail_from == "duban@example.org"
        assert got.rcpt_tos == [row.recipient, *row.cc]
        assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
            (row.recipient_name, row.recipient)]  # the name from the row's column
        cc = [a.addr_spec for a in msg["Cc"].addresses] if msg["Cc"] else []
        assert cc == row.cc
        assert msg["Subject"] == subjects[row.reminder.value]
        assert msg["Auto-Submitted"] == "auto-generated"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for part in (text, html):
            assert f"《{TITLE}》" in part
            assert "已逾期 7 个工作日" in part
            assert row.recipient_name in part
        assert "<html" in html.lower() or "<p" in html.lower()
        assert (row.status, row.sent_at, row.attempts, row.last_error) == (
            OutboxStatus.SENT, NOW, 1, None)

    esc = only(bureau, reminder="督办")
    assert received[esc.message_id][0].rcpt_tos == [LEADER, CONTACT]

    again = run_deliver(bureau, smtp_server)
    assert (again.claimed, again.sent) == (0, 0)
    assert len(smtp_server.messages) == 5


@pytest.mark.parametrize("batch_size", [1, 2, 4, 5])
def test_batches_claimed_ahead_send_every_row_once(bureau, smtp_server, batch_size):
    assert queue(bureau) == 5
    report = run_deliver(bureau, smtp_server, batch_size=batch_size, concurrency=2)
    assert (report.claimed, report.sent, report.retried, report.failed) == (5, 5, 0, 0)
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(
        r.message_id for r in rows(bureau))
    assert {r.status for r in rows(bureau)} == {OutboxStatus.SENT}


def test_html_part_escapes_what_users_typed(bureau, smtp_server):
    queue(bureau, deadline="2026-11-30", title="关于<script>alert(1)</script>的整改")
    run_deliver(bureau, smtp_server)
    [got] = smtp_server.messages
    html = got.message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in got.message.get_body(("plain",)).get_content()


# --- faults ---------------------------------------------------------------------------------

def test_server_down_then_back_loses_nothing_and_repeats_nothing(bureau, smtp_server):
    queue(bureau)
    smtp_server.stop()
    down = run_deliver(bureau, smtp_server)
    assert (down.claimed, down.sent, down.retried, down.failed) == (5, 0, 5, 0)
    for row in rows(bureau):
        assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.PENDING, 1, None)
        assert row.send_after == NOW + timedelta(minutes=1)
        assert row.last_error and f"{smtp_server.host}:{smtp_server.port}" in row.last_error
        assert row.claimed_until is None

    smtp_server.start()
    early = run_deliver(bureau, smtp_server, NOW + timedelta(seconds=30))  # still backing off
    assert (early.claimed, early.sent) == (0, 0)
    back = run_deliver(bureau, smtp_server, NOW + timedelta(minutes=1))
    assert (back.sent, back.retried, back.failed) == (5, 0, 0)
    assert run_deliver(bureau, smtp_server, NOW + timedelta(minutes=5)).claimed == 0

    received = by_message_id(smtp_server)
    assert sorted(received) == sorted(r.message_id for r in rows(bureau))
    assert all(len(got) == 1 for got in received.values())
    assert {(r.status, r.attempts, r.last_error) for r in rows(bureau)} == {
        (OutboxStatus.SENT, 2, None)}


def test_a_451_is_retried_then_sent_once(bureau, smtp_server):
    assert queue(bureau, deadline="2026-11-30") == 1  # one day late: a single 催办
    smtp_server.defer_data(1)
    first = run_deliver(bureau, smtp_server)
    assert (first.sent, first.retried) == (0, 1)
    row = only(bureau)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "451" in row.last_error and "稍后再试" in row.last_error
    assert row.send_after == NOW + timedelta(minutes=1)
    assert smtp_server.messages == []

    second = run_deliver(bureau, smtp_server, NOW + timedelta(minutes=1))
    assert (second.sent, second.retried) == (1, 0)
    [got] = smtp_server.messages
    row = only(bureau)
    assert got.message["Message-ID"] == row.message_id
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)


@pytest.mark.parametrize(("refused", "accepted"), [(LEADER, CONTACT), (CONTACT, LEADER)])
def test_a_refused_recipient_beside_a_good_one_still_sends(bureau, smtp_server, refused,
                                                           accepted):
    queue(bureau)
    smtp_server.reject_recipient(refused)
    run_deliver(bureau, smtp_server)
    esc = only(bureau, reminder="督办")
    assert esc.status is OutboxStatus.SENT
    assert refused in esc.last_error and "550" in esc.last_error
    assert esc.last_error.startswith("部分收件人被拒")
    [got] = by_message_id(smtp_server)[esc.message_id]
    assert got.rcpt_tos == [accepted]


def test_the_only_recipient_refused_fails_the_row_for_supervisors_to_see(bureau, smtp_server,
                                                                        tmp_path):
    queue(bureau, deadline="2026-11-30")
    smtp_server.reject_recipient(CONTACT, "550 5.1.1 <youfu@example.org>: mailbox unavailable")
    report = run_deliver(bureau, smtp_server)
    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    row = only(bureau)
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.FAILED, 1, None)
    assert "550 5.1.1 <youfu@example.org>: mailbox unavailable" in row.last_error
    assert run_deliver(bureau, smtp_server, NOW + timedelta(hours=2)).claimed == 0
    assert smtp_server.messages == []

    result = CliRunner().invoke(app, ["outbox", "--failed", "--json"], env={
        "DUBAN_DATABASE_URL": engine_url(bureau), "DUBAN_HOME": str(tmp_path / "home")})
    assert result.exit_code == 0, result.output
    [shown] = json.loads(result.stdout)
    assert (shown["id"], shown["status"], shown["recipient"], shown["reminder"]) == (
        row.id, "failed", CONTACT, "逾期催办")
    assert shown["last_error"] == row.last_error


@pytest.mark.parametrize(("source", "error"), [
    ("{{ item.no_such_field }}", "模板 overdue.txt.j2 渲染失败"),
    ("{% if %}", "模板 overdue.txt.j2 有语法错误"),
])
def test_a_broken_template_fails_its_rows_and_the_others_go_out(bureau, smtp_server, tmp_path,
                                                                source, error):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "overdue.txt.j2").write_text(source, encoding="utf-8")
    queue(bureau)
    report = run_deliver(bureau, smtp_server, templates_dir=folder)
    assert (report.sent, report.failed, report.retried) == (4, 1, 0)
    failed = only(bureau, status=OutboxStatus.FAILED)
    assert failed.reminder.value == "逾期催办"
    assert failed.last_error.startswith(error)
    sent = rows(bureau, status=OutboxStatus.SENT)
    assert {r.reminder.value for r in sent} == {"督办", "通报"}
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(
        r.message_id for r in sent)


# --- crashes and leases ---------------------------------------------------------------------

CLAIM_AND_DIE = """
import os, signal, sys
from datetime import datetime, timedelta
from models.store.db import make_engine
from models.engine.outbox import claim
rows = claim(make_engine(sys.argv[1]), worker="doomed", now=datetime.fromisoformat(sys.argv[2]),
             lease=timedelta(seconds=int(sys.argv[3])), limit=100)
print(len(rows), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_sender_killed_between_claim_and_send_is_reclaimed_and_sent_once(bureau, smtp_server):
    queue(bureau)
    done = subprocess.run(
        [sys.executable, "-c", CLAIM_AND_DIE, engine_url(bureau), NOW.isoformat(),
         str(int(LEASE.total_seconds()))],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    assert done.stdout.strip() == "5"
    assert {(r.status, r.claimed_by, r.attempts) for r in rows(bureau)} == {
        (OutboxStatus.SENDING, "doomed", 1)}

    # While the dead sender's lease lasts, nobody takes its rows.
    assert run_deliver(bureau, smtp_server, NOW + LEASE).claimed == 0
    assert smtp_server.messages == []

    report = run_deliver(bureau, smtp_server, NOW + LEASE + timedelta(seconds=1))
    assert (report.claimed, report.sent) == (5, 5)
    assert run_deliver(bureau, smtp_server, NOW + LEASE + timedelta(minutes=5)).claimed == 0
    received = by_message_id(smtp_server)
    assert Counter({mid: len(got) for mid, got in received.items()}) == Counter(
        {r.message_id: 1 for r in rows(bureau)})
    assert {(r.status, r.attempts) for r in rows(bureau)} == {(OutboxStatus.SENT, 2)}


def test_rows_held_by_a_live_sender_are_not_taken(bureau, smtp_server):
    queue(bureau)
    held = claim(bureau, worker="alive", now=NOW, lease=LEASE, limit=100)
    assert len(held) == 5
    for minutes in (1, 5, 10):
        assert run_deliver(bureau, smtp_server, NOW + timedelta(minutes=minutes)).claimed == 0
    assert smtp_server.messages == []
    # The live sender finishes and records; the rows never go out a second time.
    record(bureau, worker="alive", now=NOW + timedelta(minutes=2),
           outcomes=[Outcome(c.id, sent=True) for c in held])
    assert run_deliver(bureau, smtp_server, NOW + timedelta(minutes=30)).claimed == 0
    assert {(r.status, r.claimed_by) for r in rows(bureau)} == {(OutboxStatus.SENT, "alive")}


def test_delivery_outside_office_hours_claims_nothing(bureau, smtp_server):
    queue(bureau)
    for now in ("2026-12-01 08:59", "2026-12-01 17:30", "2026-12-05 10:00", "2026-10-01 10:00"):
        local = datetime.fromisoformat(now).replace(tzinfo=SHANGHAI)
        report = run_deliver(bureau, smtp_server, local)
        assert (report.office_open, report.claimed) == (False, 0), now
    assert {r.status for r in rows(bureau)} == {OutboxStatus.PENDING}
    assert smtp_server.messages == []
