"""The cockpit's data (驾驶舱): KPI tiles, the map of towns, the monthly trend with next month's forecast, the domains'
"vital signs", the open red task list, the closure rate of each area and the safety-code distribution. The page
template and static/srcl.js render exactly this dict, and the page's JSON twin returns it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from digigov.apps.rule_of_law.social_risk_closed_loop import gazetteer, library, safety_code, safety_service, service
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclGridReport, SrclTask
from digigov.core.clock import utcnow
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.cases.model import Case

STAGES = {"intake": "to_accept", "triaged": "to_accept", "assigned": "to_accept", "returned": "to_accept",
          "in_progress": "handling", "reopened": "handling", "responded": "to_verify", "verified": "to_close",
          "closed": "closed"}
SEVERITY_ORDER = {s: i for i, s in enumerate(library.SEVERITIES)}


def stage(c: Case) -> str:
    """The task's place in the loop: to_accept, handling, to_verify, to_close, closed."""
    return STAGES.get(c.status, "handling")


def forecast(values: list[float]) -> float | None:
    """Next value by a least-squares line through the series (None with fewer than three points), never below 0."""
    n = len(values)
    if n < 3:
        return None
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / sxx
    return round(max(0.0, mean_y + slope * (n - mean_x)), 1)


def _rate(a: service.Area) -> float | None:
    return round(a.rate * 100, 1) if a.rate is not None else None


def _area(a: service.Area, link: str) -> dict[str, Any]:
    return {"code": a.code, "name": a.name, "name_en": a.name_en, "raised": a.raised, "closed": a.closed,
            "open": a.open, "red_open": a.red_open, "overdue": a.overdue, "rate": _rate(a), "link": link}


def _trend(session: Session, county: str) -> dict[str, Any]:
    stmt = (select(SrclTask.period, SrclTask.severity, func.count(),
                   func.sum(case((and_(Case.status == "closed", Case.resolution.in_(service.CLOSED_DONE)), 1),
                                 else_=0)))
            .join(Case, Case.id == SrclTask.case_id).where(SrclTask.period != "")
            .group_by(SrclTask.period, SrclTask.severity))
    if county:
        stmt = stmt.where(SrclTask.county_code == county)
    by_period: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*library.SEVERITIES, "closed"), 0))
    for period, severity, n, closed in session.execute(stmt):
        by_period[period][severity] += int(n)
        by_period[period]["closed"] += int(closed or 0)
    periods = sorted(by_period)[-12:]
    totals = [float(sum(by_period[p][s] for s in library.SEVERITIES)) for p in periods]
    return {"periods": periods,
            "series": {s: [by_period[p][s] for p in periods] for s in library.SEVERITIES},
            "raised": [int(v) for v in totals],
            "rate": [round(100.0 * by_period[p]["closed"] / t, 1) if t else None
                     for p, t in zip(periods, totals, strict=True)],
            "forecast": forecast(totals[:-1]) if len(periods) > 3 else forecast(totals)}


def _domains(session: Session, county: str) -> list[dict[str, Any]]:
    stmt = (select(SrclTask.domain, SrclTask.severity, func.count(),
                   func.sum(case((Case.status != "closed", 1), else_=0)))
            .join(Case, Case.id == SrclTask.case_id).group_by(SrclTask.domain, SrclTask.severity))
    if county:
        stmt = stmt.where(SrclTask.county_code == county)
    raised: dict[str, int] = defaultdict(int)
    still: dict[str, int] = defaultdict(int)
    worst: dict[str, str] = {}
    for domain, severity, n, open_n in session.execute(stmt):
        raised[domain] += int(n)
        still[domain] += int(open_n or 0)
        if open_n and SEVERITY_ORDER.get(severity, 9) < SEVERITY_ORDER.get(worst.get(domain, ""), 9):
            worst[domain] = severity
    return [{"code": d.code, "name": d.name, "name_en": d.name_en, "raised": raised[d.code], "open": still[d.code],
             "worst": worst.get(d.code), "indicators": sum(1 for i in library.indicators().values()
                                                            if i.domain == d.code),
             "link": f"/srcl/tasks?domain={d.code}" + (f"&county={county}" if county else "")}
            for d in library.domains().values()]


