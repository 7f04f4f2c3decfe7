"""Pages of 基层公权力大数据监督: the warnings (红黄绿) with their evidence, verification, closure and cases; the
cockpit by county → town → village; the villager's 监督一点通 form and receipt page (no login); the liaison
station's inbox. zh-CN first, English through the console's language switch; `?format=json` (or an
`Accept: application/json` client) gets the lists, a warning and the cockpit as JSON."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from digigov.apps.party_governance.grassroots_power_supervision import cockpit, complaints, matters, service, shipped
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsWarning
from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import can, require
from digigov.platform.cases import types as case_types
from digigov.web.pages import common
from digigov.web.pages.common import base_context, flash, redirect, wants_json

router = APIRouter(include_in_schema=False)
WarningId = Annotated[int, Path(ge=1, le=2**31 - 1)]
HERE = FsPath(__file__).parent
TECHNICAL = ("subject", "department_code", "region_code", "town", "village", "evidence_key")

# this app's templates first, then the console's (base.html, macros)
_templates = common.app_templates(HERE / "templates")

register({
    "gps.title": ("基层公权力大数据监督", "Grassroots power supervision"),
    "gps.lead": ("村级工程、劳务用工、资产资源、救助补助、村级采购、印章管理六大高频事项数据与户籍、社保、企业登记、"
                 "死亡登记碰撞；红色预警不经乡镇现场核查不销号。",
                 "The six high-frequency matters of village power collide with the household register, social "
                 "insurance, the enterprise registry and death registrations; a red warning stays red until the "
                 "town verifies its rectification on site."),
    "gps.warnings": ("预警", "Warnings"),
    "gps.cockpit": ("驾驶舱", "Cockpit"),
    "gps.station": ("联络站接单", "Liaison station"),
    "gps.report": ("监督一点通", "One-tap supervision"),
    "gps.rules": ("碰撞规则", "Collision rules"),
    "gps.colour": ("颜色", "Colour"),
    "gps.status": ("状态", "Status"),
    "gps.rule": ("碰撞规则", "Rule"),
    "gps.matter": ("事项", "Matter"),
    "gps.place": ("地点", "Place"),
    "gps.raised_at": ("预警时间", "Raised"),
    "gps.due_at": ("整改期限", "Rectify by"),
    "gps.case_due": ("办理时限", "Due"),
    "gps.overdue": ("已逾期", "Overdue"),
    "gps.all": ("全部", "All"),
    "gps.none": ("暂无预警", "No warnings"),
    "gps.evidence": ("碰撞证据", "Evidence"),
    "gps.evidence_lead": ("以下是触发预警的数据行（按人员档案、企业档案关联，而非按姓名）：共 {n} 行。",
                          "The rows behind the warning (linked by person and enterprise files, not by name): {n}."),
    "gps.timeline": ("处置轨迹", "Timeline"),
    "gps.notices": ("短信通知", "Notices sent"),
    "gps.recipient": ("接收人", "To"),
    "gps.text": ("内容", "Text"),
    "gps.verify": ("现场核查", "On-site verification"),
    "gps.verify_lead": ("由预警所在乡镇的干部到现场核查整改情况并上传佐证材料；期限内核查转为绿色，"
                        "逾期核查转为黄色，再由县纪委监委审核销号。",
                        "An official of the warning's town checks the rectification on site and uploads the evidence; "
                        "in time it turns green, late it turns yellow."),
    "gps.rectification": ("整改情况", "Rectification"),
    "gps.verification": ("现场核查情况", "What was found on site"),
    "gps.attachment": ("佐证材料（照片或扫描件）", "Evidence (photo or scan)"),
    "gps.submit_verify": ("提交核查", "Submit the verification"),
    "gps.supervise": ("县纪委监委审核", "County discipline commission"),
    "gps.close": ("销号", "Close"),
    "gps.close_note": ("销号意见", "Note"),
    "gps.refuse": ("核查不通过，退回", "Refuse the verification"),
    "gps.refuse_note": ("退回理由", "Why it does not hold"),
    "gps.dismiss": ("排除", "Dismiss"),
    "gps.dismiss_reason": ("排除理由", "Why the hit is explained"),
    "gps.file_case": ("立案", "File a case"),
    "gps.case_note": ("立案意见（选填）", "Note (optional)"),
    "gps.case": ("立案", "Case"),
    "gps.recurrence": ("复发：此前预警 GPS-{id}", "Recurrence of GPS-{id}"),
    "gps.verified_by": ("核查人", "Verified by"),
    "gps.closed_by": ("销号人", "Closed by"),
    "gps.attachments": ("佐证材料", "Evidence files"),
    "gps.level.province": ("全省（按区县）", "Province (by county)"),
    "gps.level.county": ("{name}（按乡镇）", "{name} (by town)"),
    "gps.level.town": ("{name}{town}（按村）", "{name} {town} (by village)"),
    "gps.raised": ("预警数", "Raised"),
    "gps.red_now": ("红色在办", "Red now"),
    "gps.verified": ("已核查", "Verified"),
    "gps.on_time_rate": ("按期核查率", "Verified on time"),
    "gps.yellow": ("黄色", "Yellow"),
    "gps.closed": ("已销号", "Closed"),
    "gps.dismissed": ("已排除", "Dismissed"),
    "gps.cases": ("立案", "Cases"),
    "gps.by_rule": ("按碰撞规则", "By rule"),
    "gps.complaints": ("群众反映", "Villagers' reports"),
    "gps.received": ("收到", "Received"),
    "gps.taken": ("已接单", "Taken"),
    "gps.answered": ("已答复", "Answered"),
    "gps.avg_hours": ("平均答复用时（小时）", "Average hours to answer"),
    "gps.satisfaction": ("满意率", "Satisfaction"),
    "gps.total": ("合计", "Total"),
    "gps.back_up": ("返回上一级", "Up one level"),
    "gps.report_title": ("监督一点通：我要反映", "One-tap supervision: report a problem"),
    "gps.report_lead": ("对村级工程、劳务用工、集体资产、救助补助、村级采购、印章使用等村务有疑问或建议，可在这里反映，"
                        "由本村村级监察工作联络站接单办理。提交后请记下回执码，凭回执码查看办理进度和结果。",
                        "Report a problem with (or suggest an improvement to) a village matter; the village's "
                        "supervision liaison station takes it. Keep the receipt code to follow it."),
    "gps.village": ("村（社区）", "Village"),
    "gps.choose_village": ("选择所在村", "Choose the village"),
    "gps.kind": ("类型", "Kind"),
    "gps.kind.complaint": ("问题反映", "Complaint"),
    "gps.kind.suggestion": ("意见建议", "Suggestion"),
    "gps.report_text": ("反映内容", "What happened"),
    "gps.name": ("称呼（选填）", "Your name (optional)"),
    "gps.phone": ("联系电话（选填）", "Phone (optional)"),
    "gps.submit_report": ("提交", "Submit"),
    "gps.receipt": ("回执码", "Receipt code"),
    "gps.receipt_title": ("办理进度查询", "Follow your report"),
    "gps.receipt_lead": ("请记下回执码，凭回执码可随时查看办理进度和结果：", "Keep your receipt code; it shows the "
                         "progress and the answer:"),
    "gps.town": ("乡镇", "Town"),
    "gps.lookup": ("查询", "Look up"),
    "gps.progress": ("办理进度", "Progress"),
    "gps.outcome": ("办理结果", "Answer"),
    "gps.rate": ("评价办理结果", "Rate the answer"),
    "gps.rate_submit": ("提交评价", "Submit"),
    "gps.comment": ("评价意见（选填）", "Comment (optional)"),
    "gps.station_title": ("村级监察工作联络站 · 群众反映", "Village liaison station: reports"),
    "gps.station_lead": ("本站负责村的群众反映：1个工作日内接单，办理后答复群众，群众凭回执码查看并评价。",
                         "Reports from the station's villages: take them within a working day, answer, and the "
                         "villager sees and rates the answer."),
    "gps.take": ("接单", "Take"),
    "gps.progress_note": ("进展说明（群众可见）", "Progress note (the villager sees it)"),
    "gps.add_progress": ("发布进展", "Post progress"),
    "gps.answer": ("答复", "Answer"),
    "gps.answer_text": ("办理结果（群众可见）", "The answer (the villager sees it)"),
    "gps.no_reports": ("暂无群众反映", "No reports"),
    "gps.sweep": ("立即运行碰撞规则", "Run the collision rules now"),
    "gps.swept": ("碰撞完成：新预警 {raised} 条", "Done: {raised} new warnings"),
    "gps.submitted": ("提交时间", "Submitted"),
    "gps_colour.red": ("红色", "Red"),
    "gps_colour.yellow": ("黄色", "Yellow"),
    "gps_colour.cleared": ("绿色", "Green"),
    "gps_status.open": ("待整改核查", "To rectify and verify"),
    "gps_status.verified": ("已核查待销号", "Verified, to close"),
    "gps_status.closed": ("已销号", "Closed"),
    "gps_status.dismissed": ("已排除", "Dismissed"),
    "gps_action.raise": ("碰撞预警", "Raised"),
    "gps_action.evidence": ("证据更新", "Evidence updated"),
    "gps_action.notify": ("短信通知", "Notified"),
    "gps_action.overdue": ("逾期督办", "Overdue, escalated"),
    "gps_action.verify": ("现场核查", "Verified on site"),
    "gps_action.refuse": ("核查退回", "Verification refused"),
    "gps_action.close": ("销号", "Closed"),
    "gps_action.dismiss": ("排除", "Dismissed"),
    "gps_action.file_case": ("立案", "Case filed"),
})


def _render(request: Request, name: str, context: dict[str, Any], *, actor: Actor | None, session: Session,
            status_code: int = 200) -> HTMLResponse:
    ctx = base_context(request, actor, session)
    ctx.update(context)
    ctx.update({"matters": matters, "rule_meta": shipped.meta()})
    return _templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _json(request: Request) -> bool:
    return wants_json(request) or request.query_params.get("format") == "json"


def warning_out(w: GpsWarning, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": w.id, "rule": w.rule_code, "matter": w.matter, "title": w.title, "severity": w.severity,
        "colour": w.colour, "status": w.status, "region_code": w.region_code, "town": w.town, "village": w.village,
        "raised_at": w.raised_at.isoformat(), "due_at": w.due_at.isoformat(), "overdue": w.overdue,
        "verified_at": w.verified_at.isoformat() if w.verified_at else None,
        "closed_at": w.closed_at.isoformat() if w.closed_at else None, "case_id": w.case_id,
        "evidence_count": w.evidence_count, "recurrence_of": w.recurrence_of}
    if full:
        out["evidence"] = w.evidence
        out["events"] = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "colour": e.colour,
                          "note": e.note} for e in w.events]
        out["rectification"], out["verification"] = w.rectification, w.verification
    return out


@router.get("/gps/static/gps.css")
def stylesheet() -> Response:
    return Response((HERE / "templates" / "gps.css").read_text(encoding="utf-8"), media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/gps")
def warning_list(request: Request, session: DB, actor: CurrentActor,
                 colour: Annotated[str, Query(max_length=8)] = "", status: Annotated[str, Query(max_length=12)] = "",
                 rule: Annotated[str, Query(max_length=80)] = "", matter: Annotated[str, Query(max_length=20)] = "",
                 region: Annotated[str, Query(pattern=r"^(33[0-9]{0,4})?$")] = "",
                 town: Annotated[str, Query(max_length=60)] = "", village: Annotated[str, Query(max_length=60)] = "",
                 offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> Response:
    filters = service.Filters(colour=colour, status=status, rule=rule, matter=matter, region=region, town=town,
                              village=village)
    rows, total = service.list_warnings(session, actor, filters, limit=50, offset=offset)
    if _json(request):
        return JSONResponse({"total": total, "warnings": [warning_out(w) for w in rows]})
    return _render(request, "gps_list.html", {"rows": rows, "total": total, "f": filters, "offset": offset,
                                              "can_sweep": can(actor, "rule.run")}, actor=actor, session=session)


@router.post("/gps/sweep")
async def sweep(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    try:
        result = service.sweep(session, actor)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect("/gps")
    from digigov.core.i18n import translate

    flash(request, translate("gps.swept", lang, raised=len(result.raised)), "success")
    return redirect("/gps")


@router.get("/gps/warnings/{warning_id}")
def warning_detail(warning_id: WarningId, request: Request, session: DB, actor: CurrentActor) -> Response:
    w = service.read(session, actor, warning_id)
    if _json(request):
        return JSONResponse(warning_out(w, full=True))
    columns: list[str] = []
    for row in w.evidence:
        columns += [k for k in row if k not in TECHNICAL and k not in columns]
    case = None
    if w.case_id:
        from digigov.platform.cases.model import Case

        case = session.get(Case, w.case_id)
    return _render(request, "gps_warning.html", {
        "w": w, "columns": columns, "notices": service.notices(session, w.id), "case": case,
        "may_verify": can(actor, "gps.verify", w) and service.town_post(session, actor, w.region_code, w.town),
        "may_supervise": can(actor, "gps.supervise", w)}, actor=actor, session=session)


def _back(warning_id: int) -> Response:
    return redirect(f"/gps/warnings/{warning_id}")


@router.post("/gps/warnings/{warning_id}/verify")
async def verify(warning_id: WarningId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    data = await request.form()
    file = data.get("attachment")
    upload = None
    if isinstance(file, UploadFile) and file.filename:
        upload = service.Upload(file.filename, await file.read(service.MAX_ATTACHMENT + 1),
                                file.content_type or "application/octet-stream")
    try:
        service.verify(session, actor, warning_id, rectification=str(data.get("rectification", "")),
                       verification=str(data.get("verification", "")), attachment=upload)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return _back(warning_id)


async def _decide(request: Request, session: Session, actor: Actor, lang: str, warning_id: int,
                  action: str) -> Response:
    await check_csrf(request)
    data = await request.form()
    text = str(data.get("note", ""))[:service.MAX_TEXT + 1]
    try:
        if action == "close":
            service.close(session, actor, warning_id, note=text)
        elif action == "refuse":
            service.refuse(session, actor, warning_id, note=text)
        elif action == "dismiss":
            service.dismiss(session, actor, warning_id, reason=text)
        else:
            service.file_case(session, actor, warning_id, note=text)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return _back(warning_id)


@router.post("/gps/warnings/{warning_id}/close")
async def close(warning_id: WarningId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    return await _decide(request, session, actor, lang, warning_id, "close")


@router.post("/gps/warnings/{warning_id}/refuse")
async def refuse(warning_id: WarningId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    return await _decide(request, session, actor, lang, warning_id, "refuse")


@router.post("/gps/warnings/{warning_id}/dismiss")
async def dismiss(warning_id: WarningId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    return await _decide(request, session, actor, lang, warning_id, "dismiss")


@router.post("/gps/warnings/{warning_id}/case")
async def file_case(warning_id: WarningId, request: Request, session: DB, actor: CurrentActor,
                    lang: Lang) -> Response:
    return await _decide(request, session, actor, lang, warning_id, "case")


@router.get("/gps/warnings/{warning_id}/attachments/{attachment_id}")
def attachment(warning_id: WarningId, attachment_id: WarningId, session: DB, actor: CurrentActor) -> Response:
    a = service.attachment(session, actor, warning_id, attachment_id)
    return Response(a.content, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(a.filename, safe='')}",
        "X-Content-SHA256": a.sha256})


@router.get("/gps/cockpit")
def cockpit_page(request: Request, session: DB, actor: CurrentActor,
                 region: Annotated[str, Query(pattern=r"^(33[0-9]{4})?$")] = "",
                 town: Annotated[str, Query(max_length=60)] = "") -> Response:
    figures = cockpit.figures(session, actor, region=region, town=town if region else "")
    if _json(request):
        return JSONResponse(figures)
    return _render(request, "gps_cockpit.html", {"fig": figures}, actor=actor, session=session)


# ---------------------------------------------------------------- 监督一点通 (public, no login)


def _report_form(request: Request, session: Session, form: dict[str, str], error: str = "",
                 status_code: int = 200) -> HTMLResponse:
    return _render(request, "gps_report.html", {"stations": complaints.stations(session), "form": form,
                                                "error": error}, actor=None, session=session,
                   status_code=status_code)


@router.get("/gps/report")
def report_form(request: Request, session: DB) -> Response:
    return _report_form(request, session, {})


@router.post("/gps/report")
async def report_submit(request: Request, session: DB, lang: Lang) -> Response:
    await check_csrf(request)
    form = {k: str(v)[:2100] for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        c = complaints.submit(session, place=form.get("village", ""), matter=form.get("matter", ""),
                              text=form.get("text", ""), kind=form.get("kind", "complaint"),
                              name=form.get("name", ""), phone=form.get("phone", ""))
    except DigigovError as exc:
        session.rollback()
        return _report_form(request, session, form, error_text(exc, lang), 422)
    return redirect(f"/gps/receipt/{c.receipt}")


@router.get("/gps/receipt")
def receipt_lookup(request: Request, session: DB, code: Annotated[str, Query(max_length=16)] = "") -> Response:
    if code:
        return redirect(f"/gps/receipt/{quote(code.strip().upper(), safe='')}")
    return _render(request, "gps_receipt.html", {"found": None, "code": ""}, actor=None, session=session)


@router.get("/gps/receipt/{code}")
def receipt_page(code: Annotated[str, Path(max_length=16)], request: Request, session: DB, lang: Lang) -> Response:
    try:
        found = complaints.by_receipt(session, code)
    except DigigovError as exc:
        return _render(request, "gps_receipt.html", {"found": None, "code": code, "error": error_text(exc, lang)},
                       actor=None, session=session, status_code=404)
    if _json(request):
        return JSONResponse({**complaints.summary(found.complaint, found.case), "response": found.case.response,
                             "timeline": [{"at": e.at.isoformat(), "action": e.action, "note": e.note}
                                          for e in found.timeline]})
    ct = case_types.get(found.case.type_code)
    return _render(request, "gps_receipt.html", {"found": found, "code": found.complaint.receipt,
                                                 "category": ct.category(found.case.category)},
                   actor=None, session=session)


@router.post("/gps/receipt/{code}/rate")
async def receipt_rate(code: Annotated[str, Path(max_length=16)], request: Request, session: DB,
                       lang: Lang) -> Response:
    await check_csrf(request)
    data = await request.form()
    try:
        complaints.rate(session, code, str(data.get("rating", "")), str(data.get("comment", ""))[:500])
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/gps/receipt/{quote(code, safe='')}")


# ---------------------------------------------------------------- the liaison station


@router.get("/gps/station")
def station(request: Request, session: DB, actor: CurrentActor) -> Response:
    require(actor, "gps.view")
    rows = complaints.inbox(session, actor)
    if _json(request):
        return JSONResponse({"reports": [complaints.summary(c, k) for c, k in rows]})
    mine = {(p.region_code, p.town, p.village) for p in complaints.station_posts(session, actor)}
    return _render(request, "gps_station.html", {"rows": rows, "mine": mine}, actor=actor, session=session)


@router.post("/gps/station/{complaint_id}/{action}")
async def station_act(complaint_id: WarningId, action: Annotated[str, Path(pattern=r"^(take|progress|answer)$")],
                      request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    data = await request.form()
    text = str(data.get("text", ""))[:complaints.MAX_TEXT + 1]
    try:
        if action == "take":
            complaints.take(session, actor, complaint_id)
        elif action == "progress":
            complaints.progress(session, actor, complaint_id, text)
        else:
            complaints.answer(session, actor, complaint_id, text)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect("/gps/station")
