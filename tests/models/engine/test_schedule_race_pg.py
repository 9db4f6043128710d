"""Re-dating or closing an item while a sweep is queueing its reminders, on PostgreSQL.

From its query until it commits, the sweep holds each item's schedule row
(``FOR UPDATE OF next_action``). ``update_item`` and ``complete_item`` set the schedule
before they withdraw pending reminders (see models.store.next_actions), so they wait for that
sweep and then withdraw what it queued under the old deadline. Withdrawing first would miss
the sweep's rows, not yet committed, and leave them to be sent: closing shows it (re-dating
changes ``deadline_date``, part of a unique key, so its item UPDATE also waits for the lock
the sweep's outbox rows take on the item through their foreign key).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from duban import migrations
from models.domain.enums import OutboxStatus
from models.engine import reminders
from models.engine.reminders import sweep
from models.records.items import complete_item, update_item
from models.store import db
from models.store.db import session_scope
from models.store.next_actions import next_action_of
from tests.support.bureau import CONFIG, add_people, outbox
from tests.support.clock import NOW, SHANGHAI
from tests.support.factories import make_item, make_unit

pytestmark = pytest.mark.postgres


def _wait_for_a_lock_wait(engine, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the writer never waited for the sweep")


def _thread(target) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run():
        try:
            outcome.append(target())
        except BaseException as exc:  # re-raised in the test's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _result(thread: threading.Thread, outcome: list):
    thread.join(60)
    assert not thread.is_alive()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


@pytest.mark.parametrize("change", ["re-date", "close"])
def test_a_change_during_a_sweep_withdraws_what_that_sweep_queued(pg_url, monkeypatch, change):
    engine = db.make_engine(pg_url)
    migrations.upgrade(engine)
    with session_scope(engine) as session:
        make_unit(session)
        add_people(session)
        item_id = make_item(session, deadline="2026-11-20").id
    # The sweep stops after queueing, before it moves the schedule and commits.
    queued, release = threading.Event(), threading.Event()
    push = reminders.set_next_actions

    def paused_push(session, pairs):
        queued.set()
        assert release.wait(30)
        push(session, pairs)

    monkeypatch.setattr(reminders, "set_next_actions", paused_push)
    sweeper = _thread(lambda: sweep(engine, now=NOW, config=CONFIG))
    assert queued.wait(30)

    moved = NOW + timedelta(minutes=5)

    def write():
        with session_scope(engine) as session:
            if change == "re-date":
                update_item(session, item_id, {"deadline": "2026-12-04"}, actor="test",
                            now=moved, tz=SHANGHAI)
            else:
                complete_item(session, item_id, at=None, actor="test", now=moved)

    writer = _thread(write)
    _wait_for_a_lock_wait(engine)
    release.set()
    report = _result(*sweeper)
    _result(*writer)

    assert report.total == 5
    reason = "完成时限已变更" if change == "re-date" else "事项已办结"
    assert {(r.status, r.last_error) for r in outbox(engine)} == {(OutboxStatus.DROPPED, reason)}
    with session_scope(engine) as session:
        assert next_action_of(session, item_id) == (moved if change == "re-date" else None)
    engine.dispose()
