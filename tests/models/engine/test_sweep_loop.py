"""The ladder knows the loop (issue 14 §2): nothing chases an item 已提交 (waiting for 审核), a
return resumes it, an unacknowledged item is reminded to 签收 once, and 督办 / 通报 say what was
really sent before (and quote the latest 领导批示)."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models.domain.enums import OutboxStatus, ReminderKind
from models.engine import reminders
from models.engine.reminders import sweep
from models.records import loop
from models.records.items import update_item
from models.records.submissions import submit
from models.store.db import session_scope
from models.store.next_actions import next_action_of, set_next_action
from models.store.tables import Item, Outbox
from tests.models.engine.test_sweep import CONFIG, CONTACT, SENDER, SHANGHAI, at, bureau, outbox
from tests.support.factories import make_item
from tests.support.smtp import deliver_to

__all__ = ["bureau"]  # the fixture, shared with test_sweep


def new_item(engine, *, acked: bool = True, now=None, **fields) -> int:
    with session_scope(engine) as session:
        return make_item(session, now=now or at("2026-11-02 09:00"), acked=acked, **fields).id


def hand_in(engine, item_id: int, when) -> None:
    with session_scope(engine) as session:
        submit(session, item_id, at=when, by="刘洋", note="已整改", files=[], actor="刘洋", now=when)


def texts(server) -> list[str]:
    return [m.message.get_body(("plain",)).get_content() for m in server.messages]


def test_a_submitted_item_is_not_chased_and_its_queued_reminders_are_withdrawn(bureau):
    item_id = new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=at("2026-11-23 10:00"), config=CONFIG)
    assert [r.stage for r in outbox(bureau, item_id=item_id)] == ["overdue#0"]
    hand_in(bureau, item_id, at("2026-11-23 11:00"))
    assert {r.status for r in outbox(bureau, item_id=item_id)} == {OutboxStatus.DROPPED}
    for day in ("2026-11-25 10:00", "2026-11-27 10:00", "2026-12-01 10:00"):
        sweep(bureau, now=at(day), config=CONFIG)
    assert len(outbox(bureau, item_id=item_id)) == 1


@pytest.mark.parametrize("path", ["sql", "python"])
def test_the_sweep_skips_a_submitted_item_even_when_it_is_due_a_look(bureau, path, monkeypatch):
    """On both paths: the SQL fan-out, and Python's (models.engine.reminders._rows_for_item)."""
    if path == "python":
        monkeypatch.setattr(reminders, "_plain", lambda item: False)
    ids = [new_item(bureau, deadline="2026-11-20"), new_item(bureau, deadline="2026-11-20")]
    with session_scope(bureau) as session:
        for item_id in ids:
            update_item(session, item_id, {"status": "已提交"}, actor="test",
                        now=at("2026-11-30 10:00"), tz=SHANGHAI)
            set_next_action(session, item_id, at("2026-11-30 10:00"))
    report = sweep(bureau, now=at("2026-12-01 10:00"), config=CONFIG)
    assert report.items == 2 and report.total == 0
    with session_scope(bureau) as session:
        assert [next_action_of(session, i) for i in ids] == [None, None]


def test_a_returned_item_is_chased_again_from_the_same_deadline(bureau):
    item_id = new_item(bureau, deadline="2026-11-20")
    hand_in(bureau, item_id, at("2026-11-20 16:00"))  # on time, then returned late
    assert sweep(bureau, now=at("2026-11-27 10:00"), config=CONFIG).total == 0
    with session_scope(bureau) as session:
        loop.return_item(session, item_id, reason="材料不全", actor="张敏", now=at("2026-11-30 10:00"))
    report = sweep(bureau, now=at("2026-11-30 10:00"), config=CONFIG)
    # Overdue by the same deadline: the catch-up owes the latest 催办, the 督办 and the 通报.
    assert {r.stage for r in outbox(bureau, item_id=item_id)} == {
        "overdue#2", "escalation", "circulation"}
    assert report.total == len(outbox(bureau, item_id=item_id))


def test_an_item_not_acknowledged_in_a_working_day_reminds_its_contact_once(bureau):
    monday = at("2026-11-30 10:00")
    unacked = new_item(bureau, acked=False, now=monday, deadline="2026-12-31")
    acked = new_item(bureau, now=monday, deadline="2026-12-31")
    node = new_item(bureau, acked=False, now=monday, kind="报送节点", deadline="2026-12-31")
    sweep(bureau, now=monday, config=CONFIG)
    assert outbox(bureau) == []
    with session_scope(bureau) as session:
        # 签收 is due by the end of Tuesday: reminded at Wednesday's office start.
        assert next_action_of(session, unacked) == at("2026-12-02 09:00")
    assert sweep(bureau, now=at("2026-12-01 17:00"), config=CONFIG).total == 0
    report = sweep(bureau, now=at("2026-12-02 09:00"), config=CONFIG)
    rows = outbox(bureau)
    assert [(r.item_id, r.reminder, r.recipient, r.send_after) for r in rows] == [
        (unacked, ReminderKind.ACK, CONTACT, at("2026-12-02 09:00"))]
    assert report.queued == {"签收提醒": 1}
    with session_scope(bureau) as session:
        set_next_action(session, unacked, at("2026-12-03 10:00"))
    assert sweep(bureau, now=at("2026-12-03 10:00"), config=CONFIG).total == 0  # once
    assert acked and node  # neither owes a 签收


def test_an_acknowledged_item_is_not_reminded(bureau):
    item_id = new_item(bureau, acked=False, now=at("2026-11-30 10:00"), deadline="2026-12-31")
    with session_scope(bureau) as session:
        loop.ack(session, item_id, actor="刘洋", now=at("2026-12-01 09:30"))
    sweep(bureau, now=at("2026-12-02 09:00"), config=CONFIG)
    assert outbox(bureau) == []


