"""Delivery and hostile settings (issue 16): past an administrator's template that exceeds its
bounds, that template's messages fail with the reason and every other message is sent (nested
loops in an override hung delivery); a bad sender is refused before any row is claimed."""

from __future__ import annotations

from datetime import datetime

import pytest

from models.domain.enums import OutboxStatus
from models.engine.reminders import sweep
from models.errors import ConfigError
from models.store.db import session_scope
from notifications import bounded
from tests.support.bureau import CONFIG, SENDER, add_people, outbox
from tests.support.clock import SHANGHAI
from tests.support.factories import make_item, make_unit
from tests.support.smtp import deliver_to

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # Tuesday, office hours
TIME_BOMB = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"


@pytest.fixture
def bureau(engine):
    with session_scope(engine) as session:
        make_unit(session)
        make_unit(session, "办公室", contact_email="bgs@example.org")
        add_people(session, now=NOW)
        # Overdue since 2026-11-20: each owes 催办 (to its unit's contact), 督办 and 通报.
        make_item(session, deadline="2026-11-20")
        make_item(session, "办公室", deadline="2026-11-20", title="第二个逾期事项")
    sweep(engine, now=NOW, config=CONFIG)
    return engine


def test_a_template_that_never_ends_fails_its_rows_and_the_others_go_out(bureau, smtp_server, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(bounded, "SECONDS", 1.0)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "overdue.txt.j2").write_text(TIME_BOMB, encoding="utf-8")

    report = deliver_to(bureau, smtp_server, now=NOW, config=CONFIG, sender=SENDER, templates_dir=folder)

    urged = outbox(bureau, reminder="逾期催办")
    assert [r.status for r in urged] == [OutboxStatus.FAILED] * 2  # one letter to each contact
    errors = sorted(r.last_error for r in urged)
    assert errors[0] == "模板 overdue 渲染超过 1 秒，已中止"  # the second letter costs no second second
    assert errors[1].startswith("模板 overdue 渲染超过 1 秒，已中止（此后使用该模板的提醒不再尝试")
    others = [r for r in outbox(bureau) if r.reminder.value != "逾期催办"]
    assert {r.reminder.value for r in others} == {"督办", "通报"}
    assert {r.status for r in others} == {OutboxStatus.SENT}
    assert (report.sent, report.failed, report.retried) == (len(others), 2, 0)
    assert report.messages == len(smtp_server.messages) > 0


def test_a_bad_sender_is_refused_before_anything_is_claimed(bureau, smtp_server):
    before = [(r.id, r.status, r.attempts, r.claimed_by) for r in outbox(bureau)]

    with pytest.raises(ConfigError, match=r"发件地址 .* 无效.*请检查 DUBAN_SMTP_FROM"):
        deliver_to(bureau, smtp_server, now=NOW, config=CONFIG, sender="督办 <not-an-address>")

    assert [(r.id, r.status, r.attempts, r.claimed_by) for r in outbox(bureau)] == before
    assert smtp_server.messages == []
