"""The year-end summary as the scheduled job: the .docx written under DUBAN_HOME/reports and
mailed, attached, to each supervisor exactly once (real SMTP server on loopback)."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from zoneinfo import ZoneInfo

from duban import jobs, migrations
from duban.cli.demo import load_demo
from duban.config import load_settings
from duban.scheduler import build_scheduler
from models.store import db
from tests.support.smtp import deliver_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOADED = datetime(2026, 12, 4, 18, 0, tzinfo=SHANGHAI)
DEC20 = datetime(2026, 12, 20, 9, 0, tzinfo=SHANGHAI)  # a Sunday: the job runs, mail waits
MONDAY = datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI)


def _bureau(tmp_path):
    settings = load_settings(home=tmp_path / "home", database_url=None)
    engine = db.make_engine(settings.resolved_database_url)
    migrations.upgrade(engine)
    with db.session_scope(engine) as session:
        load_demo(session, now=LOADED, tz=SHANGHAI)
    return settings, engine


def _attachments(server):
    found = []
    for received in server.messages:
        message = email.message_from_bytes(received.message.as_bytes(), policy=email.policy.default)
        for part in message.iter_attachments():
            found.append((message["To"], part.get_filename(), part.get_content()))
    return found


def test_scheduled_summary_mails_the_docx_once_to_each_supervisor(tmp_path, smtp_server):
    settings, engine = _bureau(tmp_path)
    lines: list[str] = []
    scheduler = build_scheduler(settings, lines.append, holder="test", clock=lambda: DEC20)
    job = scheduler.get_job("year_end_summary")
    job.func(*job.args)  # what APScheduler calls at 09:00 on 20 December
    report = tmp_path / "home" / "reports" / "2026年度工作总结.docx"
    assert report.is_file()
    mailed = report.read_bytes()  # the second run below writes the file again
    assert "待发送给督办人员 2 封" in lines[-1]
    job.func(*job.args)  # run again (a retry, a second trigger): nothing more is queued
    assert "待发送给督办人员 0 封" in lines[-1]

    config = settings.engine_config
    deliver_to(engine, smtp_server, now=MONDAY, config=config, sender=settings.smtp_from)
    got = _attachments(smtp_server)
    assert sorted(to for to, _, _ in got) == ["孙雅文 <duban2@example.org>",
                                              "钱立群 <duban1@example.org>"]
    assert {name for _, name, _ in got} == {"2026年度工作总结.docx"}
    assert all(data == mailed for _, _, data in got)
    subject = smtp_server.messages[0].message["Subject"]
    assert "2026年度工作总结（初稿）" in subject
    deliver_to(engine, smtp_server, now=MONDAY, config=config, sender=settings.smtp_from)
    assert len(smtp_server.messages) == 2


def test_the_job_by_hand_without_mail_and_with_carry_over(tmp_path):
    settings, _ = _bureau(tmp_path)
    out = tmp_path / "mine.docx"
    first = jobs.run_year_end_summary(settings, now=DEC20, year=2026, notify=False, carry=True,
                                      out=out)
    assert out.is_file() and first.mails_queued == 0 and first.carried > 0
    again = jobs.run_year_end_summary(settings, now=DEC20, year=2026, notify=False, carry=True,
                                      out=out)
    assert again.carried == 0
