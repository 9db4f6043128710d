"""Pages: Jinja2 templates (autoescaped: a title holding HTML shows as text), in Chinese,
with local times."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from duban.web.context import OFFICE, SUPERVISORS, Viewer, web
from models.domain.enums import Light, Role
from models.reports.views import shown_time

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["shown"] = shown_time  # an item row's ISO deadline as people read it
LIGHT_CLASS = {Light.RED.value: "red", Light.YELLOW.value: "yellow", Light.GREEN.value: "green",
               Light.DONE.value: "grey", Light.CANCELLED.value: "grey"}


def _nav(viewer: Viewer | None) -> list[tuple[str, str]]:
    if viewer is None:
        return []
    links = []
    if viewer.role in OFFICE:
        links.append(("/overview", "总览"))
    if viewer.is_unit:
        links.append(("/mine", "我的待办"))
    links += [("/items", "事项"), ("/calendar", "日历")]
    if viewer.role in OFFICE:
        links += [("/recurring", "周期任务"), ("/meetings", "会议")]
    if viewer.role in SUPERVISORS:
        links += [("/ledger", "台账"), ("/activities", "工作台账"), ("/summary", "年度总结")]
    if viewer.role is Role.ADMIN:
        links.append(("/settings", "设置"))
    return links


def page(request: Request, viewer: Viewer | None, template: str, *, status: int = 200,
         **context: Any) -> HTMLResponse:
    state = web(request)
    tz = state.settings.tz

    def local(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(tz).strftime(fmt)
        return value.strftime("%Y-%m-%d")

    text = TEMPLATES.get_template(template).render({
        "request": request, "viewer": viewer, "nav": _nav(viewer), "path": request.url.path,
        "local": local, "light_class": LIGHT_CLASS, "bureau": state.settings.bureau_name, **context,
    })
    # A page may quote what a user sent (a refused file's cell): a character UTF-8 cannot carry
    # (a lone surrogate) becomes "?" rather than failing the whole page.
    return HTMLResponse(text.encode("utf-8", "replace"), status_code=status)