def test_the_ack_reminder_is_sent(bureau, smtp_server):
    new_item(bureau, acked=False, now=at("2026-11-30 10:00"), deadline="2026-12-31",
             title="落实走访机制")
    sweep(bureau, now=at("2026-12-02 09:00"), config=CONFIG)
    report = deliver_to(bureau, smtp_server, now=at("2026-12-02 09:00"), config=CONFIG,
                        sender=SENDER)
    assert (report.sent, report.failed) == (1, 0)
    [message] = smtp_server.messages
    assert message.message["Subject"] == "请签收督办事项《落实走访机制》"
    assert "至今尚未签收" in texts(smtp_server)[0]


def test_escalation_and_circulation_say_what_was_really_sent_before(bureau, smtp_server):
    item_id = new_item(bureau, deadline="2026-11-20", title="做好优待证办理工作")
    for day in ("2026-11-23 10:00", "2026-11-25 10:00", "2026-11-27 10:00"):
        sweep(bureau, now=at(day), config=CONFIG)
        deliver_to(bureau, smtp_server, now=at(day), config=CONFIG, sender=SENDER)
    by_subject = {m.message["Subject"]: text for m, text in zip(smtp_server.messages,
                                                                  texts(smtp_server), strict=True)}
    [escalation] = [t for s, t in by_subject.items() if "督办通知" in s]
    assert "已于11月23日催办，仍未办结" in escalation
    [circulation] = [t for s, t in by_subject.items() if s.startswith("逾期事项通报")]
    assert "已于11月23日、11月25日催办，11月25日督办，仍未办结" in circulation
    assert "经催办" not in escalation + circulation
    assert item_id


def test_a_first_circulation_claims_no_earlier_chasing(bureau, smtp_server):
    new_item(bureau, deadline="2026-11-20")
    sweep(bureau, now=at("2026-11-27 10:00"), config=CONFIG)  # catch-up: all stages at once
    deliver_to(bureau, smtp_server, now=at("2026-11-27 10:00"), config=CONFIG, sender=SENDER)
    said = dict(zip((m.message["Subject"] for m in smtp_server.messages), texts(smtp_server),
                    strict=True))
    [circulation] = [t for s, t in said.items() if s.startswith("逾期事项通报")]
    assert "个工作日，仍未办结" in circulation and "已于" not in circulation
    assert "经催办" not in circulation


def test_the_latest_instruction_is_quoted_in_the_next_reminder(bureau, smtp_server):
    item_id = new_item(bureau, deadline="2026-11-20")
    with session_scope(bureau) as session:
        loop.instruct(session, item_id, "请分管领导亲自督办", actor="赵明远",
                      now=at("2026-11-20 15:00"))
        loop.instruct(session, item_id, "本周内务必办结", actor="赵明远",
                      now=at("2026-11-21 11:00"))
    sweep(bureau, now=at("2026-11-23 10:00"), config=CONFIG)
    deliver_to(bureau, smtp_server, now=at("2026-11-23 10:00"), config=CONFIG, sender=SENDER)
    [text] = texts(smtp_server)
    assert "领导批示：本周内务必办结（赵明远，11月21日）" in text
    assert "请分管领导亲自督办" not in text
    html = smtp_server.messages[0].message.get_body(("html",)).get_content()
    assert "<th>领导批示</th><td>本周内务必办结（赵明远，11月21日）</td>" in html
    # Quoted once: the 督办 three working days later no longer repeats it…
    sweep(bureau, now=at("2026-11-25 10:00"), config=CONFIG)
    deliver_to(bureau, smtp_server, now=at("2026-11-25 10:00"), config=CONFIG, sender=SENDER)
    later = texts(smtp_server)[1:]
    assert later and all("领导批示" not in t for t in later)
    # …until a new 批示 is written: the next reminder quotes that one.
    with session_scope(bureau) as session:
        loop.instruct(session, item_id, "明日上午报结果", actor="赵明远", now=at("2026-11-25 16:00"))
    sweep(bureau, now=at("2026-11-27 10:00"), config=CONFIG)
    deliver_to(bureau, smtp_server, now=at("2026-11-27 10:00"), config=CONFIG, sender=SENDER)
    latest = texts(smtp_server)[1 + len(later):]
    assert latest and all("领导批示：明日上午报结果（赵明远，11月25日）" in t for t in latest)


def test_a_manual_urge_goes_out_in_office_hours_once(bureau, smtp_server):
    item_id = new_item(bureau, deadline="2026-12-31", title="推进积案化解")
    evening = at("2026-12-01 19:00")
    with session_scope(bureau) as session:
        assert loop.urge_now(session, [item_id], actor="督办员1", now=evening,
                             domain=CONFIG.mail_domain) == 1
    assert deliver_to(bureau, smtp_server, now=evening, config=CONFIG, sender=SENDER).sent == 0
    morning = at("2026-12-02 09:00")
    assert deliver_to(bureau, smtp_server, now=morning, config=CONFIG, sender=SENDER).sent == 1
    assert deliver_to(bureau, smtp_server, now=morning, config=CONFIG, sender=SENDER).sent == 0
    [message] = smtp_server.messages
    assert message.message["Subject"] == "关于《推进积案化解》的催办通知"
    assert "催办人：督办员1" in texts(smtp_server)[0]
    with session_scope(bureau) as session:
        [row] = session.exec(select(Outbox).order_by(col(Outbox.id))).all()
        assert row.status is OutboxStatus.SENT and session.get(Item, item_id).status.value == "未开始"
