"""In December the weekly digest tells supervisors when next year's holidays are not loaded."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from models.domain.calendar import DayOverride, WorkCalendar, next_year_notice
from models.engine.config import EngineConfig
from models.engine.digest import queue_digest
from models.records.units import add_person
from models.store.calendar_store import save_overrides
from models.store.db import session_scope
from models.store.tables import Outbox
from tests.support.factories import T0, make_unit
from tests.support.smtp import deliver_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIG = EngineConfig(tz=SHANGHAI, office_start=time(9, 0), office_end=time(17, 30),
                      bureau="区退役军人事务局", mail_domain="duban.example.org")
MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def bureau(engine):
    with session_scope(engine) as session:
        make_unit(session)
        add_person(session, name="钱立群", role="督办人员", email="duban1@example.org",
                   phone=None, actor="test", now=T0)
    return engine


def digest_context(engine) -> dict:
    with session_scope(engine) as session:
        [row] = session.exec(select(Outbox).order_by(col(Outbox.id).desc()).limit(1))
        return row.context


def test_a_december_digest_warns_and_the_mail_says_it(bureau, smtp_server):
    assert queue_digest(bureau, now=MONDAY, config=CONFIG) == 1
    assert digest_context(bureau)["calendar_notice"].startswith("2027年的法定节假日安排尚未载入系统")
    deliver_to(bureau, smtp_server, now=MONDAY, config=CONFIG, sender="duban@example.org")
    [got] = smtp_server.messages
    text = got.message.get_body(("plain",)).get_content()
    html = got.message.get_body(("html",)).get_content()
    assert "【提示】2027年的法定节假日安排尚未载入系统" in text
    assert "duban calendar load" in html


def test_once_loaded_the_next_digest_says_nothing(bureau):
    with session_scope(bureau) as session:
        save_overrides(session, [DayOverride(date(2027, 1, 1), False, "元旦")], actor="test",
                       now=MONDAY)
    assert queue_digest(bureau, now=MONDAY, config=CONFIG) == 1
    assert digest_context(bureau)["calendar_notice"] is None


@pytest.mark.parametrize(("today", "said"), [
    (date(2026, 11, 30), False), (date(2026, 12, 1), True), (date(2026, 12, 31), True),
    (date(2025, 12, 1), False),  # 2026 is in the package
])
def test_next_year_notice(today, said):
    calendar = WorkCalendar(on_uncovered_year=lambda year: None)
    assert (next_year_notice(today, calendar) is not None) is said
