"""The web workspace: ``create_app(settings)`` builds the FastAPI application.

Server-rendered pages that work without JavaScript; the stylesheet is the app's own
(``static/``). Errors become Chinese pages: 404 for unknown or foreign objects, 403 for a
form without its token, 400 for input the server refused, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from duban.config import Settings
from duban.web.context import CsrfFailed, Hidden, LoginRequired, Web, current_viewer, wall_clock, web
from duban.web.limits import BodyLimit, security_headers
from duban.web.render import page
from duban.web.routes import actions, admin, auth, items, ledger, overview, schedule, summary
from models.errors import DubanError, NotFound
from models.store import db

log = logging.getLogger("duban.web")


def create_app(settings: Settings, *, clock: Callable[[], datetime] = wall_clock,
               engine=None) -> FastAPI:
    app = FastAPI(title="督办", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = Web(settings=settings,
                        engine=engine or db.make_engine(settings.resolved_database_url),
                        clock=clock)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (auth, overview, items, actions, schedule, ledger, summary, admin):
        app.include_router(module.router)
    _handlers(app)
    app.middleware("http")(security_headers)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_mb * 1024 * 1024 + 64 * 1024)
    return app


def _error(request: Request, status: int, title: str, message: str):
    try:  # the error page shows who is signed in, unless that is what failed
        viewer = current_viewer(request)
    except Exception:
        viewer = None
    return page(request, viewer, "error.html", status=status, title=title, message=message)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # a form posted after the session ended: back to a page
            target = request.headers.get("referer", "/").split(str(request.base_url).rstrip("/"), 1)[-1]
        return RedirectResponse(f"/login?next={quote(target or '/')}", status_code=303)

    @app.exception_handler(Hidden)
    @app.exception_handler(NotFound)
    async def hidden(request: Request, exc: Exception):
        return _error(request, 404, "页面不存在", "您要找的页面或事项不存在。")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed):
        return _error(request, 403, "表单已失效",
                      "表单已失效或来源不明，未做任何修改。请返回，刷新页面后重试。")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        return _error(request, 400, "请求无效", "提交的内容格式不正确，未做任何修改。")

    @app.exception_handler(DubanError)
    async def refused(request: Request, exc: DubanError):
        return _error(request, 400, "无法完成", str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 404:
            return _error(request, 404, "页面不存在", "您要找的页面或事项不存在。")
        if exc.status_code == 413:
            limit = web(request).settings.max_upload_mb
            return _error(request, 413, "文件过大", f"上传内容超过上限 {limit} MB，未做任何修改。")
        if exc.status_code == 405:
            return _error(request, 405, "不支持的操作", "该地址不支持这种请求方式。")
        return _error(request, exc.status_code, "请求无效", "请求无法处理，未做任何修改。")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(request, 500, "系统错误", "处理请求时出错，未做任何修改。请稍后重试或联系管理员。")


def page_routes(app: FastAPI) -> list:
    """Every route of the app, routers included (FastAPI 0.150 keeps an included router as one
    entry of ``app.routes``; none of ours has a prefix)."""
    found, stack = [], list(app.routes)
    while stack:
        route = stack.pop(0)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            stack[:0] = list(inner.routes)
        else:
            found.append(route)
    return found
