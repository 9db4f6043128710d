"""A reminder links to the item's page in the web workspace when DUBAN_WEB_URL is set."""

from __future__ import annotations

import dataclasses

from models.engine.mail_context import item_context
from models.store.calendar_store import calendar_from_db
from models.store.tables import Unit
from notifications.render import render_email
from tests.models.engine.test_sweep import CONFIG, SENDER, at
from tests.support.factories import make_item, make_unit


def _texts(session, config) -> tuple[tuple[str, str], int]:
    unit = make_unit(session)
    item = make_item(session, unit, deadline="2026-11-27")
    context = item_context(item, session.get(Unit, item.unit_id), now=at("2026-12-01 10:00"),
                           config=config, calendar=calendar_from_db(session))
    mail = render_email("overdue", {**context, "recipient_name": "刘洋"}, sender=SENDER,
                        to=["youfu@example.org"], message_id="<t@duban.local>").message
    return (mail.get_body(preferencelist=("plain",)).get_content(),
            mail.get_body(preferencelist=("html",)).get_content()), item.id


def test_the_reminder_links_to_the_item_page_when_the_web_url_is_set(session):
    config = dataclasses.replace(CONFIG, web_url="https://duban.example.org")
    (text, html), item_id = _texts(session, config)
    link = f"https://duban.example.org/items/{item_id}"
    assert f"在线查看：{link}" in text
    assert f'<a href="{link}">' in html


def test_no_link_without_a_web_url(session):
    (text, html), _ = _texts(session, CONFIG)
    assert "在线查看" not in text and "在线查看" not in html
