"""Case pages (工单): the department inbox, lists with the cockpit's drill-down filters, the supervisor's
view with bulk actions, one case with its history, evidence and the forms of the steps the user may
take, and the citizen's tracking page (no login; the token is the credential).
The JSON twins are under /api/v1/cases and /api/v1/track.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import can
from digigov.platform.cases import queries, service, supervision, types
from digigov.platform.cases.model import Case
from digigov.web.pages.common import flash, redirect, render

router = APIRouter(include_in_schema=False)

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Token = Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Region = Annotated[str, Query(max_length=6, pattern=r"^([0-9]{6})?$")]
Short = Annotated[str, Query(max_length=80)]
ACTIONS = ("triage", "assign", "dispatch", "accept", "return", "respond", "verify", "rate", "reopen", "escalate",
           "comment", "merge")


def case_helpers(lang: str) -> dict[str, Any]:
    def category_name(case: Case) -> str:
        try:
            cat = types.get(case.type_code).category(case.category or case.data.get("suggested"))
        except DigigovError:
            return case.category or ""
        return "" if cat is None else (cat.name_en if lang == "en" else cat.name)

    def category_label(case: Case, code: str) -> str:
        try:
            cat = types.get(case.type_code).category(code)
        except DigigovError:
            return code
        return code if cat is None else (cat.name_en if lang == "en" else cat.name)

    def type_name(code: str) -> str:
        try:
            ct = types.get(code)
        except DigigovError:
            return code
        return ct.name_en if lang == "en" else ct.name

    return {"category_name": category_name, "category_label": category_label, "type_name": type_name,
            "case_types": types.all_types()}


def _filter(type: str, status: str, colour: str, region: str, category: str, since: str, until: str,
            overdue: str, escalated: str, q: str) -> queries.CaseFilter:
    def when(value: str) -> datetime | None:
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError:
            return None

    return queries.CaseFilter(
        type=type or None, status=status or None, colour=colour or None, region=region or None,
        category=category or None, since=when(since), until=when(until),
        overdue=True if overdue in ("1", "true") else None, escalated=escalated in ("1", "true") or None,
        q=q or None,
    )


@router.get("/cases")
def case_list(
    request: Request, session: DB, actor: CurrentActor, lang: Lang,
    type: Short = "", status: Short = "", colour: Short = "", region: Region = "", category: Short = "",
    since: Short = "", until: Short = "", overdue: Short = "", escalated: Short = "",
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    f = _filter(type, status, colour, region, category, since, until, overdue, escalated, q)
    rows, total = queries.list_cases(session, actor, f, limit=50, offset=offset)
    return render(request, "cases_list.html", {
        "cases": rows, "total": total, "offset": offset, "f": f, **case_helpers(lang),
    }, actor=actor, session=session)


@router.get("/cases/inbox")
def inbox(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    box = queries.inbox(session, actor)
    return render(request, "cases_inbox.html", {"box": box, **case_helpers(lang)}, actor=actor, session=session)


@router.get("/cases/supervision")
def supervision_page(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    items = supervision.supervision_queue(session, actor)
    return render(request, "cases_supervision.html", {"cases": items, **case_helpers(lang)},
                  actor=actor, session=session)


@router.post("/cases/supervision/bulk")
async def bulk(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    form = await request.form()
    ids = [int(str(v)) for v in form.getlist("ids") if str(v).isdigit()][:500]
    action = str(form.get("action", ""))
    try:
        result = supervision.bulk(session, actor, ids, action, note=str(form.get("note", ""))[:2000],
                                  department=str(form.get("department", "")) or None)
        flash(request, f"{len(result.done)} ✓ · {len(result.failed)} ✗", "success" if not result.failed else "error")
    except DigigovError as exc:
        flash(request, error_text(exc, lang), "error")
    return redirect("/cases/supervision")


def _actions(actor: Actor, case: Case) -> list[str]:
    """The forms to show on the case page: the waiting step's, if the user may take it, and the
    supervisor's and commenter's."""
    ct = types.get(case.type_code)
    out: list[str] = []
    step = case.step
    if step and can(actor, ct.actors.get(step, "case.supervise"), case):
        out.append(step)
    if case.is_open and can(actor, "case.supervise", case):
        out.append("escalate")
    if case.is_open and step == "triage" and can(actor, "case.triage", case):
        out.append("merge")
    if not case.is_open and case.resolution == "done" and can(actor, "case.supervise", case):
        out.append("reopen")
    return out


@router.get("/cases/{case_id}")
def case_page(case_id: CaseId, request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    case = service.get(session, actor, case_id)
    ct = types.get(case.type_code)
    return render(request, "case.html", {
        "case": case, "ct": ct, "history": queries.history(session, case),
        "attachments": queries.attachments(session, case), "case_links": queries.links(session, case),
        "actions": _actions(actor, case), **case_helpers(lang),
    }, actor=actor, session=session)


@router.get("/cases/attachments/{attachment_id}")
def download(attachment_id: CaseId, session: DB, actor: CurrentActor) -> Response:
    att = queries.attachment(session, actor, attachment_id)
    return Response(att.content, media_type=att.content_type or "application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(att.filename)}",
        "X-Content-Type-Options": "nosniff"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@router.post("/cases/{case_id}/attach")
async def attach(case_id: CaseId, request: Request, session: DB, actor: CurrentActor, lang: Lang,
                 file: Annotated[UploadFile, File()],
                 kind: Annotated[Literal["evidence", "photo", "reply"], Form()] = "evidence") -> Response:
    content = await file.read(service.MAX_ATTACHMENT_BYTES + 1)
    try:
        service.attach(session, actor, case_id, filename=file.filename or "file", content=content,
                       content_type=file.content_type or "application/octet-stream", kind=kind)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/cases/{case_id}")


def _act(session: Session, actor: Actor, case_id: int, action: str, form: dict[str, str]) -> None:
    note = form.get("note", "")
    if action == "triage":
        service.triage(session, actor, case_id, category=form.get("category") or None,
                       reject=form.get("reject") == "1", note=note)
    elif action == "assign":
        service.assign(session, actor, case_id, form.get("department", ""), note=note)
    elif action == "dispatch":
        service.dispatch(session, actor, case_id, form.get("category", ""), form.get("department", ""), note=note)
    elif action == "accept":
        service.accept(session, actor, case_id)
    elif action == "return":
        service.return_case(session, actor, case_id, note)
    elif action == "respond":
        service.respond(session, actor, case_id, form.get("response", ""),
                        first_contact=form.get("first_contact") == "1")
    elif action == "verify":
        service.verify(session, actor, case_id, passed=form.get("passed") == "1", note=note)
    elif action == "rate":
        service.rate(session, actor, service.get(session, actor, case_id), form.get("rating", ""), comment=note)
    elif action == "reopen":
        service.reopen(session, actor, case_id, note)
    elif action == "escalate":
        service.escalate(session, actor, case_id, note)
    elif action == "comment":
        service.comment(session, actor, case_id, note, public=form.get("public") == "1")
    elif action == "merge":
        target = service.by_number(session, actor, form.get("into", "").strip())
        service.merge(session, actor, case_id, target.id)


@router.post("/cases/{case_id}/{action}")
async def act(case_id: CaseId, action: Annotated[str, Path(max_length=20)], request: Request, session: DB,
              actor: CurrentActor, lang: Lang) -> Response:
    if action not in ACTIONS:
        return redirect(f"/cases/{case_id}")
    form = {k: str(v)[:4000] for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        _act(session, actor, case_id, action, form)
        flash(request, "✓", "success")
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/cases/{case_id}")


@router.get("/track/{token}")
def track(token: Token, request: Request, session: DB, lang: Lang) -> Response:
    case = service.by_token(session, token)
    return render(request, "track.html", {"view": queries.public_view(session, case), "token": token,
                                          "case": case, **case_helpers(lang)}, session=session)


@router.post("/track/{token}/rating")
async def track_rate(token: Token, request: Request, session: DB, lang: Lang) -> Response:
    await check_csrf(request)
    form = await request.form()
    case = service.by_token(session, token)
    try:
        service.rate(session, service.citizen(), case, str(form.get("rating", "")),
                     comment=str(form.get("comment", ""))[:2000])
        flash(request, "✓", "success")
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
    return redirect(f"/track/{token}")
