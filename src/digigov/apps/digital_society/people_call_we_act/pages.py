"""Pages of 民呼我为: the citizen's form (no login: 我要反映), the 12345 operator's intake of hotline
transcripts, letters and mailbox messages, the cockpit and the analysis of what people call about."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from digigov.apps.digital_society.people_call_we_act import service, taxonomy
from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import require
from digigov.web.pages.common import flash, redirect, render

router = APIRouter(include_in_schema=False)

register({
    "mh.title": ("民呼我为", "The people call, we act"),
    "mh.form_title": ("我要反映", "Report a problem"),
    "mh.form_lead": ("写下遇到的问题和地点，系统自动分类并派给负责的部门。提交后请保存进度查询页面。",
                     "Describe the problem and where it is; it is classified and sent to the responsible department. "
                     "Keep the tracking page you get."),
    "mh.text": ("诉求内容", "What happened"),
    "mh.address": ("地点（区、街道、小区或路名）", "Where (district, street, community or road)"),
    "mh.category": ("类别（不确定可不选）", "Category (leave empty if unsure)"),
    "mh.auto": ("自动识别", "Detect automatically"),
    "mh.name": ("称呼（选填）", "Your name (optional)"),
    "mh.phone": ("联系电话（选填）", "Phone (optional)"),
    "mh.submit": ("提交", "Submit"),
    "mh.intake_title": ("录入工单", "Record a ticket"),
    "mh.intake_lead": ("录入12345来电记录、来信或信箱留言；系统自动分类、定位、查重并派单，置信度低的进入人工分拨。",
                       "Record a hotline transcript, letter or mailbox message: classified, located, checked for "
                       "duplicates and dispatched; low-confidence tickets go to the dispatcher."),
    "mh.channel": ("来源渠道", "Channel"),
    "mh.dispatched": ("已自动派单至 {department}", "Dispatched to {department}"),
    "mh.queued": ("已进入人工分拨队列", "Queued for a dispatcher"),
    "error.hotline_text_too_long": ("内容过长", "The text is too long"),
})

TEXT_LIMIT = service.MAX_TEXT


def _field(form: dict[str, str], name: str, limit: int) -> str:
    return form.get(name, "")[:limit].strip()


@router.get("/people-call/new")
def citizen_form(request: Request, session: DB, lang: Lang) -> Response:
    return render(request, "people_call_form.html", {"categories": taxonomy.CATEGORIES, "staff": False,
                                                      "form": {}}, session=session)


@router.post("/people-call/new")
async def citizen_submit(request: Request, session: DB, lang: Lang) -> Response:
    await check_csrf(request)
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        intake = service.submit(
            session, service.cases.citizen("web"), text=_field(form, "text", TEXT_LIMIT + 1), channel="web",
            category=_field(form, "category", 80) or None, address=_field(form, "address", 300),
            name=_field(form, "name", 60), phone=_field(form, "phone", 30),
        )
    except DigigovError as exc:
        session.rollback()
        return render(request, "people_call_form.html", {"categories": taxonomy.CATEGORIES, "staff": False,
                                                          "form": form, "error": error_text(exc, lang)},
                      session=session, status_code=422)
    return redirect(f"/track/{intake.case.citizen_token}")


@router.get("/people-call/intake")
def staff_form(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    require(actor, "case.create")
    return render(request, "people_call_form.html", {"categories": taxonomy.CATEGORIES, "staff": True,
                                                      "form": {}}, actor=actor, session=session)


@router.post("/people-call/intake")
async def staff_submit(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    channel = form.get("channel", "hotline")
    if channel not in ("hotline", "letter", "mailbox", "web"):
        channel = "hotline"
    try:
        intake = service.submit(
            session, actor, text=_field(form, "text", TEXT_LIMIT + 1), channel=channel,
            category=_field(form, "category", 80) or None, address=_field(form, "address", 300),
            name=_field(form, "name", 60), phone=_field(form, "phone", 30),
        )
    except DigigovError as exc:
        session.rollback()
        return render(request, "people_call_form.html", {"categories": taxonomy.CATEGORIES, "staff": True,
                                                          "form": form, "error": error_text(exc, lang)},
                      actor=actor, session=session, status_code=422)
    case = intake.case
    if intake.dispatched and case.department:
        flash(request, f"{case.number} · {case.department.name}", "success")
    else:
        flash(request, f"{case.number} · 人工分拨 / dispatcher queue", "info")
    return redirect(f"/cases/{case.id}")

