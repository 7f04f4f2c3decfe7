"""Cockpit and indicator pages (驾驶舱, 指标): the platform's own cockpit, the list of indicators and one
indicator's page (definition, history, values by region, computations). Each page has a JSON twin: ask for
`Accept: application/json`. Applications render their cockpits with `render_cockpit` and the template
`cockpit_page.html` (or the `cockpit` macro of `cockpit.html` inside their own page).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can
from digigov.platform.indicators import service as indicators
from digigov.platform.indicators.api import indicator_out, run_out
from digigov.platform.indicators.spec import CODE_RE, PROVINCE, CockpitSpec
from digigov.web.i18n_indicators import INDICATOR_MESSAGES
from digigov.web.pages.common import flash, redirect, render, wants_json

register(INDICATOR_MESSAGES)  # (web.i18n registers them too once merged; registering twice is harmless)

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(min_length=1, max_length=80, pattern=CODE_RE)]
RegionQ = Annotated[str, Query(min_length=6, max_length=6, pattern=r"^33\d{4}$")]
SEVERITY = {"high": "red", "medium": "orange", "low": "yellow"}

PLATFORM_COCKPIT = CockpitSpec(
    title="平台运行驾驶舱", title_en="Platform cockpit",
    kpis=["platform.resources_registered", "platform.request_grant_rate", "platform.datasets_loaded",
          "platform.quality_issues_opened"],
    trends=["platform.resources_registered", "platform.request_grant_rate", "platform.quality_issues_opened"],
    map_indicator="platform.resources_registered", map_level="county",
)


def render_cockpit(request: Request, actor: Actor, session: Session, lang: str, cockpit: CockpitSpec,
                   region: str = PROVINCE, *, template: str = "cockpit_page.html",
                   context: dict[str, Any] | None = None) -> Response:
    """A cockpit page, or its data as JSON when the client asks for JSON."""
    data = indicators.cockpit_data(session, actor, cockpit, region)
    data["lang"] = lang
    if wants_json(request):
        return JSONResponse(jsonable_encoder(data))
    return render(request, template, {"data": data, **(context or {})}, actor=actor, session=session, lang=lang)


def _quality_warnings(session: Session, actor: Actor, region: str) -> list[dict[str, Any]]:
    """The platform cockpit's warning list: open problem-data items the viewer may see, worst first."""
    from digigov.platform.indicators.spec import covers
    from digigov.platform.quality import service as quality

    try:
        items = quality.list_issues(session, actor, state="open", limit=200)
    except DigigovError:
        return []
    out = []
    order = {"high": 0, "medium": 1, "low": 2}
    for i in sorted(items, key=lambda i: (order.get(i.severity, 3), -i.rows)):
        code = i.dataset.owner.region_code
        if covers(region, code):
            out.append({"severity": SEVERITY.get(i.severity, "blue"), "title": f"{i.dataset.name}：{i.title}",
                        "title_en": f"{i.dataset.name_en or i.dataset.name}: {i.title_en or i.title}",
                        "region": code, "link": f"/quality/issues/{i.id}"})
    return out[:8]


@router.get("/cockpit")
def platform_cockpit(request: Request, actor: CurrentActor, session: DB, lang: Lang,
                     region: RegionQ = PROVINCE) -> Response:
    cockpit = CockpitSpec(**{**PLATFORM_COCKPIT.__dict__, "warnings": _quality_warnings(session, actor, region)})
    return render_cockpit(request, actor, session, lang, cockpit, region)


@router.get("/indicators")
def indicators_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    rows = [indicator_out(session, actor, i) for i in indicators.list_indicators(session, actor)]
    if wants_json(request):
        return JSONResponse(jsonable_encoder(rows))
    return render(request, "indicators.html", {"rows": rows}, actor=actor, session=session, lang=lang)


@router.get("/indicators/{code}")
def indicator_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: Code,
                   region: RegionQ = PROVINCE) -> Response:
    ind = indicators.get(session, actor, code)
    indicators.check_region(session, region)
    spec = indicators.spec_of(ind)
    cockpit = CockpitSpec(title=ind.name, title_en=ind.name_en or ind.name, kpis=[code], trends=[code],
                          map_indicator=code, map_level="county", trend_periods=24,
                          show_warnings=False)
    data = indicators.cockpit_data(session, actor, cockpit, region)
    data["lang"] = lang
    names = indicators.region_names(session)
    within = region if region == PROVINCE or region.endswith("00") else region[:4] + "00"
    values = indicators.by_region(session, actor, code, "city" if within == PROVINCE else "county", within=within)
    table = [{"code": c, "name": names.get(c, (c, c))[0], "name_en": names.get(c, (c, c))[1], "value": v}
             for c, v in values.items()]
    detail = {**indicator_out(session, actor, ind), "description_en": spec.description_en, "sql": spec.sql,
              "runs": [run_out(r).model_dump() for r in indicators.runs(session, actor, code)],
              "cockpit": data, "by_region": table}
    if wants_json(request):
        return JSONResponse(jsonable_encoder(detail))
    return render(request, "indicator.html",
                  {"ind": detail, "spec": spec, "data": data, "region": region,
                   "may_manage": can(actor, "indicator.manage")},
                  actor=actor, session=session, lang=lang)


@router.post("/indicators/{code}/compute")
def compute_now(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: Code) -> Response:
    try:
        with session.begin_nested():
            result = indicators.compute(session, actor, code)
    except DigigovError as exc:
        if exc.http_status in (401, 403, 404):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/indicators/{code}")
    flash(request, translate("ind.computed_ok", lang, code=code, values=result.written), "success")
    return redirect(f"/indicators/{code}")
