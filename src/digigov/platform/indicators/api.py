"""JSON routes of indicators (指标): the list with latest values, one indicator with its runs, its series and
its values by region for a region, and an on-demand computation (indicator.manage). Routes parse, call
`digigov.platform.indicators.service` and serialise. Cockpit pages have their own JSON twins (/cockpit).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from digigov.core.errors import Conflict, InvalidInput
from digigov.core.http import DB
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.platform.catalog.api import _errors
from digigov.platform.indicators import service
from digigov.platform.indicators.model import Indicator, IndicatorRun
from digigov.platform.indicators.spec import CODE_RE, PROVINCE

router = APIRouter(prefix="/api/v1/indicators", tags=["indicators"])

READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)

Code = Annotated[str, Path(min_length=1, max_length=80, pattern=CODE_RE)]
RegionQ = Annotated[str, Query(min_length=6, max_length=6, pattern=r"^33\d{4}$",
                               description="GB/T 2260 code of the province, a city or a county")]
DateQ = Annotated[date | None, Query()]
AppQ = Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[a-z0-9_.-]+$")]


class PointOut(BaseModel):
    period: date = Field(description="first day of the period (Beijing calendar)")
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    colour: str = Field(description="green | yellow | red by the thresholds, none without a value")


class IndicatorOut(BaseModel):
    code: str
    app: str
    name: str
    name_en: str
    description: str
    unit: str
    source: str
    grain: str
    aggregate: str
    better_when: str
    schedule: str
    drill: str
    enabled: bool
    version: int
    last_computed_at: datetime | None
    last_error: str
    latest: PointOut | None = Field(description="the province's value in the latest period")


class RunOut(BaseModel):
    id: int
    spec_version: int
    since: date
    until: date
    state: str
    rows: int
    written: int
    totals: dict[str, float | None]
    error: str
    triggered_by: str
    started_at: datetime
    finished_at: datetime | None


class IndicatorDetailOut(IndicatorOut):
    sql: str
    region: str
    region_latest: PointOut | None
    runs: list[RunOut]


class RegionValuesOut(BaseModel):
    code: str
    level: str
    within: str
    period: date | None
    values: dict[str, float | None]


class ComputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: date | None = Field(default=None, description="first day (default: the lookback; from 2000 on)")
    until: date | None = Field(default=None, description="day after the last (default: the end of the current "
                                                         "period; up to 2100)")


class ComputeOut(BaseModel):
    code: str
    run_id: int
    since: date
    until: date
    rows: int
    written: int
    skipped: int
    periods: list[date]


def point_out(p: service.Point | None) -> PointOut | None:
    if p is None:
        return None
    return PointOut(period=p.period, value=p.value, numerator=p.numerator, denominator=p.denominator, colour=p.colour)


def indicator_out(session: Session, actor: Actor, ind: Indicator) -> dict[str, Any]:
    s = service.spec_of(ind)
    return {"code": ind.code, "app": ind.app, "name": ind.name, "name_en": ind.name_en, "description": s.description,
            "unit": s.unit, "source": s.source, "grain": s.grain, "aggregate": s.aggregate,
            "better_when": s.better_when, "schedule": s.schedule, "drill": s.drill, "enabled": ind.enabled,
            "version": ind.version, "last_computed_at": ind.last_computed_at, "last_error": ind.last_error,
            "latest": point_out(service.latest(session, actor, ind.code, PROVINCE))}


def run_out(r: IndicatorRun) -> RunOut:
    return RunOut(id=r.id, spec_version=r.spec_version, since=r.since, until=r.until, state=r.state, rows=r.rows,
                  written=r.written, totals=dict(r.totals or {}), error=r.error, triggered_by=r.triggered_by,
                  started_at=r.started_at, finished_at=r.finished_at)


@router.get("", response_model=list[IndicatorOut], responses=READ,
            summary="Indicators with the province's latest value (an app's, or all)")
def list_indicators(session: DB, actor: CurrentActor, app: AppQ = None) -> list[IndicatorOut]:
    return [IndicatorOut(**indicator_out(session, actor, i)) for i in service.list_indicators(session, actor, app)]


@router.get("/{code}", response_model=IndicatorDetailOut, responses=READ_ONE,
            summary="One indicator: its definition, the latest value of a region, its recent computations")
def get_indicator(session: DB, actor: CurrentActor, code: Code, region: RegionQ = PROVINCE) -> IndicatorDetailOut:
    ind = service.get(session, actor, code)
    return IndicatorDetailOut(**indicator_out(session, actor, ind), sql=service.spec_of(ind).sql, region=region,
                              region_latest=point_out(service.latest(session, actor, code, region)),
                              runs=[run_out(r) for r in service.runs(session, actor, code)])


@router.get("/{code}/series", response_model=list[PointOut], responses=READ_ONE,
            summary="A region's value per period (counties rolled up to cities and the province)")
def get_series(session: DB, actor: CurrentActor, code: Code, region: RegionQ = PROVINCE, since: DateQ = None,
               until: DateQ = None) -> list[PointOut]:
    return [p for p in (point_out(x) for x in service.series(session, actor, code, region, since=since, until=until))
            if p is not None]


@router.get("/{code}/regions", response_model=RegionValuesOut, responses=READ_ONE,
            summary="Every county (or city) inside a region in one period (the latest by default)")
def get_by_region(session: DB, actor: CurrentActor, code: Code,
                  level: Annotated[Literal["county", "city"], Query()] = "county", period: DateQ = None,
                  within: RegionQ = PROVINCE) -> RegionValuesOut:
    ind = service.get(session, actor, code)
    start = period or service.latest_period(session, ind)
    values = service.by_region(session, actor, code, level, start, within=within)
    return RegionValuesOut(code=code, level=level, within=within, period=start, values=values)


@router.post("/{code}/compute", response_model=ComputeOut, responses=WRITE,
             summary="Compute now over a window of periods (replacing their values; the run is kept)")
def compute(session: DB, actor: CurrentActor, code: Code, body: ComputeIn | None = None) -> ComputeOut:
    body = body or ComputeIn()
    try:
        with session.begin_nested():
            result = service.compute(session, actor, code, since=body.since, until=body.until)
    except InvalidInput as exc:  # a valid request the indicator's state refuses (empty window, broken SQL)
        raise Conflict(exc.message, key=exc.key, **exc.detail) from exc
    return ComputeOut(code=result.code, run_id=result.run_id, since=result.since, until=result.until,
                      rows=result.rows, written=result.written, skipped=result.skipped, periods=result.periods)
