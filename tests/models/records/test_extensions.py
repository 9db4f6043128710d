"""延期: asked before the deadline, to a later one; approving moves the deadline (a new ladder)
and keeps the original for 考核; refusing changes nothing but the request."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.domain.deadlines import Deadline
from models.domain.enums import ExtensionStatus, OutboxStatus
from models.errors import InputError, NotFound, Refused
from models.records import extensions as ext
from models.records.items import cancel_item
from models.store.events import history
from models.store.next_actions import next_action_of
from models.store.tables import Extension, Item, Outbox
from tests.support.factories import make_item, make_unit, reload

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


NOW = at("2026-12-01 10:00")


@pytest.fixture
def item(session):
    make_unit(session)
    return make_item(session, deadline="2026-12-04")


def ask(session, item_id: int, to: str = "2026-12-18", **kw):
    return ext.request_extension(session, item_id, to=to, reason=kw.pop("reason", "需协调财政"),
                                 actor="刘洋", now=kw.pop("now", NOW), tz=TZ)


def test_request_then_approve_moves_the_deadline_and_keeps_the_original(session, item):
    original_due = item.due_at
    session.add(Outbox(dedupe_key="x", item_id=item.id, reminder="临期提醒", stage="due_soon_3",
                       recipient="youfu@example.org", recipient_name="刘洋", send_after=NOW,
                       message_id="<x@d>", created_at=NOW))
    request = ask(session, item.id)
    assert (request.status, request.from_date.isoformat(), request.to_date.isoformat()) == (
        ExtensionStatus.PENDING, "2026-12-04", "2026-12-18")
    assert ext.pending_extensions(session) == [request]
    ext.approve_extension(session, request.id, actor="张敏", now=at("2026-12-02 09:00"), tz=TZ)
    item = reload(session, Item, item.id)
    assert item.deadline_date.isoformat() == "2026-12-18"
    assert item.original_due_at == original_due
    assert next_action_of(session, item.id) == at("2026-12-02 09:00")  # a new ladder
    dropped = session.exec(select(Outbox)).one()
    assert dropped.status is OutboxStatus.DROPPED  # owed under the old deadline: withdrawn
    request = reload(session, Extension, request.id)
    assert (request.status, request.decided_by) == (ExtensionStatus.APPROVED, "张敏")
    assert ext.pending_extensions(session) == []
    assert [(e.action, e.actor) for e in history(session, "extension", request.id)] == [
        ("create", "刘洋"), ("status", "张敏")]
    assert [(e.action, e.actor) for e in history(session, "item", item.id)][-2:] == [
        ("extension", "刘洋"), ("update", "张敏")]
    # A second extension keeps the first deadline as the original.
    second = ask(session, item.id, "2026-12-25", now=at("2026-12-03 10:00"))
    ext.approve_extension(session, second.id, actor="张敏", now=at("2026-12-03 11:00"), tz=TZ)
    assert reload(session, Item, item.id).original_due_at == original_due


def test_reject_keeps_the_deadline_and_records_the_reason(session, item):
    request = ask(session, item.id)
    ext.reject_extension(session, request.id, reason="理由不充分", actor="张敏", now=NOW)
    item = reload(session, Item, item.id)
    assert (item.deadline_date.isoformat(), item.original_due_at) == ("2026-12-04", None)
    request = reload(session, Extension, request.id)
    assert (request.status, request.decision_note) == (ExtensionStatus.REJECTED, "理由不充分")
    with pytest.raises(Refused, match="已是“已驳回”，不能再审批"):
        ext.approve_extension(session, request.id, actor="张敏", now=NOW, tz=TZ)
    with pytest.raises(InputError, match="驳回理由"):
        ext.reject_extension(session, ask(session, item.id).id, reason="", actor="张敏", now=NOW)


def test_request_refusals(session, item):
    with pytest.raises(Refused, match="已过完成时限 2026-12-04，不能再申请延期"):
        ask(session, item.id, now=at("2026-12-05 00:00:01"))
    with pytest.raises(InputError, match="延期至 “2026-12-04”：应晚于当前完成时限 2026-12-04"):
        ask(session, item.id, "2026-12-04")
    with pytest.raises(InputError, match="延期至 “2026-13-01”"):
        ask(session, item.id, "2026-13-01")
    with pytest.raises(InputError, match="延期理由"):
        ask(session, item.id, reason=" ")
    first = ask(session, item.id)
    with pytest.raises(Refused, match=f"已有待审批的延期申请（申请 {first.id}）"):
        ask(session, item.id, "2026-12-30")
    cancel_item(session, item.id, actor="test", now=NOW)
    with pytest.raises(Refused, match=r"已撤销.*不能再延期"):
        ext.approve_extension(session, first.id, actor="张敏", now=NOW, tz=TZ)
    with pytest.raises(Refused, match="不能申请延期"):
        ask(session, item.id)
    with pytest.raises(NotFound, match="延期申请 “999” 不存在"):
        ext.approve_extension(session, 999, actor="张敏", now=NOW, tz=TZ)


def test_a_date_and_time_deadline_and_the_unit_filter(session, item):
    other = make_unit(session, "综合科", contact_email="zonghe@example.org")
    theirs = make_item(session, other, deadline="2026-12-04")
    mine = ext.request_extension(session, item.id, to=Deadline(date(2026, 12, 10), time(17, 0)),
                                 reason="等待批复", actor="刘洋", now=NOW, tz=TZ)
    ask(session, theirs.id)
    assert (mine.to_date.isoformat(), mine.to_time.isoformat()) == ("2026-12-10", "17:00:00")
    assert [e.item_id for e in ext.pending_extensions(session, unit_id=item.unit_id)] == [item.id]
