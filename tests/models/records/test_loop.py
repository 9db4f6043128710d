"""The 督办 closed loop on items: 签收, 反馈 with files, 提交 that waits for 审核, 销号 or 退回,
领导批示 and 手动催办. Refusals name the state in Chinese and write nothing; every step is an event
with its actor."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.domain.enums import ItemStatus, OutboxStatus, ReminderKind, Verdict
from models.domain.loop import LoopRules
from models.errors import InputError, NotFound, Refused
from models.records import loop
from models.records.items import cancel_item, update_item
from models.records.submissions import StoredFile, submissions_of, submit
from models.store.events import history
from models.store.next_actions import next_action_of
from models.store.tables import Item, Outbox, ProgressFile
from tests.support.factories import make_item, make_unit, reload

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


NOW = at("2026-12-01 10:00")  # a Tuesday
FILE = StoredFile("进展.pdf", 10, "ab" * 32, "ab/" + "ab" * 32)


@pytest.fixture
def unit(session):
    return make_unit(session)


def actions(session, item_id: int) -> list[tuple[str, str]]:
    session.flush()
    return [(e.action, e.actor) for e in history(session, "item", item_id)]


def hand_in(session, item_id: int, when: datetime = NOW, **kw):
    return submit(session, item_id, at=when, by="刘洋", note="已整改", files=[], actor="刘洋",
                  now=kw.pop("now", NOW), **kw)


# -- 签收 ---------------------------------------------------------------------------------------

def test_ack_records_who_and_when_and_refuses_twice(session, unit):
    item = make_item(session, unit, acked=False)
    loop.ack(session, item.id, actor="刘洋", now=NOW)
    item = reload(session, Item, item.id)
    assert (item.acked_at, item.acked_by) == (NOW, "刘洋")
    assert actions(session, item.id)[-1] == ("ack", "刘洋")
    with pytest.raises(Refused, match="已由刘洋签收，不能重复签收"):
        loop.ack(session, item.id, actor="刘洋", now=NOW)


def test_ack_of_a_closed_or_missing_item_is_refused(session, unit):
    item = make_item(session, unit, acked=False)
    cancel_item(session, item.id, actor="test", now=NOW)
    with pytest.raises(Refused, match=r"已撤销.*不能签收"):
        loop.ack(session, item.id, actor="刘洋", now=NOW)
    assert reload(session, Item, item.id).acked_at is None
    with pytest.raises(NotFound, match="事项 “999” 不存在"):
        loop.ack(session, 999, actor="刘洋", now=NOW)


# -- 反馈 ---------------------------------------------------------------------------------------

def test_progress_keeps_its_files_and_is_refused_on_a_closed_item(session, unit):
    item = make_item(session, unit)
    entry = loop.add_progress(session, item.id, "已完成初审", actor="刘洋", now=NOW, files=[FILE])
    files = loop.progress_files(session, [entry.id])[entry.id]
    assert [(f.filename, f.sha256) for f in files] == [("进展.pdf", "ab" * 32)]
    assert actions(session, item.id)[-2:] == [("progress", "刘洋"), ("progress_file", "刘洋")]
    cancel_item(session, item.id, actor="test", now=NOW)
    with pytest.raises(Refused, match="不能填报进展"):
        loop.add_progress(session, item.id, "又一条", actor="刘洋", now=NOW, files=[FILE])
    assert len(session.exec(select(ProgressFile)).all()) == 1


# -- 提交 and 审核 -------------------------------------------------------------------------------

def test_a_rectification_item_waits_for_review_and_is_not_chased(session, unit):
    item = make_item(session, unit, acked=False, deadline="2026-12-04")
    hand_in(session, item.id)
    item = reload(session, Item, item.id)
    assert item.status is ItemStatus.SUBMITTED and item.completed_at is None
    assert (item.acked_at, item.acked_by) == (NOW, "刘洋")  # handing in is receipt enough
    assert next_action_of(session, item.id) is None
    assert ("status", "刘洋") in actions(session, item.id)
    with pytest.raises(Refused, match="已提交，正等待审核"):
        hand_in(session, item.id)


def test_a_submission_node_is_done_on_submit_as_before(session, unit):
    item = make_item(session, unit, kind="报送节点", deadline="2026-11-30")
    hand_in(session, item.id)
    item = reload(session, Item, item.id)
    assert (item.status, item.completed_at) == (ItemStatus.DONE, NOW)


def test_review_is_a_setting(session, unit):
    item = make_item(session, unit, kind="整改事项")
    hand_in(session, item.id, rules=LoopRules(review_kinds=frozenset()))
    assert reload(session, Item, item.id).status is ItemStatus.DONE


def test_accept_closes_at_the_submission_time_on_time_by_the_deadline_in_force(session, unit):
    early = make_item(session, unit, deadline="2026-12-04")
    late = make_item(session, unit, deadline="2026-11-27")
    hand_in(session, early.id, at("2026-11-30 16:00"))
    hand_in(session, late.id, at("2026-11-30 16:00"))
    for item_id in (early.id, late.id):
        loop.accept(session, item_id, actor="督查室张敏", now=NOW)
    early, late = reload(session, Item, early.id), reload(session, Item, late.id)
    assert (early.status, early.completed_at) == (ItemStatus.DONE, at("2026-11-30 16:00"))
    assert early.completed_at <= early.due_at and late.completed_at > late.due_at
    (sub, _), = submissions_of(session, early.id)
    assert (sub.verdict, sub.reviewed_by, sub.reviewed_at) == (Verdict.ACCEPTED, "督查室张敏", NOW)
    assert ("review", "督查室张敏") in actions(session, early.id)


def test_accept_and_return_need_an_item_waiting_for_review(session, unit):
    item = make_item(session, unit)
    with pytest.raises(Refused, match="不是“已提交”，不能审核通过"):
        loop.accept(session, item.id, actor="张敏", now=NOW)
    with pytest.raises(Refused, match="不是“已提交”，不能退回"):
        loop.return_item(session, item.id, reason="材料不全", actor="张敏", now=NOW)
    hand_in(session, item.id)
    with pytest.raises(InputError, match="退回理由"):
        loop.return_item(session, item.id, reason="  ", actor="张敏", now=NOW)
    assert reload(session, Item, item.id).status is ItemStatus.SUBMITTED


def test_return_reopens_with_the_reason_and_the_ladder_resumes(session, unit):
    item = make_item(session, unit, deadline="2026-11-27")
    hand_in(session, item.id, at("2026-11-30 16:00"))
    later = at("2026-12-02 10:00")
    loop.return_item(session, item.id, reason="缺少佐证材料", actor="张敏", now=later)
    item = reload(session, Item, item.id)
    assert item.status is ItemStatus.IN_PROGRESS and item.completed_at is None
    assert next_action_of(session, item.id) == later
    (sub, _), = submissions_of(session, item.id)
    assert (sub.verdict, sub.review_note) == (Verdict.RETURNED, "缺少佐证材料")
    event = history(session, "item", item.id)[-1]
    assert (event.actor, event.after) == ("张敏", {"status": "进行中", "reason": "缺少佐证材料"})
    # Resubmitted later, then accepted: late, counted from the same deadline.
    hand_in(session, item.id, at("2026-12-03 09:00"), now=at("2026-12-03 09:00"))
    loop.accept(session, item.id, actor="张敏", now=at("2026-12-03 10:00"))
    item = reload(session, Item, item.id)
    assert item.completed_at == at("2026-12-03 09:00") > item.due_at


def test_a_status_set_by_hand_to_submitted_and_back_reschedules(session, unit):
    item = make_item(session, unit)
    update_item(session, item.id, {"status": "已提交"}, actor="test", now=NOW, tz=TZ)
    assert next_action_of(session, item.id) == NOW  # the sweep then drops it
    update_item(session, item.id, {"status": "进行中"}, actor="test", now=at("2026-12-02 10:00"),
                tz=TZ)
    assert next_action_of(session, item.id) == at("2026-12-02 10:00")


# -- 批示 ---------------------------------------------------------------------------------------

def test_instructions_newest_first_with_their_author(session, unit):
    item = make_item(session, unit)
    loop.instruct(session, item.id, "请抓紧办理", actor="赵明远", now=NOW)
    loop.instruct(session, item.id, "本周内办结", actor="赵明远", now=at("2026-12-02 09:00"))
    assert [(i.text, i.author) for i in loop.instructions_of(session, item.id)] == [
        ("本周内办结", "赵明远"), ("请抓紧办理", "赵明远")]
    assert actions(session, item.id)[-1] == ("instruct", "赵明远")
    with pytest.raises(InputError, match="批示内容"):
        loop.instruct(session, item.id, "", actor="赵明远", now=NOW)


# -- 手动催办 ------------------------------------------------------------------------------------

def test_urge_queues_one_message_per_item_and_recipient_once(session, unit):
    a = make_item(session, unit, title="甲")
    b = make_item(session, unit, title="乙")
    assert loop.urge_now(session, [a.id, b.id, a.id], actor="张敏", now=NOW) == 2
    assert loop.urge_now(session, [a.id], actor="张敏", now=NOW) == 0  # the same urge again
    rows = session.exec(select(Outbox).order_by(Outbox.id)).all()
    assert [(r.item_id, r.reminder, r.recipient, r.status, r.send_after, r.any_hour)
            for r in rows] == [
        (a.id, ReminderKind.URGE, "youfu@example.org", OutboxStatus.PENDING, NOW, False),
        (b.id, ReminderKind.URGE, "youfu@example.org", OutboxStatus.PENDING, NOW, False)]
    assert rows[0].context == {"urged_by": "张敏"}
    assert actions(session, a.id)[-1] == ("urge", "张敏")


def test_urge_to_chosen_recipients(session, unit):
    item = make_item(session, unit)
    n = loop.urge_now(session, [item.id], actor="张敏", now=NOW,
                      recipients=["wu.lixin@example.org", "other@example.org"])
    rows = session.exec(select(Outbox).order_by(Outbox.id)).all()
    assert n == 2 and [(r.recipient, r.recipient_name) for r in rows] == [
        ("wu.lixin@example.org", "吴立新"), ("other@example.org", "other")]


def test_urge_refusals_write_nothing(session, unit):
    item = make_item(session, unit)
    closed = make_item(session, unit)
    cancel_item(session, closed.id, actor="test", now=NOW)
    with pytest.raises(InputError, match="收件人 “not-an-email”"):
        loop.urge_now(session, [item.id], actor="张敏", now=NOW, recipients=["not-an-email"])
    with pytest.raises(Refused, match=r"已撤销.*不能催办"):
        loop.urge_now(session, [item.id, closed.id], actor="张敏", now=NOW)
    hand_in(session, item.id)
    with pytest.raises(Refused, match="等待审核，不能催办"):
        loop.urge_now(session, [item.id], actor="张敏", now=NOW)
    with pytest.raises(InputError, match="至少选择一个事项"):
        loop.urge_now(session, [], actor="张敏", now=NOW)
    session.flush()
    assert session.exec(select(Outbox)).all() == []
