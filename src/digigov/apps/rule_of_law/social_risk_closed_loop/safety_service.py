"""The enterprise safety code (企业安全码) as use cases: a scoring run over the emergency-management bureau's register
of supervised enterprises and their indicator facts (both read under audit), each enterprise's result kept, and the
extra inspections (加密检查) scheduled for red and orange enterprises; inspections recorded as done schedule the
next one while the enterprise stays red or orange."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.rule_of_law.social_risk_closed_loop import datasets, gazetteer, safety_code, sources
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclInspection, SrclSafetyCode, SrclSafetyRun
from digigov.audit.service import record
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.core.i18n import register
from digigov.identity.actor import Actor
from digigov.identity.permissions import require

INSPECTOR_KIND = "emergency_management"  # the county emergency-management bureau inspects
BEIJING_OFFSET = timedelta(hours=8)

register({
    "error.srcl_no_safety_run": ("尚未评价企业安全码", "No safety-code run yet"),
    "error.srcl_enterprise_unknown": ("没有该企业的安全码", "No safety code for this enterprise"),
    "error.srcl_inspection_unknown": ("没有这次检查", "No such inspection"),
    "error.srcl_inspection_done": ("这次检查已记录结果", "This inspection is recorded already"),
    "error.srcl_inspection_result": ("请填写检查结果（至少 4 个字）",
                                     "Give the inspection's result (4 characters at least)"),
})


def _beijing_day(moment: datetime) -> date:
    return (moment + BEIJING_OFFSET).date()


def run(session: Session, actor: Actor, *, as_of: date | None = None, now: datetime | None = None) -> SrclSafetyRun:
    """Score every supervised enterprise on its current facts; schedule extra inspections for red and orange ones
    that have none planned. Never commits."""
    require(actor, "srcl.run")
    now = now or utcnow()
    as_of = as_of or _beijing_day(now)
    firms = sources.read(session, actor, datasets.SAFETY_ENTERPRISES.code)
    facts = sources.read(session, actor, datasets.SAFETY_FACTS.code)
    by_firm: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in facts.rows:
        by_firm[str(row.get("统一社会信用代码") or "")][str(row.get("指标代码") or "")] = \
            None if row.get("指标值") is None else str(row.get("指标值"))
    run_row = SrclSafetyRun(started_at=now, as_of=as_of, run_by=actor.username,
                            sources={s.code: {"owner": s.owner, "version": s.version, "rows": len(s.rows)}
                                     for s in (firms, facts)})
    session.add(run_row)
    session.flush()
    counts: Counter[str] = Counter()
    planned = set(session.scalars(select(SrclInspection.uscc).where(SrclInspection.status == "planned")))
    for firm in firms.rows:
        code = str(firm.get("统一社会信用代码") or "")
        town = gazetteer.town(str(firm.get("乡镇街道代码") or ""))
        if not code or town is None:
            continue
        result = safety_code.score(by_firm.get(code, {}))
        counts[result.colour] += 1
        code_row = SrclSafetyCode(
            run_id=run_row.id, uscc=code, name=str(firm.get("企业名称") or "")[:200],
            industry=str(firm.get("行业类别") or "")[:60], county_code=town.county_code, town_code=town.code,
            score=result.score, basic=result.basic, bonus=result.bonus, deduction=result.deduction,
            vetoes=list(result.vetoes), colour=result.colour, missing=result.missing,
            lines=[{"code": ln.code, "group": ln.group, "value": ln.value, "points": ln.points, "hit": ln.hit,
                    "missing": ln.missing} for ln in result.lines])
        session.add(code_row)
        plan = safety_code.inspection_plan(result.colour)
        if plan is not None and code not in planned:
            session.add(SrclInspection(
                uscc=code, enterprise=code_row.name, county_code=town.county_code, town_code=town.code,
                colour=result.colour, run_id=run_row.id, department_code=f"{town.county_code}-{INSPECTOR_KIND}",
                due_on=as_of + timedelta(days=plan.first_within_days), every_days=plan.every_days, status="planned",
                planned_at=now))
            planned.add(code)
    run_row.enterprises = sum(counts.values())
    run_row.counts = {c: counts.get(c, 0) for c in safety_code.COLOURS}
    session.flush()
    record(session, actor, "srcl.safety.run", "srcl_safety_run", run_row.id,
           detail={"as_of": as_of.isoformat(), "enterprises": run_row.enterprises, "counts": run_row.counts})
    return run_row


def latest_run(session: Session) -> SrclSafetyRun | None:
    return session.scalar(select(SrclSafetyRun).order_by(SrclSafetyRun.id.desc()).limit(1))


@dataclass
class CodePage:
    run: SrclSafetyRun | None
    rows: list[SrclSafetyCode]
    total: int


def codes(session: Session, actor: Actor, *, colour: str = "", county: str = "", town: str = "", veto: bool = False,
          limit: int = 50, offset: int = 0) -> CodePage:
    """The latest run's results, worst first."""
    require(actor, "srcl.view")
    last = latest_run(session)
    if last is None:
        return CodePage(None, [], 0)
    stmt = select(SrclSafetyCode).where(SrclSafetyCode.run_id == last.id)
    for column, value in ((SrclSafetyCode.colour, colour), (SrclSafetyCode.county_code, county),
                          (SrclSafetyCode.town_code, town)):
        if value:
            stmt = stmt.where(column == value)
    rows = list(session.scalars(stmt))
    if veto:
        rows = [r for r in rows if r.vetoes]
    order = {c: i for i, c in enumerate(reversed(safety_code.COLOURS))}
    rows.sort(key=lambda r: (order.get(r.colour, 9), r.score, r.uscc))
    return CodePage(last, rows[offset:offset + limit], len(rows))


