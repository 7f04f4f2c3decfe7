"""Pages of 跨省通办: the window's application form, the list of applications (outgoing and incoming), an
application with the timeline of both sides, the competent department's decision, the statistics and the
item catalogue. zh-CN first; English through the console's language switch. `?format=json` or an
`Accept: application/json` client gets the list, an application and the statistics as JSON."""

from __future__ import annotations

import contextlib
from pathlib import Path as FsPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from digigov.apps.digital_government.cross_province_services import catalogue, service, stats
from digigov.apps.digital_government.cross_province_services.model import XpsApplication
from digigov.core.clock import iso
from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import require
from digigov.web.pages import common
from digigov.web.pages.common import base_context, flash, redirect, wants_json

router = APIRouter(include_in_schema=False)
AppId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# this app's templates first, then the console's (base.html, macros)
_templates = common.app_templates(FsPath(__file__).parent / "templates")

register({
    "xps.title": ("跨省通办", "Cross-province services"),
    "xps.lead": ("衢州、南平、上饶、黄山四市任一窗口受理，材料推送至有权城市办理，结果返回受理地：异地办、跑一次。",
                 "Apply at any window of Quzhou, Nanping, Shangrao or Huangshan: the materials go to the competent "
                 "city, the result comes back to the window."),
    "xps.new": ("窗口受理", "New application"),
    "xps.list": ("申请列表", "Applications"),
    "xps.stats": ("统计", "Statistics"),
    "xps.items": ("事项清单", "Item catalogue"),
    "xps.out": ("本地受理（外发）", "Accepted here (outgoing)"),
    "xps.in": ("本地办理（收件）", "Handled here (incoming)"),
    "xps.all": ("全部", "All"),
    "xps.ref": ("申请编号", "Reference"),
    "xps.item": ("事项", "Item"),
    "xps.choose_item": ("选择事项", "Choose the item"),
    "xps.target": ("有权城市（办理地）", "Competent city"),
    "xps.origin": ("受理地", "Accepted at"),
    "xps.applicant": ("申请人", "Applicant"),
    "xps.id_number": ("公民身份号码", "Resident ID number"),
    "xps.phone": ("联系电话", "Phone"),
    "xps.form_notes": ("申请事项说明", "Details of the request"),
    "xps.materials": ("申请材料", "Materials"),
    "xps.materials_hint": ("每份材料一个文件，单个不超过 {limit} 字节。",
                           "One file per material, at most {limit} bytes each."),
    "xps.time_limit": ("法定时限", "Legal time limit"),
    "xps.workdays": ("{n} 个工作日", "{n} working days"),
    "xps.authority": ("有权机关", "Competent authority"),
    "xps.offered": ("开通城市", "Offered in"),
    "xps.submit": ("受理并推送", "Accept and send"),
    "xps.status": ("状态", "Status"),
    "xps.submitted_at": ("受理时间", "Submitted"),
    "xps.due_at": ("办结时限", "Due"),
    "xps.result": ("办理结果", "Result"),
    "xps.result_note": ("办理意见", "Note"),
    "xps.result_doc": ("结果文书（选填）", "Result document (optional)"),
    "xps.timeline": ("办理轨迹", "Timeline"),
    "xps.side.origin": ("受理地", "Window"),
    "xps.side.competent": ("办理地", "Competent city"),
    "xps.retry": ("重新发送", "Send again"),
    "xps.refresh": ("查询进度", "Ask for progress"),
    "xps.decide": ("作出决定", "Decide"),
    "xps.case": ("工单", "Case"),
    "xps.last_error": ("最近错误", "Last error"),
    "xps.none": ("暂无申请", "No applications"),
    "xps.sent_ok": ("已推送至 {city}，对方已受理", "Sent to {city} and accepted there"),
    "xps.send_failed": ("暂时无法送达 {city}，已保留，将自动重试", "Could not reach {city}; kept and retried later"),
    "xps.count": ("件数", "Count"),
    "xps.done": ("已办结", "Done"),
    "xps.on_time_rate": ("按时办结率", "On-time rate"),
    "xps.average_days": ("平均用时（天）", "Average days"),
    "xps.by_item": ("按事项", "By item"),
    "xps.by_city": ("按城市", "By city"),
    "xps.city": ("城市", "City"),
    "xps.failed": ("待重发", "To resend"),
    "xps_status.submitted": ("已受理", "Submitted"),
    "xps_status.send_failed": ("发送失败（待重试）", "Send failed (retrying)"),
    "xps_status.sent": ("已发送", "Sent"),
    "xps_status.accepted": ("办理地已接收", "Accepted at the competent city"),
    "xps_status.in_progress": ("办理中", "In progress"),
    "xps_status.result_pending": ("已决定，待返回", "Decided, to return"),
    "xps_status.result_returned": ("结果已返回", "Result returned"),
    "xps_status.result_failed": ("结果返回失败（待重试）", "Result not delivered (retrying)"),
    "xps_status.completed": ("已办结", "Completed"),
    "xps_status.refused": ("被拒收", "Refused"),
    "xps_result.approved": ("准予", "Approved"),
    "xps_result.refused": ("不予", "Refused"),
    "xps_step.submitted": ("窗口受理", "Accepted at the window"),
    "xps_step.sent": ("推送至办理地", "Sent to the competent city"),
    "xps_step.send_failed": ("推送失败", "Send failed"),
    "xps_step.accepted": ("办理地接收并派单", "Received and assigned"),
    "xps_step.in_progress": ("有权部门签收办理", "Signed for by the department"),
    "xps_step.decided": ("作出决定", "Decided"),
    "xps_step.result_returned": ("结果已返回受理地", "Result returned"),
    "xps_step.result_failed": ("结果返回失败", "Result not delivered"),
    "xps_step.refused": ("被拒收", "Refused"),
    "xps_step.completed": ("受理地收到结果，办结", "Result received, completed"),
})


