"""Edges of every response: security headers, and the request-size limit (DUBAN_MAX_UPLOAD_MB)
enforced while the body streams in, before anything is parsed or stored."""

from __future__ import annotations

import time
from html import escape

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.domain.validation import xml_chars
from models.errors import InputError, quote

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


async def security_headers(request, call_next):
    started = time.perf_counter()
    response = await _refuse_illegal_query(request) or await call_next(request)
    # The server's own time for the request (bench/web.py reads it; browsers show it too).
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _refuse_illegal_query(request) -> HTMLResponse | None:
    """A query string carrying characters no stored text may hold (NUL, other controls, U+FFFE…)
    is refused here, once for every page, before a filter reaches the database (PostgreSQL
    cannot even compare a text with NUL in it)."""
    for name, value in request.query_params.multi_items():
        try:
            xml_chars(name, "查询参数")
            xml_chars(value, f"查询参数 {quote(name, 20)}")
        except InputError as exc:
            return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>请求有误</title>"
                                f"<p>{escape(str(exc))}</p><p><a href=\"/\">返回首页</a></p>",
                                status_code=400)
    return None


class TooLarge(HTTPException):
    """Raised from the body stream; an HTTPException so FastAPI's form parsing lets it through."""

    def __init__(self) -> None:
        super().__init__(413)


class BodyLimit:
    """Refuse (413) a request whose body is larger than ``max_bytes``: by Content-Length at
    once, else by counting as it arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, watching)
        except TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes // (1024 * 1024)
        body = ("<!doctype html><meta charset=utf-8><title>文件过大</title>"
                f"<h1>文件过大</h1><p>上传内容超过上限 {limit_mb} MB，未做任何修改。</p>")
        response = HTMLResponse(body, status_code=413, headers=HEADERS)
        await response(scope, receive, send)
