"""Delivery goes on past an administrator's template that exceeds its bounds: that template's
messages fail with the reason, every other message is sent (issue 16: nested loops in an
override hung delivery)."""

from __future__ import annotations

import pytest

from duban.db import session_scope
from models.tables import OutboxStatus
from models.units import add_person
from notifications import bounded
from tests.factories import make_unit
from tests.models.test_delivery import HEAD, NOW, SUPERVISORS, queue, rows, run_deliver


@pytest.fixture
def bureau(engine):
    """One unit, a head, two supervisors (as in test_delivery)."""
    with session_scope(engine) as session:
        make_unit(session)
        add_person(session, name="赵明远", role="主要负责人", email=HEAD, phone=None,
                   actor="test", now=NOW)
        for n, email in enumerate(SUPERVISORS, start=1):
            add_person(session, name=f"督办员{n}", role="督办人员", email=email, phone=None,
                       actor="test", now=NOW)
    return engine


TIME_BOMB = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"


def test_a_template_that_never_ends_fails_its_rows_and_the_others_go_out(bureau, smtp_server, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(bounded, "SECONDS", 1.0)
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "overdue.txt.j2").write_text(TIME_BOMB, encoding="utf-8")
    queue(bureau)
    queue(bureau, title="第二个逾期事项")  # a second 催办 row: it must not cost another second

    report = run_deliver(bureau, smtp_server, templates_dir=folder)

    assert (report.sent, report.failed, report.retried) == (8, 2, 0), [r.last_error for r in rows(bureau)]
    errors = sorted(r.last_error for r in rows(bureau, status=OutboxStatus.FAILED))
    assert errors[0] == "模板 overdue 渲染超过 1 秒，已中止"
    assert errors[1].startswith("模板 overdue 渲染超过 1 秒，已中止（此后使用该模板的提醒不再尝试")
    assert {r.reminder.value for r in rows(bureau, status=OutboxStatus.SENT)} == {"督办", "通报"}
    assert len(smtp_server.messages) == 8
