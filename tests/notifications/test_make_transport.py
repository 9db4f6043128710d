"""make_transport: a folder of .eml files without DUBAN_SMTP_HOST, SMTP with it."""

from __future__ import annotations

from duban.config import Settings
from notifications.transport import FileSinkTransport, SmtpTransport, make_transport


def settings(tmp_path, **kw) -> Settings:
    values = {"home": tmp_path, "smtp_host": None, "smtp_port": None, "smtp_user": None,
              "smtp_password": None, "smtp_security": "none"}
    values.update(kw)
    return Settings(**values)


def test_no_smtp_host_means_the_outbox_folder(tmp_path):
    transport = make_transport(settings(tmp_path, smtp_host="").mail_config)
    assert isinstance(transport, FileSinkTransport)
    assert transport.directory == tmp_path / "outbox"


def test_an_smtp_host_means_smtp_with_the_settings_values(tmp_path):
    transport = make_transport(settings(tmp_path, smtp_host="smtp.example.org", smtp_security="starttls",
                                        smtp_user="duban", smtp_password="s3cret").mail_config)
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.security) == ("smtp.example.org", 587, "starttls")
    assert transport.username == "duban"
    assert transport.pool_size == 4


def test_an_explicit_port_wins(tmp_path):
    transport = make_transport(settings(tmp_path, smtp_host="smtp.example.org", smtp_port=2525,
                                        smtp_security="tls").mail_config)
    assert (transport.port, transport.security) == (2525, "tls")
