"""Indicators (指标) as use cases: store the specs apps and the platform ship, compute them on demand and on
their schedules (values per region and period, every run kept), and read them rolled up to cities and the
province: a series, the latest value, the values by region, and the data of a cockpit (驾驶舱).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.db import unit_of_work
from digigov.core.errors import Conflict, DigigovError, NotFound
from digigov.identity.actor import Actor
from digigov.identity.model import Region
from digigov.identity.permissions import require
from digigov.platform.indicators import engine
from digigov.platform.indicators import spec as specs
from digigov.platform.indicators.model import Indicator, IndicatorRun, IndicatorValue
from digigov.platform.indicators.spec import BEIJING, PROVINCE, IndicatorSpec

PLATFORM_APP = "platform"
PLATFORM_FILE = Path(__file__).resolve().parent / "data" / "platform.yaml"
SCHEDULER = Actor(username="system:indicators", roles=frozenset({"platform_admin"}), via="system")
Progress = Callable[[str, int, int], None]
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 1, 1)  # the days a computation window may span


@dataclass(frozen=True)
class Point:
    period: date
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    colour: str = "none"


@dataclass
class ComputeResult:
    code: str
    run_id: int
    since: date
    until: date
    rows: int
    written: int
    skipped: int
    periods: list[date] = field(default_factory=list)


# ---- definitions -----------------------------------------------------------------------------------------


@cache
def platform_specs() -> tuple[IndicatorSpec, ...]:
    data = yaml.safe_load(PLATFORM_FILE.read_text(encoding="utf-8"))
    return tuple(specs.parse(d) for d in data["indicators"])


def spec_of(ind: Indicator) -> IndicatorSpec:
    return _spec_cached(ind.code, ind.version, yaml.safe_dump(ind.spec, sort_keys=True))


@cache
def _spec_cached(_code: str, _version: int, text: str) -> IndicatorSpec:
    return specs.parse(yaml.safe_load(text))


def sync_app_indicators(session: Session, actor: Actor, app_id: str,
                        items: Sequence[dict[str, Any] | IndicatorSpec | str]) -> int:
    """Store the indicators an app (or the platform) ships: new ones, and new versions of changed ones.
    Returns how many were added or changed. An indicator code belongs to one app."""
    require(actor, "indicator.manage")
    changed = 0
    for item in items:
        s = specs.parse(item)
        data = s.model_dump(mode="json")
        ind = session.scalar(select(Indicator).where(Indicator.code == s.code))
        if ind is None:
            ind = Indicator(code=s.code, app=app_id, name=s.name, name_en=s.name_en, spec=data, version=1,
                            enabled=s.enabled)
            session.add(ind)
        elif ind.app != app_id:
            raise Conflict(f"indicator {s.code} belongs to {ind.app}", key="indicator_invalid", indicator=s.code,
                           problem=f"the code is taken by {ind.app}")
        elif ind.spec == data:
            continue
        else:
            ind.spec, ind.version, ind.name, ind.name_en = data, ind.version + 1, s.name, s.name_en
            ind.enabled, ind.updated_at = s.enabled, utcnow()
        session.flush()
        audit.record(session, actor, "indicator.sync", "indicator", s.code, detail={"app": app_id,
                                                                                     "version": ind.version})
        changed += 1
    return changed


def sync_platform(session: Session, actor: Actor) -> int:
    """Store the platform's own indicators (data/platform.yaml)."""
    return sync_app_indicators(session, actor, PLATFORM_APP, list(platform_specs()))


def list_indicators(session: Session, actor: Actor, app: str | None = None) -> list[Indicator]:
    require(actor, "indicator.view")
    stmt = select(Indicator).order_by(Indicator.app, Indicator.code)
    return list(session.scalars(stmt.where(Indicator.app == app) if app else stmt))


def _find(session: Session, code: str) -> Indicator:
    ind = session.scalar(select(Indicator).where(Indicator.code == code))
    if ind is None:
        raise NotFound(f"no indicator {code}", key="indicator_not_found", indicator=code)
    return ind


def get(session: Session, actor: Actor, code: str) -> Indicator:
    require(actor, "indicator.view")
    return _find(session, code)


def runs(session: Session, actor: Actor, code: str, limit: int = 20) -> list[IndicatorRun]:
    ind = get(session, actor, code)
    stmt = select(IndicatorRun).where(IndicatorRun.indicator_id == ind.id).order_by(IndicatorRun.id.desc())
    return list(session.scalars(stmt.limit(limit)))


# ---- computing ---------------------------------------------------------------------------------------------


def today() -> date:
    return utcnow().astimezone(BEIJING).date()


