"""The demo bureau over two December weeks, as its people would receive it: every working day's
passes (sweep, then deliver) to a real aiosmtpd server. No person gets more than one mail per
stage (临期提醒, 逾期催办, 督办, 通报, 周报; per meeting for meeting notices) in one pass."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlmodel import select

from duban.cli.demo import load_demo
from models.domain.enums import OutboxStatus
from models.engine.digest import queue_digest
from models.engine.reminders import sweep
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.tables import Outbox
from tests.support.bureau import CONFIG, SENDER
from tests.support.clock import SHANGHAI as TZ
from tests.support.smtp import deliver_to

STAGES = {"即将到期": "临期提醒", "催办": "逾期催办", "督办通知": "督办", "通报": "通报", "周报": "周报"}


def stage_of(subject: str) -> str:
    for words, stage in STAGES.items():
        if words in subject:
            return stage
    return subject  # a meeting notice: one per meeting (its title and time are in the subject)


def test_two_december_weeks_of_the_demo_send_one_mail_per_person_per_stage_per_pass(
        engine, smtp_server):
    with session_scope(engine) as session:
        load_demo(session, now=datetime(2026, 11, 30, 18, 0, tzinfo=TZ), tz=TZ)
        calendar = calendar_from_db(session)
    per_pass: Counter = Counter()
    listed = 0
    day = date(2026, 12, 1)
    while day <= date(2026, 12, 11):
        if calendar.is_workday(day):
            for hour in range(9, 18):
                now = datetime.combine(day, time(hour, 0), tzinfo=TZ)
                sweep(engine, now=now, config=CONFIG)
                queue_digest(engine, now=now, config=CONFIG)
                before = len(smtp_server.messages)
                report = deliver_to(engine, smtp_server, now=now, config=CONFIG, sender=SENDER)
                assert report.failed == 0
                for received in smtp_server.messages[before:]:
                    subject = received.message["Subject"]
                    to = received.message["To"].addresses[0].addr_spec
                    per_pass[(now, to, stage_of(subject))] += 1
                    listed += "项）" in subject
        day += timedelta(days=1)
    repeated = {key: n for key, n in per_pass.items() if n > 1}
    assert repeated == {}
    assert listed > 0  # the lead leader's 督办 and the 通报 go out as lists
    with session_scope(engine) as session:
        statuses = Counter(r.status for r in session.exec(select(Outbox)))
    assert statuses[OutboxStatus.SENT] > len(smtp_server.messages)  # lists carry several rows
    assert statuses[OutboxStatus.PENDING] == statuses[OutboxStatus.SENDING] == 0
