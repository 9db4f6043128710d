"""/login and /logout. The login form carries a token matching a cookie set with the form
(there is no session yet to hold one)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from duban.web.context import COOKIE, LOGIN_COOKIE, Viewer, allow, allow_post, public, web
from duban.web.render import page
from models.domain.validation import xml_chars
from models.errors import InputError
from models.records.accounts import SESSION_TTL, close_session, login, open_session, purge_expired

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host): never an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def _login_page(request: Request, *, next_: str, message: str = "", name: str = "",
                status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(request, None, "login.html", status=status, csrf=token, next=next_,
                    message=message, name=name)
    _cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/", viewer: Viewer | None = Depends(public)):
    if viewer is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_=_safe_next(next))


@router.post("/login")
def login_submit(request: Request, username: str = Form(""), password: str = Form(""),
                 csrf: str = Form(""), next: str = Form("/"), _: Viewer | None = Depends(public)):
    state = web(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not (csrf and expected and hmac.compare_digest(csrf.encode(), expected.encode())):
        return _login_page(request, next_=_safe_next(next), name=username[:50], status=403,
                           message="登录页面已过期，请重新输入。")
    try:
        xml_chars(username, "用户名")
    except InputError as exc:
        return _login_page(request, next_=_safe_next(next), name="", status=400, message=exc.reason)
    now = state.now()
    with state.session() as session:
        purge_expired(session, now=now)
        outcome = login(session, username, password, now=now)
        token = open_session(session, outcome.account, now=now) if outcome.account else None
    if token is None:
        return _login_page(request, next_=_safe_next(next), name=username[:50], status=400,
                           message=outcome.message)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(request, response, COOKIE, token, int(SESSION_TTL.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.get("/logout")
def logout_form(request: Request, viewer: Viewer = Depends(allow())):
    return page(request, viewer, "logout.html")


@router.post("/logout")
def logout(request: Request, viewer: Viewer = Depends(allow_post())):
    state = web(request)
    with state.session() as session:
        close_session(session, request.cookies.get(COOKIE, ""), now=state.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
