"""Submissions (报送): when, who and what was handed in for an item, with files kept by hash.

Submitting closes the item (办结) at the submission time, unless its kind waits for 审核
(``LoopRules.needs_review``): then it becomes 已提交 and nothing chases it until it is accepted
(closed at the submission time) or returned (models.records.loop). Handed in after the
deadline it counts as late, never as on time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from models.domain import validation
from models.domain.enums import ItemStatus
from models.domain.loop import LoopRules
from models.engine.outbox import drop_pending
from models.errors import InputError, Refused
from models.records.items import complete_item, get_item
from models.store.events import record_event
from models.store.next_actions import set_next_action
from models.store.tables import Item, Submission, SubmissionFile

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    filename: str
    size: int
    sha256: str
    path: str  # relative to the files folder


def check_upload(path: Path, *, max_bytes: int) -> None:
    """Refuse what cannot be stored, before anything is written."""
    if not path.is_file():
        raise InputError("文件", str(path), "不存在或不是普通文件")
    size = path.stat().st_size
    if size == 0:
        raise InputError("文件", path.name, "是空文件")
    if size > max_bytes:
        raise InputError("文件", path.name,
                         f"大小 {size / 1048576:.1f} MB，超过上限 {max_bytes / 1048576:.0f} MB")


def store_file(path: Path, files_dir: Path, *, max_bytes: int) -> StoredFile:
    """Copy into files_dir under its SHA-256 (content-addressed: the same file is kept once)."""
    check_upload(path, max_bytes=max_bytes)
    files_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=files_dir, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as tmp, path.open("rb") as src:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InputError("文件", path.name, "在读取时超过了大小上限")
                digest.update(chunk)
                tmp.write(chunk)
        sha = digest.hexdigest()
        relative = Path(sha[:2]) / sha
        target = files_dir / relative
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    if size == 0:
        raise InputError("文件", path.name, "是空文件")
    return StoredFile(path.name, size, sha, str(relative))


def check_submission(session: Session, item_id: int, *, at: datetime, now: datetime,
                     has_files: bool, note: str | None, by: str | None = None) -> Item:
    """Everything about a submission that can be refused, checked before files are stored."""
    item = get_item(session, item_id)
    if item.status.is_closed:
        raise Refused(f"事项 {item_id} 状态为“{item.status.value}”，不能再报送")
    if item.status is ItemStatus.SUBMITTED:
        raise Refused(f"事项 {item_id} 已提交，正等待审核；退回后才能再次报送")
    if at > now:
        raise InputError("报送时间", at.isoformat(), "不能晚于当前时间")
    if not has_files and not (note and note.strip()):
        raise InputError("报送内容", "", "至少附一个文件（--file）或写明情况（--note）")
    _clean_note(note)
    if by is not None:
        validation.text(by, "报送人", max_len=50)
    return item


def _clean_note(note: str | None) -> str | None:
    return validation.text(note, "说明", max_len=10_000, required=False, multiline=True)


def submit(session: Session, item_id: int, *, at: datetime, by: str, note: str | None,
           files: list[StoredFile], actor: str, now: datetime,
           rules: LoopRules = LoopRules()) -> Submission:
    """Record a submission; close the item at ``at``, or, for a kind that waits for 审核, make it
    已提交. Refused when the item is closed or already waits for 审核."""
    item = check_submission(session, item_id, at=at, now=now, has_files=bool(files), note=note)
    submission = Submission(
        item_id=item_id, at=at, by=validation.text(by, "报送人", max_len=50),
        note=_clean_note(note),
        late=at > item.due_at, created_at=now,
    )
    session.add(submission)
    session.flush()
    for f in files:
        session.add(SubmissionFile(submission_id=submission.id, filename=f.filename[:255],
                                   size=f.size, sha256=f.sha256, path=f.path))
    record_event(session, entity="item", entity_id=item_id, action="submit", actor=actor, at=now,
                 after={"submission_id": submission.id, "at": at.isoformat(),
                        "late": submission.late, "files": [f.filename for f in files]})
    if rules.needs_review(item.kind, item.parent_id):
        _mark_submitted(session, item, actor=actor, now=now)
    else:
        complete_item(session, item_id, at=at, actor=actor, now=now)
    return submission


def _mark_submitted(session: Session, item: Item, *, actor: str, now: datetime) -> None:
    """已提交: nothing chases the item while it waits (its schedule removed and its unsent
    reminders withdrawn, the schedule first as in items._close). Handing in is receipt enough:
    an item not yet acknowledged (签收) counts as acknowledged now."""
    before = {"status": item.status.value}
    if item.acked_at is None:
        item.acked_at, item.acked_by = now, actor
    item.status, item.updated_at = ItemStatus.SUBMITTED, now
    set_next_action(session, item.id, None)  # type: ignore[arg-type]
    drop_pending(session, item.id, reason="事项已提交，等待审核")  # type: ignore[arg-type]
    record_event(session, entity="item", entity_id=item.id, action="status",  # type: ignore[arg-type]
                 actor=actor, at=now, before=before, after={"status": ItemStatus.SUBMITTED.value})


def submissions_of(session: Session, item_id: int) -> list[tuple[Submission, list[SubmissionFile]]]:
    subs = session.exec(select(Submission).where(Submission.item_id == item_id)
                        .order_by(col(Submission.id)))
    result = []
    for sub in subs:
        files = session.exec(select(SubmissionFile).where(SubmissionFile.submission_id == sub.id))
        result.append((sub, list(files)))
    return result
