"""What `duban item show` says about an item's closed loop: 批示 on top, 签收, submissions and
their 审核, 延期 requests, and the files of its progress entries."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from sqlmodel import Session

from duban.cli.context import out
from models.domain.deadlines import Deadline
from models.records import extensions, loop
from models.records.items import get_item, progress_of
from models.records.submissions import submissions_of


def _local(instant, tz: ZoneInfo) -> str | None:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M") if instant else None


def loop_details(session: Session, item_id: int, tz: ZoneInfo) -> dict[str, Any]:
    item = get_item(session, item_id)
    entries = progress_of(session, item_id)
    files = loop.progress_files(session, [p.id for p in entries])  # type: ignore[misc]
    return {
        "instructions": [{"at": _local(i.at, tz), "author": i.author, "text": i.text}
                         for i in loop.instructions_of(session, item_id)],
        "acked_at": _local(item.acked_at, tz), "acked_by": item.acked_by,
        "progress_files": {str(p.id): [f.filename for f in files[p.id]]  # type: ignore[index]
                           for p in entries if files[p.id]},  # type: ignore[index]
        "submissions": [
            {"at": _local(s.at, tz), "by": s.by, "note": s.note, "late": s.late,
             "files": [f.filename for f in fs], "verdict": s.verdict.value if s.verdict else None,
             "reviewed_by": s.reviewed_by, "reviewed_at": _local(s.reviewed_at, tz),
             "review_note": s.review_note}
            for s, fs in submissions_of(session, item_id)],
        "extensions": [
            {"id": e.id, "status": e.status.value, "from": str(Deadline(e.from_date, e.from_time)),
             "to": str(Deadline(e.to_date, e.to_time)), "reason": e.reason,
             "requested_by": e.requested_by, "decided_by": e.decided_by,
             "decision_note": e.decision_note}
            for e in extensions.extensions_of(session, item_id)],
    }


def print_instructions(instructions: list[dict[str, Any]]) -> None:
    for i in instructions:
        out.print(Text.assemble(("领导批示", "bold red"), f"：{i['text']}（{i['author']}，{i['at']}）"))


def print_loop(row: dict[str, Any]) -> None:
    signed = f"{row['acked_by']} {row['acked_at']}" if row["acked_at"] else \
        ("未签收（已超过一个工作日）" if row.get("unacked") else "未签收")
    out.print(Text.assemble(("签收", "bold"), f"：{signed}"))
    if row.get("original_deadline"):
        out.print(Text.assemble(("原完成时限", "bold"), f"：{row['original_deadline']}（考核按此计算）"))
    for s in row["submissions"]:
        verdict = {"通过": "审核通过", "退回": "已退回"}.get(s["verdict"] or "", "待审核")
        files = f"，附件：{'、'.join(s['files'])}" if s["files"] else ""
        review = f"（{s['reviewed_by']} {s['reviewed_at']}" + (
            f"：{s['review_note']}）" if s["review_note"] else "）") if s["verdict"] else ""
        out.print(Text.assemble(("报送", "bold"),
                                f"：{s['at']} {s['by']}{'（逾期）' if s['late'] else ''}"
                                f"{files}；{verdict}{review}"))
    for e in row["extensions"]:
        decided = f"，{e['decided_by']}" + (f"：{e['decision_note']}" if e["decision_note"] else "") \
            if e["decided_by"] else ""
        out.print(Text.assemble(("延期申请", "bold"),
                                f" {e['id']}：{e['from']} → {e['to']}（{e['reason']}，{e['requested_by']}）"
                                f"{e['status']}{decided}"))
