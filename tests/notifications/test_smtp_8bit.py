"""SmtpTransport picks a message's form by the server's EHLO reply: the 8-bit form with
BODY=8BITMIME where 8BITMIME is announced, the 7-bit form elsewhere (real aiosmtpd servers)."""

from __future__ import annotations

import asyncio
import email.message

import pytest

from notifications.render import render_email
from notifications.transport import SmtpTransport

SENDER = "区退役军人事务局督办 <duban@example.org>"


def make(context, n: int = 1, template: str = "overdue"):
    return render_email(template, context, sender=SENDER, to=["刘洋 <youfu@example.org>"],
                        message_id=f"<{template}.7.{n}@duban.example.org>")


def send(server, *messages):
    async def scenario():
        transport = SmtpTransport(host=server.host, port=server.port, security="none")
        try:
            for message in messages:
                await transport.send(message)
        finally:
            await transport.close()
    asyncio.run(scenario())


def params(received) -> list[str]:
    """MAIL FROM parameters other than SIZE (which aiosmtplib adds for any server announcing it)."""
    return [p for p in received.mail_options if not p.startswith("SIZE=")]


def encodings(received) -> list[str]:
    return [p["Content-Transfer-Encoding"] for p in received.message.walk() if not p.is_multipart()]


def readable(received) -> tuple[str, str, str]:
    parsed = received.message
    return (parsed["Subject"], parsed.get_body(("plain",)).get_content(),
            parsed.get_body(("html",)).get_content())


def test_a_server_with_8bitmime_gets_8bit_parts_and_body_8bitmime(smtp_servers, context):
    server = smtp_servers()
    messages = [make(context, n) for n in range(3)]
    send(server, *messages)
    assert "8BITMIME" in server.ehlo_replies[0] and len(server.ehlo_replies) == 1  # one EHLO, one connection
    for got, sent in zip(server.messages, messages, strict=True):
        assert params(got) == ["BODY=8BITMIME"]
        assert got.raw == sent.eight_bit
        assert encodings(got) == ["8bit", "8bit"]
        assert "已逾期 3 个工作日".encode() in got.raw


def test_a_server_without_8bitmime_gets_base64_and_no_body_parameter(smtp_servers, context):
    server = smtp_servers(eight_bit=False)  # also refuses BODY=8BITMIME and 8-bit octets
    message = make(context)
    send(server, message)
    assert "8BITMIME" not in server.ehlo_replies[0]
    [got] = server.messages
    assert params(got) == []
    assert got.raw == message.seven_bit and got.raw.isascii()
    assert encodings(got) == ["base64", "base64"]


def test_a_server_that_refuses_ehlo_is_greeted_with_helo_and_gets_base64(smtp_servers, context):
    server = smtp_servers(esmtp=False)
    message = make(context)
    send(server, message)
    [got] = server.messages
    assert server.ehlo_replies == [] and params(got) == []
    assert got.raw == message.seven_bit


def test_the_chinese_text_reads_back_identically_from_both_servers(smtp_servers, context):
    context["item"]["detail"] = "逐户核对优待证申领材料\n.以点开头的一行（SMTP 要给它加点）\n..\n."
    context["recipient_name"] = "刘洋（优抚褒扬科）"
    eight, seven = smtp_servers(), smtp_servers(eight_bit=False)
    for template in ("due_soon", "overdue", "escalation", "circulation"):
        message = make(context, template=template)
        send(eight, message)
        send(seven, message)
    for a, b in zip(eight.messages, seven.messages, strict=True):
        assert encodings(a) == ["8bit", "8bit"] and encodings(b) == ["base64", "base64"]
        assert readable(a) == readable(b)
        assert ".以点开头的一行（SMTP 要给它加点）\r\n..\r\n.\r\n" in readable(a)[1]  # dot-stuffing undone
        assert not a.message.defects and not any(p.defects for p in a.message.walk())


def test_a_part_with_a_line_over_998_octets_falls_back_to_base64(smtp_servers, context, tmp_path):
    # 400 Chinese characters are 1,200 octets on one line: too long for SMTP (aiosmtpd refuses a
    # line over 1,001 octets with 500), so only that part is base64; the HTML part stays 8bit.
    (tmp_path / "overdue.txt.j2").write_text("{{ recipient_name }}：" + "很长的一行" * 80, encoding="utf-8")
    message = render_email("overdue", context, sender=SENDER, to=["youfu@example.org"],
                           message_id="<long.1@duban.example.org>", templates_dir=tmp_path)
    server = smtp_servers()
    send(server, message)
    [got] = server.messages
    assert params(got) == ["BODY=8BITMIME"]
    assert encodings(got) == ["base64", "8bit"]
    assert got.message.get_body(("plain",)).get_content() == "刘洋：" + "很长的一行" * 80 + "\r\n"


def test_when_every_part_is_too_long_the_message_is_7_bit_throughout(smtp_servers, context):
    context["item"]["detail"] = "逐户核对优待证申领材料" * 40  # long in the text and the HTML part
    message = make(context)
    assert not message.needs_8bitmime and message.eight_bit is message.seven_bit
    server = smtp_servers()
    send(server, message)
    [got] = server.messages
    assert params(got) == [] and got.raw.isascii()
    assert context["item"]["detail"] in got.message.get_body(("html",)).get_content()


@pytest.mark.parametrize("eight_bit", [True, False])
def test_a_hand_built_chinese_message_suits_the_server_too(smtp_servers, eight_bit):
    message = email.message.EmailMessage()
    message["From"], message["To"] = "duban@example.org", "youfu@example.org"
    message["Subject"], message["Message-ID"] = "测试", "<hand.1@duban.example.org>"
    message.set_content("督办事项已办结。\n")  # set_content makes this 8bit
    server = smtp_servers(eight_bit=eight_bit)
    send(server, message)
    [got] = server.messages
    assert params(got) == (["BODY=8BITMIME"] if eight_bit else [])
    assert encodings(got) == (["8bit"] if eight_bit else ["base64"])
    assert got.message.get_content().replace("\r\n", "\n") == "督办事项已办结。\n"
