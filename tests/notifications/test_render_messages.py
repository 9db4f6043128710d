"""render_email: the five reminder kinds produce complete, correctly addressed messages."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models.domain.enums import ReminderKind
from notifications.render import PACKAGED_TEMPLATES, PARTS, render_email

SENDER = "区退役军人事务局督办 <duban@example.org>"
DATE = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def render(template, context, **kw):
    kw.setdefault("to", ["刘洋 <youfu@example.org>"])
    kw.setdefault("message_id", "<overdue.7.1@duban.example.org>")
    return render_email(template, context, sender=SENDER, date=DATE, **kw)


def parts(msg):
    """Both bodies, after a round trip through bytes as a mail client would read them."""
    parsed = email.message_from_bytes(msg.seven_bit, policy=email.policy.default)
    return (parsed, parsed.get_body(("plain",)).get_content(),
            parsed.get_body(("html",)).get_content())


def test_every_reminder_kind_has_its_three_templates():
    for kind in ReminderKind:
        for part in PARTS:
            assert (PACKAGED_TEMPLATES / f"{kind.name.lower()}.{part}.j2").is_file(), (kind, part)


SUBJECTS = {
    "due_soon": "关于《做好优待证办理工作》即将到期的提醒",
    "overdue": "关于《做好优待证办理工作》逾期未办结的催办通知",
    "escalation": "关于《做好优待证办理工作》逾期未办结的督办通知",
    "circulation": "逾期事项通报：《做好优待证办理工作》（优抚褒扬科，逾期 3 个工作日）",
}


@pytest.mark.parametrize("template", SUBJECTS)
def test_item_reminders_render_subject_headers_and_both_parts(template, context):
    msg, text, html = parts(render(template, context, cc=["吴立新 <wu.lixin@example.org>"]))
    assert msg["Subject"] == SUBJECTS[template]
    assert msg["From"].addresses[0].addr_spec == "duban@example.org"
    assert msg["From"].addresses[0].display_name == "区退役军人事务局督办"
    assert [a.addr_spec for a in msg["To"].addresses] == ["youfu@example.org"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["wu.lixin@example.org"]
    assert msg["Message-ID"] == "<overdue.7.1@duban.example.org>"
    assert msg["Date"].datetime == DATE
    assert msg.get_content_type() == "multipart/alternative"
    for body in (text, html):
        assert "刘洋：" in body
        assert "《做好优待证办理工作》" in body
        assert "2026-11-30" in body and "DB-2026-007" in body and "区退役军人事务局" in body
    assert "<" not in text  # the plain part is plain


def test_due_soon_tells_the_working_days_left(context):
    _, text, html = parts(render("due_soon", context))
    assert "距到期还有 2 个工作日" in text and "距到期还有 2 个工作日" in html
    context["item"]["workdays_left"] = 0
    _, text, _ = parts(render("due_soon", context))
    assert "今日到期" in text


@pytest.mark.parametrize("template", ["overdue", "escalation", "circulation"])
def test_overdue_kinds_tell_the_working_days_overdue_in_red(template, context):
    _, text, html = parts(render(template, context))
    assert "已逾期 3 个工作日" in text and "已逾期 3 个工作日" in html
    assert '<span class="badge red">逾期</span>' in html  # the red badge
    assert ".red{color:#b3261e;" in html


def test_escalation_names_the_copied_contact_and_circulation_the_leader(context):
    context["unit_contact"] = "王芳"
    _, text, _ = parts(render("escalation", context))
    assert "您分管的优抚褒扬科" in text and "单位联系人：王芳（本通知同时抄送）" in text
    _, text, _ = parts(render("circulation", context))
    assert "分管领导：吴立新" in text
    context["leader"] = None
    _, text, _ = parts(render("circulation", context))
    assert "分管领导：未设置" in text


def test_optional_item_fields_may_be_empty(context):
    context["item"].update(person=None, measure=None, detail=None, source=None, code=None)
    _, text, html = parts(render("overdue", context))
    assert "责任人：未指定" in text
    assert "工作措施" not in text and "工作措施" not in html
    assert "None" not in text and "None" not in html


def test_digest_reports_counts_units_overdue_items_and_failed_deliveries(digest_context):
    msg, text, html = parts(render("digest", digest_context))
    assert msg["Subject"] == "督办周报（截至 2026-12-01 10:00）"
    assert "正常 12 项，临期 2 项，逾期 1 项，已办结 30 项，已撤销 1 项" in text
    assert "新华街道办事处：逾期 0 项，临期 1 项，正常 8 项" in text
    assert "《做好优待证办理工作》（DB-2026-007，优抚褒扬科）" in text
    assert "nobody@example.org" in text and "550 5.1.1 user unknown" in text
    for colour in ("#b3261e", "#7a5b00", "#1e6b34"):  # red, yellow, green
        assert colour in html
    assert "新华街道办事处" in html and "550 5.1.1 user unknown" in html


def test_digest_says_so_when_nothing_is_overdue_or_failed(digest_context):
    digest_context.update(overdue=[], failed=[], units=[])
    _, text, html = parts(render("digest", digest_context))
    assert "无逾期事项。" in text and "本周期内无投递失败的通知。" in text
    assert "无逾期事项。" in html


@pytest.mark.parametrize("template", ["due_soon", "overdue", "escalation", "circulation", "digest"])
def test_html_is_self_contained(template, context, digest_context):
    _, _, html = parts(render(template, digest_context if template == "digest" else context))
    lowered = html.lower()
    for external in ("http://", "https://", "src=", "<link", "<script", "url("):
        assert external not in lowered, external


MEETING = {"start": "2026-12-07 09:00", "end": "10:00", "place": "局三楼会议室", "organiser": "办公室",
           "agenda": "研判近期督办事项"}


@pytest.mark.parametrize("template", ["due_soon", "overdue", "escalation", "circulation", "digest",
                                      "meeting", "meeting_change", "meeting_cancel"])
def test_html_is_styled_by_one_style_block_in_head_not_inline_styles(template, context, digest_context):
    ctx = digest_context if template == "digest" else {**context, "meeting": MEETING}
    _, _, html = parts(render(template, ctx))
    head, body = html.split("</head>")
    assert head.count("<style>") == 1 and "<style" not in body
    assert "style=" not in html
    assert "本邮件由督办系统自动发送" in body and 'class="footer"' in body


def test_an_administrators_folder_overrides_single_files(tmp_path, context):
    (tmp_path / "overdue.subject.j2").write_text("【催办】{{ item.title }}", encoding="utf-8")
    msg, text, _ = parts(render("overdue", context, templates_dir=tmp_path))
    assert msg["Subject"] == "【催办】做好优待证办理工作"
    assert "请接此通知后立即组织办理" in text  # the packaged text part still applies


def test_repeated_recipients_are_dropped_from_cc(context):
    msg = render("escalation", context, to=["wu.lixin@example.org"],
                 cc=["Wu.Lixin@example.org", "youfu@example.org", "youfu@example.org"])
    assert [a.addr_spec for a in msg.message["Cc"].addresses] == ["youfu@example.org"]
    assert msg.recipients == ("wu.lixin@example.org", "youfu@example.org")
