"""What a reminder says about its item is read at delivery, from the item as it is then.

The sweep stores no copy of the item; delivery claims the rows and reads their items in one
transaction (``notifications.delivery.claim_messages``), so day counts, the date in the mail and the
item's fields are those of the delivery, and a row whose item is gone fails on its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, event
from sqlmodel import col

from models.domain.enums import OutboxStatus
from models.engine.mail_context import RECOUNTING
from models.engine.reminders import sweep
from models.records.items import update_item
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.tables import Item
from notifications.delivery import LEASE, claim_messages
from tests.models.engine.test_sweep import CONFIG, SENDER, SHANGHAI, add_people, at, outbox
from tests.support.factories import make_item, make_unit
from tests.support.smtp import deliver_to

MONDAY = at("2026-11-30 10:00")
WEDNESDAY = at("2026-12-02 10:00")


@pytest.fixture
def bureau(engine):
    with session_scope(engine) as session:
        make_unit(session)
        make_unit(session, "示例三街道办事处", "街道办事处", contact_name="朱军",
                  contact_email="jiedao03@example.org", leader_name=None, leader_email=None)
        add_people(session)
    return engine


def new_item(engine, unit: str = "优抚褒扬科", **fields) -> int:
    with session_scope(engine) as session:
        return make_item(session, unit, now=at("2026-11-02 09:00"), **fields).id


def texts(server) -> list[str]:
    return [m.message.get_body(("plain",)).get_content() for m in server.messages]


def delete_behind_the_outboxs_back(engine, item_id: int) -> None:
    """Remove an item its outbox rows still name. The foreign key forbids it, so it is
    switched off for this one statement: the defence under test is for what the schema did
    not guard (a restore, a hand edit)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(delete(Item).where(col(Item.id) == item_id))
        return
    raw = engine.raw_connection()  # autocommit (see models.store.db): PRAGMA works only outside BEGIN
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DELETE FROM item WHERE id = ?", (item_id,))
        raw.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()


def test_day_counts_and_the_date_in_the_mail_are_as_of_delivery(bureau, smtp_server):
    new_item(bureau, title="周一入队周三发送", deadline="2026-11-20")
    assert sweep(bureau, now=MONDAY, config=CONFIG).total > 0
    swept = outbox(bureau)
    assert swept and all(r.context == {} for r in swept)

    report = deliver_to(bureau, smtp_server, now=WEDNESDAY, config=CONFIG, sender=SENDER)
    assert report.sent == len(swept) and report.failed == 0
    urges = [t for t in texts(smtp_server) if "仍未办结" in t]
    assert urges
    for text in urges:
        # Working days after Fri 11-20 up to today: 8 on Wednesday, 6 when it was swept.
        assert "已逾期 8 个工作日" in text and "已逾期 6 个工作日" not in text, text
        assert "截至 2026-12-02 10:00" in text
        assert "2026-11-30" not in text


def test_the_mail_quotes_the_item_as_edited_after_the_sweep(bureau, smtp_server):
    item_id = new_item(bureau, title="原标题", deadline="2026-11-20")
    sweep(bureau, now=MONDAY, config=CONFIG)
    with session_scope(bureau) as session:
        update_item(session, item_id, {"title": "改后的标题", "person": "张三"}, actor="test",
                    now=MONDAY + timedelta(minutes=5), tz=SHANGHAI)
    deliver_to(bureau, smtp_server, now=MONDAY + timedelta(minutes=10), config=CONFIG,
               sender=SENDER)
    assert smtp_server.messages
    for message, text in zip((m.message for m in smtp_server.messages), texts(smtp_server),
                             strict=True):
        assert "改后的标题" in message["Subject"] and "原标题" not in message["Subject"]
        assert "改后的标题" in text and "张三" in text