def window(s: IndicatorSpec, since: date | None, until: date | None) -> tuple[date, date]:
    """[since, until) aligned to whole periods: by default the last `lookback` periods, the current one included.
    Given days are kept within 2000 … 2100."""
    current = specs.period_start(today(), s.grain)
    since = min(max(since, EARLIEST), LATEST) if since is not None else None
    until = min(max(until, EARLIEST), LATEST) if until is not None else None
    end = specs.next_period(current, s.grain) if until is None else until
    if specs.period_start(end, s.grain) != end:
        end = specs.next_period(specs.period_start(end, s.grain), s.grain)
    start = specs.shift(current, s.grain, s.lookback - 1) if since is None else specs.period_start(since, s.grain)
    if start >= end:
        raise specs.invalid(s.code, f"the window {start} … {end} is empty")
    return start, end


def compute(session: Session, actor: Actor, code: str, *, since: date | None = None, until: date | None = None,
            progress: Progress | None = None) -> ComputeResult:
    """Run the indicator's SQL over [since, until) and replace that window's values (other periods are kept).
    A failing query raises InvalidInput (key indicator_sql_failed) naming the database's complaint."""
    require(actor, "indicator.manage")
    ind = _find(session, code)
    s = spec_of(ind)
    start, end = window(s, since, until)
    step = progress or (lambda _name, _done, _total: None)
    step(code, 0, 3)
    run = IndicatorRun(indicator_id=ind.id, spec_version=ind.version, since=start, until=end, state="running",
                       triggered_by=actor.username[:64])
    session.add(run)
    session.flush()
    if s.source == "store":
        columns, rows = engine.run_store(session, s, start, end)
    else:
        columns, rows = engine.run_warehouse(s, start, end)
    step(code, 1, 3)
    cells, skipped = engine.aggregate(s, columns, rows)
    session.execute(delete(IndicatorValue).where(IndicatorValue.indicator_id == ind.id,
                                                 IndicatorValue.period >= start, IndicatorValue.period < end))
    now = utcnow()
    for (region, period), cell in sorted(cells.items()):
        session.add(IndicatorValue(indicator_id=ind.id, region_code=region, period=period,
                                   value=engine.final_value(s, cell), numerator=cell.numerator,
                                   denominator=cell.denominator, run_id=run.id, computed_at=now))
    step(code, 2, 3)
    periods = sorted({p for _r, p in cells})
    totals = {p.isoformat(): engine.final_value(s, engine.combine(s, [(c.value if s.aggregate == "sum" else None,
                                                                      c.numerator, c.denominator)
                                                                     for (_r, q), c in cells.items() if q == p]))
              for p in periods}
    run.state, run.rows, run.written, run.totals, run.finished_at = "ok", len(rows), len(cells), totals, now
    ind.last_computed_at, ind.last_error = now, ""
    session.flush()
    audit.record(session, actor, "indicator.compute", "indicator", code,
                 detail={"run": run.id, "since": start.isoformat(), "until": end.isoformat(), "rows": len(rows),
                         "values": len(cells), "skipped": skipped})
    step(code, 3, 3)
    return ComputeResult(code=code, run_id=run.id, since=start, until=end, rows=len(rows), written=len(cells),
                         skipped=skipped, periods=periods)


def is_due(ind: Indicator, now: datetime) -> bool:
    """Whether the indicator's schedule has fired since it was last computed (or created)."""
    s = spec_of(ind)
    last = ind.last_computed_at or ind.created_at
    trigger = specs.CronTrigger.from_crontab(s.schedule, timezone=BEIJING)
    fire = trigger.get_next_fire_time(None, (last + timedelta(seconds=1)).astimezone(BEIJING))
    return fire is not None and fire <= now


def compute_due(factory: sessionmaker[Session], now: datetime | None = None) -> dict[str, str]:
    """Compute every enabled indicator whose schedule is due, each in its own transaction, as the system
    actor. Returns {code: "ok" | error message}; a failure is stored on the indicator and as a failed run."""
    now = now or utcnow()
    with factory() as session:
        due = [i.code for i in session.scalars(select(Indicator).where(Indicator.enabled.is_(True))
                                                .order_by(Indicator.code)) if is_due(i, now)]
    out: dict[str, str] = {}
    for code in due:
        try:
            with unit_of_work(factory) as session:
                compute(session, SCHEDULER, code)
            out[code] = "ok"
        except DigigovError as exc:
            out[code] = exc.message
            with unit_of_work(factory) as session:
                record_failure(session, SCHEDULER, code, exc.message)
    return out


def record_failure(session: Session, actor: Actor, code: str, message: str) -> None:
    """A failed computation, kept: a run with its error, the error on the indicator, an audit record."""
    ind = _find(session, code)
    s = spec_of(ind)
    start, end = window(s, None, None)
    now = utcnow()
    session.add(IndicatorRun(indicator_id=ind.id, spec_version=ind.version, since=start, until=end, state="failed",
                             error=message[:2000], triggered_by=actor.username[:64], started_at=now, finished_at=now))
    # the schedule waits for its next firing rather than retrying the broken query every tick
    ind.last_error, ind.last_computed_at = message[:2000], now
    session.flush()
    audit.record(session, actor, "indicator.compute", "indicator", code, result="failed",
                 detail={"error": message[:300]})


