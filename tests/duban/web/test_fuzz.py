"""Property: no form input and no query string makes the app answer 500. Texts mix HTML,
control and XML-illegal characters, very long strings and odd digits; every route that takes
a form or a query is tried with them, signed in as the persona allowed to use it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ODD = st.sampled_from(["", " ", "0", "-1", "9" * 30, "2026-02-30", "2026-12-31 25:00", "１２",
                       "<b>x</b>", "'; DROP TABLE item; --", "\x00", "\ufffe", "\u2028", "%00",
                       "../../etc/passwd", "a" * 20_000, "NaN", "逾期", "承办单位"])
TEXT = st.one_of(ODD, st.text(st.characters(exclude_categories=["Cs"]), max_size=300))

FORMS = {  # route → (persona, the fields its form has)
    "/items/{item:later}/progress": ("own_unit", ["text"]),
    "/items/{item:later}/submit": ("own_unit", ["note"]),
    "/items/{item:new}/extension": ("own_unit", ["to", "reason"]),
    "/items/{item:a}/return": ("supervisor", ["reason"]),
    "/items/{item:a}/instruct": ("leader", ["text"]),
    "/extensions/{extension}/reject": ("supervisor", ["reason"]),
    "/settings/users": ("admin", ["name", "role", "unit", "password"]),
    "/settings/units": ("admin", ["unit_name", "kind", "contact", "email", "phone", "leader",
                                  "leader_email"]),
    "/settings/users/{account:spare}/password": ("admin", ["password"]),
    "/recurring/{template}/pause": ("supervisor", ["paused"]),
    "/meetings/{meeting}/attendance": ("supervisor", ["invited", "present"]),
    "/ledger/import": ("supervisor", ["token"]),
    "/login": ("anonymous", ["username", "password", "next"]),
}
QUERIES = {"/items": ["unit", "kind", "status", "light", "due_from", "due_to", "q", "flag", "sort",
                      "page"],
           "/calendar": ["month"], "/login": ["next"], "/items/export.xlsx": ["light", "q", "due_to"]}


def _url(template: str, ids: dict[str, int]) -> str:
    for key, value in ids.items():
        template = template.replace("{" + key + "}", str(value))
    return template


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(route=st.sampled_from(sorted(FORMS)), values=st.lists(TEXT, min_size=8, max_size=8))
def test_no_form_input_gets_a_500(shared_bureau, route, values):
    bureau = shared_bureau
    persona, fields = FORMS[route]
    client = bureau.client(persona)
    token = bureau.csrf(client, "/login" if persona == "anonymous" else "/items")
    data = {name: value for name, value in zip(fields, values, strict=False)}
    response = client.post(_url(route, bureau.ids), data={**data, "csrf": token})
    assert response.status_code < 500, response.text[:800]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(path=st.sampled_from(sorted(QUERIES)), values=st.lists(TEXT, min_size=10, max_size=10))
def test_no_query_string_gets_a_500(shared_bureau, path, values):
    client = shared_bureau.client("supervisor" if path != "/login" else "anonymous")
    params = {name: value for name, value in zip(QUERIES[path], values, strict=False)}
    response = client.get(path, params=params)
    assert response.status_code < 500, response.text[:800]
