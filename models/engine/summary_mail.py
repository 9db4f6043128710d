"""The year-end summary by mail: one outbox row per active supervisor, the .docx inside it.

The row's key is (year, recipient), so however often the job runs (a retry, the embedded
scheduler and a Prefect deployment both on), each supervisor gets the year's report once. The
row holds the file itself (base64 in ``context``): what was queued is what is sent, on any
worker, whatever happens to DUBAN_HOME/reports later.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from models.domain.enums import PersonRole, ReminderKind
from models.engine.config import EngineConfig
from models.engine.outbox import enqueue, message_id_for
from models.store.db import session_scope
from models.store.tables import Person

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def summary_key(period_key: str, email: str) -> str:
    return f"summary:{period_key}:{email.lower()}"


def queue_summary_mail(engine: Engine, *, period_key: str, period_label: str, filename: str,
                       data: bytes, headline: dict[str, Any], now: datetime,
                       config: EngineConfig) -> int:
    """Queue the report for every active supervisor not sent it yet; returns rows added."""
    with session_scope(engine) as session:
        supervisors = list(session.exec(select(Person).where(
            Person.role == PersonRole.SUPERVISOR, Person.active == True)))  # noqa: E712
        attachment = {"filename": filename, "content_type": DOCX_TYPE,
                      "data": base64.b64encode(data).decode("ascii")}
        rows = []
        for person in supervisors:
            key = summary_key(period_key, person.email)
            rows.append({
                "dedupe_key": key, "item_id": None, "reminder": ReminderKind.SUMMARY.value,
                "stage": f"summary:{period_key}", "recipient": person.email,
                "recipient_name": person.name, "cc": [],
                "context": {"bureau": config.bureau, "period": period_label,
                            "recipient_name": person.name, "filename": filename,
                            "now": now.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
                            **headline, "attachments": [attachment]},
                "status": "pending", "send_after": now, "attempts": 0,
                "message_id": message_id_for(key, config.mail_domain), "created_at": now,
            })
        return len(enqueue(session, rows))
