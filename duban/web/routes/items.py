"""/items (the filtered list and its .xlsx export), /items/{id} (the item page) and
/files/{id} (a submitted file, downloaded only by those who may see its item)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlmodel import col, select
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from duban.web.access import item_for, progress_file_for, submission_file_for, unit_scope
from duban.web.context import Viewer, allow, web
from duban.web.item_page import item_view
from duban.web.render import page
from models.domain import validation
from models.domain.enums import ItemKind, ItemStatus, Light, parse_enum
from models.errors import InputError
from models.ledger.export import export_ledger
from models.records.units import find_unit
from models.reports.item_list import FLAGS, SORT_LABELS, SORTS, ItemQuery, find_items
from models.reports.views import item_row, pending_extension_ids
from models.store.tables import Unit

router = APIRouter()
DONE = {"ack": "已签收。", "progress": "已反馈进展。", "submit": "已提交，等待审核。",
        "extension": "已申请延期，等待审批。", "accept": "已审核通过，事项已销号。", "return": "已退回。",
        "instruct": "已批示。", "urge": "已催办，将在办公时间发出。", "approve": "已批准延期。",
        "reject": "已驳回延期申请。"}
FILTERS = ("unit", "kind", "status", "light", "due_from", "due_to", "q", "flag", "sort")


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = f"“{value[:20]}” 不是日期，应为 2026-12-01 这样的格式"
        return None


def parse_query(request: Request, viewer: Viewer, session) -> tuple[ItemQuery, dict, dict]:
    """The list's filter from the address, each bad value named beside its field (and ignored)."""
    params = {k: request.query_params.get(k, "") for k in (*FILTERS, "page")}
    errors: dict[str, str] = {}
    unit_id = unit_scope(viewer)
    if unit_id is None and params["unit"].strip():
        unit = find_unit(session, params["unit"].strip())
        if unit is None:
            errors["unit"] = f"没有名为“{params['unit'][:30]}”的单位"
        else:
            unit_id = unit.id
    chosen = {}
    for name, enum in (("kind", ItemKind), ("status", ItemStatus), ("light", Light)):
        if params[name].strip():
            chosen[name] = parse_enum(enum, params[name])
            if chosen[name] is None:
                errors[name] = f"“{params[name][:20]}” 不是可选的值"
    text = None
    try:
        text = validation.text(params["q"], "关键词", max_len=100, required=False)
    except InputError as exc:
        errors["q"] = exc.reason
    page_no = int(params["page"]) if params["page"].isdigit() and len(params["page"]) < 7 else 1
    query = ItemQuery(unit_id=unit_id, kind=chosen.get("kind"), status=chosen.get("status"),
                      light=chosen.get("light"), due_from=_day(params["due_from"], "due_from", errors),
                      due_to=_day(params["due_to"], "due_to", errors), text=text,
                      flag=params["flag"] if params["flag"] in FLAGS else None,
                      sort=params["sort"] if params["sort"] in SORTS else "deadline", page=page_no)
    return query, params, errors


@router.get("/items")
def items_page(request: Request, viewer: Viewer = Depends(allow())):
    state = web(request)
    with state.reading() as session:
        clock = state.clock_for(session)
        query, params, errors = parse_query(request, viewer, session)
        rules = state.settings.loop_rules
        found = find_items(session, query, clock, rules)
        waiting = pending_extension_ids(session, [i.id for i, _ in found.rows])  # type: ignore[misc]
        rows = [item_row(item, unit, clock, rules=rules, pending_extension=item.id in waiting)
                for item, unit in found.rows]
        units = [] if viewer.is_unit else list(session.exec(select(Unit.name).order_by(col(Unit.id))))
    kept = {k: v for k, v in params.items() if k in FILTERS and v}
    return page(request, viewer, "items.html", rows=rows, found=found, params=params, errors=errors,
                units=units, kinds=list(ItemKind), statuses=list(ItemStatus), lights=list(Light),
                sorts=SORT_LABELS, flags=FLAGS, filter_qs=urlencode(kept), status=400 if errors else 200)


@router.get("/items/export.xlsx")
def items_export(request: Request, viewer: Viewer = Depends(allow())):
    state = web(request)
    folder = Path(tempfile.mkdtemp(prefix="duban-export-"))
    path = folder / "督办事项.xlsx"
    with state.reading() as session:
        clock = state.clock_for(session)
        query, _, _ = parse_query(request, viewer, session)
        chosen = find_items(session, query.whole(), clock, state.settings.loop_rules).rows
        export_ledger(session, path, clock=clock, chosen=chosen, title="督办事项（筛选结果）")
    local = clock.now.astimezone(state.settings.tz)
    return FileResponse(path, filename=f"督办事项-{local:%Y%m%d-%H%M}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(_remove, folder))


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int, viewer: Viewer = Depends(allow())):
    state = web(request)
    with state.reading() as session:
        item, unit = item_for(session, viewer, item_id)
        view = item_view(session, state.clock_for(session), viewer, item, unit,
                         rules=state.settings.loop_rules)
    return page(request, viewer, "item.html", v=view, errors={}, form={},
                message=DONE.get(request.query_params.get("done", ""), ""))


@router.get("/files/{file_id}")
def download(request: Request, file_id: int, viewer: Viewer = Depends(allow())):
    state = web(request)
    with state.reading() as session:
        stored, _ = submission_file_for(session, viewer, file_id)
    path = state.settings.files_dir / stored.path
    return FileResponse(path, filename=stored.filename, media_type="application/octet-stream",
                        content_disposition_type="attachment")


@router.get("/progress-files/{progress_file_id}")
def download_progress_file(request: Request, progress_file_id: int, viewer: Viewer = Depends(allow())):
    state = web(request)
    with state.reading() as session:
        stored, _ = progress_file_for(session, viewer, progress_file_id)
    return FileResponse(state.settings.files_dir / stored.path, filename=stored.filename,
                        media_type="application/octet-stream", content_disposition_type="attachment")
