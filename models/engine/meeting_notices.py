"""One message per meeting change.

Moving a meeting raises its iCalendar SEQUENCE, and the sweep queues each invitee a change
notice carrying the new time and the updated invitation. Moved shortly before it starts (the
day before, or within the hour), the meeting is at the same time owed the ladder's reminder
for its new time, already due: two messages in the same minute saying the same thing, with
the same SEQUENCE. The notice says it all, so such a reminder is withdrawn while the notice
has not gone out yet; once the notice is sent, a reminder that comes due later goes out as
usual.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from models.domain.enums import OutboxStatus, ReminderKind
from models.engine.outbox import OUTBOX, NewRow

REPLACED = "已由会议变更通知代替"


def drop_replaced_by_notice(session: Session, rows: list[NewRow], *, now: datetime) -> int:
    """Withdraw the meeting reminders among ``rows`` (just queued by a sweep at ``now``) that
    are due now while a change notice to the same invitee about the same meeting, also among
    ``rows``, is still unsent. Returns how many were withdrawn."""
    notices = {(r.item_id, r.recipient.lower()): r.dedupe_key for r in rows
               if r.reminder == ReminderKind.MEETING_CHANGE.value}
    if not notices:
        return 0
    reminders = [r for r in rows if r.reminder == ReminderKind.MEETING.value
                 and r.send_after <= now and (r.item_id, r.recipient.lower()) in notices]
    if not reminders:
        return 0
    unsent = set(session.execute(select(OUTBOX.c.dedupe_key).where(
        OUTBOX.c.dedupe_key.in_(sorted(notices.values())),
        OUTBOX.c.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]))).scalars())
    keys = [r.dedupe_key for r in reminders if notices[(r.item_id, r.recipient.lower())] in unsent]
    if not keys:
        return 0
    result = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.dedupe_key.in_(keys), OUTBOX.c.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.DROPPED.value, last_error=REPLACED))
    return result.rowcount or 0
