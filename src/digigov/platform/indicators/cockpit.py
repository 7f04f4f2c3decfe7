"""The data of a cockpit (驾驶舱): KPI tiles, trend lines, a map and the warning list, for one region.

Every number carries the link to what is behind it (the indicator's drill template filled with the region and
the period, or the indicator's own page). The page template and static/cockpit.js render exactly this dict,
and the page's JSON twin returns it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core.clock import utcnow
from digigov.identity.actor import Actor
from digigov.identity.model import Region
from digigov.identity.permissions import require
from digigov.platform.indicators import service
from digigov.platform.indicators import spec as specs
from digigov.platform.indicators.model import Indicator
from digigov.platform.indicators.spec import PROVINCE, CockpitSpec, IndicatorSpec

MAPS = {"county": "/static/vendor/maps/zhejiang_counties.geojson",
        "city": "/static/vendor/maps/zhejiang_cities.geojson"}
SEVERITIES = ("red", "orange", "yellow", "blue")


def period_label(start: date | None, grain: str) -> str:
    if start is None:
        return ""
    if grain == "month":
        return start.strftime("%Y-%m")
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def link(s: IndicatorSpec, region: str, period: date | None) -> str:
    return specs.drill_link(s, region, period) or f"/indicators/{s.code}?region={region}"


def _region(r: Region) -> dict[str, str]:
    return {"code": r.code, "name": r.name, "name_en": r.name_en, "level": r.level}


def regions_for(session: Session, region_code: str) -> list[dict[str, str]]:
    """The choices of the region selector: the province, its cities, and the counties of the chosen city."""
    city = specs.city_of(region_code)
    rows = session.scalars(select(Region).order_by(Region.code))
    return [_region(r) for r in rows if r.level in ("province", "city")
            or (region_code != PROVINCE and r.level == "county" and r.code[:4] == city[:4])]


def kpi(session: Session, actor: Actor, ind: Indicator, region_code: str) -> dict[str, Any]:
    s = service.spec_of(ind)
    period = service.latest_period(session, ind)
    point = service.latest(session, actor, ind.code, region_code) if period else None
    before = None
    if period is not None:
        previous = specs.shift(period, s.grain, 1)
        before = service.series(session, actor, ind.code, region_code, since=previous, until=period)
    prev_value = before[0].value if before else (0.0 if period and s.aggregate == "sum" else None)
    value = point.value if point else None
    change = value - prev_value if value is not None and prev_value is not None else None
    direction = "same"
    if change:
        direction = "better" if (change > 0) == (s.better_when == "higher") else "worse"
    return {"code": ind.code, "name": ind.name, "name_en": ind.name_en, "unit": s.unit, "description": s.description,
            "description_en": s.description_en, "period": period.isoformat() if period else None,
            "period_label": period_label(period, s.grain), "grain": s.grain, "value": value,
            "previous": prev_value, "change": change, "direction": direction, "colour": s.colour(value),
            "better_when": s.better_when, "link": link(s, region_code, period),
            "detail": f"/indicators/{ind.code}?region={region_code}",
            "computed_at": ind.last_computed_at.isoformat() if ind.last_computed_at else None}


def trend(session: Session, actor: Actor, ind: Indicator, region_code: str, periods: int) -> dict[str, Any]:
    s = service.spec_of(ind)
    last = service.latest_period(session, ind)
    points: list[dict[str, Any]] = []
    if last is not None:
        first = specs.shift(last, s.grain, periods - 1)
        found = {p.period: p for p in service.series(session, actor, ind.code, region_code, since=first,
                                                     until=specs.next_period(last, s.grain))}
        day = first
        while day <= last:
            p = found.get(day)
            value = p.value if p else (0.0 if s.aggregate == "sum" else None)
            points.append({"period": day.isoformat(), "label": period_label(day, s.grain), "value": value,
                           "link": link(s, region_code, day)})
            day = specs.next_period(day, s.grain)
    return {"code": ind.code, "name": ind.name, "name_en": ind.name_en, "unit": s.unit, "points": points,
            "better_when": s.better_when, "thresholds": s.thresholds.model_dump()}


def map_data(session: Session, actor: Actor, ind: Indicator, level: str, region_code: str) -> dict[str, Any]:
    s = service.spec_of(ind)
    level = "city" if level == "city" and region_code == PROVINCE else "county"
    within = PROVINCE if region_code == PROVINCE else specs.city_of(region_code)
    period = service.latest_period(session, ind)
    values = service.by_region(session, actor, ind.code, level, period, within=within)  # type: ignore[arg-type]
    if level == "county" and within == PROVINCE and all(v is None for v in values.values()):
        level = "city"  # a rate only city-level departments report: colour the cities rather than nothing
        values = service.by_region(session, actor, ind.code, "city", period, within=within)
    names = service.region_names(session)
    items = [{"code": code, "name": names.get(code, (code, code))[0], "name_en": names.get(code, (code, code))[1],
              "value": value, "link": link(s, code, period)} for code, value in values.items()]
    present = [v for v in values.values() if v is not None]
    return {"code": ind.code, "name": ind.name, "name_en": ind.name_en, "unit": s.unit, "level": level,
            "within": None if within == PROVINCE else within, "period": period.isoformat() if period else None,
            "period_label": period_label(period, s.grain), "geojson": MAPS[level], "values": items,
            "min": min(present) if present else 0, "max": max(present) if present else 0,
            "better_when": s.better_when}


def warnings(session: Session, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = service.region_names(session)
    out = []
    for w in items:
        severity = str(w.get("severity") or "blue")
        region = str(w.get("region") or "")
        zh, en = names.get(region, (region, region))
        out.append({"severity": severity if severity in SEVERITIES else "blue", "title": str(w.get("title") or ""),
                    "title_en": str(w.get("title_en") or w.get("title") or ""), "region": region,
                    "region_name": zh, "region_name_en": en, "link": w.get("link"), "time": w.get("time")})
    return out


def build(session: Session, actor: Actor, cockpit: CockpitSpec, region_code: str = PROVINCE) -> dict[str, Any]:
    require(actor, "indicator.view")
    region = session.get(Region, service.check_region(session, region_code))
    assert region is not None
    wanted = [*cockpit.kpis, *cockpit.trends, *([cockpit.map_indicator] if cockpit.map_indicator else [])]
    codes = list(dict.fromkeys(wanted))
    found = {i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_([c for c in codes if c])))}
    return {
        "title": cockpit.title, "title_en": cockpit.title_en or cockpit.title,
        "region": _region(region), "regions": regions_for(session, region_code),
        "kpis": [kpi(session, actor, found[c], region_code) for c in cockpit.kpis if c in found],
        "trends": [trend(session, actor, found[c], region_code, cockpit.trend_periods)
                   for c in cockpit.trends if c in found],
        "map": (map_data(session, actor, found[cockpit.map_indicator], cockpit.map_level, region_code)
                if cockpit.map_indicator in found else None),
        "warnings": warnings(session, cockpit.warnings) if cockpit.show_warnings else None,
        "missing": [c for c in codes if c and c not in found],
        "generated_at": utcnow().isoformat(timespec="seconds"),
    }
