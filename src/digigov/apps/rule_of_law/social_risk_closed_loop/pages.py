"""Pages of 湖州 社会治理风险闭环管控: the cockpit, the warning task lists and a task with its evidence and the loop's
forms (签收, 反馈, 工资发放凭证, 核查, 销号), the grid worker's report form, the enterprise safety codes with their
inspections, and the risk-indicator library. zh-CN first, English through the console's language switch;
`?format=json` (or an `Accept: application/json` client) gets the cockpit, the lists, a task and a safety code as
JSON. Routes only parse, call a service and render."""

from __future__ import annotations

from datetime import date
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from digigov.apps.rule_of_law.social_risk_closed_loop import (
    cockpit,
    datasets,
    gazetteer,
    library,
    safety_code,
    safety_service,
    service,
)
from digigov.apps.rule_of_law.social_risk_closed_loop.i18n import register_texts
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclTask
from digigov.audit.service import record
from digigov.core.errors import DigigovError, InvalidInput
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import can, require
from digigov.platform.cases import queries as case_queries
from digigov.platform.cases.model import Case
from digigov.web.pages.common import app_templates, base_context, flash, redirect, wants_json

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
HERE = FsPath(__file__).parent
STATIC = {"srcl.css": "text/css", "srcl.js": "text/javascript"}
PAGE = 50
_templates = app_templates(HERE / "templates")
register_texts()


def _render(request: Request, name: str, context: dict[str, Any], *, actor: Actor, session: Session,
            status_code: int = 200) -> HTMLResponse:
    ctx = base_context(request, actor, session)
    ctx.update(context)
    ctx.update({"domains": library.domains(), "indicators": library.indicators(), "counties": gazetteer.COUNTIES,
                "place": gazetteer.label, "stage": cockpit.stage, "severities": library.SEVERITIES})
    return _templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _json(request: Request) -> bool:
    return wants_json(request) or request.query_params.get("format") == "json"


def task_out(t: SrclTask, c: Case, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id, "case": c.number, "case_id": c.id, "source": t.source, "indicator": t.indicator,
        "domain": t.domain, "severity": t.severity, "colour": c.colour, "status": c.status, "stage": cockpit.stage(c),
        "county_code": t.county_code, "town_code": t.town_code, "period": t.period, "title": t.title,
        "value": t.value, "raised_at": t.raised_at.isoformat(), "due_at": c.due_at.isoformat() if c.due_at else None,
        "overdue": c.overdue, "closed_at": c.closed_at.isoformat() if c.closed_at else None,
        "resolution": c.resolution, "evidence_count": t.evidence_count}
    if full:
        out["evidence"] = t.evidence
    return out


@router.get("/srcl/static/{name}")
def static(name: Annotated[str, Path(max_length=20)]) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return Response((HERE / "static" / name).read_text(encoding="utf-8"), media_type=STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})


# ---------------------------------------------------------------- cockpit


@router.get("/srcl")
def cockpit_page(request: Request, session: DB, actor: CurrentActor, lang: Lang,
                 county: Annotated[str, Query(pattern=r"^(3305\d\d)?$")] = "") -> Response:
    data = cockpit.build(session, actor, county=county, lang=lang)
    if _json(request):
        return JSONResponse(data)
    return _render(request, "srcl_cockpit.html", {"data": data, "may_run": can(actor, "srcl.run")},
                   actor=actor, session=session)