def _render(request: Request, name: str, context: dict[str, Any], *, actor: Actor, session: Session,
            status_code: int = 200) -> HTMLResponse:
    ctx = base_context(request, actor, session)
    ctx.update(context)
    ctx.update({"catalogue": catalogue, "cities": catalogue.cities(), "mask_id": service.mask_id})
    return _templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _summary(app: XpsApplication) -> dict[str, Any]:
    return {"id": app.id, "ref": app.ref, "direction": app.direction, "item": app.item_code,
            "origin_city": app.origin_city, "target_city": app.target_city, "status": app.status,
            "applicant": app.applicant_name, "id_number": service.mask_id(app.applicant_id_number),
            "submitted_at": iso(app.submitted_at), "due_at": iso(app.due_at) if app.due_at else None,
            "result": app.result or None, "result_at": iso(app.result_at) if app.result_at else None}


def _json(request: Request) -> bool:
    return wants_json(request) or request.query_params.get("format") == "json"


@router.get("/xps")
def application_list(request: Request, session: DB, actor: CurrentActor,
                     direction: Annotated[str, Query(max_length=3)] = "",
                     status: Annotated[str, Query(max_length=20)] = "",
                     offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> Response:
    rows, total = service.list_applications(session, actor, direction=direction or None, status=status or None,
                                            limit=50, offset=offset)
    if _json(request):
        return JSONResponse({"total": total, "applications": [_summary(a) for a in rows]})
    return _render(request, "xps_list.html", {"rows": rows, "total": total, "direction": direction,
                                              "status": status, "offset": offset}, actor=actor, session=session)


@router.get("/xps/items")
def item_list(request: Request, session: DB, actor: CurrentActor) -> Response:
    require(actor, "xps.view")
    return _render(request, "xps_items.html", {"items": list(catalogue.items().values())}, actor=actor,
                   session=session)


@router.get("/xps/new")
def application_form(request: Request, session: DB, actor: CurrentActor,
                     item: Annotated[str, Query(max_length=32)] = "") -> Response:
    require(actor, "xps.apply")
    chosen = catalogue.items().get(item)
    return _form(request, session, actor, chosen, {})


def _form(request: Request, session: DB, actor: Actor, item: catalogue.Item | None, form: dict[str, str],
          error: str = "", status_code: int = 200) -> HTMLResponse:
    here = None
    with contextlib.suppress(DigigovError):
        here = service.own_city(session, request.app.state.settings)
    return _render(request, "xps_form.html", {"item": item, "items": list(catalogue.items().values()),
                                              "form": form, "error": error, "here": here,
                                              "limit": request.app.state.settings.xps_max_material_bytes},
                   actor=actor, session=session, status_code=status_code)


@router.post("/xps/new")
async def application_submit(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    settings = request.app.state.settings
    data = await request.form()
    form = {k: v for k, v in data.items() if isinstance(v, str)}
    item = catalogue.items().get(form.get("item", ""))
    uploads: list[service.Upload] = []
    for i, name in enumerate(item.materials if item else ()):
        file = data.get(f"material_{i}")
        if isinstance(file, UploadFile) and file.filename:
            content = await file.read(settings.xps_max_material_bytes + 1)
            uploads.append(service.Upload(name, file.filename, content,
                                          file.content_type or "application/octet-stream"))
    try:
        app = service.apply(session, actor, item_code=form.get("item", ""), target_city=form.get("target", ""),
                            applicant_name=form.get("applicant_name", ""), id_number=form.get("id_number", ""),
                            phone=form.get("phone", ""),
                            form={"说明": form["notes"][:1000]} if form.get("notes") else {},
                            materials=uploads, settings=settings)
    except DigigovError as exc:
        session.rollback()
        return _form(request, session, actor, item, form, error_text(exc, lang), 422)
    app_id, target = app.id, catalogue.city(app.target_city)
    session.commit()  # stored before anything travels; the send is a transaction of its own
    app = service.deliver(session, actor, app_id, settings=settings)
    city = target.label(lang)
    flash(request, service_message("xps.sent_ok" if app.status == "accepted" else "xps.send_failed", lang, city),
          "success" if app.status == "accepted" else "error")
    return redirect(f"/xps/{app_id}")


def service_message(key: str, lang: str, city: str) -> str:
    from digigov.core.i18n import translate

    return translate(key, lang, city=city)


@router.get("/xps/stats")
def statistics(request: Request, session: DB, actor: CurrentActor) -> Response:
    figures = stats.compute(session, actor)
    if _json(request):
        return JSONResponse(figures)
    return _render(request, "xps_stats.html", {"figures": figures}, actor=actor, session=session)


@router.get("/xps/{app_id}")
def application_detail(app_id: AppId, request: Request, session: DB, actor: CurrentActor) -> Response:
    app = service.read(session, actor, app_id)
    if _json(request):
        return JSONResponse({**_summary(app), "result_note": app.result_note, "last_error": app.last_error,
                             "materials": [{"id": m.id, "role": m.role, "name": m.name, "filename": m.filename,
                                            "size": m.size, "sha256": m.sha256} for m in app.materials],
                             "timeline": [{"at": iso(e.at), "side": e.side, "step": e.step, "note": e.note}
                                          for e in sorted(app.events, key=lambda e: (e.at, e.id))]})
    item = catalogue.items().get(app.item_code)
    return _render(request, "xps_detail.html", {
        "app": app, "item": item, "events": sorted(app.events, key=lambda e: (e.at, e.id)),
    }, actor=actor, session=session)


@router.get("/xps/{app_id}/materials/{material_id}")
def material_download(app_id: AppId, material_id: AppId, session: DB, actor: CurrentActor) -> Response:
    m = service.material(session, actor, app_id, material_id)
    return Response(m.content, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(m.filename, safe='')}",
        "X-Content-SHA256": m.sha256})


@router.post("/xps/{app_id}/retry")
async def retry(app_id: AppId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    try:
        service.deliver(session, actor, app_id, settings=request.app.state.settings)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/xps/{app_id}")


@router.post("/xps/{app_id}/refresh")
async def refresh(app_id: AppId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    try:
        service.refresh(session, actor, app_id, settings=request.app.state.settings)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/xps/{app_id}")


@router.post("/xps/{app_id}/decide")
async def decide(app_id: AppId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    settings = request.app.state.settings
    data = await request.form()
    doc = data.get("document")
    document = None
    if isinstance(doc, UploadFile) and doc.filename:
        document = service.Upload("办理结果", doc.filename, await doc.read(settings.xps_max_material_bytes + 1),
                                  doc.content_type or "application/octet-stream")
    try:
        service.decide(session, actor, app_id, result=str(data.get("result", "")), note=str(data.get("note", "")),
                       document=document, settings=settings)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/xps/{app_id}")
    session.commit()  # the decision is stored; sending the result back is a transaction of its own
    service.deliver(session, None, app_id, settings=settings)
    return redirect(f"/xps/{app_id}")
