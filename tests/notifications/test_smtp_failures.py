"""SmtpTransport failures: each becomes one TransportError, transient or permanent, with the
server's own words; a connection that failed is never reused."""

from __future__ import annotations

import asyncio
import email.message
import email.policy
from email.message import EmailMessage

import pytest

from models.errors import TransportError
from notifications.render import render_email
from notifications.transport import SmtpTransport


@pytest.fixture
def message(context) -> EmailMessage:
    return render_email("due_soon", context, sender="duban@example.org", to=["youfu@example.org"],
                        message_id="<due_soon.7.1@duban.example.org>")


def transport_for(server, **kw) -> SmtpTransport:
    kw.setdefault("security", "none")
    return SmtpTransport(host=server.host, port=server.port, timeout=5, **kw)


def attempts(transport: SmtpTransport, message: EmailMessage, times: int) -> list[object]:
    """Send ``times`` times in one event loop; each outcome is a SendResult or a TransportError."""
    async def scenario():
        outcomes: list[object] = []
        for _ in range(times):
            try:
                outcomes.append(await transport.send(message))
            except TransportError as exc:
                outcomes.append(exc)
        await transport.close()
        return outcomes
    return asyncio.run(scenario())


def test_server_down_is_transient_and_delivery_resumes_when_it_is_back(smtp_servers, message):
    server = smtp_servers(start=False)  # a reserved port nobody listens on
    transport = transport_for(server)
    [down] = attempts(transport, message, 1)
    assert isinstance(down, TransportError) and not down.permanent
    assert f"127.0.0.1:{server.port}" in str(down)

    server.start()
    [up] = attempts(transport, message, 1)
    assert not isinstance(up, TransportError)
    assert len(server.messages) == 1


def test_451_on_data_is_transient_and_the_next_attempt_succeeds(smtp_server, message):
    smtp_server.defer_data(1, "451 4.3.0 稍后再试")
    first, second = attempts(transport_for(smtp_server), message, 2)
    assert isinstance(first, TransportError) and not first.permanent
    assert "451 4.3.0 稍后再试" in str(first)
    assert not isinstance(second, TransportError)
    assert len(smtp_server.messages) == 1
    assert smtp_server.connections == 2  # the connection that saw 451 was not reused


def test_554_on_data_is_permanent(smtp_server, message):
    smtp_server.defer_data(1, "554 5.6.0 邮件内容被拒绝")
    [outcome] = attempts(transport_for(smtp_server), message, 1)
    assert isinstance(outcome, TransportError) and outcome.permanent
    assert "554 5.6.0 邮件内容被拒绝" in str(outcome)
    assert smtp_server.messages == []


def test_550_on_the_only_recipient_is_permanent(smtp_server, message):
    smtp_server.reject_recipient("youfu@example.org", "550 5.1.1 user unknown")
    [outcome] = attempts(transport_for(smtp_server), message, 1)
    assert isinstance(outcome, TransportError) and outcome.permanent
    assert "550 5.1.1 user unknown" in str(outcome) and "youfu@example.org" in str(outcome)


def test_450_on_the_only_recipient_is_transient(smtp_server, message):
    smtp_server.reject_recipient("youfu@example.org", "450 4.2.1 mailbox busy")
    [outcome] = attempts(transport_for(smtp_server), message, 1)
    assert isinstance(outcome, TransportError) and not outcome.permanent
    assert "450 4.2.1 mailbox busy" in str(outcome)


def test_a_refused_login_is_transient_because_settings_can_be_fixed(smtp_servers, message):
    server = smtp_servers(credentials=("duban", "s3cret"))
    [outcome] = attempts(transport_for(server, username="duban", password="wrong"), message, 1)
    assert isinstance(outcome, TransportError) and not outcome.permanent
    assert "535" in str(outcome)
    assert server.messages == []


def test_starttls_required_but_not_offered_is_transient(smtp_server, message):
    [outcome] = attempts(transport_for(smtp_server, security="starttls"), message, 1)
    assert isinstance(outcome, TransportError) and not outcome.permanent
    assert "STARTTLS" in str(outcome)
    assert smtp_server.messages == []


def test_tls_spoken_to_a_plain_server_is_a_transient_handshake_error(smtp_server, message):
    [outcome] = attempts(transport_for(smtp_server, security="tls"), message, 1)
    assert isinstance(outcome, TransportError) and not outcome.permanent
    assert smtp_server.messages == []


@pytest.mark.parametrize(("policy", "to"), [
    (email.policy.default, "not an address"),
    (email.policy.compat32, "youfu@example.org\r\nBcc: spy@evil.example"),
])
def test_a_malformed_address_in_a_hand_built_message_is_permanent(smtp_server, policy, to):
    message = email.message.EmailMessage(policy=policy) if policy is email.policy.default \
        else email.message.Message(policy=policy)
    message["From"] = "duban@example.org"
    message["To"] = to
    message.set_payload("正文", charset="utf-8")
    [outcome] = attempts(transport_for(smtp_server), message, 1)
    assert isinstance(outcome, TransportError) and outcome.permanent
    assert smtp_server.connections == 0  # refused before any connection
    assert smtp_server.messages == []


def test_a_message_without_recipients_is_permanent(smtp_server):
    message = EmailMessage()
    message["From"] = "duban@example.org"
    message.set_content("正文")
    [outcome] = attempts(transport_for(smtp_server), message, 1)
    assert isinstance(outcome, TransportError) and outcome.permanent


def test_unknown_security_mode_is_refused_at_construction():
    with pytest.raises(ValueError, match="security"):
        SmtpTransport(host="localhost", port=25, security="ssl")