@router.post("/srcl/run")
async def run(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    """Run the library's models and score the enterprises' safety codes now."""
    await check_csrf(request)
    try:
        swept = service.sweep(session, actor)
        scored = safety_service.run(session, actor)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect("/srcl")
    flash(request, translate("srcl.run_done", lang, tasks=len(swept.opened), errors=len(swept.errors),
                             enterprises=scored.enterprises), "success")
    return redirect("/srcl")


# ---------------------------------------------------------------- the task list and a task


@router.get("/srcl/tasks")
def task_list(request: Request, session: DB, actor: CurrentActor,
              county: Annotated[str, Query(pattern=r"^(3305\d\d)?$")] = "",
              town: Annotated[str, Query(pattern=r"^(3305\d{5})?$")] = "",
              domain: Annotated[str, Query(max_length=32)] = "", severity: Annotated[str, Query(max_length=8)] = "",
              status: Annotated[str, Query(pattern=r"^(open|closed|overdue)?$")] = "",
              source: Annotated[str, Query(pattern=r"^(warning|report)?$")] = "",
              indicator: Annotated[str, Query(max_length=80)] = "",
              period: Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")] = "",
              colour: Annotated[str, Query(pattern=r"^(red|yellow|green)?$")] = "",
              offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> Response:
    f = service.TaskFilter(county=county, town=town, domain=domain, severity=severity, status=status, source=source,
                           indicator=indicator, period=period, colour=colour)
    rows, total = service.list_tasks(session, actor, f, limit=PAGE, offset=offset)
    if _json(request):
        return JSONResponse({"total": total, "tasks": [task_out(t, c) for t, c in rows]})
    towns = gazetteer.of_county(county) if county else []
    return _render(request, "srcl_tasks.html", {"rows": rows, "total": total, "f": f, "offset": offset, "page": PAGE,
                                                "towns": towns}, actor=actor, session=session)


@router.get("/srcl/tasks/{task_id}")
def task_page(task_id: Id, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    view = service.read(session, actor, task_id)
    if _json(request):
        out = task_out(view.task, view.case, full=True)
        out["history"] = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "status": e.to_status,
                           "note": e.note} for e in view.history]
        out["attachments"] = [{"id": a.id, "kind": a.kind, "filename": a.filename, "sha256": a.sha256}
                              for a in view.attachments]
        out["payslips"] = [{"amount": s.amount_cents / 100, "paid_on": s.paid_on.isoformat(), "workers": s.workers,
                            "sha256": s.sha256} for s in view.payslips]
        return JSONResponse(out)
    t, c = view.task, view.case
    columns: list[str] = []
    for row in t.evidence:
        columns += [k for k in row if k not in library.TECHNICAL and k not in columns]
    official = service.is_town_official(session, actor, t.town_code)
    ind = library.indicator(t.indicator)
    return _render(request, "srcl_task.html", {
        "v": view, "task": t, "c": c, "columns": columns, "ind": ind,
        "description": library.description(ind, lang) if ind else "", "wage": t.indicator == service.WAGE,
        "owed": service.owed_cents(t) / 100 if t.evidence else 0,
        "may_handle": official and c.step in ("accept", "handle"),
        "may_accept": official and c.step == "accept",
        "may_payslip": official and t.indicator == service.WAGE and c.step in ("accept", "handle", "verify"),
        "may_verify": c.step == "verify" and can(actor, "case.supervise", c) and t.indicator != service.WAGE,
        "may_close": c.step == "evaluate" and can(actor, "case.verify", c)}, actor=actor, session=session)


def _int(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else 0


async def _uploads(form: Any, name: str) -> list[service.Upload]:
    out = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile) and item.filename:
            out.append(service.Upload(item.filename, await item.read(service.MAX_FILE + 1),
                                      item.content_type or "application/octet-stream"))
    return out


@router.post("/srcl/tasks/{task_id}/{action}")
async def task_action(task_id: Id, action: Annotated[str, Path(pattern=r"^(accept|feedback|payslip|verify|close|"
                                                                    r"send_back)$")],
                      request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    form = await request.form()
    note = str(form.get("note", ""))[:service.MAX_TEXT + 1]
    try:
        if action == "accept":
            service.accept(session, actor, task_id)
        elif action == "feedback":
            service.feedback(session, actor, task_id, text=note, evidence=await _uploads(form, "evidence"))
        elif action == "payslip":
            files = await _uploads(form, "voucher")
            try:
                paid_on = date.fromisoformat(str(form.get("paid_on", "")))
            except ValueError:
                raise InvalidInput("paid_on", key="srcl_payslip_amount", field="paid_on") from None
            service.upload_payslip(session, actor, task_id, voucher=files[0] if files else None,
                                   amount=str(form.get("amount", "")), paid_on=paid_on,
                                   workers=_int(form.get("workers")), finding=note)
        elif action == "verify":
            service.verify(session, actor, task_id, passed=form.get("outcome") != "fail", note=note)
        elif action == "close":
            service.close_out(session, actor, task_id, note=note)
        else:
            service.send_back(session, actor, task_id, reason=note)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/srcl/tasks/{task_id}")
    flash(request, translate(f"srcl.done.{action}", lang), "success")
    return redirect(f"/srcl/tasks/{task_id}")


@router.get("/srcl/tasks/{task_id}/attachments/{attachment_id}")
def attachment(task_id: Id, attachment_id: Id, session: DB, actor: CurrentActor) -> Response:
    task, case_ = service.get(session, actor, task_id)
    att = case_queries.attachment(session, actor, attachment_id)
    if att.case_id != case_.id:
        return Response(status_code=404)
    record(session, actor, "srcl.attachment.read", "srcl_task", task.id, detail={"sha256": att.sha256})
    return Response(att.content, media_type=att.content_type or "application/octet-stream",
                    headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"})


# ---------------------------------------------------------------- grid reports


@router.get("/srcl/report")
def report_form(request: Request, session: DB, actor: CurrentActor) -> Response:
    require(actor, "srcl.report")
    cells = service.posts_of(session, actor, "grid_worker")
    return _render(request, "srcl_report.html", {"cells": cells, "grid_name": _grid_name}, actor=actor,
                   session=session)


def _grid_name(code: str) -> str:
    g = gazetteer.grid(code)
    return g.name if g else code


def _coordinate(value: Any) -> float | None:
    try:
        return float(str(value)) if str(value or "").strip() else None
    except ValueError:
        return None


@router.post("/srcl/report")
async def report_submit(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    form = await request.form()
    names = [n for n in str(form.get("photo_names", "")).replace("，", ",").replace("、", ",").split(",")]
    try:
        row = service.report(session, actor, grid_code=str(form.get("grid", ""))[:12],
                             domain=str(form.get("domain", ""))[:32], severity=str(form.get("severity", ""))[:8],
                             description=str(form.get("description", ""))[:service.MAX_TEXT + 1],
                             location=str(form.get("location", ""))[:301], photo_names=names,
                             photos=await _uploads(form, "photos"), lon=_coordinate(form.get("lon")),
                             lat=_coordinate(form.get("lat")))
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect("/srcl/report")
    task = session.scalars(select(SrclTask).where(SrclTask.report_id == row.id)).one()
    flash(request, translate("srcl.report_done", lang), "success")
    return redirect(f"/srcl/tasks/{task.id}")


# ---------------------------------------------------------------- safety codes


@router.get("/srcl/safety")
def safety_page(request: Request, session: DB, actor: CurrentActor,
                colour: Annotated[str, Query(pattern=r"^(green|yellow|orange|red)?$")] = "",
                county: Annotated[str, Query(pattern=r"^(3305\d\d)?$")] = "",
                veto: Annotated[bool, Query()] = False,
                offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> Response:
    page = safety_service.codes(session, actor, colour=colour, county=county, veto=veto, limit=PAGE, offset=offset)
    dist = safety_service.distribution(session, actor)
    planned = safety_service.inspections(session, actor, status="planned", county=county)
    if _json(request):
        return JSONResponse({"run": page.run.id if page.run else None, "total": page.total,
                             "distribution": dist["total"], "codes": [
                                 {"uscc": r.uscc, "name": r.name, "colour": r.colour, "score": r.score,
                                  "vetoes": r.vetoes, "county_code": r.county_code, "town_code": r.town_code}
                                 for r in page.rows],
                             "inspections": [{"id": i.id, "uscc": i.uscc, "due_on": i.due_on.isoformat(),
                                              "colour": i.colour} for i in planned]})
    return _render(request, "srcl_safety.html", {"page": page, "dist": dist, "planned": planned, "colour": colour,
                                                 "county": county, "veto": veto, "offset": offset, "size": PAGE,
                                                 "definition": safety_code.definition()},
                   actor=actor, session=session)


@router.get("/srcl/safety/{uscc}")
def enterprise_page(uscc: Annotated[str, Path(pattern=r"^[0-9A-Z]{18}$")], request: Request, session: DB,
                    actor: CurrentActor) -> Response:
    row, checks = safety_service.enterprise(session, actor, uscc)
    if _json(request):
        return JSONResponse({"uscc": row.uscc, "name": row.name, "colour": row.colour, "score": row.score,
                             "basic": row.basic, "bonus": row.bonus, "deduction": row.deduction,
                             "vetoes": row.vetoes, "missing": row.missing, "lines": row.lines,
                             "inspections": [{"id": i.id, "due_on": i.due_on.isoformat(), "status": i.status}
                                             for i in checks]})
    items = {i.code: i for i in safety_code.definition().items}
    return _render(request, "srcl_enterprise.html", {"row": row, "checks": checks, "items": items,
                                                     "definition": safety_code.definition()},
                   actor=actor, session=session)


@router.post("/srcl/inspections/{inspection_id}/done")
async def inspection_done(inspection_id: Id, request: Request, session: DB, actor: CurrentActor,
                          lang: Lang) -> Response:
    await check_csrf(request)
    form = await request.form()
    back = str(form.get("back", ""))
    back = back if back.startswith("/srcl/safety") else "/srcl/safety"
    try:
        safety_service.record_inspection(session, actor, inspection_id, result=str(form.get("result", ""))[:4001])
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect(back)
    flash(request, translate("srcl.inspection_done", lang), "success")
    return redirect(back)


# ---------------------------------------------------------------- the library


@router.get("/srcl/library")
def library_page(request: Request, session: DB, actor: CurrentActor) -> Response:
    require(actor, "srcl.view")
    if _json(request):
        return JSONResponse({"domains": [vars(d) for d in library.domains().values()],
                             "indicators": [{"code": i.code, "domain": i.domain, "name": i.name, "unit": i.unit,
                                             "worse": i.worse, "thresholds": i.thresholds, "grading": i.grading,
                                             "sources": list(i.sources), "description": library.description(i)}
                                            for i in library.indicators().values()]})
    return _render(request, "srcl_library.html", {"describe": library.description, "sources": datasets.BY_CODE},
                   actor=actor, session=session)
