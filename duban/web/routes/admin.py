"""/settings (管理员): accounts, units, the reminder ladder, thresholds, office hours, calendar
overrides and reminder templates with a preview."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlmodel import col, select
from starlette.responses import RedirectResponse

from duban.web.context import Hidden, Viewer, allow, allow_post, web
from duban.web.render import page
from duban.web.uploads import has_file, new_token, save_upload
from models.domain.deadlines import DUE_SOON_WORKDAYS
from models.domain.enums import Role, UnitKind
from models.engine.mail_context import item_context
from models.engine.reminders import DEFAULT_KIND, load_ladders
from models.errors import DubanError, InputError, NotFound, ValidationFailed
from models.records.accounts import add_account, list_accounts, set_disabled, set_password
from models.records.units import UnitInput, add_unit, list_units
from models.store.calendar_store import parse_calendar_csv, save_overrides
from models.store.tables import Account, CalendarDay, Item, Unit
from notifications.render import render_email

router = APIRouter()
ADMIN = Role.ADMIN
PREVIEWS = {"due_soon": "临期提醒", "overdue": "逾期催办", "escalation": "督办", "circulation": "通报"}
USER_FIELDS = {"用户名": "name", "角色": "role", "单位": "unit", "密码": "password"}
UNIT_FIELDS = {"单位名称": "unit_name", "类型": "kind", "联系人": "contact", "联系邮箱": "email",
               "联系电话": "phone", "分管领导": "leader", "分管领导邮箱": "leader_email"}


def _settings_page(request: Request, viewer: Viewer, *, status: int = 200, errors=None, form=None,
                   message: str = ""):
    state = web(request)
    with state.reading() as session:
        accounts = list_accounts(session)
        units = list_units(session)
        ladders = load_ladders(session)
        overrides = list(session.exec(select(CalendarDay).order_by(col(CalendarDay.day).desc()).limit(40)))
    return page(request, viewer, "settings.html", status=status, errors=errors or {}, form=form or {},
                message=message, accounts=accounts, units=units, ladders=ladders,
                default_kind=DEFAULT_KIND, roles=list(Role), unit_kinds=list(UnitKind),
                soon=DUE_SOON_WORKDAYS, grades=state.settings.rank_grades_values,
                office_hours=state.settings.office_hours, previews=PREVIEWS, overrides=overrides)


def _field_errors(exc: DubanError, fields: dict[str, str]) -> dict[str, str]:
    if isinstance(exc, InputError) and exc.field in fields:
        return {fields[exc.field]: f"“{exc.value}”：{exc.reason}" if exc.field != "密码" else exc.reason}
    return {"_": str(exc)}


@router.get("/settings")
def settings_page(request: Request, viewer: Viewer = Depends(allow(ADMIN))):
    return _settings_page(request, viewer, message=request.query_params.get("done", "")[:100])


@router.post("/settings/users")
def settings_add_user(request: Request, name: str = Form(""), role: str = Form(""),
                      unit: str = Form(""), password: str = Form(""),
                      viewer: Viewer = Depends(allow_post(ADMIN))):
    state = web(request)
    try:
        with state.session() as session:
            add_account(session, name=name, role=role, unit=unit or None, password=password,
                        actor=viewer.name, now=state.now())
    except DubanError as exc:
        return _settings_page(request, viewer, status=400, errors=_field_errors(exc, USER_FIELDS),
                              form={"name": name, "role": role, "unit": unit})
    return RedirectResponse("/settings?done=已新增账号#users", status_code=303)


def _account_name(session, account_id: int) -> str:
    account = session.get(Account, account_id)
    if account is None:
        raise Hidden
    return account.name


@router.post("/settings/users/{account_id}/disable")
def settings_disable_user(request: Request, account_id: int, disabled: str = Form("1"),
                          viewer: Viewer = Depends(allow_post(ADMIN))):
    state = web(request)
    if account_id == viewer.account_id and disabled == "1":
        return _settings_page(request, viewer, status=400, errors={"_": "不能停用自己的账号"})
    with state.session() as session:
        set_disabled(session, _account_name(session, account_id), disabled == "1", actor=viewer.name,
                     now=state.now())
    return RedirectResponse("/settings?done=已更新账号状态#users", status_code=303)


@router.post("/settings/users/{account_id}/password")
def settings_user_password(request: Request, account_id: int, password: str = Form(""),
                           viewer: Viewer = Depends(allow_post(ADMIN))):
    state = web(request)
    try:
        with state.session() as session:
            set_password(session, _account_name(session, account_id), password, actor=viewer.name,
                         now=state.now())
    except InputError as exc:
        return _settings_page(request, viewer, status=400, errors={f"password-{account_id}": exc.reason})
    return RedirectResponse("/settings?done=已重设密码#users", status_code=303)


@router.post("/settings/units")
def settings_add_unit(request: Request, unit_name: str = Form(""), kind: str = Form(""),
                      contact: str = Form(""), email: str = Form(""), phone: str = Form(""),
                      leader: str = Form(""), leader_email: str = Form(""),
                      viewer: Viewer = Depends(allow_post(ADMIN))):
    state = web(request)
    data = UnitInput(unit_name, kind, contact, email, phone or None, leader or None, leader_email or None)
    try:
        with state.session() as session:
            add_unit(session, data, actor=viewer.name, now=state.now())
    except DubanError as exc:
        form = {"unit_name": unit_name, "kind": kind, "contact": contact, "email": email,
                "phone": phone, "leader": leader, "leader_email": leader_email}
        return _settings_page(request, viewer, status=400, errors=_field_errors(exc, UNIT_FIELDS),
                              form=form)
    return RedirectResponse("/settings?done=已新增单位#units", status_code=303)


@router.post("/settings/calendar")
def settings_calendar(request: Request, file: UploadFile | None = File(None),
                      viewer: Viewer = Depends(allow_post(ADMIN))):
    state = web(request)
    if not has_file(file):
        return _settings_page(request, viewer, status=400, errors={"calendar": "请选择 CSV 文件"})
    folder = state.settings.home / "uploads" / new_token()
    try:
        path = save_upload(file, folder, max_bytes=state.settings.max_upload_mb * 1048576)  # type: ignore[arg-type]
        overrides = parse_calendar_csv(path)
        with state.session() as session:
            added, changed = save_overrides(session, overrides, actor=viewer.name, now=state.now())
    except ValidationFailed as exc:
        return _settings_page(request, viewer, status=400,
                              errors={"calendar": "；".join(str(p) for p in exc.problems[:20])})
    except DubanError as exc:
        return _settings_page(request, viewer, status=400, errors={"calendar": str(exc)})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return RedirectResponse(f"/settings?done=已载入节假日：新增 {added} 天，修改 {changed} 天#calendar",
                            status_code=303)


@router.get("/settings/templates/{name}")
def settings_template_preview(request: Request, name: str, viewer: Viewer = Depends(allow(ADMIN))):
    """A reminder as it would be sent now, about the first open item (or a made-up one)."""
    if name not in PREVIEWS:
        raise NotFound("模板", name)
    state = web(request)
    with state.reading() as session:
        clock = state.clock_for(session)
        found = session.exec(select(Item, Unit).join(Unit, col(Item.unit_id) == col(Unit.id))
                             .order_by(col(Item.id)).limit(1)).first()
        context = None if found is None else item_context(
            found[0], found[1], now=clock.now, config=state.settings.engine_config,
            calendar=clock.calendar)
    if found is None or context is None:
        return _settings_page(request, viewer, status=400, errors={"templates": "还没有任何事项，无法预览"})
    context["recipient_name"] = found[1].contact_name
    try:
        rendered = render_email(name, context, sender=state.settings.smtp_from,
                                to=[found[1].contact_email], message_id="<preview@duban.local>",
                                templates_dir=state.settings.templates_dir, date=clock.now)
        message = rendered.message
        subject = str(message["Subject"])
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    except DubanError as exc:
        subject, text = "（模板有误）", str(exc)
    return page(request, viewer, "template_preview.html", name=name, label=PREVIEWS[name],
                subject=subject, text=text, item=found[0])
