"""Pages of 民呼我为: the citizen's form (no login: 我要反映), the 12345 operator's intake of hotline
transcripts, letters and mailbox messages, the cockpit and the analysis of what people call about."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from digigov.apps.digital_society.people_call_we_act import analysis, insight, service, taxonomy
from digigov.apps.digital_society.people_call_we_act.case_type import CITY, TYPE_CODE
from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import require
from digigov.web.pages.cockpits import render_cockpit
from digigov.web.pages.common import flash, redirect, render, wants_json

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
    "mh.cockpit": ("驾驶舱", "Cockpit"),
    "mh.analysis": ("民意分析", "What people call about"),
    "mh.analysis_lead": ("近{days}天的诉求：热词排行、热词趋势、激增类别（与自身基线相比）和热点街道。",
                         "Requests of the last {days} days: hot words, their trend, categories far above their own "
                         "baseline, and hot spots by street."),
    "mh.hot_words": ("热词排行", "Hot words"),
    "mh.hot_trend": ("热词趋势（按周）", "Hot-word trend (weekly)"),
    "mh.spikes": ("激增预警", "Spikes"),
    "mh.no_spikes": ("没有类别明显高于自身基线", "No category is far above its baseline"),
    "mh.hot_spots": ("热点街道", "Hot spots"),
    "mh.tickets": ("件数", "Tickets"),
    "mh.baseline": ("基线（日均）", "Baseline (per day)"),
    "mh.change": ("变化", "Change"),
    "mh.since": ("起始", "From"),
    "mh.word": ("词", "Word"),
    "mh.street": ("街道", "Street"),
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



@router.get("/people-call/cockpit")
def cockpit(request: Request, session: DB, actor: CurrentActor, lang: Lang,
            region: Annotated[str, Query(pattern=r"^33[0-9]{4}$")] = CITY) -> Response:
    """民呼我为驾驶舱: tickets by district, on-time rate, satisfaction, first-contact resolution, repeat
    complaints; the warnings (spikes, signals, red tickets); every number drills down to its tickets."""
    require(actor, "indicator.view")
    return render_cockpit(request, actor, session, lang, insight.cockpit_spec(session, actor, region), region)


@router.get("/people-call/analysis")
def analysis_page(request: Request, session: DB, actor: CurrentActor, lang: Lang,
                  days: Annotated[int, Query(ge=7, le=365)] = 90) -> Response:
    require(actor, "case.inbox")
    recs = insight.records(session, actor, days=days)
    words = analysis.hot_words(recs, top=20)
    top = [w for w, _ in words[:5]]
    trend = analysis.hot_word_trend(recs, top, freq="week")
    spots = analysis.hot_spots(recs, cell="street", top=15)
    found = analysis.spikes(recs)
    data = {"days": days, "total": len(recs), "hot_words": words, "trend": trend, "spikes": found,
            "hot_spots": spots, "type": TYPE_CODE}
    if wants_json(request):
        return JSONResponse({
            "days": days, "total": len(recs), "hot_words": words,
            "trend": {w: [(p.isoformat(), n) for p, n in pts] for w, pts in trend.items()},
            "spikes": [{"category": s.category, "label": s.label, "window_start": s.window_start.isoformat(),
                        "count": s.count, "baseline_mean": s.baseline_mean, "change_pct": s.change_pct} for s in found],
            "hot_spots": [{"county_code": h.county_code, "street": h.street, "lon": h.lon, "lat": h.lat,
                           "count": h.count} for h in spots],
        })
    return render(request, "people_call_analysis.html", data, actor=actor, session=session)
