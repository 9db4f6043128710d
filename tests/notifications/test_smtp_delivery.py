"""SmtpTransport against a real aiosmtpd server: what arrives, and how connections are reused."""

from __future__ import annotations

import asyncio
import email
import email.policy

import pytest

from notifications.render import render_email
from notifications.transport import SendResult, SmtpTransport

SENDER = "区退役军人事务局督办 <duban@example.org>"


@pytest.fixture
def make_message(context):
    def make(n: int = 1, *, to=("刘洋 <youfu@example.org>",), cc=(), template="overdue"):
        return render_email(template, context, sender=SENDER, to=list(to), cc=list(cc),
                            message_id=f"<{template}.7.{n}@duban.example.org>")
    return make


def transport_for(server, **kw) -> SmtpTransport:
    return SmtpTransport(host=server.host, port=server.port, security="none", **kw)


def run(coro):
    return asyncio.run(coro)


def test_a_chinese_message_arrives_intact(smtp_server, make_message):
    message = make_message(cc=["吴立新 <wu.lixin@example.org>"])

    async def scenario():
        transport = transport_for(smtp_server)
        try:
            return await transport.send(message)
        finally:
            await transport.close()

    assert run(scenario()) == SendResult(refused={})
    [got] = smtp_server.messages
    assert got.mail_from == "duban@example.org"
    assert got.rcpt_tos == ["youfu@example.org", "wu.lixin@example.org"]
    parsed = email.message_from_bytes(got.raw, policy=email.policy.default)
    assert parsed["Subject"] == "关于《做好优待证办理工作》逾期未办结的催办通知"
    assert parsed["Message-ID"] == "<overdue.7.1@duban.example.org>"
    assert parsed["To"].addresses[0].display_name == "刘洋"
    assert "已逾期 3 个工作日" in parsed.get_body(("plain",)).get_content()
    assert "已逾期 3 个工作日" in parsed.get_body(("html",)).get_content()
    assert parsed.get_body(("html",)).get_content_charset() == "utf-8"


def test_sequential_messages_share_one_connection(smtp_server, make_message):
    async def scenario():
        transport = transport_for(smtp_server)
        for n in range(6):
            await transport.send(make_message(n))
        await transport.close()

    run(scenario())
    assert len(smtp_server.messages) == 6
    assert smtp_server.connections == 1


def test_concurrent_messages_use_at_most_pool_size_connections(smtp_server, make_message):
    async def scenario():
        transport = transport_for(smtp_server, pool_size=3)
        await asyncio.gather(*(transport.send(make_message(n)) for n in range(12)))
        await asyncio.gather(*(transport.send(make_message(n)) for n in range(12, 24)))
        await transport.close()

    run(scenario())
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(
        f"<overdue.7.{n}@duban.example.org>" for n in range(24))
    assert 1 <= smtp_server.connections <= 3


def test_a_refused_recipient_beside_a_good_one_is_reported_not_raised(smtp_server, make_message):
    smtp_server.reject_recipient("gone@example.org")

    async def scenario():
        transport = transport_for(smtp_server)
        result = await transport.send(make_message(to=["youfu@example.org", "gone@example.org"]))
        await transport.close()
        return result

    result = run(scenario())
    assert result.refused == {"gone@example.org": "550 5.1.1 user unknown"}
    [got] = smtp_server.messages
    assert got.rcpt_tos == ["youfu@example.org"]


def test_a_recipient_in_both_to_and_cc_gets_one_copy(smtp_server, make_message, context):
    message = make_message().message
    del message["Cc"]
    message["Cc"] = "youfu@example.org"  # as a hand-built message might have it

    async def scenario():
        transport = transport_for(smtp_server)
        await transport.send(message)
        await transport.close()

    run(scenario())
    assert smtp_server.messages[0].rcpt_tos == ["youfu@example.org"]


def test_a_pooled_connection_idle_too_long_is_probed_and_replaced_when_dead(smtp_server, make_message):
    now = [0.0]

    async def scenario():
        transport = transport_for(smtp_server, clock=lambda: now[0])
        await transport.send(make_message(1))
        smtp_server.stop()   # drops the pooled connection
        smtp_server.start()  # same port, fresh count
        now[0] += 5          # idle past probe_after: NOOP finds it dead
        await transport.send(make_message(2))
        await transport.close()

    run(scenario())
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2  # one before the restart, one after


def test_a_healthy_connection_idle_past_max_idle_is_replaced(smtp_server, make_message):
    now = [0.0]

    async def scenario():
        transport = transport_for(smtp_server, clock=lambda: now[0], max_idle=60)
        await transport.send(make_message(1))
        now[0] += 0.5
        await transport.send(make_message(2))  # reused
        now[0] += 61
        await transport.send(make_message(3))  # replaced
        await transport.close()

    run(scenario())
    assert len(smtp_server.messages) == 3
    assert smtp_server.connections == 2


def test_a_transport_can_serve_one_event_loop_after_another(smtp_server, make_message):
    transport = transport_for(smtp_server, pool_size=1)

    async def batch(first: int):
        await asyncio.gather(*(transport.send(make_message(n)) for n in range(first, first + 3)))
        await transport.close()

    run(batch(0))
    run(batch(3))  # a pool (and its semaphore) bound to the first loop would fail here
    assert len(smtp_server.messages) == 6
    assert smtp_server.connections == 2


def test_login_when_a_username_is_set(smtp_servers, make_message):
    server = smtp_servers(credentials=("duban", "s3cret"))

    async def scenario():
        transport = transport_for(server, username="duban", password="s3cret")
        await transport.send(make_message())
        await transport.close()

    run(scenario())
    assert server.logins == ["duban"]
    assert len(server.messages) == 1
