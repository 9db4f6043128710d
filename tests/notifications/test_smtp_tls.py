"""SmtpTransport over STARTTLS and implicit TLS, with a throwaway self-signed certificate."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess

import pytest

from models.errors import TransportError
from notifications.render import render_email
from notifications.transport import SmtpTransport


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """(cert.pem, key.pem) for 127.0.0.1, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not found: TLS tests need it to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def server_context(certificate) -> ssl.SSLContext:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def trusting(certificate) -> ssl.SSLContext:
    """A client context that trusts the test certificate (and verifies it, hostname included)."""
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def message(context):
    return render_email("overdue", context, sender="duban@example.org", to=["youfu@example.org"],
                        message_id="<overdue.7.1@duban.example.org>")


def send_once(transport: SmtpTransport, message):
    async def scenario():
        try:
            return await transport.send(message)
        finally:
            await transport.close()
    return asyncio.run(scenario())


def test_starttls_with_login(smtp_servers, server_context, trusting, message):
    server = smtp_servers(tls_context=server_context, credentials=("duban", "s3cret"))
    transport = SmtpTransport(host=server.host, port=server.port, security="starttls",
                              username="duban", password="s3cret", tls_context=trusting)
    send_once(transport, message)
    assert server.logins == ["duban"]  # the server only offers AUTH after STARTTLS
    assert len(server.messages) == 1


def test_implicit_tls(smtp_servers, server_context, trusting, message):
    server = smtp_servers(ssl_context=server_context)
    transport = SmtpTransport(host=server.host, port=server.port, security="tls", tls_context=trusting)
    send_once(transport, message)
    assert server.messages[0].message["Subject"] == "关于《做好优待证办理工作》逾期未办结的催办通知"


def test_an_untrusted_certificate_is_a_transient_tls_error(smtp_servers, server_context, message):
    server = smtp_servers(ssl_context=server_context)
    transport = SmtpTransport(host=server.host, port=server.port, security="tls")  # system CAs only
    with pytest.raises(TransportError, match="TLS") as err:
        send_once(transport, message)
    assert not err.value.permanent
    assert server.messages == []


def test_after_starttls_the_server_is_greeted_again_and_gets_8bit(smtp_servers, server_context,
                                                                  trusting, message):
    server = smtp_servers(tls_context=server_context)
    transport = SmtpTransport(host=server.host, port=server.port, security="starttls",
                              tls_context=trusting)
    send_once(transport, message)
    assert len(server.ehlo_replies) == 2  # before STARTTLS, and again after it (RFC 3207)
    [got] = server.messages
    assert "BODY=8BITMIME" in got.mail_options and got.raw == message.eight_bit
