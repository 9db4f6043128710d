"""我的待办 (/mine), 日历 (/calendar), 周期任务 (/recurring) and 会议 (/meetings)."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import col, select
from starlette.responses import RedirectResponse

from duban.web.access import unit_scope
from duban.web.context import OFFICE, SUPERVISORS, Viewer, allow, allow_post, web
from duban.web.render import page
from duban.web.todo import todo_lists
from models.domain.enums import ItemKind, ItemStatus
from models.domain.recurrence import Rule
from models.records.meetings import attendance_of, get_meeting, record_attendance, template_of
from models.records.recurring import get_template, list_templates, set_paused
from models.records.units import list_units
from models.store.tables import Item, Unit

router = APIRouter()
CALENDAR_LIMIT = 3000


@router.get("/mine")
def mine(request: Request, viewer: Viewer = Depends(allow())):
    if not viewer.is_unit:
        return RedirectResponse("/overview", status_code=303)
    state = web(request)
    with state.reading() as session:
        clock = state.clock_for(session)
        lists = todo_lists(session, clock, viewer.unit_id, state.settings.loop_rules)  # type: ignore[arg-type]
    return page(request, viewer, "mine.html", lists=lists, now=clock.now)


def _month(text: str, today: date) -> date:
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


@router.get("/calendar")
def calendar_page(request: Request, month: str = "", viewer: Viewer = Depends(allow())):
    state = web(request)
    with state.reading() as session:
        clock = state.clock_for(session)
        today = clock.now.astimezone(state.settings.tz).date()
        first = _month(month, today)
        last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
        query = (select(Item).where(col(Item.deadline_date).between(first, last),
                                    Item.status != ItemStatus.CANCELLED)
                 .order_by(col(Item.deadline_date), col(Item.deadline_time), col(Item.id))
                 .limit(CALENDAR_LIMIT))
        scope = unit_scope(viewer)
        if scope is not None:
            query = query.where(Item.unit_id == scope)
        by_day: dict[date, list[Item]] = {}
        for item in session.exec(query):
            by_day.setdefault(item.deadline_date, []).append(item)
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
            weeks.append([(d, d.month == first.month, clock.calendar.is_workday(d), by_day.get(d, []))
                          for d in week])
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (last + timedelta(days=1)).strftime("%Y-%m")
    return page(request, viewer, "calendar.html", weeks=weeks, first=first, today=today,
                previous=previous, following=following, meeting=ItemKind.MEETING)


@router.get("/recurring")
def recurring_page(request: Request, viewer: Viewer = Depends(allow(*OFFICE))):
    state = web(request)
    with state.reading() as session:
        names = {u.id: u.name for u in list_units(session)}
        rows = [{"t": t, "rule": Rule.from_json(t.rule).describe(),
                 "units": "全部街道办事处" if t.all_street_offices
                 else "、".join(names.get(i, str(i)) for i in t.unit_ids)}
                for t in list_templates(session)]
    return page(request, viewer, "recurring.html", rows=rows,
                may_edit=viewer.role in SUPERVISORS)


@router.post("/recurring/{template_id}/pause")
def recurring_pause(request: Request, template_id: int, paused: str = Form("1"),
                    viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    state = web(request)
    with state.session() as session:
        get_template(session, template_id)
        set_paused(session, template_id, paused == "1", actor=viewer.name, now=state.now(),
                   tz=state.settings.tz)
    return RedirectResponse("/recurring", status_code=303)


@router.get("/meetings")
def meetings_page(request: Request, viewer: Viewer = Depends(allow(*OFFICE))):
    state = web(request)
    with state.reading() as session:
        clock = state.clock_for(session)
        since = clock.now - timedelta(days=30)
        meetings = session.exec(select(Item, Unit).join(Unit, col(Item.unit_id) == col(Unit.id))
                                .where(Item.kind == ItemKind.MEETING, col(Item.due_at) >= since)
                                .order_by(col(Item.due_at)).limit(60)).all()
        rows = []
        for item, unit in meetings:
            template = template_of(session, item)
            minutes = session.exec(select(Item).where(Item.parent_id == item.id)).first()
            invited = [unit.name] + [u.name for u in session.exec(select(Unit).where(
                col(Unit.id).in_(template.attendee_unit_ids if template else [])))]
            rows.append({"item": item, "organiser": unit.name, "place": template.place if template else None,
                         "attendance": dict(attendance_of(session, item.id)),  # type: ignore[arg-type]
                         "invited": invited, "minutes": minutes})
    return page(request, viewer, "meetings.html", rows=rows, now=clock.now,
                may_edit=viewer.role in SUPERVISORS)


@router.post("/meetings/{meeting_id}/attendance")
def meeting_attendance(request: Request, meeting_id: int, invited: list[str] = Form([]),
                       present: list[str] = Form([]),
                       viewer: Viewer = Depends(allow_post(*SUPERVISORS))):
    """Ticked units were there; the other invited units were not."""
    state = web(request)
    with state.session() as session:
        get_meeting(session, meeting_id)
        invited = invited[:200]
        there = [n for n in invited if n in set(present)]
        record_attendance(session, meeting_id, present=there,
                          absent=[n for n in invited if n not in there],
                          actor=viewer.name, now=state.now())
    return RedirectResponse("/meetings", status_code=303)
