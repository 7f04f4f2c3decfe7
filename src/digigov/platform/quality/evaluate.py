"""Run quality rules over a dataset's clean table and score the results.

All row-level (rule, column) checks on a table run in one SELECT: per check a count of judged rows, a
count of failing rows and the smallest failing `_record` numbers (DuckDB's `min(x, n)`), so a table is
scanned once whatever the number of rules. Timeliness is judged from the load times, without the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from digigov.core.errors import InvalidInput
from digigov.core.i18n import register
from digigov.platform.quality.compile import (
    CHINA_TZ,
    Compiled,
    Skip,
    Target,
    check_rule,
    compile_rule,
    failing_sql,
    source_sql,
)
from digigov.platform.quality.rules import RuleDef, applicable

# The period each promised update frequency allows between loads, and the default grace after it.
PERIOD_HOURS = {"实时": 1, "每日": 24, "每周": 24 * 7, "每月": 24 * 31, "每季度": 24 * 92, "每年": 24 * 366}
GRACE_HOURS = {"实时": 1, "每日": 12, "每周": 24, "每月": 24 * 3, "每季度": 24 * 7, "每年": 24 * 15}

register({
    "error.quality_rule_other_dataset": ("规则“{rule}”属于数据集 {dataset}",
                                         "Rule {rule} belongs to dataset {dataset}"),
})


@dataclass
class EvalContext:
    dataset: str
    mapping: Mapping[str, str | None]
    last_load_at: dt.datetime | None = None
    now: dt.datetime | None = None
    update_frequency: str | None = None
    resolve_table: Callable[[str], str | None] = lambda code: None
    sample_limit: int = 50


@dataclass
class RuleResult:
    rule_id: str
    column: str | None
    kind: str
    checked: int
    failed: int
    pass_rate: float  # 0..1; 1 when nothing was judged
    sample_records: list[int]  # `_record` of failing rows, smallest first, at most sample_limit
    failing_sql: str | None  # SELECT _record, ... listing every failing row
    skipped: str | None = None  # why the rule was not evaluated
    passed: bool | None = None  # the rule holds (completeness: rate >= min_rate); None when skipped
    detail: str | None = None  # timeliness: the promise and the age of the last load


@dataclass
class Scores:
    dataset: float
    fields: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, float] = field(default_factory=dict)


def _now(ctx: EvalContext) -> dt.datetime:
    now = ctx.now or dt.datetime.now(dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    """Column name -> DuckDB type of `table` (a table reference, quoted as needed), None when it is missing."""
    try:
        desc = con.execute(f"SELECT * FROM {table} LIMIT 0").description  # noqa: S608
    except duckdb.Error:
        return None
    return {str(d[0]): str(d[1]) for d in desc or []}


def _skipped(rule: RuleDef, column: str | None, reason: str) -> RuleResult:
    return RuleResult(rule.id, column, rule.kind, 0, 0, 1.0, [], None, skipped=reason)


def _result(c: Compiled, table: str, checked: int, failed: int, samples: list[int] | None) -> RuleResult:
    rate = (checked - failed) / checked if checked else 1.0
    threshold = float(c.rule.params.get("min_rate", 1.0)) if c.rule.kind == "completeness" else 1.0
    return RuleResult(c.rule.id, c.column, c.rule.kind, checked, failed, rate, list(samples or []),
                      failing_sql(c, table), passed=rate >= threshold)


def _timeliness(rule: RuleDef, ctx: EvalContext) -> RuleResult:
    freq = rule.params.get("frequency") or ctx.update_frequency
    if not freq or freq not in PERIOD_HOURS:
        return _skipped(rule, None, f"no update frequency promised ({freq or 'none'})")
    grace = float(rule.params.get("grace_hours", GRACE_HOURS[freq]))
    allowed = dt.timedelta(hours=PERIOD_HOURS[freq] + grace)
    if ctx.last_load_at is None:
        ok, detail = False, f"never loaded; promised {freq}"
    else:
        last = ctx.last_load_at if ctx.last_load_at.tzinfo else ctx.last_load_at.replace(tzinfo=dt.UTC)
        age = _now(ctx) - last
        ok = age <= allowed
        hours = age.total_seconds() / 3600
        detail = f"last load {hours:.1f} h ago; promised {freq}, allowed {allowed.total_seconds() / 3600:.0f} h"
    return RuleResult(rule.id, None, rule.kind, 1, 0 if ok else 1, 1.0 if ok else 0.0, [], None,
                      passed=ok, detail=detail)


def _target(con: duckdb.DuckDBPyConnection, table: str, columns: Mapping[str, str], ctx: EvalContext) -> Target:
    return Target(table=table, columns=columns, mapping=ctx.mapping, today=_now(ctx).astimezone(CHINA_TZ).date(),
                  resolve_table=ctx.resolve_table, columns_of=lambda t: table_columns(con, t))


def _register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    from digigov.platform.standards import sqlfuncs

    sqlfuncs.register(con)


def _batch(con: duckdb.DuckDBPyConnection, table: str, checks: Sequence[Compiled],
           limit: int) -> list[tuple[int, int, list[int] | None]]:
    """One pass over the table: (judged, failed, smallest failing records) per check. Each check's two
    predicates are computed once per row in an inner SELECT, then counted."""
    derived = {alias: expr for c in checks for alias, expr in c.derived.items()}
    flags = ["_record"]
    aggs: list[str] = []
    for k, c in enumerate(checks):
        flags.append(f"coalesce({c.checked}, FALSE) AS _c{k}, coalesce({c.fails}, FALSE) AS _f{k}")
        aggs.append("count(*)" if c.checked == "TRUE" else f"count_if(_c{k})")
        aggs.append(f"count_if(_f{k})")
        aggs.append(f"min(_record, {limit}) FILTER (WHERE _f{k})" if limit > 0 else "NULL")
    inner = f"SELECT {', '.join(flags)} FROM {source_sql(table, derived)}"  # noqa: S608
    row = con.execute(f"SELECT {', '.join(aggs)} FROM ({inner}) AS _flags").fetchall()[0]  # noqa: S608
    return [(int(row[3 * k] or 0), int(row[3 * k + 1] or 0), row[3 * k + 2]) for k in range(len(checks))]


def _run(con: duckdb.DuckDBPyConnection, table: str, pairs: Sequence[tuple[RuleDef, str | None]],
         ctx: EvalContext) -> list[RuleResult]:
    results: list[RuleResult | None] = [None] * len(pairs)
    columns = table_columns(con, table)
    todo: list[tuple[int, Compiled]] = []
    target = _target(con, table, columns or {}, ctx)
    for i, (rule, column) in enumerate(pairs):
        if rule.kind == "timeliness":
            results[i] = _timeliness(rule, ctx)
        elif columns is None:
            results[i] = _skipped(rule, column, f"no table {table}")
        else:
            compiled = compile_rule(rule, column, target, i)
            if isinstance(compiled, Skip):
                results[i] = _skipped(rule, column, compiled.reason)
            else:
                todo.append((i, compiled))
    if any(c.uses_udf for _, c in todo):
        try:
            _register_udfs(con)
        except (ImportError, TypeError, ValueError, duckdb.Error) as exc:  # validators unusable: skip those checks
            why = f"the validators' SQL functions cannot be registered: {str(exc).strip().splitlines()[0][:200]}"
            for i, c in todo:
                if c.uses_udf:
                    results[i] = _skipped(c.rule, c.column, why)
            todo = [(i, c) for i, c in todo if not c.uses_udf]
    limit = max(0, int(ctx.sample_limit))
    if todo:
        try:
            counts = _batch(con, table, [c for _, c in todo], limit)
            for (i, c), (checked, failed, samples) in zip(todo, counts, strict=True):
                results[i] = _result(c, table, checked, failed, samples)
        except duckdb.Error:  # one check fails at run time (an expr casting bad text): run them one by one
            for i, c in todo:
                try:
                    checked, failed, samples = _batch(con, table, [c], limit)[0]
                    results[i] = _result(c, table, checked, failed, samples)
                except duckdb.Error as exc:
                    results[i] = _skipped(c.rule, c.column, f"error: {str(exc).strip().splitlines()[0][:300]}")
    return [r for r in results if r is not None]


def evaluate(con: duckdb.DuckDBPyConnection, table: str, rules: Sequence[RuleDef],
             ctx: EvalContext) -> list[RuleResult]:
    """Results of the enabled rules applicable to `ctx.dataset`, in rule order (element-level rules once
    per mapped column). `table` is a table reference in `con`, quoted as needed."""
    return _run(con, table, applicable(rules, ctx.dataset, ctx.mapping), ctx)


def dry_run(con: duckdb.DuckDBPyConnection, table: str, rule: RuleDef, ctx: EvalContext) -> list[RuleResult]:
    """Evaluate one rule, enabled or not, saved or not: what it would find. InvalidInput when the rule
    names columns the table lacks or its expr does not bind."""
    if rule.dataset and rule.dataset != ctx.dataset:
        raise InvalidInput(f"rule {rule.id} belongs to dataset {rule.dataset}", key="quality_rule_other_dataset",
                           rule=rule.id, dataset=rule.dataset)
    columns = table_columns(con, table)
    if columns is not None:
        check_rule(rule, columns)
    return _run(con, table, applicable([rule.model_copy(update={"enabled": True})], ctx.dataset, ctx.mapping), ctx)


def _mean(pairs: Sequence[tuple[float, float]]) -> float:
    total = sum(w for w, _ in pairs)
    return round(100.0 * sum(w * r for w, r in pairs) / total, 2) if total else 100.0


def score(results: Sequence[RuleResult], rules: Sequence[RuleDef]) -> Scores:
    """Scores from 0 to 100: a field's is the weighted mean pass rate of the results on it; the dataset's the
    weighted mean over every result (dataset-level ones included); by_kind the same per rule kind. Skipped
    results and results that judged no row are left out; with nothing left a score is 100."""
    weights = {r.id: r.weight for r in rules}
    counted = [r for r in results if r.skipped is None and r.checked > 0]
    pairs = [(weights.get(r.rule_id, 1.0), r.pass_rate) for r in counted]
    fields: dict[str, list[tuple[float, float]]] = {}
    kinds: dict[str, list[tuple[float, float]]] = {}
    for r, pair in zip(counted, pairs, strict=True):
        if r.column is not None:
            fields.setdefault(r.column, []).append(pair)
        kinds.setdefault(r.kind, []).append(pair)
    return Scores(dataset=_mean(pairs), fields={k: _mean(v) for k, v in fields.items()},
                  by_kind={k: _mean(v) for k, v in kinds.items()})
