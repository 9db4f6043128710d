"""Signing in and out: argon2-checked passwords, server-side sessions, cookies, lockout, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

from sqlmodel import select

from duban.web.context import COOKIE, LOGIN_COOKIE
from models.records.accounts import set_disabled
from models.store.events import history
from models.store.tables import Account, WebSession
from tests.duban.web.conftest import PASSWORD


def _login(bureau, client, name, password, *, next_="/"):
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": name, "password": password, "csrf": token,
                                       "next": next_})


def test_login_sets_an_httponly_samesite_session_cookie_and_lands_on_next(bureau):
    client = bureau.client()
    response = _login(bureau, client, "supervisor", PASSWORD, next_="/items?light=逾期")
    assert response.status_code == 303
    assert unquote(response.headers["location"]) == "/items?light=逾期"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/overview").status_code == 200
    with bureau.session() as session:
        account = session.exec(select(Account).where(Account.name == "supervisor")).one()
        assert [e.action for e in history(session, "account", account.id)][-1] == "login"


def test_cookie_is_secure_behind_https(bureau):
    client = bureau.client()
    client.base_url = client.base_url.copy_with(scheme="https")
    response = _login(bureau, client, "leader", PASSWORD)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "Secure" in cookie


def test_next_never_leaves_the_site(bureau):
    response = _login(bureau, bureau.client(), "leader", PASSWORD, next_="//evil.example.org/x")
    assert response.headers["location"] == "/"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(bureau):
    client = bureau.client()
    for name in ("supervisor", "nobody"):
        response = _login(bureau, client, name, "wrong-password")
        assert response.status_code == 400
        assert "用户名或密码错误" in response.text
        assert COOKIE not in response.cookies


def test_five_failures_lock_the_account_for_fifteen_minutes_and_are_logged(bureau):
    client = bureau.client()
    for _ in range(5):
        assert _login(bureau, client, "leader", "wrong-password").status_code == 400
    locked = _login(bureau, client, "leader", PASSWORD)
    assert locked.status_code == 400 and "锁定" in locked.text
    bureau.now[0] += timedelta(minutes=14)
    assert "锁定" in _login(bureau, client, "leader", PASSWORD).text
    bureau.now[0] += timedelta(minutes=2)
    assert _login(bureau, client, "leader", PASSWORD).status_code == 303
    with bureau.session() as session:
        account = session.exec(select(Account).where(Account.name == "leader")).one()
        actions = [e.action for e in history(session, "account", account.id)]
    assert actions.count("login_failed") == 5 and actions.count("lockout") == 1
    assert actions[-1] == "login"


def test_login_without_its_token_is_refused(bureau):
    client = bureau.client()
    response = client.post("/login", data={"username": "supervisor", "password": PASSWORD})
    assert response.status_code == 403
    client.get("/login")
    forged = client.post("/login", data={"username": "supervisor", "password": PASSWORD,
                                         "csrf": "not-the-cookie"})
    assert forged.status_code == 403 and COOKIE not in forged.cookies
    assert LOGIN_COOKIE in client.cookies


def test_logout_ends_the_server_side_session_at_once(bureau):
    client = bureau.client("own_unit")
    stolen = client.cookies["duban_session"]
    assert client.post("/logout", data={"csrf": bureau.csrf(client)}).status_code == 303
    replay = bureau.client()
    replay.cookies.set("duban_session", stolen)
    response = replay.get("/mine")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    with bureau.session() as session:
        assert session.exec(select(WebSession)).all() == []


def test_disabling_an_account_signs_it_out_everywhere_at_once(bureau):
    client = bureau.client("other_unit")
    assert client.get("/mine").status_code == 200
    with bureau.session() as session:
        set_disabled(session, "other_unit", True, actor="admin", now=bureau.now[0])
    assert client.get("/mine").status_code == 303
    assert "已停用" in _login(bureau, bureau.client(), "other_unit", PASSWORD).text


def test_forms_without_the_session_token_change_nothing(bureau):
    client = bureau.client("own_unit")
    item_id = bureau.ids["item:new"]
    for data in ({}, {"csrf": "forged"}):
        response = client.post(f"/items/{item_id}/ack", data=data)
        assert response.status_code == 403
        assert "表单已失效" in response.text
    with bureau.session() as session:
        from models.store.tables import Item
        assert session.get(Item, item_id).acked_at is None
    assert client.post(f"/items/{item_id}/ack", data={"csrf": bureau.csrf(client)}).status_code == 303
