"""A real app on a real database (SQLite, and PostgreSQL when configured) with two units, their
items, a submitted file, a recurring duty, a meeting, and one account per role.

``Bureau.client(persona)`` is a TestClient signed in as that persona (a new server-side
session each time, made directly: hashing a password per request would only slow the tests).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from duban.config import load_settings
from duban.web.app import create_app
from models.domain.recurrence import Freq, Rule
from models.records.accounts import add_account, open_session
from models.records.extensions import request_extension
from models.records.loop import add_progress
from models.records.recurring import TemplateInput, add_template
from models.records.submissions import store_file, submit
from models.store import db
from models.store.tables import Account, ProgressFile, SubmissionFile
from tests.conftest import SHANGHAI
from tests.support.databases import copy_sqlite, pg_copy
from tests.support.factories import make_item, make_unit

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)  # a Tuesday in office hours
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
PASSWORD = "correct-horse-9"
PERSONAS = ("anonymous", "admin", "supervisor", "leader", "own_unit", "other_unit")
ROLE_OF = {"admin": "admin", "supervisor": "supervisor", "leader": "leader", "own_unit": "unit",
           "other_unit": "unit"}
UNIT_A, UNIT_B = "优抚褒扬科", "示例一街道办事处"


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2():
    """Real argon2id, with the smallest cost parameters: the tests hash dozens of passwords, and
    what they check (verify, lockout, rehash-free sign-in) does not depend on the cost."""
    from argon2 import PasswordHasher

    from models.records import accounts

    saved = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = saved


@dataclass
class Bureau:
    app: object
    engine: object
    settings: object
    ids: dict[str, int] = field(default_factory=dict)
    now: list[datetime] = field(default_factory=lambda: [NOW])

    def session(self):
        return db.session_scope(self.engine)

    def client(self, persona: str = "anonymous") -> TestClient:
        client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False,
                            base_url="http://127.0.0.1")
        if persona != "anonymous":
            with self.session() as session:
                account = session.get(Account, self.ids[f"account:{persona}"])
                token = open_session(session, account, now=self.now[0])
            client.cookies.set("duban_session", token)
        return client

    def csrf(self, client: TestClient, path: str = "/items") -> str:
        """The session's CSRF token, read off a page the way a browser's form carries it."""
        found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
        assert found, f"no CSRF field on {path}"
        return found.group(1)


def seed(session, tmp: Path, files_dir: Path) -> dict[str, int]:
    ids: dict[str, int] = {}
    a = make_unit(session, UNIT_A, now=T0)
    b = make_unit(session, UNIT_B, "街道办事处", contact_email="jiedao01@example.org", now=T0)
    ids["unit:a"], ids["unit:b"] = a.id, b.id
    ids["item:a"] = make_item(session, a, code="A-1", title="做好优待证办理工作", deadline="2026-11-27",
                              now=T0).id
    ids["item:a2"] = make_item(session, a, code="A-2", title="优抚资金材料", deadline="2026-12-03",
                               now=T0).id
    ids["item:b"] = make_item(session, b, code="B-1", title="服务站材料报送", deadline="2026-12-20",
                              now=T0).id
    ids["item:html"] = make_item(session, a, code="A-3", title="<script>alert(1)</script><b>加粗</b>",
                                 deadline="2026-12-30", now=T0).id
    source = tmp / "材料.pdf"
    source.write_bytes(b"%PDF-1.4 test file\n")
    stored = store_file(source, files_dir, max_bytes=1 << 20)
    sub = submit(session, ids["item:a2"], at=NOW - timedelta(hours=1), by="刘洋", note="材料已报送",
                 files=[stored], actor="刘洋", now=NOW)
    session.flush()
    ids["file:a"] = session.exec(select(SubmissionFile.id).where(
        SubmissionFile.submission_id == sub.id)).one()
    later = make_item(session, a, code="A-4", title="年度总结", deadline="2026-12-20", now=T0)
    ids["item:later"] = later.id
    ids["item:new"] = make_item(session, a, code="A-5", title="新交办事项", deadline="2026-12-25",
                                now=NOW - timedelta(hours=2), acked=False).id
    ids["extension"] = request_extension(session, later.id, to="2026-12-31", reason="需等待市局数据",
                                         actor="own_unit", now=NOW, tz=SHANGHAI).id
    entry = add_progress(session, ids["item:a"], "已完成初审", actor="own_unit", now=NOW, files=[stored])
    ids["progress_file"] = session.exec(select(ProgressFile.id).where(
        ProgressFile.progress_id == entry.id)).one()
    template = add_template(session, TemplateInput(
        name="周汇报", kind="报送节点", rule=Rule(Freq.WEEKLY, weekdays=(5,)), due_time=time(17, 0),
        units=(UNIT_B,), start=date(2026, 11, 2)), actor="test", now=T0, tz=SHANGHAI)
    ids["template"] = template.id
    ids["meeting"] = make_item(session, a, kind="会议", title="周研判", deadline="2026-11-30 09:00",
                               now=T0).id
    for persona in PERSONAS[1:]:
        unit = {"own_unit": UNIT_A, "other_unit": UNIT_B}.get(persona)
        account = add_account(session, name=persona, role=ROLE_OF[persona], unit=unit,
                              password=PASSWORD, actor="test", now=T0)
        ids[f"account:{persona}"] = account.id
    ids["account:spare"] = add_account(session, name="spare", role="leader", unit=None,
                                       password=PASSWORD, actor="test", now=T0).id
    return ids


def _bureau(url: str, home: Path, monkeypatch) -> Bureau:
    for var in ("DUBAN_DATABASE_URL", "DUBAN_SMTP_HOST", "DUBAN_WEB_URL"):
        monkeypatch.delenv(var, raising=False)
    settings = load_settings(home=home / "home", database_url=url, max_upload_mb=1)
    engine = db.make_engine(url)
    with db.session_scope(engine) as session:
        ids = seed(session, home, settings.files_dir)
    holder: list[datetime] = [NOW]
    app = create_app(settings, clock=lambda: holder[0], engine=engine)
    return Bureau(app=app, engine=engine, settings=settings, ids=ids, now=holder)


@pytest.fixture
def bureau(migrated_url, tmp_path, monkeypatch) -> Bureau:
    """A bureau of its own for this test."""
    made = _bureau(migrated_url, tmp_path, monkeypatch)
    yield made
    made.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_bureau(request, tmp_path_factory) -> Bureau:
    """One bureau for a whole module whose tests only need fresh sessions (the access matrix)."""
    folder = tmp_path_factory.mktemp("bureau")
    with pytest.MonkeyPatch.context() as monkeypatch:
        if request.param == "sqlite":
            url = copy_sqlite(request.getfixturevalue("sqlite_template"), folder / "duban.db")
            made = _bureau(url, folder, monkeypatch)
            yield made
            made.engine.dispose()
        else:
            server = os.environ.get("DUBAN_TEST_DATABASE_URL")
            if not server:
                pytest.skip("PostgreSQL tests skipped: DUBAN_TEST_DATABASE_URL is not set")
            with pg_copy(server, request.getfixturevalue("pg_template_name"), prefix="duban_test") as url:
                made = _bureau(url, folder, monkeypatch)
                yield made
                made.engine.dispose()
