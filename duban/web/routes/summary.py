"""/activities (工作台账: the activities a report counts) and /summary (年度总结: a button that
runs the year-end job in the background, its progress, and the file). Supervisors and admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import select
from starlette.responses import FileResponse, RedirectResponse

from duban.summary_runs import STEPS, SummaryRuns
from duban.web.context import SUPERVISORS, Viewer, allow, allow_post, web
from duban.web.render import page
from models.errors import DubanError
from models.records.activities import add_activity, list_activities, list_categories
from models.store.tables import Unit

router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHOWN = 200  # the newest activities listed on the page; the rest are in the export


def _runs(request: Request) -> SummaryRuns:
    state = request.app.state
    if getattr(state, "summary_runs", None) is None:
        state.summary_runs = SummaryRuns(web(request).settings, clock=web(request).now)
    return state.summary_runs


def _activities_page(request: Request, viewer: Viewer, *, status: int = 200,
                     errors: dict | None = None, values: dict | None = None, added: str | None = None):
    state = web(request)
    with state.session() as session:
        activities = list_activities(session)[-SHOWN:][::-1]
        categories = [c.name for c in list_categories(session)]
        units = sorted(session.exec(select(Unit.name)))
    return page(request, viewer, "activities.html", status=status, activities=activities,
                categories=categories, units=units, errors=errors or {}, values=values or {},
                added=added)


@router.get("/activities")
def activities_page(request: Request, viewer: Viewer = Depends(allow(*SUPERVISORS))):
    return _activities_page(request, viewer)


@router.post("/activities")
def activities_add(request: Request, day: str = Form(""), category: str = Form(""),
                   title: str = Form(""), unit: str = Form(""), times: str = Form(""),
                   people: str = Form(""), amount: str = Form(""), pieces: str = Form(""),
                   note: str = Form(""), viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    state = web(request)
    values = {"day": day, "category": category, "title": title, "unit": unit, "times": times,
              "people": people, "amount": amount, "pieces": pieces, "note": note}
    fields = {k: (v.strip() or None) for k, v in values.items()}
    now = state.now()
    try:
        with state.session() as session:
            activity = add_activity(session, fields, actor=viewer.name, now=now,
                                    today=now.astimezone(state.settings.tz).date())
            title_added = activity.title
    except DubanError as exc:
        return _activities_page(request, viewer, status=400, values=values,
                                errors={"form": str(exc)})
    return _activities_page(request, viewer, added=title_added)


@router.get("/summary")
def summary_page(request: Request, run: str = "", viewer: Viewer = Depends(allow(*SUPERVISORS))):
    found = _runs(request).status(run) if run else None
    year = web(request).now().astimezone(web(request).settings.tz).year
    return page(request, viewer, "summary.html", run=run if found else "", run_status=found,
                steps=STEPS, year=year, errors={})


@router.post("/summary/start")
def summary_start(request: Request, period: str = Form(""),
                  viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    year = web(request).now().astimezone(web(request).settings.tz).year
    if not period.strip():
        return page(request, viewer, "summary.html", status=400, run="", run_status=None,
                    steps=STEPS, year=year,
                    errors={"period": "请填写期间，例如 2026、2026-H2、2026-Q4 或 2026-12"})
    try:
        run_id = _runs(request).start(period=period.strip(), by=viewer.name)
    except DubanError as exc:
        return page(request, viewer, "summary.html", status=400, run="", run_status=None,
                    steps=STEPS, year=year, errors={"period": str(exc)})
    return RedirectResponse(f"/summary?run={run_id}", status_code=303)


@router.get("/summary/file")
def summary_file(request: Request, run: str = "", viewer: Viewer = Depends(allow(*SUPERVISORS))):
    found = _runs(request).status(run) if run else None
    if found is None or found.state != "done" or found.path is None:
        return RedirectResponse(f"/summary?run={run}" if found else "/summary", status_code=303)
    return FileResponse(found.path, filename=found.path.name, media_type=DOCX)