def distribution(session: Session, actor: Actor) -> dict[str, Any]:
    """The latest run's colours: city-wide and by county."""
    require(actor, "srcl.view")
    last = latest_run(session)
    if last is None:
        return {"run": None, "total": {}, "by_county": {}, "vetoed": 0}
    by_county: dict[str, dict[str, int]] = {c: dict.fromkeys(safety_code.COLOURS, 0) for c in gazetteer.COUNTIES}
    for county, colour, n in session.execute(
            select(SrclSafetyCode.county_code, SrclSafetyCode.colour, func.count())
            .where(SrclSafetyCode.run_id == last.id).group_by(SrclSafetyCode.county_code, SrclSafetyCode.colour)):
        by_county.setdefault(county, dict.fromkeys(safety_code.COLOURS, 0))[colour] = int(n)
    vetoed = sum(1 for v in session.scalars(select(SrclSafetyCode.vetoes).where(SrclSafetyCode.run_id == last.id))
                 if v)
    return {"run": last, "total": dict(last.counts), "by_county": by_county, "vetoed": vetoed}


def enterprise(session: Session, actor: Actor, uscc: str) -> tuple[SrclSafetyCode, list[SrclInspection]]:
    """An enterprise's latest safety code with the points of each indicator, and its inspections (audited: the
    facts are several departments' data)."""
    require(actor, "srcl.view")
    row = session.scalar(select(SrclSafetyCode).where(SrclSafetyCode.uscc == uscc)
                         .order_by(SrclSafetyCode.run_id.desc()).limit(1))
    if row is None:
        raise NotFound(f"no safety code for {uscc}", key="srcl_enterprise_unknown")
    record(session, actor, "srcl.safety.read", "srcl_safety_code", row.id, purpose="企业安全码评价结果查询",
           detail={"uscc": uscc, "colour": row.colour})
    checks = list(session.scalars(select(SrclInspection).where(SrclInspection.uscc == uscc)
                                  .order_by(SrclInspection.due_on.desc(), SrclInspection.id.desc())))
    return row, checks


def inspections(session: Session, actor: Actor, *, status: str = "planned", county: str = "",
                limit: int = 100) -> list[SrclInspection]:
    require(actor, "srcl.view")
    stmt = select(SrclInspection)
    if status:
        stmt = stmt.where(SrclInspection.status == status)
    if county:
        stmt = stmt.where(SrclInspection.county_code == county)
    return list(session.scalars(stmt.order_by(SrclInspection.due_on, SrclInspection.id).limit(max(1, min(limit, 500)))))


def record_inspection(session: Session, actor: Actor, inspection_id: int, *, result: str,
                      now: datetime | None = None) -> SrclInspection:
    """The inspecting bureau records an extra inspection as done; while the enterprise's latest code is still red or
    orange the next one is scheduled (`every_days` on)."""
    now = now or utcnow()
    found = session.get(SrclInspection, inspection_id)
    if found is None:
        raise NotFound(f"no inspection {inspection_id}", key="srcl_inspection_unknown")
    require(actor, "srcl.inspect", found)
    if found.status != "planned":
        raise Conflict("inspection done", key="srcl_inspection_done")
    text = (result or "").strip()
    if len(text) < 4:
        raise InvalidInput("result required", key="srcl_inspection_result", field="result")
    found.status, found.done_at, found.done_by, found.result = "done", now, actor.username, text[:4000]
    latest = session.scalar(select(SrclSafetyCode).where(SrclSafetyCode.uscc == found.uscc)
                            .order_by(SrclSafetyCode.run_id.desc()).limit(1))
    nxt = None
    if latest is not None and safety_code.inspection_plan(latest.colour) is not None:
        nxt = SrclInspection(uscc=found.uscc, enterprise=found.enterprise, county_code=found.county_code,
                             town_code=found.town_code, colour=latest.colour, run_id=latest.run_id,
                             department_code=found.department_code,
                             due_on=_beijing_day(now) + timedelta(days=found.every_days),
                             every_days=found.every_days, status="planned", planned_at=now)
        session.add(nxt)
        session.flush()
    record(session, actor, "srcl.inspection.done", "srcl_inspection", found.id,
           detail={"uscc": found.uscc, "next": nxt.id if nxt else None})
    return found
