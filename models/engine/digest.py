"""The weekly digest to each supervisor: counts by status and unit, the overdue list, and
deliveries that failed. Due at the week's first working day, start of office hours."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from models.domain.calendar import next_year_notice
from models.domain.enums import Light, OutboxStatus, PersonRole, ReminderKind
from models.engine.config import EngineConfig
from models.engine.mail_context import item_context
from models.engine.outbox import enqueue, message_id_for
from models.records.items import overdue_items
from models.reports.views import Clock, light_counts_by_unit
from models.store.calendar_store import calendar_from_db
from models.store.db import session_scope
from models.store.tables import Item, Outbox, Person

OVERDUE_LIST_LIMIT = 200


def digest_due_at(now: datetime, config: EngineConfig, calendar) -> tuple[str, datetime]:
    """This week's key (ISO week) and the instant its digest falls due."""
    local = now.astimezone(config.tz).date()
    monday = local - timedelta(days=local.weekday())
    first = calendar.add_workdays(monday, 0)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}", datetime.combine(first, config.office_start,
                                                            tzinfo=config.tz)


def queue_digest(engine: Engine, *, now: datetime, config: EngineConfig) -> int:
    """Queue this week's digest for every active supervisor once it is due; returns rows added."""
    with session_scope(engine) as session:
        calendar = calendar_from_db(session)
        week, due_at = digest_due_at(now, config, calendar)
        if now < due_at:
            return 0
        supervisors = list(session.exec(select(Person).where(
            Person.role == PersonRole.SUPERVISOR, Person.active == True)))  # noqa: E712
        keys = [f"digest:{week}:{p.email.lower()}" for p in supervisors]
        queued = session.exec(select(Outbox.id).where(col(Outbox.dedupe_key).in_(keys)))
        if len(list(queued)) == len(keys):
            return 0
        clock = Clock(now=now, tz=config.tz, calendar=calendar)
        by_unit = light_counts_by_unit(session, clock)
        totals: Counter = Counter()
        for counts in by_unit.values():
            totals.update(counts)
        overdue = [item_context(i, u, now=now, config=config, calendar=calendar)["item"]
                   for i, u in overdue_items(session, now=now)[:OVERDUE_LIST_LIMIT]]
        failed = session.exec(
            # By when they failed, not when they were queued: a reminder queued last month that
            # failed yesterday after a day of retries belongs in this week's digest. Its item's
            # title as it is now (rows store no copy of their item; a digest row has none).
            select(Outbox.recipient, Outbox.reminder, Outbox.last_error, Item.title)
            .outerjoin(Item, col(Item.id) == col(Outbox.item_id))
            .where(Outbox.status == OutboxStatus.FAILED,
                   col(Outbox.failed_at) >= now - timedelta(days=7))
            .order_by(col(Outbox.id))
        )
        context = {
            "bureau": config.bureau,
            "now": now.astimezone(config.tz).strftime("%Y-%m-%d %H:%M"),
            "counts": {lt.value: totals.get(lt.value, 0) for lt in Light},
            "units": sorted(
                ({"unit": name, "逾期": c[Light.RED.value], "临期": c[Light.YELLOW.value],
                  "正常": c[Light.GREEN.value]} for name, c in by_unit.items()),
                key=lambda u: (-u["逾期"], -u["临期"], u["unit"])),
            "overdue": overdue,
            "calendar_notice": next_year_notice(now.astimezone(config.tz).date(), calendar),
            "failed": [{"recipient": f.recipient, "subject": f"{f.reminder.value}：{f.title or ''}",
                        "error": f.last_error or ""} for f in failed],
        }
        rows = []
        for person, key in zip(supervisors, keys, strict=True):
            rows.append({
                "dedupe_key": key, "item_id": None, "reminder": ReminderKind.DIGEST.value,
                "stage": f"digest:{week}", "recipient": person.email,
                "recipient_name": person.name, "cc": [],
                "context": {**context, "recipient_name": person.name}, "status": "pending",
                "send_after": due_at, "attempts": 0,
                "message_id": message_id_for(key, config.mail_domain), "created_at": now,
            })
        return len(enqueue(session, rows))
