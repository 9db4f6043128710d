"""One mail per person per pass, against a real aiosmtpd server: a recipient's reminders of one
kind go out as one list, each row still recorded on its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import col, select

from models.domain.enums import OutboxStatus, ReminderKind
from models.engine.outbox import Claimed, message_id_for
from models.engine.reminders import sweep
from models.store.db import session_scope
from models.store.tables import Outbox
from notifications.letters import letters
from tests.support.bureau import CONFIG, HEAD, LEADER, SENDER, SUPERVISORS, add_people
from tests.support.clock import NOW
from tests.support.factories import make_item, make_unit
from tests.support.smtp import deliver_to

WEB = replace(CONFIG, web_url="https://duban.example.org")
OTHER_CONTACT = "jiedao01@example.org"


def bureau_with_items(engine) -> dict[str, int]:
    """Two units under one leader; three overdue items for 优抚褒扬科, one for the street office,
    one due in three days. Returns item ids by title."""
    ids = {}
    with session_scope(engine) as session:
        make_unit(session)
        make_unit(session, "示例一街道办事处", "街道办事处", contact_name="孙浩",
                  contact_email=OTHER_CONTACT)
        add_people(session, now=NOW)
        for title, deadline in (("优待证办理", "2026-11-20"), ("资金发放", "2026-11-19"),
                                ("走访慰问", "2026-11-18")):
            ids[title] = make_item(session, title=title, deadline=deadline).id
        ids["服务站整改"] = make_item(session, "示例一街道办事处", title="服务站整改",
                                   deadline="2026-11-20").id
        ids["宣讲计划"] = make_item(session, title="宣讲计划", deadline="2026-12-04").id
    return ids


def sent_to(server, address: str) -> list:
    return [m for m in server.messages if address in m.rcpt_tos and
            m.message["To"].addresses[0].addr_spec == address]


def test_each_recipient_gets_one_list_per_kind_built_from_its_rows(engine, smtp_server):
    ids = bureau_with_items(engine)
    queued = sweep(engine, now=NOW, config=WEB).total
    report = deliver_to(engine, smtp_server, now=NOW, config=WEB, sender=SENDER)
    assert (report.claimed, report.sent, report.failed) == (queued, queued, 0)
    with session_scope(engine) as session:
        rows = list(session.exec(select(Outbox).order_by(col(Outbox.id))))
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert report.messages == len(smtp_server.messages)

    # No one gets two mails of one kind in the pass.
    seen = [(m.message["To"].addresses[0].addr_spec, m.message["Subject"].split("（")[0])
            for m in smtp_server.messages]
    assert len(seen) == len(set(seen))

    # 优抚褒扬科's contact: one 催办 list of its three overdue items, most overdue first, with
    # days and links; and its 临期提醒 for 宣讲计划 alone, as an ordinary mail.
    contact = sent_to(smtp_server, "youfu@example.org")
    subjects = sorted(m.message["Subject"] for m in contact)
    assert subjects == ["关于《宣讲计划》即将到期的提醒", "逾期未办结事项催办通知（3 项）"]
    [urging] = [m for m in contact if "催办通知（3 项）" in m.message["Subject"]]
    text = urging.message.get_body(("plain",)).get_content()
    assert text.index("《走访慰问》") < text.index("《资金发放》") < text.index("《优待证办理》")
    assert "已逾期 9 个工作日" in text and "已逾期 7 个工作日" in text
    for title in ("走访慰问", "资金发放", "优待证办理"):
        assert f"https://duban.example.org/items/{ids[title]}" in text
    html = urging.message.get_body(("html",)).get_content()
    assert f'href="https://duban.example.org/items/{ids["走访慰问"]}"' in html
    [soon] = [m for m in contact if "宣讲计划" in m.message["Subject"]]
    assert f"https://duban.example.org/items/{ids['宣讲计划']}" in soon.message.get_body(
        ("plain",)).get_content()

    # The leader's 督办 lists both units' items, cc both contacts, and says so.
    [escalation] = sent_to(smtp_server, LEADER)
    assert escalation.message["Subject"] == "逾期未办结事项督办通知（4 项）"
    assert sorted(escalation.rcpt_tos) == sorted([LEADER, "youfu@example.org", OTHER_CONTACT])
    assert sorted(a.addr_spec for a in escalation.message["Cc"].addresses) == sorted(
        ["youfu@example.org", OTHER_CONTACT])
    text = escalation.message.get_body(("plain",)).get_content()
    assert "优抚褒扬科、示例一街道办事处" in text or "示例一街道办事处、优抚褒扬科" in text
    assert "刘洋（优抚褒扬科）" in text and "孙浩（示例一街道办事处）" in text

    # The head and each supervisor: one 通报 of the four overdue items.
    for person in (HEAD, *SUPERVISORS):
        [notice] = sent_to(smtp_server, person)
        assert notice.message["Subject"] == "逾期事项通报（4 项）"

    # Every row of one letter was recorded with it: one Message-ID shared by its rows' mail.
    listed = [r for r in rows if r.recipient == LEADER]
    assert len(listed) == 4 and len({r.sent_at for r in listed}) == 1
    again = deliver_to(engine, smtp_server, now=NOW, config=WEB, sender=SENDER)
    assert (again.claimed, again.messages) == (0, 0)


def test_a_deferred_list_puts_each_of_its_rows_back_and_a_retry_sends_it_once(engine, smtp_server):
    bureau_with_items(engine)
    queued = sweep(engine, now=NOW, config=CONFIG).total
    smtp_server.defer_data(50)  # every message of the pass: 451
    first = deliver_to(engine, smtp_server, now=NOW, config=CONFIG, sender=SENDER)
    assert (first.messages, first.sent, first.retried) == (0, 0, queued)
    with session_scope(engine) as session:
        waiting = list(session.exec(select(Outbox).where(Outbox.recipient == LEADER)))
    assert len(waiting) == 4 and {r.status for r in waiting} == {OutboxStatus.PENDING}
    assert all("451" in (r.last_error or "") for r in waiting)

    smtp_server.defer_data(0)
    with smtp_server._lock:
        smtp_server._data_replies.clear()
    later = datetime(2026, 12, 1, 10, 5, tzinfo=NOW.tzinfo)
    retry = deliver_to(engine, smtp_server, now=later, config=CONFIG, sender=SENDER)
    assert (retry.sent, retry.retried) == (queued, 0)
    assert retry.messages == len(smtp_server.messages) == 7
    assert len(sent_to(smtp_server, LEADER)) == 1


def claimed(n: int, recipient: str = "a@example.org", reminder: str = "逾期催办") -> Claimed:
    return Claimed(n, n, ReminderKind(reminder), "overdue#0", recipient, "刘洋", [], {},
                   message_id_for(f"k{n}", "example.org"), 1)


def test_letters_group_by_recipient_and_kind_and_split_long_lists():
    rows = [claimed(n) for n in range(1, 251)]
    rows += [claimed(300), claimed(301, reminder="督办"),
             claimed(302, reminder="会议提醒"), claimed(303, reminder="会议提醒")]
    found = letters(rows, max_items=100)
    assert [len(letter.rows) for letter in found] == [100, 100, 51, 1, 1, 1]
    assert [r.id for r in found[2].rows][-1] == 300
    ids = [r.id for letter in found for r in letter.rows]
    assert sorted(ids) == sorted(r.id for r in rows)  # every row in exactly one letter
    # A list's Message-ID is stable for the same rows and differs for others; a letter of one
    # keeps its row's.
    assert letters(rows, max_items=100)[0].message_id == found[0].message_id
    assert found[0].message_id != found[1].message_id and found[0].message_id.endswith(
        "@example.org>")
    assert found[3].message_id == rows[-3].message_id


def test_a_list_says_what_was_sent_before_and_quotes_a_leaders_instruction(engine, smtp_server):
    """The loop's words reach lists too: a 督办 list says which 催办 went out for each item, and
    an item's latest 批示 is quoted under it."""
    from models.records import loop

    ids = bureau_with_items(engine)
    earlier = datetime(2026, 11, 24, 10, 0, tzinfo=NOW.tzinfo)  # 催办 only: nothing at 3 days yet
    sweep(engine, now=earlier, config=CONFIG)
    deliver_to(engine, smtp_server, now=earlier, config=CONFIG, sender=SENDER)
    with session_scope(engine) as session:
        loop.instruct(session, ids["优待证办理"], "请本周内办结", actor="赵明远", now=NOW)
    smtp_server.messages.clear()
    sweep(engine, now=NOW, config=CONFIG)
    deliver_to(engine, smtp_server, now=NOW, config=CONFIG, sender=SENDER)
    [letter] = [m for m in sent_to(smtp_server, LEADER) if "督办" in m.message["Subject"]]
    text = letter.message.get_body(("plain",)).get_content()
    assert "已于11月24日催办" in text
    assert "领导批示：请本周内办结" in text
    html = letter.message.get_body(("html",)).get_content()
    assert "已于11月24日催办" in html and "请本周内办结" in html


def test_every_message_is_dated_the_instant_of_its_delivery(engine, smtp_server):
    """A replay (`duban deliver --now …`) dates its mails as their text does, not by the wall
    clock: lists and single mails alike."""
    from email.utils import parsedate_to_datetime

    bureau_with_items(engine)
    sweep(engine, now=NOW, config=CONFIG)
    deliver_to(engine, smtp_server, now=NOW, config=CONFIG, sender=SENDER)
    assert smtp_server.messages
    assert {parsedate_to_datetime(m.message["Date"]) for m in smtp_server.messages} == {NOW}
