"""render_email's two forms: text parts 8bit where their lines allow it, base64 otherwise, and
the same message read back from either."""

from __future__ import annotations

import email
import email.policy

import pytest

from notifications.render import MAX_LINE_OCTETS, render_email

SENDER = "区退役军人事务局督办 <duban@example.org>"


def render(context, template="overdue", **kw):
    return render_email(template, context, sender=SENDER, to=["刘洋 <youfu@example.org>"],
                        message_id="<x.1@duban.example.org>", **kw)


def with_text(tmp_path, context, text: str):
    """``overdue`` with its text part replaced by ``text`` (an administrator's template)."""
    (tmp_path / "overdue.txt.j2").write_text("{{ body }}", encoding="utf-8")
    return render({**context, "body": text}, templates_dir=tmp_path)


def encodings(data: bytes) -> list[str]:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    return [p["Content-Transfer-Encoding"] for p in parsed.walk() if not p.is_multipart()]


def read_back(data: bytes):
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert not parsed.defects and not any(p.defects for p in parsed.walk())
    return [(p.get_content_type(), p.get_content()) for p in parsed.walk() if not p.is_multipart()]


def test_both_forms_read_back_the_same(context, digest_context):
    for template, ctx in (("overdue", context), ("digest", digest_context)):
        rendered = render(ctx, template)
        assert encodings(rendered.eight_bit) == ["8bit", "8bit"]
        assert encodings(rendered.seven_bit) == ["base64", "base64"]
        assert read_back(rendered.eight_bit) == read_back(rendered.seven_bit)
        assert rendered.message["Subject"] == email.message_from_bytes(
            rendered.seven_bit, policy=email.policy.default)["Subject"]


def test_the_8_bit_form_is_smaller(context):
    rendered = render(context)
    assert len(rendered.eight_bit) < 0.8 * len(rendered.seven_bit)


def test_the_7_bit_form_is_built_only_when_asked_for(context):
    rendered = render(context)
    assert "seven_bit" not in vars(rendered)
    assert rendered.seven_bit is rendered.seven_bit


@pytest.mark.parametrize(("octets", "encoding"), [(MAX_LINE_OCTETS, "8bit"), (MAX_LINE_OCTETS + 1, "base64")])
def test_a_line_may_have_998_octets_and_no_more(tmp_path, context, octets, encoding):
    text = "办" * (octets // 3) + "x" * (octets % 3)
    rendered = with_text(tmp_path, context, f"刘洋：\n{text}\n")
    assert encodings(rendered.eight_bit) == [encoding, "8bit"]  # the HTML part is unaffected
    assert encodings(rendered.seven_bit) == ["base64", "base64"]
    assert read_back(rendered.eight_bit) == read_back(rendered.seven_bit)


@pytest.mark.parametrize("text", ["含有 NUL\x00 的正文", "--=_a0123 像是边界的一行", "a=_b"])
def test_a_nul_or_what_could_pass_for_a_boundary_is_base64(tmp_path, context, text):
    rendered = with_text(tmp_path, context, text)
    assert encodings(rendered.eight_bit) == ["base64", "8bit"]
    assert read_back(rendered.eight_bit)[0][1] == text + "\r\n"


def test_an_ascii_part_is_7bit_in_both_forms(tmp_path, context):
    rendered = with_text(tmp_path, context, "Plain ASCII only.\n.A line with a leading dot.")
    assert encodings(rendered.eight_bit) == ["7bit", "8bit"]
    assert encodings(rendered.seven_bit) == ["7bit", "base64"]
    folder = tmp_path / "ascii"  # a folder of its own: the first one's templates are cached
    folder.mkdir()
    (folder / "overdue.txt.j2").write_text("ASCII", encoding="utf-8")
    (folder / "overdue.html.j2").write_text("<p>{{ item.code }}</p>", encoding="utf-8")
    rendered = render(context, templates_dir=folder)
    assert not rendered.needs_8bitmime and rendered.eight_bit is rendered.seven_bit
    assert rendered.eight_bit.isascii() and rendered.message.get_body(("html",)).get_content() == (
        "<p>DB-2026-007</p>\r\n")


def test_a_meeting_invitation_stays_base64_beside_8bit_text(context):
    from notifications.render import Invitation

    context["meeting"] = {"start": "2026-12-07 09:00", "end": "10:00", "place": "局三楼会议室",
                          "organiser": "办公室", "agenda": None}
    ics = "BEGIN:VCALENDAR\r\nSUMMARY:周研判\r\nEND:VCALENDAR\r\n".encode()
    rendered = render(context, "meeting", invitation=Invitation("REQUEST", ics))
    assert encodings(rendered.eight_bit) == ["8bit", "8bit", "base64"]
    assert encodings(rendered.seven_bit) == ["base64", "base64", "base64"]
    assert read_back(rendered.eight_bit) == read_back(rendered.seven_bit)
    [part] = rendered.message.iter_attachments()
    assert part.get_payload(decode=True) == ics
