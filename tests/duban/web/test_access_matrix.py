"""Every route × every persona, generated from the app's route table: a route without an access
rule fails here, and each rule is checked by requests (anonymous → the login page; a role the
rule leaves out → 404; another unit's object → 404; otherwise an answer that is not a refusal)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from duban.web.app import page_routes
from duban.web.context import LOGIN_COOKIE, Rule
from models.domain.enums import Role
from tests.duban.web.conftest import PERSONAS, ROLE_OF

PARAMS = {"item_id": "item:a", "file_id": "file:a", "template_id": "template", "meeting_id": "meeting",
          "account_id": "account:spare", "extension_id": "extension", "progress_file_id": "progress_file"}
OBJECT_PARAMS = {"item_id", "file_id", "extension_id", "progress_file_id"}  # objects of one unit
LITERALS = {"name": "overdue"}
PUBLIC_MOUNTS = {"/static"}  # the stylesheet: the login page needs it before anyone signs in


def rule_of(route: APIRoute) -> Rule | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        found = getattr(dep.call, "rule", None)
        if isinstance(found, Rule):
            return found
        stack.extend(dep.dependencies)
    return None


def api_routes(app) -> list[APIRoute]:
    return [r for r in page_routes(app) if isinstance(r, APIRoute)]


def test_every_route_declares_an_access_rule(shared_bureau):
    bureau = shared_bureau
    missing = [f"{sorted(r.methods)} {r.path}" for r in api_routes(bureau.app) if rule_of(r) is None]
    assert not missing, f"routes without allow()/allow_post()/public: {missing}"
    mounts = {r.path for r in page_routes(bureau.app) if isinstance(r, Mount)}
    assert mounts == PUBLIC_MOUNTS


def _path(route: APIRoute, ids: dict[str, int]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in LITERALS:
            return LITERALS[name]
        if PARAMS.get(name) not in ids:
            pytest.skip(f"no fixture object for {{{name}}}")
        return str(ids[PARAMS[name]])
    return re.sub(r"\{(\w+)\}", fill, route.path)


def _expected(route: APIRoute, rule: Rule, persona: str) -> str:
    if not rule.roles:
        return "allowed"
    if persona == "anonymous":
        return "login"
    role = Role[ROLE_OF[persona].upper()]
    if role not in rule.roles:
        return "hidden"
    params = set(re.findall(r"\{(\w+)\}", route.path))
    if persona == "other_unit" and params & OBJECT_PARAMS:
        return "hidden"
    return "allowed"


def _cases():
    from duban.config import load_settings
    from duban.web.app import create_app

    app = create_app(load_settings(database_url="sqlite://"))  # the table only; no request made
    for route in api_routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            for persona in PERSONAS:
                yield pytest.param(route.path, method, persona, id=f"{method} {route.path} {persona}")


@pytest.mark.parametrize("path, method, persona", list(_cases()))
def test_route_answers_each_persona_by_its_rule(shared_bureau, path, method, persona):
    bureau = shared_bureau
    route = next(r for r in api_routes(bureau.app) if r.path == path and method in r.methods)
    rule = rule_of(route)
    assert rule is not None
    client = bureau.client(persona)
    url = _path(route, bureau.ids)
    if method == "GET":
        response = client.get(url)
    else:
        if not rule.roles:  # the login form: its token comes with a cookie, not a session
            anonymous = bureau.client()
            token = bureau.csrf(anonymous, "/login")
            client.cookies.set(LOGIN_COOKIE, anonymous.cookies[LOGIN_COOKIE])
        else:
            token = bureau.csrf(client) if persona != "anonymous" else ""
        response = client.post(url, data={"csrf": token})
    expected = _expected(route, rule, persona)
    if expected == "login":
        assert response.status_code == 303, response.text[:300]
        assert response.headers["location"].startswith("/login?next=")
    elif expected == "hidden":
        assert response.status_code == 404, f"{persona} {method} {url}: {response.status_code}"
        assert "不存在" in response.text
    else:
        assert response.status_code in (200, 303, 400), \
            f"{persona} {method} {url}: {response.status_code}\n{response.text[:500]}"
        if response.status_code == 303:
            assert not response.headers["location"].startswith("/login?next=")
