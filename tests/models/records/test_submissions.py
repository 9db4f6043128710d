"""Submissions (报送): on time or late at the deadline's exact edge, refusals that write
nothing, and files kept once by SHA-256 under the files folder.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from models.domain.enums import ItemStatus
from models.errors import InputError, Refused
from models.records.items import cancel_item, complete_item
from models.records.submissions import StoredFile, check_upload, store_file, submissions_of, submit
from models.store.events import history
from models.store.next_actions import next_action_of
from models.store.tables import Item, Submission, SubmissionFile
from tests.support.factories import make_item, make_unit, reload

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=TZ)
LIMIT = 1024


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def unit(session):
    return make_unit(session, "示例一街道办事处", "街道办事处", contact_name="孙浩",
                     contact_email="jiedao01@example.org")


def node(session, deadline: str = "2026-12-07 17:00"):
    return make_item(session, "示例一街道办事处", kind="报送节点", title="优抚资金材料",
                     deadline=deadline)


def hand_in(session, item_id: int, when: datetime, *, files=(), note: str | None = "已报送"):
    return submit(session, item_id, at=when, by="孙浩", note=note, files=list(files),
                  actor="test", now=NOW)


def count(session, model) -> int:
    session.flush()
    return session.execute(select(func.count()).select_from(model)).scalar_one()


# -- on time or late ---------------------------------------------------------------------------

def test_at_the_deadline_is_on_time_one_second_later_is_late(session, unit):
    edge, after = node(session), node(session)
    assert edge.due_at == at("2026-12-07 17:00")
    on_time = hand_in(session, edge.id, at("2026-12-07 17:00"))
    late = hand_in(session, after.id, at("2026-12-07 17:00:01"))
    assert (on_time.late, late.late) == (False, True)
    for item_id, when in ((edge.id, at("2026-12-07 17:00")), (after.id, at("2026-12-07 17:00:01"))):
        item = reload(session, Item, item_id)
        assert item.status is ItemStatus.DONE and item.completed_at == when
        assert next_action_of(session, item_id) is None
    assert [s.late for s, _ in submissions_of(session, after.id)] == [True]
    submit_event = [e for e in history(session, "item", after.id) if e.action == "submit"]
    assert submit_event[0].after["late"] is True
    assert submit_event[0].after["at"] == at("2026-12-07 17:00:01").isoformat()


@pytest.mark.parametrize(("when", "late"), [
    ("2026-12-07 23:59:59", False),
    ("2026-12-08 00:00:00", False),  # 24:00 on the deadline's day
    ("2026-12-08 00:00:01", True),
])
def test_a_date_only_deadline_ends_at_midnight(session, unit, when, late):
    item = node(session, "2026-12-07")
    assert item.due_at == at("2026-12-08 00:00")
    assert hand_in(session, item.id, at(when)).late is late


def test_a_late_submission_is_never_on_time_whatever_the_note(session, unit):
    item = node(session, "2026-12-01 17:00")
    sub = hand_in(session, item.id, at("2026-12-02 09:00"), note="按期报送")
    assert sub.late is True


# -- refused, writing nothing ------------------------------------------------------------------

def test_a_closed_item_refuses_a_submission(session, unit):
    done, cancelled = node(session), node(session)
    hand_in(session, done.id, at("2026-12-07 16:00"))
    cancel_item(session, cancelled.id, actor="test", now=NOW)
    with pytest.raises(Refused, match="状态为“已办结”，不能再报送"):
        hand_in(session, done.id, at("2026-12-08 09:00"))
    with pytest.raises(Refused, match="状态为“已撤销”，不能再报送"):
        hand_in(session, cancelled.id, at("2026-12-07 16:00"))
    assert count(session, Submission) == 1


def test_an_item_done_by_hand_refuses_a_submission(session, unit):
    item = node(session)
    complete_item(session, item.id, at=at("2026-12-07 12:00"), actor="test", now=NOW)
    with pytest.raises(Refused):
        hand_in(session, item.id, at("2026-12-07 13:00"))
    assert count(session, Submission) == 0


@pytest.mark.parametrize(("when", "note", "field"), [
    ("2026-12-09 10:00:01", "已报送", "报送时间"),  # after "now"
    ("2026-12-07 16:00", None, "报送内容"),  # neither a file nor a note
    ("2026-12-07 16:00", "   ", "报送内容"),
])
def test_a_bad_submission_is_refused(session, unit, when, note, field):
    item = node(session)
    with pytest.raises(InputError) as caught:
        hand_in(session, item.id, at(when), note=note)
    assert caught.value.field == field
    assert count(session, Submission) == 0
    assert reload(session, Item, item.id).status is ItemStatus.NOT_STARTED


def test_a_submission_with_files_records_each_file(session, unit, tmp_path):
    files_dir = tmp_path / "files"
    a = tmp_path / "明细.xlsx"
    a.write_bytes(b"detail" * 100)
    b = tmp_path / "佐证.pdf"
    b.write_bytes(b"%PDF-1.7 proof")
    stored = [store_file(p, files_dir, max_bytes=LIMIT) for p in (a, b)]
    item = node(session)
    hand_in(session, item.id, at("2026-12-07 16:00"), files=stored, note=None)
    [(sub, files)] = submissions_of(session, item.id)
    assert sub.note is None and sub.by == "孙浩"
    assert [(f.filename, f.size, f.sha256) for f in files] == [
        ("明细.xlsx", 600, hashlib.sha256(b"detail" * 100).hexdigest()),
        ("佐证.pdf", 14, hashlib.sha256(b"%PDF-1.7 proof").hexdigest())]
    assert all((files_dir / f.path).read_bytes() in (a.read_bytes(), b.read_bytes()) for f in files)
    submit_event = [e for e in history(session, "item", item.id) if e.action == "submit"]
    assert submit_event[0].after["files"] == ["明细.xlsx", "佐证.pdf"]


def test_two_submissions_of_the_same_file_share_one_copy(session, unit, tmp_path):
    files_dir = tmp_path / "files"
    first, second = tmp_path / "十二月.xlsx", tmp_path / "copy.xlsx"
    first.write_bytes(b"same content")
    second.write_bytes(b"same content")
    one, two = node(session), node(session)
    hand_in(session, one.id, at("2026-12-07 16:00"), files=[store_file(first, files_dir, max_bytes=LIMIT)])
    hand_in(session, two.id, at("2026-12-07 16:30"), files=[store_file(second, files_dir, max_bytes=LIMIT)])
    rows = session.exec(select(SubmissionFile)).all()
    assert len(rows) == 2 and rows[0].path == rows[1].path
    assert {r.filename for r in rows} == {"十二月.xlsx", "copy.xlsx"}
    assert [p for p in files_dir.rglob("*") if p.is_file()] == [files_dir / rows[0].path]


# -- storing files -----------------------------------------------------------------------------

def stored_files(files_dir: Path) -> list[Path]:
    return sorted(p for p in files_dir.rglob("*") if p.is_file()) if files_dir.exists() else []


def test_a_file_is_stored_under_its_sha256(tmp_path):
    data = b"\x00\x01" * 40_000 + "优抚资金".encode()
    source = tmp_path / "明细.xlsx"
    source.write_bytes(data)
    stored = store_file(source, tmp_path / "files", max_bytes=1 << 20)
    sha = hashlib.sha256(data).hexdigest()
    assert stored == StoredFile("明细.xlsx", len(data), sha, f"{sha[:2]}/{sha}")
    assert (tmp_path / "files" / stored.path).read_bytes() == data
    assert stored_files(tmp_path / "files") == [tmp_path / "files" / sha[:2] / sha]


def test_a_file_larger_than_one_read_is_hashed_whole(tmp_path):
    data = bytes(range(256)) * (5 * 4096 + 7)  # over 5 MiB: several chunks
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    stored = store_file(source, tmp_path / "files", max_bytes=len(data))
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_the_same_file_twice_is_kept_once(tmp_path):
    files_dir = tmp_path / "files"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"identical")
    b.write_bytes(b"identical")
    first = store_file(a, files_dir, max_bytes=LIMIT)
    second = store_file(b, files_dir, max_bytes=LIMIT)
    assert first.sha256 == second.sha256 and first.path == second.path
    assert (first.filename, second.filename) == ("a.txt", "b.txt")
    assert len(stored_files(files_dir)) == 1
    c = tmp_path / "c.txt"
    c.write_bytes(b"different")
    store_file(c, files_dir, max_bytes=LIMIT)
    assert len(stored_files(files_dir)) == 2


def test_an_empty_file_is_refused_with_nothing_written(tmp_path):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as caught:
        store_file(empty, tmp_path / "files", max_bytes=LIMIT)
    assert str(caught.value) == "文件 “空.xlsx”：是空文件"
    assert not (tmp_path / "files").exists()


def test_an_oversize_file_is_refused_with_nothing_written(tmp_path):
    exact, over = tmp_path / "exact.bin", tmp_path / "over.bin"
    exact.write_bytes(b"x" * LIMIT)
    over.write_bytes(b"x" * (LIMIT + 1))
    with pytest.raises(InputError, match="超过上限"):
        check_upload(over, max_bytes=LIMIT)
    with pytest.raises(InputError, match="超过上限"):
        store_file(over, tmp_path / "files", max_bytes=LIMIT)
    assert not (tmp_path / "files").exists()
    assert store_file(exact, tmp_path / "files", max_bytes=LIMIT).size == LIMIT  # the limit itself is fine


def test_the_limit_is_named_in_megabytes(tmp_path):
    big = tmp_path / "scan.pdf"
    big.write_bytes(b"x" * (3 * 1048576 + 1))
    with pytest.raises(InputError) as caught:
        check_upload(big, max_bytes=2 * 1048576)
    assert str(caught.value) == "文件 “scan.pdf”：大小 3.0 MB，超过上限 2 MB"


def test_a_file_growing_past_the_limit_while_read_leaves_nothing_behind(tmp_path, monkeypatch):
    # As if the file grew between the size check and the copy: fstat still tells the old size.
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result(
        (*real_fstat(fd)[:6], 1, *real_fstat(fd)[7:])))
    over = tmp_path / "growing.log"
    over.write_bytes(b"x" * (LIMIT + 1))
    with pytest.raises(InputError, match="在读取时超过了大小上限"):
        store_file(over, tmp_path / "files", max_bytes=LIMIT)
    assert list((tmp_path / "files").rglob("*")) == []


@pytest.mark.parametrize("name", ["missing.xlsx", "a-folder"])
def test_a_missing_path_or_a_folder_is_refused(tmp_path, name):
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(InputError, match=r"不存在|不是普通文件"):
        store_file(tmp_path / name, tmp_path / "files", max_bytes=LIMIT)
    assert not (tmp_path / "files").exists()

