"""/ledger (台账): upload, see the dry run (every problem, or what would change), confirm;
export the whole ledger or the empty template."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from duban.web.context import SUPERVISORS, Viewer, allow, allow_post, web
from duban.web.render import page
from duban.web.uploads import has_file, new_token, pending_folder, save_upload, sweep_abandoned
from models.errors import DubanError, InputError, ValidationFailed
from models.ledger import import_ledger
from models.ledger.export import export_ledger
from models.ledger.template import write_template

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/ledger")
def ledger_page(request: Request, viewer: Viewer = Depends(allow(*SUPERVISORS))):
    return page(request, viewer, "ledger.html", errors={}, result=None, problems=None)


@router.post("/ledger/check")
def ledger_check(request: Request, file: UploadFile | None = File(None),
                 viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    state = web(request)
    if not has_file(file):
        return page(request, viewer, "ledger.html", status=400, errors={"file": "请选择台账文件"},
                    result=None, problems=None)
    sweep_abandoned(state.settings.home)
    token = new_token()
    folder = state.settings.home / "uploads" / token
    try:
        path = save_upload(file, folder, max_bytes=state.settings.max_upload_mb * 1048576)  # type: ignore[arg-type]
        with state.session() as session:
            result = import_ledger(session, path, actor=viewer.name, now=state.now(),
                                   tz=state.settings.tz, dry_run=True)
    except ValidationFailed as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return page(request, viewer, "ledger.html", status=400, errors={}, result=None,
                    problems=exc.problems, source=exc.source)
    except (InputError, DubanError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return page(request, viewer, "ledger.html", status=400, errors={"file": str(exc)},
                    result=None, problems=None)
    return page(request, viewer, "ledger.html", errors={}, result=result, problems=None, token=token)


@router.post("/ledger/import")
def ledger_import(request: Request, token: str = Form(""),
                  viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    state = web(request)
    folder = pending_folder(state.settings.home, token)
    files = list(folder.iterdir()) if folder else []
    if not files:
        return page(request, viewer, "ledger.html", status=400, result=None, problems=None,
                    errors={"file": "上传的文件已过期或已导入，请重新上传"})
    try:
        with state.session() as session:
            result = import_ledger(session, files[0], actor=viewer.name, now=state.now(),
                                   tz=state.settings.tz)
    except ValidationFailed as exc:  # the database changed since the check
        return page(request, viewer, "ledger.html", status=400, errors={}, result=None,
                    problems=exc.problems, source=exc.source)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # type: ignore[arg-type]
    return page(request, viewer, "ledger.html", errors={}, result=result, problems=None, imported=True)


def _send(folder: Path, path: Path, filename: str) -> FileResponse:
    return FileResponse(path, filename=filename, media_type=XLSX,
                        background=BackgroundTask(shutil.rmtree, folder, True))


@router.get("/ledger/export.xlsx")
def ledger_export(request: Request, viewer: Viewer = Depends(allow(*SUPERVISORS))):
    state = web(request)
    folder = Path(tempfile.mkdtemp(prefix="duban-ledger-"))
    path = folder / "台账.xlsx"
    with state.reading() as session:
        clock = state.clock_for(session)
        export_ledger(session, path, clock=clock)
    return _send(folder, path, f"督办台账-{clock.now.astimezone(state.settings.tz):%Y%m%d}.xlsx")


@router.get("/ledger/template.xlsx")
def ledger_template(request: Request, viewer: Viewer = Depends(allow(*SUPERVISORS))):
    folder = Path(tempfile.mkdtemp(prefix="duban-template-"))
    path = folder / "台账模板.xlsx"
    write_template(path)
    return _send(folder, path, "督办台账模板.xlsx")
