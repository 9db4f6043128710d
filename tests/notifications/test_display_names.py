"""A display name cannot pose as an address (issue 16: a contact named "evil@x.org" <evil@x.org>
was shown by mail clients as that address): a name with an at sign is left out, and the bare,
true address is what the reader sees."""

from __future__ import annotations

import pytest

from notifications.addresses import display_name, named, parse_address
from notifications.render import render_email

CONTEXT = {"item": {"title": "做好优待证办理工作", "unit": "优抚褒扬科", "deadline": "2026-12-31",
                    "days_overdue": 3, "workdays_left": 0, "code": "A-1", "kind": "整改事项",
                    "person": None, "measure": None, "detail": None, "source": None, "id": 1},
           "unit_contact": "刘洋", "leader": "吴立新", "bureau": "区退役军人事务局",
           "now": "2026-12-01 10:00", "recipient_name": "刘洋"}


@pytest.mark.parametrize("name", ['"evil@x.org" <evil@x.org>', "evil@x.org", "boss＠bureau.gov.cn",
                                  "admin﹫example.org", "刘洋 <leader@bureau.gov.cn>"])
def test_a_name_that_could_pass_for_an_address_is_left_out(name):
    to = named(parse_address("youfu@example.org"), name)

    rendered = render_email("overdue", CONTEXT, sender="duban@example.org", to=[to],
                            message_id="<1@duban.example.org>")

    assert rendered.message["To"] == "youfu@example.org"
    assert rendered.message["To"].addresses[0].display_name == ""
    assert rendered.recipients == ("youfu@example.org",)


def test_a_name_in_a_raw_address_is_checked_the_same_way():
    assert parse_address('"evil@x.org" <real@example.org>').display_name == ""
    assert parse_address("刘洋 <real@example.org>").display_name == "刘洋"


@pytest.mark.parametrize(("name", "shown"), [
    ("刘洋", "刘洋"), ('Liu "Sunny" Yang', 'Liu "Sunny" Yang'), ("刘\u2028洋\t科长", "刘 洋 科长"),
])
def test_ordinary_names_stay(name, shown):
    assert display_name(name) == shown
