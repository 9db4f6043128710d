"""The 督办 closed loop on items: 签收, 反馈 with files, 审核 (销号 or 退回), 领导批示, 手动催办.

提交 is ``models.records.submissions.submit``; 延期 is ``models.records.extensions``. Every
operation takes the session, the acting person and ``now``, writes an Event with the actor,
and never commits. Who may act is the caller's business (the web checks roles and units);
these check the item's state and refuse with a Chinese message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from models.domain import validation
from models.domain.enums import ItemStatus, ReminderKind, Verdict
from models.engine.outbox import NewRow, insert_new, message_id_for
from models.errors import InputError, Refused
from models.records import items as item_ops
from models.records.submissions import StoredFile
from models.store.events import record_event, snapshot
from models.store.next_actions import set_next_action
from models.store.tables import Instruction, Item, ProgressEntry, ProgressFile, Submission, Unit


def _open_item(session: Session, item_id: int, doing: str) -> Item:
    item = item_ops.get_item(session, item_id)
    if item.status.is_closed:
        raise Refused(f"事项 {item_id} 状态为“{item.status.value}”，不能{doing}")
    return item


def ack(session: Session, item_id: int, *, actor: str, now: datetime) -> Item:
    """签收: the unit has received the item."""
    item = _open_item(session, item_id, "签收")
    if item.acked_at is not None:
        raise Refused(f"事项 {item_id} 已由{item.acked_by}签收，不能重复签收")
    item.acked_at, item.acked_by, item.updated_at = now, actor, now
    record_event(session, entity="item", entity_id=item_id, action="ack", actor=actor, at=now,
                 after=snapshot(item, ["acked_at", "acked_by"]))
    return item


def check_progress(session: Session, item_id: int, text: str) -> None:
    """What add_progress refuses, checked before any file is stored."""
    _open_item(session, item_id, "填报进展")
    validation.text(text, "进展", max_len=10_000, multiline=True)


def add_progress(session: Session, item_id: int, text: str, *, actor: str, now: datetime,
                 files: Sequence[StoredFile] = (), at: datetime | None = None) -> ProgressEntry:
    """反馈: a progress note with attachments (stored beforehand by submissions.store_file)."""
    _open_item(session, item_id, "填报进展")
    entry = item_ops.add_progress(session, item_id, text, author=actor, at=at or now, now=now)
    for f in files:
        session.add(ProgressFile(progress_id=entry.id, filename=f.filename[:255], size=f.size,
                                 sha256=f.sha256, path=f.path))
    if files:
        record_event(session, entity="item", entity_id=item_id, action="progress_file",
                     actor=actor, at=now,
                     after={"progress_id": entry.id, "files": [f.filename for f in files]})
    return entry


def progress_files(session: Session, progress_ids: Iterable[int]) -> dict[int, list[ProgressFile]]:
    ids = list(progress_ids)
    found: dict[int, list[ProgressFile]] = {i: [] for i in ids}
    if ids:
        for f in session.exec(select(ProgressFile).where(col(ProgressFile.progress_id).in_(ids))
                              .order_by(col(ProgressFile.id))):
            found[f.progress_id].append(f)
    return found


def _waiting(session: Session, item_id: int, doing: str) -> tuple[Item, Submission]:
    item = item_ops.get_item(session, item_id)
    if item.status is not ItemStatus.SUBMITTED:
        raise Refused(f"事项 {item_id} 状态为“{item.status.value}”，不是“已提交”，不能{doing}")
    submission = session.exec(select(Submission).where(Submission.item_id == item_id)
                              .order_by(col(Submission.id).desc())).first()
    if submission is None or submission.verdict is not None:
        raise Refused(f"事项 {item_id} 没有待审核的报送，不能{doing}")
    return item, submission


def accept(session: Session, item_id: int, *, actor: str, now: datetime) -> Item:
    """审核通过 (销号): 已办结 at the accepted submission's time, so it is on time iff that came
    at or before the deadline in force."""
    item, submission = _waiting(session, item_id, "审核通过")
    _review(session, item, submission, Verdict.ACCEPTED, note=None, actor=actor, now=now)
    return item_ops.complete_item(session, item_id, at=submission.at, actor=actor, now=now)


def return_item(session: Session, item_id: int, *, reason: str, actor: str,
                now: datetime) -> Item:
    """退回: back to 进行中 with the reason; the ladder resumes against the same deadline, so
    lateness still counts from it."""
    cleaned = validation.text(reason, "退回理由", max_len=2000, multiline=True)
    item, submission = _waiting(session, item_id, "退回")
    _review(session, item, submission, Verdict.RETURNED, note=cleaned, actor=actor, now=now)
    item.status, item.updated_at = ItemStatus.IN_PROGRESS, now
    set_next_action(session, item_id, now)  # the sweep looks again at once
    record_event(session, entity="item", entity_id=item_id, action="status", actor=actor, at=now,
                 before={"status": ItemStatus.SUBMITTED.value},
                 after={"status": ItemStatus.IN_PROGRESS.value, "reason": cleaned})
    return item


def _review(session: Session, item: Item, submission: Submission, verdict: Verdict, *,
            note: str | None, actor: str, now: datetime) -> None:
    submission.verdict, submission.reviewed_at = verdict, now
    submission.reviewed_by, submission.review_note = actor, note
    session.add(submission)
    record_event(session, entity="item", entity_id=item.id, action="review",  # type: ignore[arg-type]
                 actor=actor, at=now,
                 after={"submission_id": submission.id, "verdict": verdict.value, "note": note})


def instruct(session: Session, item_id: int, text: str, *, actor: str, now: datetime) -> Instruction:
    """领导批示: shown at the top of the item and quoted in the reminders sent after it."""
    item_ops.get_item(session, item_id)
    instruction = Instruction(item_id=item_id, at=now, author=validation.text(actor, "批示人", max_len=100),
                              text=validation.text(text, "批示内容", max_len=2000, multiline=True))
    session.add(instruction)
    session.flush()
    record_event(session, entity="item", entity_id=item_id, action="instruct", actor=actor, at=now,
                 after={"instruction_id": instruction.id, "text": instruction.text})
    return instruction


def instructions_of(session: Session, item_id: int) -> list[Instruction]:
    """Newest first: the latest instruction is the one shown on top."""
    return list(session.exec(select(Instruction).where(Instruction.item_id == item_id)
                             .order_by(col(Instruction.at).desc(), col(Instruction.id).desc())))


def urge_now(session: Session, item_ids: Sequence[int], *, actor: str, now: datetime,
             recipients: Sequence[str] | None = None, domain: str = "duban.local") -> int:
    """手动催办: queue one 催办 per item and recipient (default: the unit's contact) in the
    outbox, to go out at the next office hour. The same urge repeated at the same instant adds
    nothing. Returns how many messages were queued."""
    if not item_ids:
        raise InputError("事项", "", "至少选择一个事项")
    chosen = [validation.email(r, "收件人") for r in recipients or ()]
    chosen_items = [_open_item(session, item_id, "催办") for item_id in dict.fromkeys(item_ids)]
    for item in chosen_items:  # every refusal before anything is written
        if item.status is ItemStatus.SUBMITTED:
            raise Refused(f"事项 {item.id} 已提交，正等待审核，不能催办")
    rows: list[NewRow] = []
    for item in chosen_items:
        item_id: int = item.id  # type: ignore[assignment]
        unit = session.get(Unit, item.unit_id)
        assert unit is not None
        to = [(_name_of(unit, e), e) for e in chosen] or [(unit.contact_name, unit.contact_email)]
        stamp = now.isoformat()
        for name, email in dict.fromkeys(to):
            key = f"urge:{item_id}:{stamp}:{email.lower()}"  # type: ignore[union-attr]
            rows.append(NewRow(key, item_id, ReminderKind.URGE.value, "urge", email, name,  # type: ignore[arg-type]
                               "[]", json.dumps({"urged_by": actor}), now, False,
                               message_id_for(key, domain)))
        record_event(session, entity="item", entity_id=item_id, action="urge", actor=actor, at=now,
                     after={"to": [e for _, e in to]})
    return sum(insert_new(session, rows, now=now).values())


def _name_of(unit: Unit, email: str) -> str:
    lowered = email.lower()
    if unit.contact_email.lower() == lowered:
        return unit.contact_name
    if unit.leader_email and unit.leader_email.lower() == lowered:
        return unit.leader_name or "分管领导"
    return email.split("@")[0]