def test_a_row_whose_item_is_gone_fails_and_the_rest_of_the_batch_goes_out(bureau, smtp_server):
    gone = new_item(bureau, title="将被删除", deadline="2026-11-20")
    kept = new_item(bureau, "示例三街道办事处", title="照常发送", deadline="2026-11-20")
    sweep(bureau, now=MONDAY, config=CONFIG)
    doomed, others = outbox(bureau, item_id=gone), outbox(bureau, item_id=kept)
    assert doomed and others
    delete_behind_the_outboxs_back(bureau, gone)

    report = deliver_to(bureau, smtp_server, now=WEDNESDAY, config=CONFIG, sender=SENDER)
    assert (report.claimed, report.sent, report.failed, report.retried) == (
        len(doomed) + len(others), len(others), len(doomed), 0)
    assert {(r.status, r.last_error, r.failed_at, r.attempts)
            for r in outbox(bureau, item_id=gone)} == {
        (OutboxStatus.FAILED, f"事项 {gone} 已不存在", WEDNESDAY, 1)}
    assert {r.status for r in outbox(bureau, item_id=kept)} == {OutboxStatus.SENT}
    assert len(smtp_server.messages) == len(others)
    assert all("将被删除" not in m.message["Subject"] for m in smtp_server.messages)


def test_a_batch_is_claimed_and_its_items_read_in_one_transaction_and_two_statements(bureau):
    for n in range(3):
        new_item(bureau, title=f"事项{n}", deadline="2026-11-20")
    new_item(bureau, "示例三街道办事处", title="另一单位", deadline="2026-11-25")
    queued = sweep(bureau, now=MONDAY, config=CONFIG).total
    with session_scope(bureau) as session:
        calendar = calendar_from_db(session)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(bureau, "before_cursor_execute", seen)
    try:
        rows, missing = claim_messages(bureau, worker="w", now=WEDNESDAY, lease=LEASE,
                                       limit=100, config=CONFIG, calendar=calendar)
    finally:
        event.remove(bureau, "before_cursor_execute", seen)
    assert (len(rows), missing) == (queued, [])
    # The claim (an UPDATE, in a CTE on PostgreSQL), one SELECT of items and units (their
    # latest 批示 joined in) and, as the batch holds 督办 and 通报, one of what was sent before.
    assert any(r.reminder in RECOUNTING for r in rows)
    assert [s for s in statements if s not in ("BEGIN",)] == [
        "WITH" if bureau.dialect.name == "postgresql" else "UPDATE", "SELECT", "SELECT"]
    titles = {r.item_id: r.context["item"]["title"] for r in rows}
    assert sorted(titles.values()) == ["事项0", "事项1", "事项2", "另一单位"]
    for r in rows:
        assert r.context["recipient_name"] == r.recipient_name
        assert r.context["now"] == "2026-12-02 10:00"
        assert r.context["bureau"] == CONFIG.bureau
    other = next(r for r in rows if r.context["item"]["title"] == "另一单位")
    assert (other.context["item"]["unit"], other.context["leader"]) == ("示例三街道办事处", None)
    assert other.context["item"]["days_overdue"] == 5  # 11-26 … 12-02 (4 when swept)


def test_a_meeting_row_keeps_its_invitation_and_reads_the_rest_live(bureau):
    meeting = new_item(bureau, kind="会议", title="调度会", deadline="2026-12-02 15:00")
    sweep(bureau, now=WEDNESDAY, config=CONFIG)  # the day-before reminder, late
    stored = outbox(bureau, item_id=meeting)
    assert stored and all(set(r.context) == {"meeting", "ics"} for r in stored)
    with session_scope(bureau) as session:
        calendar = calendar_from_db(session)
    rows, _ = claim_messages(bureau, worker="w", now=WEDNESDAY, lease=LEASE, limit=100,
                             config=CONFIG, calendar=calendar)
    assert len(rows) == len(stored)
    for r in rows:
        assert r.context["meeting"] == stored[0].context["meeting"]
        assert r.context["ics"]["summary"] == "调度会"
        assert r.context["item"]["title"] == "调度会"

