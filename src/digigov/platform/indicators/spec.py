"""An indicator's definition (指标), checked: a named, documented aggregation by region and period.

    code: platform.resources_registered     # lower-case letters, digits, . _ -
    name: 资源登记数                        # Chinese name; name_en optional
    description: 各部门在资源目录登记的应用、数据、组件和云资源数量（件）：按登记部门所在地区、登记月份计数。
    unit: 件                                # "%", "件", "天", …
    source: store                           # store (SQLAlchemy text(), SQLite and PostgreSQL) | warehouse (DuckDB)
    grain: month                            # day | week (Monday) | month
    aggregate: sum                          # sum | ratio (Σnumerator / Σdenominator) | avg (mean of the rows)
    better_when: higher                     # higher | lower
    thresholds: {red: 80, yellow: 90}      # colour bounds (below them when higher is better, above when lower)
    schedule: "0 2 * * *"                   # 5-field cron in Beijing time
    lookback: 12                            # periods recomputed by a scheduled run (the current one included)
    drill: "/cases?region={region}&since={period_start}&until={period_end}"
    sql: SELECT region_code, created_at AS period, 1 AS value FROM catalog_resource
         WHERE created_at >= :since AND created_at < :until

The SQL returns one row per fact or per pre-aggregated group, with columns `region_code` (6-digit GB/T 2260
code of a county, a city or the province), `period` (a date, an ISO date string, or a timestamp: timestamps are
UTC and read as Beijing dates) and `value`, and optionally `numerator` and `denominator`. The engine binds
`:since` and `:until` (UTC timestamps of the window's Beijing-time bounds), truncates each period to the grain
and adds the rows up per (region, period). Write portable SQL: no date functions, compare with the parameters.

The drill template may name {region}, {period_start}, {period_end} (the period's last day), {period_next}
(the first day after it) and {code}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from digigov.core.errors import InvalidInput
from digigov.core.i18n import register

BEIJING = ZoneInfo("Asia/Shanghai")  # periods and schedules are in Beijing time
CODE_RE = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
REGION_RE = re.compile(r"^\d{6}$")
PROVINCE = "330000"
Grain = Literal["day", "week", "month"]
Colour = Literal["green", "yellow", "red", "none"]

register({
    "error.indicator_invalid": ("指标“{indicator}”定义无效：{problem}", "Indicator {indicator} is invalid: {problem}"),
    "error.indicator_not_found": ("没有指标“{indicator}”", "No indicator {indicator}"),
    "error.indicator_sql_failed": ("指标“{indicator}”的查询失败：{problem}",
                                   "The query of indicator {indicator} failed: {problem}"),
    "error.indicator_disabled": ("指标“{indicator}”未启用", "Indicator {indicator} is not enabled"),
    "error.indicator_region": ("地区代码“{region}”无效", "Region {region} is not a known region code"),
})


def invalid(code: str, problem: str) -> InvalidInput:
    return InvalidInput(f"indicator {code}: {problem}", key="indicator_invalid", indicator=code, problem=problem)


class Thresholds(BaseModel):
    """Colour bounds: with better_when=higher a value below `red` is red, below `yellow` yellow; with lower,
    above `red` is red, above `yellow` yellow; anything else green."""

    model_config = ConfigDict(extra="forbid")
    red: float | None = None
    yellow: float | None = None


class IndicatorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_RE)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    description: str = Field(min_length=1, max_length=4000, description="what it measures, its unit, the formula")
    description_en: str = Field(default="", max_length=4000)
    unit: str = Field(default="", max_length=16)
    source: Literal["store", "warehouse"] = "store"
    sql: str = Field(min_length=1, max_length=20_000)
    grain: Grain = "month"
    aggregate: Literal["sum", "ratio", "avg"] = "sum"
    scale: float | None = Field(default=None, description="ratio multiplier; 100 when the unit is %")
    better_when: Literal["higher", "lower"] = "higher"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    schedule: str = Field(default="0 2 * * *", min_length=9, max_length=64)
    lookback: int = Field(default=12, ge=1, le=366)
    drill: str = Field(default="", max_length=500)
    enabled: bool = True

    @model_validator(mode="after")
    def _checks(self) -> IndicatorSpec:
        head = self.sql.lstrip().split(None, 1)[0].upper() if self.sql.strip() else ""
        if head not in ("SELECT", "WITH") or ";" in self.sql.strip().rstrip(";"):
            raise ValueError("sql must be one SELECT (or WITH … SELECT) statement")
        if self.drill and not self.drill.startswith("/"):
            raise ValueError("drill must be a path on this site, starting with /")
        try:
            CronTrigger.from_crontab(self.schedule, timezone=BEIJING)
        except ValueError as exc:
            raise ValueError(f"schedule is not a 5-field cron expression: {exc}") from exc
        return self

    @property
    def multiplier(self) -> float:
        if self.scale is not None:
            return self.scale
        return 100.0 if self.aggregate == "ratio" and self.unit == "%" else 1.0

    def colour(self, value: float | None) -> Colour:
        if value is None:
            return "none"
        t = self.thresholds
        worse = (lambda v, bound: v < bound) if self.better_when == "higher" else (lambda v, bound: v > bound)
        if t.red is not None and worse(value, t.red):
            return "red"
        if t.yellow is not None and worse(value, t.yellow):
            return "yellow"
        return "green"


def parse(source: str | dict[str, Any] | IndicatorSpec) -> IndicatorSpec:
    """A spec from YAML text, a dict or a spec. Raises InvalidInput naming the problem."""
    if isinstance(source, IndicatorSpec):
        return source
    data: Any = source
    if isinstance(source, str):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise invalid("?", f"not YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise invalid("?", "give one indicator as a mapping (code, name, description, sql, …)")
    code = str(data.get("code") or "?")[:80]
    try:
        return IndicatorSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "spec"
        raise invalid(code, f"{where}: {first.get('msg', '')}") from exc


@dataclass
class CockpitSpec:
    """What a cockpit (驾驶舱) shows: KPI tiles, trend charts and a map of indicators, and the warning list its
    caller supplies (each {severity: red|orange|yellow|blue, title, region, link}); the template renders only this."""

    title: str
    kpis: list[str]
    trends: list[str] = field(default_factory=list)
    map_indicator: str | None = None
    map_level: Literal["county", "city"] = "county"
    warnings: list[dict[str, Any]] = field(default_factory=list)
    title_en: str = ""
    trend_periods: int = 12
    show_warnings: bool = True  # False: the page has no warning list (e.g. one indicator's page)


# ---- periods ------------------------------------------------------------------------------------------


def period_start(day: date, grain: Grain) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def next_period(start: date, grain: Grain) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def shift(start: date, grain: Grain, periods: int) -> date:
    """The period start `periods` periods before (negative: after) `start`."""
    if grain == "day":
        return start - timedelta(days=periods)
    if grain == "week":
        return start - timedelta(days=7 * periods)
    month = start.year * 12 + start.month - 1 - periods
    return date(month // 12, month % 12 + 1, 1)


def to_beijing_date(value: Any) -> date:
    """A period cell as a Beijing date: a date as is; a timestamp (naive = UTC) converted; an ISO string parsed."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(BEIJING).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        return to_beijing_date(datetime.fromisoformat(text.replace("Z", "+00:00")))
    raise ValueError(f"period {value!r} is not a date")


def utc_bound(day: date) -> datetime:
    """The UTC moment a Beijing day starts (the value bound to :since / :until)."""
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


def drill_link(spec: IndicatorSpec, region: str, start: date | None) -> str | None:
    """The drill-down URL of one number, or None when the indicator names none."""
    if not spec.drill:
        return None
    values = {"region": region, "code": spec.code, "period_start": "", "period_end": "", "period_next": ""}
    if start is not None:
        nxt = next_period(start, spec.grain)
        values.update(period_start=start.isoformat(), period_end=(nxt - timedelta(days=1)).isoformat(),
                      period_next=nxt.isoformat())
    try:
        return spec.drill.format(**values)
    except (KeyError, IndexError, ValueError):
        return spec.drill


# ---- regions -------------------------------------------------------------------------------------------


def region_level(code: str) -> Literal["province", "city", "county"]:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def city_of(code: str) -> str:
    return code[:4] + "00"


def covers(outer: str, inner: str) -> bool:
    """Whether region `outer` contains `inner` (a region contains itself)."""
    level = region_level(outer)
    if level == "province":
        return inner[:2] == outer[:2]
    if level == "city":
        return inner[:4] == outer[:4]
    return inner == outer
