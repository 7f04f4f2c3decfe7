"""Pages of 浙江外卖在线: the cockpit (figures, platform health index, sunlit-kitchen coverage by county, delivery
time, riders, the most serious findings), the findings list, a merchant's verdict with its evidence, and the
button that runs a verification round. zh-CN first; English through the console's language switch. `?format=json`
(or an `Accept: application/json` client) gets the cockpit, the findings and a merchant as JSON."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from digigov.apps.digital_government.food_delivery_online import reference, service
from digigov.apps.digital_government.food_delivery_online.health import ACCIDENT_CAP, WEIGHTS
from digigov.apps.digital_government.food_delivery_online.model import FdoFinding, FdoRun
from digigov.core.clock import iso
from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, check_csrf
from digigov.identity.permissions import require
from digigov.web.pages import common
from digigov.web.pages.common import base_context, flash, redirect, wants_json

router = APIRouter(include_in_schema=False)
ListingId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE = 50

_dir = str(FsPath(__file__).parent / "templates")
_templates = common.app_templates(FsPath(_dir))

register({
    "nav.fdo": ("外卖在线", "Food delivery"),
    "fdo.title": ("浙江外卖在线", "Zhejiang Food-Delivery Online"),
    "fdo.lead": ("网络餐饮治理一件事：平台入网商户与证照数据碰撞核验，阳光厨房，骑手参保与合理配送时间，交通事故回传，"
                 "平台健康指数；风险派给属地监管部门闭环处置。",
                 "Online food delivery as one integrated task: every platform listing checked against the licence "
                 "registries, sunlit kitchens, riders' insurance and reasonable delivery times, accidents fed back, a "
                 "health index per platform; risks go to the local bureaus as cases."),
    "fdo.cockpit": ("驾驶舱", "Cockpit"),
    "fdo.findings": ("风险清单", "Findings"),
    "fdo.run": ("重新核验", "Run the verification"),
    "fdo.run_done": ("核验完成：{listings} 家入网商户，{findings} 条发现，新开工单 {cases} 件",
                     "Verified {listings} listings: {findings} findings, {cases} new cases"),
    "fdo.no_run": ("尚未核验。数据归集后点击“重新核验”。",
                   "Nothing verified yet: load the data, then run the verification."),
    "fdo.as_of": ("数据截至", "Data as of"),
    "fdo.run_at": ("核验时间", "Verified at"),
    "fdo.listings": ("入网商户核验", "Listings verified"),
    "fdo.compliant_rate": ("证照合规率", "Compliant"),
    "fdo.non_compliant": ("风险商户", "Listings at risk"),
    "fdo.kitchen_coverage": ("阳光厨房接入率（日均≥10单）", "Sunlit kitchens (≥10 orders a day)"),
    "fdo.kitchen_orders": ("接入厨房承载订单占比", "Orders carried by connected kitchens"),
    "fdo.insured_rate": ("骑手参保核实率", "Riders insured (HR records)"),
    "fdo.pressure": ("承诺时长低于合理区间", "Promises below the window"),
    "fdo.accidents": ("交通事故回传", "Accidents fed back"),
    "fdo.cases": ("新开工单", "New cases"),
    "fdo.health": ("平台健康指数", "Platform health index"),
    "fdo.health_formula": ("指数 = 100 ×（0.30 商户合规 + 0.20 阳光厨房 + 0.20 骑手参保 + 0.15 配送时间 + "
                           "0.15 交通安全）；"
                           "交通安全 = 1 − 每百名骑手事故数 ÷ {cap}",
                           "Index = 100 × (0.30 merchants + 0.20 kitchens + 0.20 insurance + 0.15 delivery time + "
                           "0.15 traffic); traffic = 1 − accidents per 100 riders ÷ {cap}"),
    "fdo.rank": ("排名", "Rank"),
    "fdo.platform": ("平台", "Platform"),
    "fdo.index": ("健康指数", "Index"),
    "fdo.component.merchants": ("商户合规", "Merchants"),
    "fdo.component.kitchens": ("阳光厨房", "Kitchens"),
    "fdo.component.insurance": ("骑手参保", "Insurance"),
    "fdo.component.delivery_time": ("配送时间", "Delivery time"),
    "fdo.component.traffic": ("交通安全", "Traffic"),
    "fdo.missing": ("缺数据", "no data"),
    "fdo.by_kind": ("发现分类", "Findings by kind"),
    "fdo.kind": ("类别", "Kind"),
    "fdo.count": ("数量", "Count"),
    "fdo.kitchens_by_county": ("阳光厨房覆盖（按县区）", "Sunlit kitchens by county"),
    "fdo.county": ("县（市、区）", "County"),
    "fdo.catering": ("餐饮商户", "Catering"),
    "fdo.connected": ("已接入", "Connected"),
    "fdo.coverage": ("接入率", "Coverage"),
    "fdo.required": ("应接入（≥10单）", "Required (≥10)"),
    "fdo.required_connected": ("应接已接", "Required, connected"),
    "fdo.required_coverage": ("应接入覆盖率", "Required coverage"),
    "fdo.orders_share": ("订单占比", "Orders share"),
    "fdo.delivery_time": ("合理配送时间区间", "Reasonable delivery-time window"),
    "fdo.model": ("模型：{estimator}，按距离、天气、拥堵指数、时段、在途单量拟合实际送达时长的"
                  "第 {low} 与第 {high} 百分位，"
                  "样本 {n} 单，训练集低于下限占比 {cal}。",
                  "Model: {estimator} of the {low}th and {high}th percentiles of the actual time on distance, weather, "
                  "congestion, hour and load; {n} deliveries, {cal} of them faster than the lower bound."),
    "fdo.deliveries": ("样本单量", "Deliveries"),
    "fdo.median_promised": ("承诺时长中位数（分）", "Median promised (min)"),
    "fdo.median_lower": ("合理下限中位数（分）", "Median lower bound (min)"),
    "fdo.median_actual": ("实际时长中位数（分）", "Median actual (min)"),
    "fdo.share_below": ("低于下限占比", "Below the bound"),
    "fdo.riders": ("骑手权益与交通安全", "Riders: insurance and road safety"),
    "fdo.rider_count": ("骑手数", "Riders"),
    "fdo.declared": ("平台申报参保", "Declared insured"),
    "fdo.insured": ("人社核实参保", "Insured (HR)"),
    "fdo.violations": ("申报不实", "False declarations"),
    "fdo.accident_count": ("事故数", "Accidents"),
    "fdo.top": ("重点风险商户", "Most serious findings"),
    "fdo.shop": ("店铺", "Shop"),
    "fdo.reason": ("依据", "Reason"),
    "fdo.case": ("工单", "Case"),
    "fdo.severity": ("等级", "Severity"),
    "fdo.none": ("没有发现", "No findings"),
    "fdo.all": ("全部", "All"),
    "fdo.filter": ("筛选", "Filter"),
    "fdo.subject": ("对象", "Subject"),
    "fdo.subject.listing": ("商户", "Listing"),
    "fdo.subject.rider": ("骑手", "Rider"),
    "fdo.subject.platform": ("平台", "Platform"),
    "fdo.subject.accident": ("事故", "Accident"),
    "fdo.merchant": ("商户核验详情", "Merchant verification"),
    "fdo.verdict": ("核验结论", "Verdict"),
    "fdo.verdict.compliant": ("合规", "Compliant"),
    "fdo.verdict.non_compliant": ("存在风险", "At risk"),
    "fdo.listing_data": ("平台报送信息", "As the platform reported it"),
    "fdo.operator": ("经营者", "Operator"),
    "fdo.address": ("店铺地址", "Address"),
    "fdo.category": ("经营类目", "Category"),
    "fdo.displayed": ("公示证照编号", "Number shown"),
    "fdo.number_used": ("核验所用编号", "Number checked"),
    "fdo.source.displayed": ("店铺公示", "shown on the listing"),
    "fdo.source.photo": ("证照照片识别", "read from the photo"),
    "fdo.photo_text": ("证照照片识别文本", "Text read from the licence photo"),
    "fdo.daily_orders": ("日均订单量", "Orders a day"),
    "fdo.captured_on": ("采集日期", "Captured on"),
    "fdo.licence": ("食品经营许可证（市场监管发证信息）", "Food-business licence (market regulation)"),
    "fdo.licence_none": ("未匹配到食品经营许可证", "No food-business licence matched"),
    "fdo.holder": ("持证主体", "Holder"),
    "fdo.premises": ("经营场所", "Premises"),
    "fdo.form": ("主体业态", "Business form"),
    "fdo.items": ("经营项目", "Items"),
    "fdo.valid": ("有效期", "Valid"),
    "fdo.authority": ("发证机关", "Issued by"),
    "fdo.enterprise": ("企业登记信息", "Enterprise registry"),
    "fdo.status": ("登记状态", "Status"),
    "fdo.industry": ("所属行业", "Industry"),
    "fdo.kitchen": ("阳光厨房", "Sunlit kitchen"),
    "fdo.kitchen_status": ("接入状态", "Connection"),
    "fdo.kitchen_none": ("无接入记录", "Not connected"),
    "fdo.online_rate": ("近7日在线率", "Online (7 days)"),
    "fdo.ai_alerts": ("AI巡检问题", "AI patrol alerts"),
    "fdo.not_catering": ("非餐饮类目，不适用", "Not catering: not required"),
    "fdo.evidence": ("证据", "Evidence"),
    "fdo.sources": ("数据来源", "Sources"),
    "fdo.dataset": ("数据集", "Dataset"),
    "fdo.owner": ("数源部门", "Owner"),
    "fdo.version": ("版本", "Version"),
    "fdo.rows": ("行数", "Rows"),
    "fdo.total": ("共 {n} 条", "{n} in all"),
})


def _render(request: Request, name: str, context: dict[str, Any], *, actor: Actor, session: Session,
            status_code: int = 200) -> HTMLResponse:
    ctx = base_context(request, actor, session)
    ctx.update(context)
    ctx.update({"kinds": reference.kinds(), "platforms": reference.platforms(), "categories": reference.categories(),
                "kind_label": lambda code, lang: _kind_label(code, lang)})
    return _templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _kind_label(code: str, lang: str) -> str:
    k = reference.kinds().get(code)
    return (k.name_en if lang == "en" else k.name) if k else code


def _json(request: Request) -> bool:
    return wants_json(request) or request.query_params.get("format") == "json"


def _run_json(run: FdoRun) -> dict[str, Any]:
    return {"id": run.id, "as_of": run.as_of, "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at) if run.finished_at else None, "listings": run.listings,
            "compliant": run.compliant, "non_compliant": run.non_compliant, "findings": run.findings,
            "cases_opened": run.cases_opened, "sources": run.sources}


def _finding_json(f: FdoFinding) -> dict[str, Any]:
    return {"id": f.id, "subject": f.subject, "subject_key": f.subject_key, "listing_id": f.listing_id,
            "platform": f.platform, "county_code": f.county_code, "kind": f.kind, "severity": f.severity,
            "reason": f.reason, "reason_en": f.reason_en, "evidence": f.evidence, "case_id": f.case_id}


@router.get("/fdo")
def cockpit(request: Request, session: DB, actor: CurrentActor) -> Response:
    data = service.cockpit(session, actor)
    if _json(request):
        if data is None:
            return JSONResponse({"run": None})
        return JSONResponse({"run": _run_json(data["run"]), "figures": data["figures"],
                             "health": [{"platform": s.platform, "rank": s.rank, "index": s.health_index,
                                         "components": s.components, "missing": s.missing} for s in data["scores"]],
                             "weights": WEIGHTS, "accident_cap": ACCIDENT_CAP})
    return _render(request, "fdo_cockpit.html", {"data": data, "weights": WEIGHTS, "accident_cap": ACCIDENT_CAP},
                   actor=actor, session=session)


@router.post("/fdo/run")
async def run(request: Request, session: DB, actor: CurrentActor, lang: Lang) -> Response:
    await check_csrf(request)
    try:
        done = service.run(session, actor)
    except DigigovError as exc:
        session.rollback()
        flash(request, error_text(exc, lang), "error")
        return redirect("/fdo")
    flash(request, translate("fdo.run_done", lang, listings=done.listings, findings=done.findings,
                             cases=done.cases_opened), "success")
    return redirect("/fdo")


@router.get("/fdo/findings")
def finding_list(request: Request, session: DB, actor: CurrentActor,
                 kind: Annotated[str, Query(max_length=32)] = "", platform: Annotated[str, Query(max_length=16)] = "",
                 county: Annotated[str, Query(max_length=6)] = "", subject: Annotated[str, Query(max_length=12)] = "",
                 offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> Response:
    require(actor, "fdo.view")
    if service.latest_run(session) is None:
        if _json(request):
            return JSONResponse({"run": None, "total": 0, "findings": []})
        return _render(request, "fdo_findings.html", {"run": None, "rows": [], "total": 0, "kind": kind,
                                                      "platform": platform, "county": county, "subject": subject,
                                                      "offset": 0, "names": {}, "counties": {}, "case_numbers": {}},
                       actor=actor, session=session)
    page = service.findings(session, actor, kind=kind, platform=platform, county=county, subject=subject,
                            limit=PAGE, offset=offset)
    if _json(request):
        return JSONResponse({"run": page.run.id, "total": page.total,
                             "findings": [_finding_json(f) for f in page.rows]})
    return _render(request, "fdo_findings.html", {"run": page.run, "rows": page.rows, "total": page.total,
                                                  "kind": kind, "platform": platform, "county": county,
                                                  "subject": subject, "offset": offset, "page": PAGE,
                                                  "names": page.shops, "counties": page.counties,
                                                  "case_numbers": page.cases}, actor=actor, session=session)


@router.get("/fdo/merchants/{listing_id}")
def merchant(listing_id: ListingId, request: Request, session: DB, actor: CurrentActor) -> Response:
    view = service.listing(session, actor, listing_id)
    row, rows = view.row, view.findings
    if _json(request):
        return JSONResponse({"id": row.id, "run": row.run_id, "platform": row.platform, "shop_id": row.shop_id,
                             "shop_name": row.shop_name, "verdict": row.verdict, "kinds": row.kinds,
                             "case_id": row.case_id, "case_number": view.case_number, "evidence": row.evidence,
                             "findings": [_finding_json(f) for f in rows]})
    return _render(request, "fdo_merchant.html", {"row": row, "findings": rows, "ev": row.evidence,
                                                  "case_number": view.case_number, "county_name": view.county_name},
                   actor=actor, session=session)
