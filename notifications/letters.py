"""One mail per person per pass: the claimed rows a delivery pass sends, grouped into letters.

A letter is what one message carries. The rows owed to one recipient for one listed kind
(``models.engine.outbox.LISTED``: 临期提醒, 逾期催办, 督办, 通报) that a pass claimed together
become one letter, a list of the items with their days and links, like the weekly digest (and
like Healthchecks' or Sentry's digests, GitHub's batched notifications: one message per person
and occasion, each thing in it still tracked on its own). A single row is a letter of one and
gets the ordinary per-item mail; meeting notices and digests always go alone.

Exactly-once stays per row: a letter is built from the claimed rows themselves, sent once, and
its outcome is recorded on every one of its rows. Its Message-ID is derived from its rows'
(stable while the same rows are retried together), and its Cc is every row's Cc: the contacts
of the units whose items a leader is asked to push (督办) read the same list the leader does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from models.engine.outbox import LISTED, Claimed
from notifications.addresses import named, parse_address
from notifications.ics import invitation
from notifications.render import Attachment, RenderedEmail, render_email

# A list longer than this is sent in several letters: a message stays readable and far from
# the renderer's size limit (about 1,000 rows of the HTML table).
MAX_ITEMS_PER_LETTER = 100


@dataclass(frozen=True)
class Letter:
    """Rows sent as one message, all to one recipient (one row, or several of one listed kind)."""

    rows: tuple[Claimed, ...]

    @property
    def first(self) -> Claimed:
        return self.rows[0]

    @property
    def message_id(self) -> str:
        if len(self.rows) == 1:
            return self.first.message_id
        domain = self.first.message_id.rsplit("@", 1)[1].rstrip(">")
        ids = "\n".join(sorted(r.message_id for r in self.rows))
        return f"<list-{hashlib.sha256(ids.encode()).hexdigest()[:32]}@{domain}>"

    @property
    def cc(self) -> list[str]:
        seen = {self.first.recipient.lower()}
        cc = []
        for row in self.rows:
            for address in row.cc:
                if address.lower() not in seen:
                    seen.add(address.lower())
                    cc.append(address)
        return cc


def letters(rows: Sequence[Claimed], *, max_items: int = MAX_ITEMS_PER_LETTER) -> list[Letter]:
    """``rows`` as letters, in the order of each letter's first row: the rows of one recipient
    address and one listed kind together (as ``claim_in`` claims them), at most ``max_items``
    to a letter."""
    groups: dict[tuple, list[Claimed]] = {}
    for row in rows:
        key = (row.recipient, row.reminder) if row.reminder in LISTED else (row.id,)
        groups.setdefault(key, []).append(row)
    result = []
    for group in groups.values():
        for start in range(0, len(group), max_items):
            result.append(Letter(tuple(group[start:start + max_items])))
    return result


def template_name(row: Claimed) -> str:
    return row.reminder.name.lower()


def _listed_item(row: Claimed) -> dict[str, Any]:
    context = row.context
    return {**context["item"], "unit_contact": context.get("unit_contact"),
            "leader": context.get("leader"), "chased": context.get("chased")}


def list_context(letter: Letter) -> dict[str, Any]:
    """What a list template is given: the items (most pressing first), their count, and the
    names and dates every reminder has. ``letter`` holds rows with complete contexts."""
    first = letter.first.context
    items = [_listed_item(r) for r in letter.rows]
    # Most pressing first: the most days overdue, then the fewest days left; then by deadline.
    items.sort(key=lambda i: (-i["days_overdue"], i["workdays_left"], i["deadline"], i["id"]))
    units = list(dict.fromkeys(i["unit"] for i in items))
    contacts = list(dict.fromkeys(f"{i['unit_contact']}（{i['unit']}）" for i in items
                                  if i["unit_contact"]))
    return {"items": items, "count": len(items), "units": units, "contacts": contacts,
            "recipient_name": first["recipient_name"], "bureau": first["bureau"],
            "now": first["now"]}


def render_letter(letter: Letter, *, sender: str, templates_dir: Path | None = None,
                  date: datetime | None = None) -> RenderedEmail:
    """The message a letter becomes: its row's own mail when it has one row, else the list
    template of its kind (``<kind>_list``), dated ``date`` (the delivery's instant). Rows must
    be claimed with ``claim_messages``."""
    row = letter.first
    to = [named(parse_address(row.recipient), row.recipient_name)]
    if len(letter.rows) == 1:
        invite = None
        if "ics" in row.context:
            invite = invitation(row.context["ics"], sent_by=parse_address(sender).addr_spec)
        # Files a row carries itself (the year-end summary's .docx), base64 in its context.
        files = [Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
                 for a in row.context.get("attachments", ())]
        return render_email(template_name(row), row.context, sender=sender, to=to, cc=row.cc,
                            message_id=row.message_id, templates_dir=templates_dir,
                            invitation=invite, attachments=files, date=date)
    return render_email(f"{template_name(row)}_list", list_context(letter), sender=sender, to=to,
                        cc=letter.cc, message_id=letter.message_id, templates_dir=templates_dir,
                        date=date)
