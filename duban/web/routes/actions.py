"""The closed loop's forms on an item: 签收, 反馈, 提交 (with a file), 销号/退回, 延期申请 and its
审批, 批示, 手动催办. Each checks who may act here (role, own unit) and calls the engine, which
checks the item's state; a refusal comes back on the item page beside its field."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.responses import RedirectResponse

from duban.web.access import extension_for, item_for
from duban.web.context import SUPERVISORS, Hidden, Viewer, allow_post, web
from duban.web.item_page import item_view
from duban.web.render import page
from duban.web.uploads import has_file, save_upload
from models.domain.enums import Role
from models.errors import DubanError, InputError
from models.records import extensions, loop
from models.records.submissions import StoredFile, store_file, submit

router = APIRouter()
# The form field each engine field name belongs beside.
FIELDS = {"说明": "note", "报送内容": "note", "文件": "file", "进展": "text", "填报人": "text",
          "延期至": "to", "延期理由": "reason", "退回理由": "reason", "驳回理由": "reject_reason",
          "批示内容": "instruct", "收件人": "_"}


def _own(viewer: Viewer, item) -> None:
    """Unit forms: only the item's own unit (the bureau's roles do not act for a unit)."""
    if not (viewer.is_unit and viewer.unit_id == item.unit_id):
        raise Hidden


def _act(request: Request, viewer: Viewer, item_id: int, work: Callable, *, own: bool,
         done: str, form: dict | None = None, shown_in: str | None = None):
    """Run ``work(session, item)`` for an item this viewer may see; on a refusal show the item
    page again with the message beside its field and nothing saved."""
    state = web(request)
    try:
        with state.session() as session:
            item, _ = item_for(session, viewer, item_id)
            if own:
                _own(viewer, item)
            work(session, item)
    except Hidden:
        raise
    except DubanError as exc:
        field = FIELDS.get(exc.field, "_") if isinstance(exc, InputError) else "_"
        with state.reading() as session:
            item, unit = item_for(session, viewer, item_id)
            view = item_view(session, state.clock_for(session), viewer, item, unit,
                             rules=state.settings.loop_rules)
        if (shown_in or done) not in view.actions:  # its form is not on the page: say it on top
            field = "_"
        return page(request, viewer, "item.html", status=400, v=view, errors={field: str(exc)},
                    form=form or {}, message="")
    return RedirectResponse(f"/items/{item_id}?done={done}", status_code=303)


def _stored(request: Request, upload: UploadFile | str | None) -> tuple[list[StoredFile], Path | None]:
    """The uploaded file kept by its SHA-256 (files_dir), or nothing when none was chosen."""
    if not has_file(upload):
        return [], None
    settings = web(request).settings
    folder = Path(tempfile.mkdtemp(prefix="duban-upload-"))
    limit = settings.max_upload_mb * 1048576
    path = save_upload(upload, folder, max_bytes=limit)  # type: ignore[arg-type]
    return [store_file(path, settings.files_dir, max_bytes=limit)], folder


@router.post("/items/{item_id}/ack")
def ack(request: Request, item_id: int, viewer: Viewer = Depends(allow_post(Role.UNIT))):
    now = web(request).now()
    return _act(request, viewer, item_id, lambda s, i: loop.ack(s, item_id, actor=viewer.name, now=now),
                own=True, done="ack")


@router.post("/items/{item_id}/progress")
def progress(request: Request, item_id: int, text: str = Form(""),
             file: UploadFile | None = File(None),
             viewer: Viewer = Depends(allow_post(Role.UNIT))):
    now = web(request).now()
    folder: list[Path | None] = [None]

    def work(session, item) -> None:
        files, folder[0] = _stored(request, file)
        loop.add_progress(session, item_id, text, actor=viewer.name, now=now, files=files)

    try:
        return _act(request, viewer, item_id, work, own=True, done="progress", form={"text": text})
    finally:
        if folder[0]:
            shutil.rmtree(folder[0], ignore_errors=True)


@router.post("/items/{item_id}/submit")
def submit_item(request: Request, item_id: int, note: str = Form(""),
                file: UploadFile | None = File(None),
                viewer: Viewer = Depends(allow_post(Role.UNIT))):
    state = web(request)
    now = state.now()
    folder: list[Path | None] = [None]

    def work(session, item) -> None:
        files, folder[0] = _stored(request, file)
        submit(session, item_id, at=now, by=viewer.name, note=note or None, files=files,
               actor=viewer.name, now=now, rules=state.settings.loop_rules)

    try:
        return _act(request, viewer, item_id, work, own=True, done="submit", form={"note": note})
    finally:
        if folder[0]:
            shutil.rmtree(folder[0], ignore_errors=True)


@router.post("/items/{item_id}/extension")
def request_extension(request: Request, item_id: int, to: str = Form(""), reason: str = Form(""),
                      viewer: Viewer = Depends(allow_post(Role.UNIT))):
    state = web(request)
    now = state.now()
    return _act(request, viewer, item_id,
                lambda s, i: extensions.request_extension(s, item_id, to=to, reason=reason,
                                                          actor=viewer.name, now=now, tz=state.settings.tz),
                own=True, done="extension", form={"to": to, "reason": reason})


@router.post("/items/{item_id}/accept")
def accept(request: Request, item_id: int, viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    now = web(request).now()
    return _act(request, viewer, item_id,
                lambda s, i: loop.accept(s, item_id, actor=viewer.name, now=now), own=False,
                done="accept")


@router.post("/items/{item_id}/return")
def return_item(request: Request, item_id: int, reason: str = Form(""),
                viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    now = web(request).now()
    return _act(request, viewer, item_id,
                lambda s, i: loop.return_item(s, item_id, reason=reason, actor=viewer.name, now=now),
                own=False, done="return", form={"reason": reason})


@router.post("/items/{item_id}/instruct")
def instruct(request: Request, item_id: int, text: str = Form(""),
             viewer: Viewer = Depends(allow_post(Role.LEADER))):
    now = web(request).now()
    return _act(request, viewer, item_id,
                lambda s, i: loop.instruct(s, item_id, text, actor=viewer.name, now=now), own=False,
                done="instruct", form={"instruct": text})


@router.post("/items/{item_id}/urge")
def urge(request: Request, item_id: int, viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    state = web(request)
    now = state.now()
    domain = state.settings.engine_config.mail_domain
    return _act(request, viewer, item_id,
                lambda s, i: loop.urge_now(s, [item_id], actor=viewer.name, now=now, domain=domain),
                own=False, done="urge")


def _decide(request: Request, viewer: Viewer, extension_id: int, work: Callable, done: str):
    state = web(request)
    with state.reading() as session:
        extension, _ = extension_for(session, viewer, extension_id)
        item_id = extension.item_id
    return _act(request, viewer, item_id, lambda s, i: work(s), own=False, done=done,
                shown_in="decide_extension")


@router.post("/extensions/{extension_id}/approve")
def approve(request: Request, extension_id: int, viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    state = web(request)
    now = state.now()
    return _decide(request, viewer, extension_id,
                   lambda s: extensions.approve_extension(s, extension_id, actor=viewer.name, now=now,
                                                          tz=state.settings.tz), "approve")


@router.post("/extensions/{extension_id}/reject")
def reject(request: Request, extension_id: int, reason: str = Form(""),
           viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    now = web(request).now()
    return _decide(request, viewer, extension_id,
                   lambda s: extensions.reject_extension(s, extension_id, reason=reason,
                                                         actor=viewer.name, now=now), "reject")
