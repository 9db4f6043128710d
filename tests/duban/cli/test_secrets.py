"""No password reaches any output (issue 16: DUBAN_DATABASE_URL=mysql://root:S3cretPW@… echoed
it). Every error path duban has with a database or mail password set runs here, in the real
executable, and everything it prints (stdout, stderr, the outbox it stores and lists) is
scanned for the passwords, plain and in the encodings a protocol might carry them in."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote as url_quote

import pytest
from sqlalchemy.engine import make_url

from duban.config import load_settings
from tests.support.cli_process import run
from tests.support.smtp import SmtpServer, free_port

DB_SECRET = "S3cretPW-db-5f2a9"
SMTP_SECRET = "S3cretPW-smtp-7c41e"


def _forms(secret: str) -> list[str]:
    return [secret, url_quote(secret), base64.b64encode(secret.encode()).decode(),
            base64.b64encode(f"\0duban\0{secret}".encode()).decode()]


def assert_clean(*outputs: str | bytes) -> None:
    for output in outputs:
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
        assert "Traceback" not in text, text
        for secret in (DB_SECRET, SMTP_SECRET):
            for form in _forms(secret):
                assert form not in text, f"{form!r} printed:\n{text}"


def _pg_server() -> str:
    url = os.environ.get("DUBAN_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests skipped: DUBAN_TEST_DATABASE_URL is not set")
    return url


DOWN = f"127.0.0.1:{free_port()}"
BAD_DATABASE_URLS = [
    f"mysql://root:{DB_SECRET}@{DOWN}/duban",                       # not supported
    f"postgresql://root:{DB_SECRET}@127.0.0.1:notaport/duban",      # does not parse
    f"postgresql://root:{DB_SECRET}@{DOWN}/duban",                  # server down
    f"postgresql://root:{DB_SECRET[:6]}/{DB_SECRET[6:]}@{DOWN}/x",  # a slash in the password
    f"postgresql://{DOWN}/duban?password={DB_SECRET}",              # in the query
]


@pytest.mark.parametrize("url", BAD_DATABASE_URLS)
def test_a_bad_or_unreachable_database_never_shows_its_password(tmp_path, url):
    result = run("overview", home=tmp_path, DUBAN_DATABASE_URL=url, DUBAN_SMTP_PASSWORD=SMTP_SECRET)

    assert result.returncode == 1, result.stderr.decode()
    assert_clean(result.stdout, result.stderr)


def test_every_command_that_opens_the_database_keeps_its_password(tmp_path):
    url = f"postgresql://root:{DB_SECRET}@{DOWN}/duban"
    for command in (["init"], ["sweep"], ["deliver"], ["serve"], ["import", "x.csv"]):
        result = run(*command, home=tmp_path, DUBAN_DATABASE_URL=url, DUBAN_SMTP_PASSWORD=SMTP_SECRET)
        assert result.returncode == 1, result.stderr.decode()
        assert_clean(result.stdout, result.stderr)


@pytest.mark.postgres
def test_an_unknown_role_or_database_never_shows_the_password(tmp_path):
    server = make_url(_pg_server())
    for url in (server.set(username="duban_nobody", password=DB_SECRET),
                server.set(password=DB_SECRET, database="duban_no_such_db")):
        result = run("overview", home=tmp_path, DUBAN_DATABASE_URL=url.render_as_string(hide_password=False))
        assert result.returncode == 1
        assert_clean(result.stdout, result.stderr)


def test_bad_settings_beside_a_password_never_show_it(tmp_path):
    for bad in ({"DUBAN_SMTP_PORT": "99999"}, {"DUBAN_SMTP_FROM": "not an address"},
                {"DUBAN_TIMEZONE": "Mars/Base"}, {"DUBAN_SMTP_SECURITY": "maybe"}):
        result = run("overview", home=tmp_path, DUBAN_SMTP_PASSWORD=SMTP_SECRET,
                     DUBAN_DATABASE_URL=f"postgresql://root:{DB_SECRET}@{DOWN}/duban", **bad)
        assert result.returncode == 1
        assert_clean(result.stdout, result.stderr)


def test_the_settings_object_does_not_show_its_passwords(monkeypatch):
    monkeypatch.setenv("DUBAN_DATABASE_URL", f"postgresql://root:{DB_SECRET}@{DOWN}/duban")
    monkeypatch.setenv("DUBAN_SMTP_PASSWORD", SMTP_SECRET)
    settings = load_settings()

    assert_clean(repr(settings), str(settings))


@pytest.fixture(scope="module")
def queued(tmp_path_factory) -> Path:
    """A home with the demo bureau's reminders queued, made once and copied by each test."""
    home = tmp_path_factory.mktemp("queued")
    for command in (["init"], ["--now", "2026-11-30T18:00", "demo"], ["sweep", "--now", "2026-12-01T10:00"]):
        assert run(*command, home=home).returncode == 0
    return home


def _copy(queued: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(queued, home)
    return home


def _stored_errors(home: Path) -> str:
    with sqlite3.connect(home / "duban.db") as conn:
        return json.dumps(conn.execute("SELECT last_error FROM outbox").fetchall(), ensure_ascii=False)


def test_a_refused_mail_login_never_shows_the_password(queued, tmp_path):
    home = _copy(queued, tmp_path)
    with SmtpServer(credentials=("duban", "the-right-one")) as server:
        mail = {"DUBAN_SMTP_HOST": server.host, "DUBAN_SMTP_PORT": str(server.port),
                "DUBAN_SMTP_USER": "duban", "DUBAN_SMTP_PASSWORD": SMTP_SECRET}
        delivered = run("deliver", "--now", "2026-12-01T10:00", home=home, **mail)
        listed = run("outbox", home=home, **mail)
        as_json = run("outbox", "--json", home=home, **mail)

    assert delivered.returncode == 0, delivered.stderr.decode()
    assert server.messages == [] and server.logins == []
    errors = _stored_errors(home)
    assert "535" in errors or "认证" in errors or "登录" in errors, errors  # the refusal is recorded
    assert_clean(delivered.stdout, delivered.stderr, listed.stdout, listed.stderr, as_json.stdout, errors)


def test_an_unreachable_mail_server_never_shows_the_password(queued, tmp_path):
    home = _copy(queued, tmp_path)
    mail = {"DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": str(free_port()),
            "DUBAN_SMTP_USER": "duban", "DUBAN_SMTP_PASSWORD": SMTP_SECRET,
            "DUBAN_SMTP_SECURITY": "starttls"}

    delivered = run("deliver", "--now", "2026-12-01T10:00", home=home, **mail)
    listed = run("outbox", "--failed", home=home, **mail)

    assert delivered.returncode == 0, delivered.stderr.decode()
    assert_clean(delivered.stdout, delivered.stderr, listed.stdout, listed.stderr, _stored_errors(home))
