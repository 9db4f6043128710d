"""A deadline on a day off: the "on the day" reminder goes out on the last working day before,
and says which day it is (issue 14: "办理时限为 2026-10-05，今日到期" on 30 September)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from models.engine.config import EngineConfig
from models.engine.reminders import sweep
from models.store.db import session_scope
from models.store.tables import Outbox
from tests.support.factories import make_item, make_unit
from tests.support.smtp import deliver_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIG = EngineConfig(tz=SHANGHAI, office_start=time(9, 0), office_end=time(17, 30),
                      bureau="区退役军人事务局", mail_domain="duban.example.org")
ADDED = datetime(2026, 9, 21, 9, 0, tzinfo=SHANGHAI)
EVE = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the last working day before 国庆


def test_the_on_the_day_reminder_names_the_holiday_on_the_last_working_day(engine, smtp_server):
    with session_scope(engine) as session:
        make_unit(session, now=ADDED)
        make_item(session, now=ADDED, deadline="2026-10-05", title="国庆期间走访慰问")
    sweep(engine, now=EVE, config=CONFIG)
    with session_scope(engine) as session:
        rows = list(session.exec(select(Outbox).order_by(col(Outbox.id))))
    assert [(r.stage, r.send_after.astimezone(SHANGHAI)) for r in rows] == [
        ("due_today", datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI))]

    deliver_to(engine, smtp_server, now=EVE, config=CONFIG, sender="duban@example.org")
    [got] = smtp_server.messages
    text = got.message.get_body(("plain",)).get_content()
    html = got.message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "办理时限为 2026-10-05（国庆假期）" in part
        assert "10月5日（国庆假期）到期，今天是到期前最后一个工作日" in part
        assert "今日到期" not in part


def test_an_ordinary_deadline_is_still_due_today(engine, smtp_server):
    with session_scope(engine) as session:
        make_unit(session, now=ADDED)
        make_item(session, now=ADDED, deadline="2026-09-30")
    sweep(engine, now=EVE, config=CONFIG)
    deliver_to(engine, smtp_server, now=EVE, config=CONFIG, sender="duban@example.org")
    [got] = smtp_server.messages
    text = got.message.get_body(("plain",)).get_content()
    assert "办理时限为 2026-09-30，今日到期" in text
