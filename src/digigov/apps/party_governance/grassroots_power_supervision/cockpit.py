"""The cockpit (驾驶舱) of grassroots power supervision: warnings raised, verified, closed and filed as cases,
red and overdue now, by county → town → village and by rule; and the villagers' reports (监督一点通) with the
time the stations took to answer.

    figures(session, actor, region="", town="") -> {"level", "rows", "total", "by_rule", "complaints"}

`region` "" is the province (rows by county), a county code gives rows by town, and with `town` rows by village.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.grassroots_power_supervision import service, shipped
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsComplaint, GpsWarning
from digigov.identity.actor import Actor
from digigov.identity.model import Region
from digigov.identity.permissions import require
from digigov.platform.cases.model import Case


@dataclass
class Tally:
    raised: int = 0
    red: int = 0  # open and red now
    overdue: int = 0  # open, red and past the deadline
    verified: int = 0  # verified on site (whatever happened after)
    on_time: int = 0  # of those, verified by the deadline
    yellow: int = 0  # verified late (yellow now)
    closed: int = 0  # 销号
    dismissed: int = 0
    cases: int = 0  # 立案

    def add(self, w: GpsWarning) -> None:
        self.raised += 1
        self.red += w.status == "open" and w.colour == "red"
        self.overdue += w.status == "open" and w.overdue
        if w.verified_at is not None:
            self.verified += 1
            self.on_time += w.verified_at <= w.due_at
        self.yellow += w.colour == "yellow"
        self.closed += w.status == "closed"
        self.dismissed += w.status == "dismissed"
        self.cases += w.case_id is not None

    def as_dict(self) -> dict[str, Any]:
        return {"raised": self.raised, "red": self.red, "overdue": self.overdue, "verified": self.verified,
                "on_time": self.on_time, "yellow": self.yellow, "closed": self.closed, "dismissed": self.dismissed,
                "cases": self.cases,
                "on_time_rate": round(self.on_time / self.verified, 4) if self.verified else None}


@dataclass
class ComplaintTally:
    received: int = 0
    taken: int = 0  # 接单
    answered: int = 0
    closed: int = 0
    satisfied: int = 0
    rated: int = 0
    _hours: list[float] = field(default_factory=list, repr=False)

    def add(self, case: Case) -> None:
        self.received += 1
        self.taken += case.status not in ("intake", "triaged", "assigned", "returned")
        if case.responded_at is not None:
            self.answered += 1
            self._hours.append((case.responded_at - case.opened_at).total_seconds() / 3600)
        self.closed += case.status == "closed"
        if case.rating:
            self.rated += 1
            self.satisfied += case.rating in ("satisfied", "basically_satisfied")

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "taken": self.taken, "answered": self.answered, "closed": self.closed,
                "average_hours": round(sum(self._hours) / len(self._hours), 1) if self._hours else None,
                "satisfaction": round(self.satisfied / self.rated, 4) if self.rated else None}


def _key(level: str, region_code: str, town: str, village: str) -> str:
    return {"province": region_code, "county": town, "town": village}[level]


def figures(session: Session, actor: Actor, *, region: str = "", town: str = "") -> dict[str, Any]:
    require(actor, "gps.view")
    level = "town" if region and town else "county" if region else "province"
    warnings, _total = service.list_warnings(session, actor, service.Filters(region=region, town=town), limit=500)
    # list_warnings caps a page; the cockpit counts everything in scope
    if _total > len(warnings):
        warnings = _all(session, actor, region, town)
    rows: dict[str, Tally] = {}
    total = Tally()
    by_rule: dict[str, Tally] = {}
    for w in warnings:
        if region and w.region_code != region:
            continue
        rows.setdefault(_key(level, w.region_code, w.town, w.village), Tally()).add(w)
        by_rule.setdefault(w.rule_code, Tally()).add(w)
        total.add(w)
    names = {r.code: r.name for r in session.scalars(select(Region).where(Region.code.in_(
        list(rows) if level == "province" else [region] if region else [])))}
    complaints: dict[str, ComplaintTally] = {}
    all_complaints = ComplaintTally()
    scope = service._scope(actor)
    stmt = select(GpsComplaint, Case).join(Case, Case.id == GpsComplaint.case_id)
    if scope:
        stmt = stmt.where(GpsComplaint.region_code.startswith(scope))
    if region:
        stmt = stmt.where(GpsComplaint.region_code == region)
    if town:
        stmt = stmt.where(GpsComplaint.town == town)
    for c, case in (session.execute(stmt).all() if scope is not None else []):
        complaints.setdefault(_key(level, c.region_code, c.town, c.village), ComplaintTally()).add(case)
        all_complaints.add(case)
    meta = shipped.meta()
    keys = sorted(set(rows) | set(complaints))
    return {
        "level": level, "region": region, "region_name": names.get(region, ""), "town": town,
        "rows": [{"key": k, "name": names.get(k, k), **rows.get(k, Tally()).as_dict(),
                  "complaints": complaints.get(k, ComplaintTally()).as_dict()} for k in keys],
        "total": {**total.as_dict(), "complaints": all_complaints.as_dict()},
        "by_rule": [{"rule": code, "name": meta[code].name if code in meta else code,
                     "name_en": meta[code].name_en if code in meta else code,
                     "matter": meta[code].matter if code in meta else "", **t.as_dict()}
                    for code, t in sorted(by_rule.items(), key=lambda kv: (-kv[1].raised, kv[0]))],
    }


def _all(session: Session, actor: Actor, region: str, town: str) -> list[GpsWarning]:
    out: list[GpsWarning] = []
    offset = 0
    while True:
        page, total = service.list_warnings(session, actor, service.Filters(region=region, town=town), limit=500,
                                            offset=offset)
        out += page
        offset += len(page)
        if not page or offset >= total:
            return out
