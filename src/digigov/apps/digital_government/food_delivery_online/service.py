"""浙江外卖在线 as use cases.

`run` is one verification round over the departments' current data: it reads (audited) the platforms' listings,
kitchens, riders and deliveries, market regulation's food-business licences and enterprise registry, human
resources' occupational-injury enrolment and public security's rider accidents; it gives every listing a verdict
(licence checks and the sunlit-kitchen rule), cross-checks the riders' declared insurance, fits the reasonable
delivery-time window and measures each platform's time pressure, feeds the accidents back to the platforms,
computes each platform's health index, stores all of it, and turns the risks into cases of the closed loop:
a listing's findings to its county market-regulation bureau, a platform's uninsured riders in a county to that
county's human-resources bureau, a platform's delivery-time pressure to the provincial bureau. A risk whose case is
still open is noted on that case (复核仍存在) instead of opening another; one that comes back after its case closed
opens a new one.

The reads for the pages (`cockpit`, `findings`, `listing`) check `fdo.view`; a merchant's evidence is read under
audit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.digital_government.food_delivery_online import (
    datasets,
    delivery_time,
    health,
    kitchens,
    licences,
    reference,
    riders,
    sources,
)
from digigov.apps.digital_government.food_delivery_online.case_type import TYPE_CODE
from digigov.apps.digital_government.food_delivery_online.model import (
    FdoFinding,
    FdoListing,
    FdoPlatformScore,
    FdoRun,
)
from digigov.audit.service import record
from digigov.core.clock import utcnow
from digigov.core.errors import NotFound
from digigov.core.i18n import register as register_messages
from digigov.identity.actor import Actor
from digigov.identity.model import Department, Region
from digigov.identity.permissions import require
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case

PRESSURE_THRESHOLD = 0.2  # a platform with more than this share of promises below the window gets a case

register_messages({
    "error.fdo_no_run": ("尚未进行过核验", "No verification has been run yet"),
    "error.fdo_listing_unknown": ("没有该商户核验记录", "No such listing verdict"),
})


# ---------------------------------------------------------------- reading the inputs


def listings_from_rows(rows: Sequence[dict[str, Any]]) -> list[licences.Listing]:
    out = []
    for r in rows:
        try:
            orders = int(float(str(r.get("日均订单量") or 0)))
        except ValueError:
            orders = 0
        out.append(licences.Listing(
            str(r.get("平台") or "").strip(), str(r.get("店铺编号") or "").strip(), str(r.get("店铺名称") or ""),
            str(r.get("经营者名称") or ""), str(r.get("店铺地址") or ""), str(r.get("县区代码") or ""),
            str(r.get("经营类目") or ""), str(r.get("公示证照编号") or ""), str(r.get("证照照片识别文本") or ""),
            max(orders, 0), licences.parse_date(r.get("采集日期"))))
    return out


class _Departments:
    """County, then city, then province department of a kind, looked up once per code."""

    def __init__(self, session: Session) -> None:
        self.codes = set(session.scalars(select(Department.code).where(Department.active.is_(True))))

    def find(self, region: str, kind: str) -> str:
        region = region if len(region) == 6 and region.isdigit() else "330000"
        for code in (region, region[:4] + "00", region[:2] + "0000", "330000"):
            if f"{code}-{kind}" in self.codes:
                return f"{code}-{kind}"
        raise NotFound(f"no {kind} department for {region}", key="no_department", code=f"{region}-{kind}")


def _file_case(session: Session, depts: _Departments, *, kind: str, subject_key: str, title: str,
               description: str, region: str, data: dict[str, Any], now: datetime) -> tuple[int, bool]:
    """(case id, opened): a new case dispatched to the bureau of `region` for the kind, or a note on the open
    case of the same subject (the re-check found the risk still there)."""
    actor = cases.system()
    existing = session.scalar(select(Case).where(Case.type_code == TYPE_CODE, Case.subject_key == subject_key,
                                                 Case.status != "closed").order_by(Case.id).limit(1))
    if existing is not None:
        cases.comment(session, actor, existing.id, f"复核（{now.date().isoformat()}）仍存在：{description[:1500]}")
        return existing.id, False
    k = reference.kind(kind)
    department = depts.find(region, k.department_kind) if k.tier != "province" else f"330000-{k.department_kind}"
    case = cases.open_case(session, actor, TYPE_CODE, title=title[:300], description=description, category=kind,
                           channel="app", region_code=region if k.tier != "province" else "330000",
                           subject_key=subject_key, severity=k.severity, data=data, now=now)
    cases.dispatch(session, actor, case.id, kind, department, note=f"浙江外卖在线核验发现：{k.name}", now=now)
    return case.id, True


def _kind_order(kinds: list[str]) -> list[str]:
    order = {k.code: i for i, k in enumerate(reference.KINDS)}
    return sorted(set(kinds), key=lambda k: order.get(k, 99))


def _county_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Region.code, Region.name))}


# ---------------------------------------------------------------- the verification round


def run(session: Session, actor: Actor, *, open_cases: bool = True, now: datetime | None = None) -> FdoRun:
    """One verification round over the current data (see the module's docstring). Never commits."""
    require(actor, "fdo.run")
    now = now or utcnow()
    read = {spec.code: sources.read(session, actor, spec.code) for spec in datasets.OWN}
    licence_rows = sources.read(session, actor, datasets.FOOD_LICENCES)
    enterprise_rows = sources.read(session, actor, datasets.ENTERPRISES)
    registry = licences.Registry.from_rows(licence_rows.rows, enterprise_rows.rows)
    listings = listings_from_rows(read[datasets.LISTINGS.code].rows)
    captured = [lst.captured_on for lst in listings if lst.captured_on]
    as_of = max(captured) if captured else now.date()
    verdicts = licences.verify(listings, registry, as_of)
    kitchen_report = kitchens.assess(listings, kitchens.kitchens_from_rows(read[datasets.KITCHENS.code].rows))
    rider_list = riders.riders_from_rows(read[datasets.RIDERS.code].rows)
    insurance = riders.cross_check(rider_list, riders.enrolments_from_rows(read[datasets.INJURY_INSURANCE.code].rows))
    deliveries = delivery_time.deliveries_from_rows(read[datasets.DELIVERIES.code].rows)
    model = delivery_time.fit(deliveries)
    pressure = delivery_time.pressure_by_platform(delivery_time.assess(model, deliveries) if model else [])
    accidents = riders.attribute(riders.accidents_from_rows(read[datasets.ACCIDENTS.code].rows), rider_list)

    run_row = FdoRun(started_at=now, as_of=as_of.isoformat(), run_by=actor.username,
                     sources={s.code: {"owner": s.owner, "version": s.version, "rows": len(s.rows)}
                              for s in (*read.values(), licence_rows, enterprise_rows)})
    session.add(run_row)
    session.flush()
    depts = _Departments(session)
    names = _county_names(session)
    opened = updated = 0
    findings: list[FdoFinding] = []

    # merchants: a verdict for every listing, its findings, one case per listing with findings
    by_kind: Counter[str] = Counter()
    per_platform: dict[str, health.PlatformInputs] = defaultdict(health.PlatformInputs)
    for v, kc in zip(verdicts, kitchen_report.checks, strict=True):
        lst = v.listing
        if kc.violation:
            v.add("kitchen_unconnected",
                  f"日均订单 {lst.daily_orders} 单（≥{kitchens.MANDATORY_ORDERS}），未接入阳光厨房",
                  f"{lst.daily_orders} orders a day (at least {kitchens.MANDATORY_ORDERS}) without a sunlit kitchen",
                  daily_orders=lst.daily_orders, kitchen=kc.kitchen.record() if kc.kitchen else None)
        kinds = _kind_order(v.kinds())
        row = FdoListing(
            run_id=run_row.id, platform=lst.platform, shop_id=lst.shop_id, shop_name=lst.shop_name[:200],
            operator_name=lst.operator_name[:200], address=lst.address[:300], county_code=lst.county_code[:6],
            category=lst.category[:40], displayed=lst.displayed[:64], number_used=v.number_used[:32],
            daily_orders=lst.daily_orders, verdict=v.verdict, kinds=kinds, kitchen_required=kc.required,
            kitchen_connected=kc.connected,
            evidence={"listing": lst.record(), "number_source": v.number_source, "photo_number": v.photo_number,
                      "licence": v.licence.record() if v.licence else None,
                      "enterprise": v.enterprise.record() if v.enterprise else None,
                      "kitchen": kc.kitchen.record() if kc.kitchen else None, "catering": kc.catering})
        session.add(row)
        inputs = per_platform[lst.platform]
        inputs.listings += 1
        inputs.listings_with_licence_findings += 1 if any(k in reference.LICENCE_KINDS for k in kinds) else 0
        inputs.kitchens_required += 1 if kc.required else 0
        inputs.kitchens_required_connected += 1 if kc.required and kc.connected else 0
        if not kinds:
            continue
        session.flush()
        by_kind.update(kinds)
        listing_findings = [FdoFinding(
            run_id=run_row.id, subject="listing", subject_key=f"{lst.platform}:{lst.shop_id}", listing_id=row.id,
            platform=lst.platform, county_code=lst.county_code[:6], kind=f.kind,
            severity=reference.kind(f.kind).severity, reason=f.reason, reason_en=f.reason_en, evidence=f.evidence)
            for f in sorted(v.findings, key=lambda f: kinds.index(f.kind))]
        findings.extend(listing_findings)
        if open_cases:
            platform = reference.platforms().get(lst.platform)
            first = reference.kind(kinds[0])
            case_id, new = _file_case(
                session, depts, kind=kinds[0], subject_key=f"fdo:listing:{lst.platform}:{lst.shop_id}",
                title=f"{lst.shop_name}（{platform.name if platform else lst.platform}）：{first.name}",
                description="；".join(f.reason for f in listing_findings) + f"。店铺地址：{lst.address}。",
                region=lst.county_code, data={"subject": f"{lst.platform}:{lst.shop_id}", "platform": lst.platform,
                                              "fdo_listing": row.id, "kinds": kinds}, now=now)
            row.case_id = case_id
            for f in listing_findings:
                f.case_id = case_id
            opened, updated = opened + new, updated + (not new)

    # riders: declared insured, not insured in the HR records
    rider_figures: dict[str, Counter[str]] = defaultdict(Counter)
    gaps: dict[tuple[str, str], list[riders.InsuranceCheck]] = defaultdict(list)
    for check in insurance:
        r = check.rider
        per_platform[r.platform].riders += 1
        per_platform[r.platform].riders_insured += 1 if check.insured else 0
        rider_figures[r.platform].update(riders=1, declared=int(r.declared_insured), insured=int(check.insured),
                                         violations=int(check.violation))
        if check.violation:
            gaps[(r.platform, r.county_code)].append(check)
            by_kind["rider_uninsured"] += 1
            findings.append(FdoFinding(
                run_id=run_row.id, subject="rider", subject_key=f"{r.platform}:{r.rider_no}", platform=r.platform,
                county_code=r.county_code[:6], kind="rider_uninsured", severity="orange", reason=check.reason,
                reason_en=check.reason_en, evidence=check.evidence()))
    if open_cases:
        for (platform_code, county), checks in sorted(gaps.items()):
            platform = reference.platforms().get(platform_code)
            label = platform.name if platform else platform_code
            case_id, new = _file_case(
                session, depts, kind="rider_uninsured", subject_key=f"fdo:insurance:{platform_code}:{county}",
                title=f"{label}在{names.get(county, county)}有 {len(checks)} 名骑手申报参保但无有效职业伤害保障记录",
                description="骑手编号：" + "、".join(c.rider.rider_no for c in checks[:50]) +
                            "。请核实平台参保申报并督促补缴。", region=county,
                data={"subject": f"{platform_code}:{county}", "platform": platform_code, "riders": len(checks)},
                now=now)
            for f in findings:
                if f.kind == "rider_uninsured" and f.platform == platform_code and f.county_code == county[:6]:
                    f.case_id = case_id
            opened, updated = opened + new, updated + (not new)

    # delivery time: promises below the reasonable window
    for platform_code, p in pressure.items():
        per_platform[platform_code].deliveries += p["deliveries"]
        per_platform[platform_code].promises_below += p["below"]
        if p["share_below"] > PRESSURE_THRESHOLD:
            by_kind["delivery_time_pressure"] += 1
            platform = reference.platforms().get(platform_code)
            label = platform.name if platform else platform_code
            reason = (f"{p['deliveries']} 单中 {p['below']} 单（{p['share_below']:.0%}）"
                      f"的承诺送达时长低于合理区间下限；"
                      f"承诺时长中位数 {p['median_promised']} 分钟，合理下限中位数 {p['median_lower']} 分钟")
            f = FdoFinding(run_id=run_row.id, subject="platform", subject_key=platform_code, platform=platform_code,
                           kind="delivery_time_pressure", severity="orange", reason=reason,
                           reason_en=f"{p['below']} of {p['deliveries']} promised times ({p['share_below']:.0%}) are "
                                     f"below the reasonable window's lower bound", evidence=p)
            findings.append(f)
            if open_cases:
                f.case_id, new = _file_case(
                    session, depts, kind="delivery_time_pressure", subject_key=f"fdo:time:{platform_code}",
                    title=f"{label}：承诺送达时长低于合理区间（{p['share_below']:.0%}）",
                    description=reason + "。请约谈平台，"
                    "按合理时间区间调整配送时限算法。", region="330000",
                    data={"subject": platform_code, "platform": platform_code}, now=now)
                opened, updated = opened + new, updated + (not new)

    # accidents fed back to the platforms
    for accident, platform_codes in accidents.attributed:
        for platform_code in platform_codes:
            per_platform[platform_code].accidents += 1
            by_kind["traffic_accident"] += 1
            findings.append(FdoFinding(
                run_id=run_row.id, subject="accident", subject_key=accident.number[:80], platform=platform_code,
                county_code=accident.county_code[:6], kind="traffic_accident",
                severity={"死亡": "red", "受伤": "orange"}.get(accident.casualty, "blue"),
                reason=f"{accident.happened_on} {accident.form}（{accident.casualty}），"
                       f"违法行为：{accident.violation or '无'}",
                reason_en=f"{accident.happened_on}: {accident.form} ({accident.casualty})",
                evidence=accident.evidence()))
    session.add_all(findings)

    # the platform health index
    healths = health.rank([health.score(code, per_platform[code])
                           for code in sorted(set(reference.platforms()) | set(per_platform))])
    for n, h in enumerate(healths, start=1):
        session.add(FdoPlatformScore(run_id=run_row.id, platform=h.platform, health_index=h.index, rank=n,
                                     components=h.components, missing=h.missing, inputs=h.inputs))

    compliant = sum(1 for v in verdicts if v.compliant)
    run_row.listings, run_row.compliant, run_row.non_compliant = len(verdicts), compliant, len(verdicts) - compliant
    run_row.findings, run_row.cases_opened, run_row.finished_at = len(findings), opened, utcnow()
    run_row.figures = {
        "listings": {"total": len(verdicts), "compliant": compliant, "non_compliant": len(verdicts) - compliant,
                     "by_kind": dict(by_kind),
                     "by_platform": {p: {"listings": i.listings, "licence_findings": i.listings_with_licence_findings}
                                     for p, i in sorted(per_platform.items())}},
        "kitchens": {"overall": kitchen_report.overall.figures(),
                     "by_platform": {p: c.figures() for p, c in sorted(kitchen_report.by_platform.items())},
                     "by_county": [{"county_code": code, "county_name": names.get(code, code), **c.figures()}
                                   for code, c in sorted(kitchen_report.by_county.items()) if c.catering]},
        "riders": {"by_platform": {p: dict(c) for p, c in sorted(rider_figures.items())},
                   "total": sum(c["riders"] for c in rider_figures.values()),
                   "declared": sum(c["declared"] for c in rider_figures.values()),
                   "insured": sum(c["insured"] for c in rider_figures.values()),
                   "violations": sum(c["violations"] for c in rider_figures.values())},
        "delivery_time": {"model": model.describe() if model else None, "threshold": PRESSURE_THRESHOLD,
                          "by_platform": pressure},
        "accidents": {"total": len(accidents.attributed) + accidents.unattributed,
                      "attributed": len(accidents.attributed), "unattributed": accidents.unattributed,
                      "by_platform": {p: dict(c) for p, c in sorted(accidents.by_platform.items())}},
        "health": [{"platform": h.platform, "index": h.index, "components": h.components, "missing": h.missing}
                   for h in healths],
        "health_weights": health.WEIGHTS,
        "cases": {"opened": opened, "updated": updated},
    }
    session.flush()
    record(session, actor, "fdo.run", "fdo_run", run_row.id,
           detail={"as_of": run_row.as_of, "listings": run_row.listings, "compliant": compliant,
                   "non_compliant": run_row.non_compliant, "findings": run_row.findings, "cases_opened": opened,
                   "cases_updated": updated, "sources": run_row.sources})
    return run_row


# ---------------------------------------------------------------- reading the results


def latest_run(session: Session) -> FdoRun | None:
    return session.scalar(select(FdoRun).where(FdoRun.finished_at.is_not(None)).order_by(FdoRun.id.desc()).limit(1))


def _run(session: Session, run_id: int | None) -> FdoRun:
    found = session.get(FdoRun, run_id) if run_id else latest_run(session)
    if found is None:
        raise NotFound("no verification run", key="fdo_no_run")
    return found


def scores(session: Session, run_id: int) -> list[FdoPlatformScore]:
    return list(session.scalars(select(FdoPlatformScore).where(FdoPlatformScore.run_id == run_id)
                                .order_by(FdoPlatformScore.rank)))


def cockpit(session: Session, actor: Actor, *, run_id: int | None = None) -> dict[str, Any] | None:
    """The latest run's figures, health index and most serious findings (None before any run)."""
    require(actor, "fdo.view")
    found = session.get(FdoRun, run_id) if run_id else latest_run(session)
    if found is None:
        return None
    severity = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    recent = session.scalars(select(FdoFinding).where(FdoFinding.run_id == found.id,
                                                      FdoFinding.subject == "listing").order_by(FdoFinding.id)).all()
    top = sorted(recent, key=lambda f: (severity.get(f.severity, 9), f.id))[:15]
    listing_names = {i: n for i, n in session.execute(select(FdoListing.id, FdoListing.shop_name).where(
        FdoListing.id.in_([f.listing_id for f in top if f.listing_id])))}
    return {"run": found, "figures": found.figures, "scores": scores(session, found.id), "top": top,
            "listing_names": listing_names}


@dataclass
class FindingsPage:
    run: FdoRun
    rows: list[FdoFinding]
    total: int
    shops: dict[int, str]  # listing id -> shop name
    counties: dict[str, str]  # county code -> name
    cases: dict[int, str]  # case id -> case number


def _case_numbers(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    return {i: n for i, n in session.execute(select(Case.id, Case.number).where(Case.id.in_(wanted)))} if wanted else {}


def findings(session: Session, actor: Actor, *, run_id: int | None = None, kind: str = "", platform: str = "",
             county: str = "", subject: str = "", limit: int = 50, offset: int = 0) -> FindingsPage:
    require(actor, "fdo.view")
    found = _run(session, run_id)
    stmt = select(FdoFinding).where(FdoFinding.run_id == found.id)
    if kind:
        stmt = stmt.where(FdoFinding.kind == kind)
    if platform:
        stmt = stmt.where(FdoFinding.platform == platform)
    if county:
        stmt = stmt.where(FdoFinding.county_code == county)
    if subject:
        stmt = stmt.where(FdoFinding.subject == subject)
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(session.scalars(stmt.order_by(FdoFinding.id).limit(min(max(limit, 1), 500)).offset(max(offset, 0))))
    ids = [f.listing_id for f in rows if f.listing_id]
    shops = {i: n for i, n in session.execute(select(FdoListing.id, FdoListing.shop_name).where(
        FdoListing.id.in_(ids)))} if ids else {}
    return FindingsPage(found, rows, total, shops, _county_names(session),
                        _case_numbers(session, [f.case_id for f in rows]))


@dataclass
class MerchantView:
    row: FdoListing
    findings: list[FdoFinding]
    case_number: str
    county_name: str


def listing(session: Session, actor: Actor, listing_id: int) -> MerchantView:
    """A listing's verdict with its evidence (licence, registry record, photo text, kitchen): an audited read."""
    require(actor, "fdo.view")
    row = session.get(FdoListing, listing_id)
    if row is None:
        raise NotFound(f"no listing verdict {listing_id}", key="fdo_listing_unknown")
    rows = session.scalars(select(FdoFinding).where(FdoFinding.listing_id == row.id).order_by(FdoFinding.id)).all()
    record(session, actor, "fdo.listing.read", "fdo_listing", row.id,
           detail={"platform": row.platform, "shop_id": row.shop_id, "run": row.run_id, "verdict": row.verdict})
    region = session.get(Region, row.county_code)
    return MerchantView(row, list(rows), _case_numbers(session, [row.case_id]).get(row.case_id or 0, ""),
                        region.name if region else row.county_code)


def verdict_counts(session: Session, run_id: int) -> dict[str, int]:
    """Listings of a run by verdict, counted in the store (the run's own counts must agree)."""
    rows = session.execute(select(FdoListing.verdict, func.count()).where(FdoListing.run_id == run_id)
                           .group_by(FdoListing.verdict))
    return {v: int(n) for v, n in rows}
