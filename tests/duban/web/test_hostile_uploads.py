"""The hostile-file corpus (tests/support/hostile_files.py) against the web's ledger upload:
every file the reader must refuse is refused with a 4xx (413 past DUBAN_MAX_UPLOAD_MB, else the
reader's message beside the field), none gets a 500, and nothing is written."""

from __future__ import annotations

import html

import pytest
from sqlmodel import func, select

from models.store.tables import Item
from tests.support.hostile_files import hostile_file, names


@pytest.mark.parametrize("name", names("ledger"))
def test_a_hostile_ledger_upload_is_refused_and_changes_nothing(shared_bureau, name):
    f = hostile_file(name)
    client = shared_bureau.client("supervisor")
    with shared_bureau.session() as session:
        before = session.exec(select(func.count()).select_from(Item)).one()
    response = client.post("/ledger/check", data={"csrf": shared_bureau.csrf(client, "/ledger")},
                           files={"file": (f.name, f.data, "application/octet-stream")})
    if f.expect is None:  # a file the reader may also read (a bomb in a part it never inflates)
        assert response.status_code < 500, f"{name}: {response.status_code}"
    else:
        assert 400 <= response.status_code < 500, f"{name}: {response.status_code}"
    if response.status_code == 400 and f.expect:
        assert f.expect in html.unescape(response.text), f"{name}: {f.expect!r} not on the page"
    with shared_bureau.session() as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == before
