"""What the cockpit and the analysis page of 民呼我为 show: the tickets of the last months as records for
the analysis functions (hot words, trends, spikes, hot spots), and the warning list (spikes, the rules'
open signals, red tickets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.digital_society.people_call_we_act import analysis, taxonomy
from digigov.apps.digital_society.people_call_we_act.case_type import CITY, TYPE_CODE
from digigov.core.clock import utcnow
from digigov.identity.actor import Actor
from digigov.identity.permissions import can
from digigov.platform.cases import queries
from digigov.platform.cases.model import Case
from digigov.platform.indicators.spec import CockpitSpec
from digigov.platform.rules import service as rules

LOOKBACK_DAYS = 120


@dataclass(frozen=True)
class Record:
    text: str
    category: str
    created_at: datetime
    county_code: str
    street: str
    lon: float | None
    lat: float | None


def records(session: Session, actor: Actor, *, days: int = LOOKBACK_DAYS, region: str = CITY) -> list[Record]:
    """The tickets the viewer may see, opened in the last `days` days in `region` (merged duplicates left out)."""
    since = utcnow() - timedelta(days=days)
    stmt = queries.visible_to(actor, select(Case.description, Case.category, Case.data, Case.opened_at,
                                            Case.region_code, Case.street, Case.lon, Case.lat)
                              .where(Case.type_code == TYPE_CODE, Case.opened_at >= since,
                                     Case.region_code.startswith(queries.region_prefix(region)),
                                     (Case.resolution.is_(None)) | (Case.resolution != "merged")))
    out = []
    for text, category, data, opened, county, street, lon, lat in session.execute(stmt).tuples():
        out.append(Record(text or "", category or (data or {}).get("suggested") or "", opened, county, street,
                          lon, lat))
    return out


def _name_en(category: str) -> str:
    return taxonomy.BY_CODE[category].name_en if category in taxonomy.BY_CODE else category


def warnings(session: Session, actor: Actor, recs: list[Record], region: str = CITY) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for spike in analysis.spikes(recs)[-5:]:
        out.append({"severity": "orange" if spike.change_pct < 300 else "red",
                    "title": f"诉求激增：{spike.label}（{spike.window_start:%m-%d} 起 {spike.window_days} 天）",
                    "title_en": f"Spike: {_name_en(spike.category)} {spike.change_pct:+.0f}%",
                    "region": region,
                    "link": f"/cases?type={TYPE_CODE}&category={spike.category}"
                            f"&since={spike.window_start.isoformat()}"})
    if can(actor, "rule.view"):
        for sig in rules.list_signals(session, actor, status="open", limit=5):
            out.append({"severity": sig.severity, "title": sig.title, "region": sig.region_code or region,
                        "link": f"/signals/{sig.id}"})
    reds, _ = queries.list_cases(session, actor, queries.CaseFilter(type=TYPE_CODE, status="open", colour="red",
                                                                    region=region), limit=5)
    for case in reds:
        out.append({"severity": "red", "title": f"超期未办：{case.number} {case.title}", "region": case.region_code,
                    "link": f"/cases/{case.id}"})
    return out


def cockpit_spec(session: Session, actor: Actor, region: str = CITY) -> CockpitSpec:
    return CockpitSpec(
        title="民呼我为驾驶舱",
        title_en="The people call, we act: cockpit",
        kpis=["people_call.tickets", "people_call.on_time_rate", "people_call.satisfaction",
              "people_call.first_contact", "people_call.repeat_complaints"],
        trends=["people_call.tickets_daily", "people_call.satisfaction", "people_call.on_time_rate"],
        map_indicator="people_call.tickets",
        map_level="county",
        warnings=warnings(session, actor, records(session, actor, region=region), region),
        trend_periods=14,
    )
