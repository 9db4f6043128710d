"""The bytes render_email writes: envelope, folding, encoding and line lengths, read back by the
standard library's parser as a mail client would."""

from __future__ import annotations

import email
import email.policy
from email.headerregistry import Address

import pytest

from models.errors import TransportError
from notifications.addresses import named, parse_address
from notifications.render import MAX_SUBJECT_CHARS, render_email

SENDER = "区退役军人事务局督办 <duban@example.org>"


def render(context, template="overdue", **kw):
    kw.setdefault("to", ["youfu@example.org"])
    kw.setdefault("message_id", "<x.1@duban.example.org>")
    return render_email(template, context, sender=SENDER, **kw)


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") and data.count(b"\r") == data.count(b"\r\n")
    return data[:-2].split(b"\r\n")


def head(data: bytes) -> list[bytes]:
    return lines(data.split(b"\r\n\r\n", 1)[0] + b"\r\n")


def test_the_envelope_is_the_sender_and_every_recipient_once(context):
    rendered = render(context, template="escalation", to=["刘洋 <youfu@example.org>"],
                      cc=["吴立新 <wu.lixin@example.org>", "YouFu@example.org", "wu.lixin@example.org"])
    assert rendered.sender == "duban@example.org"
    assert rendered.recipients == ("youfu@example.org", "wu.lixin@example.org")
    assert rendered.message_id == "<x.1@duban.example.org>"


def test_the_seven_bit_form_has_short_crlf_lines(context, digest_context):
    for template, ctx in (("overdue", context), ("digest", digest_context)):
        data = render(ctx, template=template, to=["刘洋 <youfu@example.org>"]).seven_bit
        assert data.isascii()  # every part base64, every header word encoded
        assert max(len(line) for line in lines(data)) <= 78
        assert not any(line.startswith(b".") for line in lines(data))  # nothing to dot-stuff


def test_the_eight_bit_form_has_crlf_lines_and_the_same_7_bit_headers(context, digest_context):
    for template, ctx in (("overdue", context), ("digest", digest_context)):
        rendered = render(ctx, template=template, to=["刘洋 <youfu@example.org>"])
        data = rendered.eight_bit
        assert rendered.needs_8bitmime and not data.isascii()
        assert max(len(line) for line in lines(data)) <= 998
        assert head(data) == head(rendered.seven_bit) and all(line.isascii() for line in head(data))
        assert "做好优待证办理工作".encode() in data  # the text itself, unencoded


def test_a_long_chinese_subject_is_folded_into_encoded_words(context):
    context["item"]["title"] = "关于进一步做好退役军人优待证申领发放和权益保障工作的通知" * 3
    rendered = render(context)
    subject = [line for line in head(rendered.seven_bit) if line.startswith(b"Subject:")]
    folded = head(rendered.seven_bit)[head(rendered.seven_bit).index(subject[0]):]
    assert len(folded) > 3 and folded[1].startswith(b" =?utf-8?b?")
    assert all(len(line) <= 78 for line in folded)
    # The packaged subject shortens the title itself and keeps its own ending.
    assert rendered.message["Subject"] == f"关于《{context['item']['title'][:39]}…》逾期未办结的催办通知"
    assert len(rendered.message["Subject"]) <= MAX_SUBJECT_CHARS


@pytest.mark.parametrize("subject_title", ["Plain ASCII title", "=?utf-8?b?5YiY?= looks encoded",
                                           "A" * 150, "混合 mixed 文字, with \"quotes\""])
def test_any_subject_reads_back_exactly(context, tmp_path, subject_title):
    (tmp_path / "overdue.subject.j2").write_text("{{ item.title }}", encoding="utf-8")
    context["item"]["title"] = subject_title
    rendered = render(context, templates_dir=tmp_path)
    assert rendered.message["Subject"] == subject_title
    assert max(len(line) for line in head(rendered.seven_bit)) <= 78


@pytest.mark.parametrize("name", [
    "刘洋", "Liu, Yang", 'Liu "Sunny" Yang', "O'Brien (HQ)", "Back\\slash", "刘洋（优抚科）, 科长",
    "很长的名字" * 12, "A" * 90, "=?utf-8?b?5YiY?=",
])
def test_display_names_read_back_exactly_and_stay_in_their_header(context, name):
    rendered = render(context, to=[named(parse_address("youfu@example.org"), name)])
    [to] = rendered.message["To"].addresses
    shown = to.display_name
    if len(name.encode()) > 39:
        # Folded into several encoded words: RFC 2047 (6.2) says the space between them is not
        # shown, mail clients agree, but the standard library's address parser keeps it.
        shown = shown.replace(" ", "")
    assert (shown, to.addr_spec) == (name, "youfu@example.org")
    assert rendered.recipients == ("youfu@example.org",)
    assert max(len(line) for line in head(rendered.seven_bit)) <= 78


@pytest.mark.parametrize("name", ["刘洋\r\nBcc: spy@evil.example", "刘洋\nBcc: spy@evil.example",
                                  "Liu\r\nBcc: spy@evil.example", "Liu\x00\x1b\u2028Bcc: spy@evil.example"])
def test_a_name_from_the_outbox_row_cannot_add_a_header(context, name):
    rendered = render(context, to=[named(parse_address("youfu@example.org"), name)])
    parsed = email.message_from_bytes(rendered.seven_bit, policy=email.policy.default)
    assert "Bcc" not in parsed
    assert b"\nBcc:" not in rendered.seven_bit
    [to] = parsed["To"].addresses
    assert to.addr_spec == "youfu@example.org" and to.display_name == ""  # it names an address
    assert rendered.recipients == ("youfu@example.org",)


def test_a_name_already_in_the_address_is_kept():
    assert named(parse_address("刘洋 <youfu@example.org>"), "别名").display_name == "刘洋"
    assert named(parse_address("youfu@example.org"), "").display_name == ""


def test_a_hand_made_address_value_is_accepted_as_parsed(context):
    rendered = render(context, to=[Address("王芳", "wang.fang", "example.org")])
    assert rendered.message["To"].addresses[0].display_name == "王芳"


def test_a_chinese_domain_travels_as_idna_and_a_chinese_mailbox_name_is_refused(context):
    rendered = render(context, to=["刘洋 <youfu@例子.中国>"])
    assert rendered.recipients == ("youfu@xn--fsqu00a.xn--fiqs8s",)
    assert rendered.seven_bit.isascii()
    with pytest.raises(TransportError) as err:
        render(context, to=["刘洋@example.org"])
    assert err.value.permanent


@pytest.mark.parametrize(("form", "encoding"), [("eight_bit", "8bit"), ("seven_bit", "base64")])
def test_multipart_structure_and_parts_decode(context, form, encoding):
    parsed = email.message_from_bytes(getattr(render(context), form), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    for part in parsed.iter_parts():
        assert part["Content-Transfer-Encoding"] == encoding
        assert part.get_content_charset() == "utf-8"
    assert not parsed.defects and not any(p.defects for p in parsed.walk())
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["MIME-Version"] == "1.0"


def test_the_message_view_is_parsed_once(context):
    rendered = render(context)
    assert rendered.message is rendered.message


def test_an_address_value_is_checked_like_a_string(context):
    with pytest.raises(TransportError) as err:
        render(context, to=[Address("刘洋", "刘洋", "example.org")])
    assert err.value.permanent