def _task_row(t: SrclTask, c: Case, lang: str) -> dict[str, Any]:
    dom = library.domains().get(t.domain)
    return {"id": t.id, "number": c.number, "title": t.title, "severity": t.severity, "colour": c.colour,
            "stage": stage(c), "town": gazetteer.label(t.town_code, lang),
            "county": gazetteer.label(t.county_code, lang),
            "domain": dom.label(lang) if dom else t.domain, "period": t.period, "overdue": c.overdue,
            "due_at": c.due_at.isoformat() if c.due_at else None, "link": f"/srcl/tasks/{t.id}"}


def build(session: Session, actor: Actor, *, county: str = "", lang: str = "zh") -> dict[str, Any]:
    """Everything the cockpit draws for the city, or for one county (its towns on the map and in the table)."""
    require(actor, "srcl.view")
    county = county if county in gazetteer.COUNTIES else ""
    counties = service.closure(session, actor, by="county")
    towns = service.closure(session, actor, by="town", county=county)
    scope = next((a for a in counties if a.code == county), None) if county else \
        service.city_closure(session, actor)
    assert scope is not None
    wage_open = session.scalar(select(func.count()).select_from(SrclTask).join(Case, Case.id == SrclTask.case_id)
                               .where(SrclTask.indicator == service.WAGE, Case.status != "closed",
                                      *([SrclTask.county_code == county] if county else []))) or 0
    reports = session.scalar(select(func.count()).select_from(SrclGridReport)
                             .where(*([SrclGridReport.county_code == county] if county else []))) or 0
    dist = safety_service.distribution(session, actor)
    total = dist["total"] if not county else dist["by_county"].get(county, {})
    red_tasks, _n = service.list_tasks(session, actor, service.TaskFilter(county=county, status="open",
                                                                          colour="red"), limit=12)
    places = {t.code: t for t in gazetteer.towns().values()}
    suffix = f"&county={county}" if county else ""
    return {
        "county": county, "county_name": gazetteer.label(county, lang) if county else gazetteer.label("330500", lang),
        "kpis": {"raised": scope.raised, "open": scope.open, "red_open": scope.red_open, "overdue": scope.overdue,
                 "rate": _rate(scope), "wage_open": int(wage_open), "reports": int(reports),
                 "safety_red_orange": int(total.get("red", 0)) + int(total.get("orange", 0))},
        "links": {"open": f"/srcl/tasks?status=open{suffix}", "red": f"/srcl/tasks?status=open&colour=red{suffix}",
                  "overdue": f"/srcl/tasks?status=overdue{suffix}", "all": f"/srcl/tasks?{suffix[1:]}",
                  "wage": f"/srcl/tasks?indicator={service.WAGE}&status=open{suffix}",
                  "reports": f"/srcl/tasks?source=report{suffix}", "safety": "/srcl/safety?colour=red"},
        "counties": [_area(a, f"/srcl?county={a.code}") for a in counties],
        "towns": [{**_area(a, f"/srcl/tasks?town={a.code}"), "lon": places[a.code].lon, "lat": places[a.code].lat,
                   "county": places[a.code].county_code} for a in towns],
        "trend": _trend(session, county),
        "domains": _domains(session, county),
        "tasks": [_task_row(t, c, lang) for t, c in red_tasks],
        "safety": {"total": {c: int(total.get(c, 0)) for c in safety_code.COLOURS},
                   "by_county": {code: {**v, "name": gazetteer.label(code, lang)}
                                 for code, v in dist["by_county"].items()},
                   "vetoed": dist["vetoed"], "as_of": dist["run"].as_of.isoformat() if dist["run"] else None},
        "geojson": "/static/vendor/maps/zhejiang_counties.geojson",
        "generated_at": utcnow().isoformat(timespec="seconds"),
    }
