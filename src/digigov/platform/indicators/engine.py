"""Running an indicator's SQL and adding its rows up: pure functions over rows, plus the two query adapters
(the operational store through SQLAlchemy, the warehouse through DuckDB).

Aggregation rules (spec `aggregate`):
- sum:   value = Σ value (numerator and denominator are summed too when given);
- ratio: value = Σ numerator / Σ denominator × multiplier (100 for %), never an average of ratios;
- avg:   numerator = Σ value, denominator = number of rows, value = numerator / denominator; so rolling an
         average up to a city weighs every underlying row equally, as a ratio does.
The same rules roll county values up to cities and the province (`combine`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digigov.core.db import UTCDateTime
from digigov.core.errors import InvalidInput
from digigov.core.warehouse import get_warehouse
from digigov.platform.indicators.spec import REGION_RE, IndicatorSpec, period_start, to_beijing_date, utc_bound

PARAM = re.compile(r"(?<![:\w]):(since|until)\b")


@dataclass
class Cell:
    """The sums behind one number: Σ value, Σ numerator, Σ denominator and how many rows."""

    value: float = 0.0
    numerator: float | None = None
    denominator: float | None = None
    rows: int = 0

    def add(self, value: float | None, numerator: float | None, denominator: float | None, rows: int = 1) -> None:
        self.value += value or 0.0
        if numerator is not None:
            self.numerator = (self.numerator or 0.0) + numerator
        if denominator is not None:
            self.denominator = (self.denominator or 0.0) + denominator
        self.rows += rows


def sql_failed(code: str, exc: Exception) -> InvalidInput:
    problem = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300] if str(exc).strip() else repr(exc)
    return InvalidInput(f"indicator {code}: query failed: {problem}", key="indicator_sql_failed", indicator=code,
                        problem=problem)


def run_store(session: Session, spec: IndicatorSpec, since: date, until: date) -> tuple[list[str], list[Sequence[Any]]]:
    """The SQL over the operational store, in a savepoint (a failure leaves the caller's transaction usable)."""
    stmt = text(spec.sql)
    used = set(PARAM.findall(spec.sql))
    if used:
        stmt = stmt.bindparams(*(bindparam(name, type_=UTCDateTime) for name in sorted(used)))
    params = {"since": utc_bound(since), "until": utc_bound(until)}
    try:
        with session.begin_nested():
            result = session.execute(stmt, {k: v for k, v in params.items() if k in used})
            columns = [str(c).lower() for c in result.keys()]  # noqa: SIM118
            rows: list[Sequence[Any]] = [tuple(r) for r in result]
    except SQLAlchemyError as exc:
        raise sql_failed(spec.code, exc) from exc
    return columns, rows


def run_warehouse(spec: IndicatorSpec, since: date, until: date) -> tuple[list[str], list[Sequence[Any]]]:
    """The SQL over the warehouse (DuckDB), `:since`/`:until` bound as named parameters."""
    import duckdb

    sql = PARAM.sub(lambda m: "$" + m.group(1), spec.sql)
    used = {name for name in ("since", "until") if "$" + name in sql}
    params = {"since": utc_bound(since).replace(tzinfo=None), "until": utc_bound(until).replace(tzinfo=None)}
    try:
        with get_warehouse().connect() as con:
            cur = con.execute(sql, {k: v for k, v in params.items() if k in used})
            columns = [str(d[0]).lower() for d in (cur.description or [])]
            rows: list[Sequence[Any]] = list(cur.fetchall())
    except duckdb.Error as exc:
        raise sql_failed(spec.code, exc) from exc
    return columns, rows


def _number(code: str, column: str, cell: Any) -> float | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        return float(cell)
    try:
        return float(cell)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"indicator {code}: {column} {cell!r} is not a number", key="indicator_sql_failed",
                           indicator=code, problem=f"{column} {str(cell)[:40]!r} is not a number") from exc


def aggregate(spec: IndicatorSpec, columns: list[str],
              rows: Iterable[Sequence[Any]]) -> tuple[dict[tuple[str, date], Cell], int]:
    """Rows -> {(region, period start): Cell}, and how many rows were skipped (no region or period)."""
    need = {"region_code", "period"} | ({"numerator", "denominator"} if spec.aggregate == "ratio" else {"value"})
    missing = sorted(need - set(columns))
    if missing:
        problem = "the query returns no column " + ", ".join(missing)
        raise InvalidInput(f"indicator {spec.code}: {problem}", key="indicator_sql_failed", indicator=spec.code,
                           problem=problem)
    at = {name: columns.index(name) for name in ("region_code", "period", "value", "numerator", "denominator")
          if name in columns}
    cells: dict[tuple[str, date], Cell] = {}
    skipped = 0
    for row in rows:
        region = row[at["region_code"]]
        region = str(region).strip() if region is not None else ""
        raw_period = row[at["period"]]
        if not REGION_RE.match(region) or raw_period is None:
            skipped += 1
            continue
        try:
            start = period_start(to_beijing_date(raw_period), spec.grain)
        except ValueError as exc:
            raise InvalidInput(f"indicator {spec.code}: {exc}", key="indicator_sql_failed", indicator=spec.code,
                               problem=str(exc)[:200]) from exc
        value = _number(spec.code, "value", row[at["value"]]) if "value" in at else None
        num = _number(spec.code, "numerator", row[at["numerator"]]) if "numerator" in at else None
        den = _number(spec.code, "denominator", row[at["denominator"]]) if "denominator" in at else None
        if spec.aggregate == "avg" and num is None and den is None:
            if value is None:
                skipped += 1
                continue
            num, den = value, 1.0
        cells.setdefault((region, start), Cell()).add(value, num, den)
    return cells, skipped


def final_value(spec: IndicatorSpec, cell: Cell) -> float | None:
    """The number a cell stands for, by the spec's aggregate rule."""
    if spec.aggregate == "sum":
        return cell.value
    if not cell.denominator:
        return None
    return (cell.numerator or 0.0) / cell.denominator * (spec.multiplier if spec.aggregate == "ratio" else 1.0)


def combine(spec: IndicatorSpec, parts: Iterable[tuple[float | None, float | None, float | None]]) -> Cell:
    """Stored (value, numerator, denominator) triples of several regions added into one cell (roll-up)."""
    out = Cell()
    for value, num, den in parts:
        out.add(value, num, den)
    return out