# ---- reading -------------------------------------------------------------------------------------------------


def region_names(session: Session) -> dict[str, tuple[str, str]]:
    return {r.code: (r.name, r.name_en) for r in session.scalars(select(Region))}


def check_region(session: Session, region_code: str) -> str:
    if session.get(Region, region_code) is None:
        raise NotFound(f"no region {region_code}", key="indicator_region", region=region_code)
    return region_code


def _in_region(region_code: str) -> Any:
    level = specs.region_level(region_code)
    if level == "county":
        return IndicatorValue.region_code == region_code
    return IndicatorValue.region_code.like(region_code[: 2 if level == "province" else 4] + "%")


def _point(s: IndicatorSpec, period: date, cell: engine.Cell | None) -> Point:
    if cell is None:
        value = 0.0 if s.aggregate == "sum" else None
        return Point(period=period, value=value, colour=s.colour(value))
    value = engine.final_value(s, cell)
    return Point(period=period, value=value, numerator=cell.numerator, denominator=cell.denominator,
                 colour=s.colour(value))


def _cells(session: Session, ind: Indicator, where: Sequence[Any],
           key: Callable[[IndicatorValue], Any]) -> dict[Any, engine.Cell]:
    s = spec_of(ind)
    out: dict[Any, engine.Cell] = {}
    stmt = select(IndicatorValue).where(IndicatorValue.indicator_id == ind.id, *where)
    for v in session.scalars(stmt):
        out.setdefault(key(v), engine.Cell()).add(v.value if s.aggregate == "sum" else None, v.numerator,
                                                   v.denominator)
    return out


def series(session: Session, actor: Actor, code: str, region_code: str = PROVINCE, *, since: date | None = None,
           until: date | None = None) -> list[Point]:
    """The indicator for `region_code` (rolled up) per period with data, oldest first, within [since, until)."""
    ind = get(session, actor, code)
    check_region(session, region_code)
    where = [_in_region(region_code)]
    if since is not None:
        where.append(IndicatorValue.period >= since)
    if until is not None:
        where.append(IndicatorValue.period < until)
    s = spec_of(ind)
    cells = _cells(session, ind, where, lambda v: v.period)
    return [_point(s, p, cells[p]) for p in sorted(cells)]


def latest_period(session: Session, ind: Indicator) -> date | None:
    """The indicator's current period: the last one a successful run covered, or with a value if later."""
    found = session.scalar(select(func.max(IndicatorValue.period)).where(IndicatorValue.indicator_id == ind.id))
    covered = session.scalar(select(func.max(IndicatorRun.until)).where(IndicatorRun.indicator_id == ind.id,
                                                                        IndicatorRun.state == "ok"))
    if covered is not None:
        last = specs.period_start(covered - timedelta(days=1), spec_of(ind).grain)
        found = max(found, last) if found is not None else last
    return found


def latest(session: Session, actor: Actor, code: str, region_code: str = PROVINCE) -> Point | None:
    """The region's value in the indicator's latest period (0 for a count with nothing there), or None."""
    ind = get(session, actor, code)
    check_region(session, region_code)
    period = latest_period(session, ind)
    if period is None:
        return None
    cells = _cells(session, ind, [_in_region(region_code), IndicatorValue.period == period], lambda v: v.period)
    return _point(spec_of(ind), period, cells.get(period))


def by_region(session: Session, actor: Actor, code: str, level: Literal["county", "city"] = "county",
              period: date | None = None, within: str = PROVINCE) -> dict[str, float | None]:
    """The value of every county (or city) inside `within` in one period (the latest by default).
    City values include what city-level departments reported; counts are 0 where nothing happened."""
    ind = get(session, actor, code)
    check_region(session, within)
    s = spec_of(ind)
    period = period or latest_period(session, ind)
    regions = [r.code for r in session.scalars(select(Region).where(Region.level == level))
               if specs.covers(within, r.code)]
    if period is None:
        return {r: None for r in sorted(regions)}
    start = specs.period_start(period, s.grain)
    where = [_in_region(within), IndicatorValue.period == start]
    if level == "county":
        where.append(~IndicatorValue.region_code.like("%00"))
        cells = _cells(session, ind, where, lambda v: v.region_code)
    else:
        cells = _cells(session, ind, where, lambda v: specs.city_of(v.region_code))
    return {r: _point(s, start, cells.get(r)).value for r in sorted(regions)}


def cockpit_data(session: Session, actor: Actor, spec: specs.CockpitSpec,
                 region_code: str = PROVINCE) -> dict[str, Any]:
    """Everything a cockpit page draws, as JSON-ready data (see `digigov.platform.indicators.cockpit`)."""
    from digigov.platform.indicators import cockpit

    return cockpit.build(session, actor, spec, region_code)
