"""The cleaning stage as SQL: normalise each mapped field, validate it, split accepted from quarantined.

One pass over the raw table computes every field's normalised value and its first error; accepted rows
go to the version's clean table, the others to its quarantine table with their reasons, and rows the
reader could not parse join them there. Everything runs inside DuckDB, vectorised; Python only sees
the checksum candidates (through the UDFs `standards.sqlfuncs` registers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from digigov.core.warehouse import ident, sql_literal
from digigov.platform.standards import normalize, registry, sqlfuncs

DEFAULT_STEPS = ("trim",)


@dataclass
class CleanResult:
    accepted: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)  # first reason of each quarantined row -> rows
    problems: dict[str, int] = field(default_factory=dict)  # every reason -> rows (a row may have several)
    non_empty: dict[str, int] = field(default_factory=dict)  # column -> non-empty accepted values


def _steps(element_id: str | None) -> tuple[list[str], str | None]:
    if not element_id:
        return list(DEFAULT_STEPS), None
    element = registry.element(element_id)
    return list(element.normalizer or DEFAULT_STEPS), element.validator


def _layers(raw: str, columns: Sequence[str], plans: Sequence[list[str]]) -> str:
    """A SELECT giving, per field i, the raw value r<i> and its value after each normaliser step s<i>_<k>.

    One projection per step, nested: each step reads the previous step's column, so no expression is
    written (and evaluated) twice, however many steps a field has.
    """
    cols = ["_record"] + [f"{ident(c)} AS r{i}, nullif(CAST({ident(c)} AS VARCHAR), '') AS s{i}_0"
                          for i, c in enumerate(columns)]
    sql = f"SELECT {', '.join(cols)} FROM {raw}"
    for k in range(1, max((len(p) for p in plans), default=0) + 1):
        new = [f"nullif({sqlfuncs.SQL_STEPS[p[k - 1]](f's{i}_{k - 1}')}, '') AS s{i}_{k}"
               for i, p in enumerate(plans) if len(p) >= k]
        if new:
            sql = f"SELECT *, {', '.join(new)} FROM ({sql})"
    return sql


def _field_checks(i: int, header: str, element_id: str | None, plan: Sequence[str], validator: str | None,
                  max_chars: int, required: bool) -> tuple[str, str]:
    """(final normalised value, first error) of field i over the columns of `_layers`."""
    norm = f"s{i}_{len(plan)}"
    if element_id == "amount" and "万元" in header:  # the unit is in the header: 注册资本(万元) 100 = 1,000,000 元
        # ... unless the cell carries its own unit (19.9万元, 3000元): the normaliser already gave 元
        norm = (f"(CASE WHEN {norm} IS NULL THEN NULL WHEN regexp_matches(s{i}_0, '[万亿元]') THEN {norm} "
                f"ELSE rtrim(rtrim(printf('%.4f', TRY_CAST({norm} AS DOUBLE) * 10000), '0'), '.') END)")
    label = sql_literal(header + ":")
    checks = [f"CASE WHEN length(r{i}) > {int(max_chars)} THEN {label} || 'cell_too_large' END"]
    for k, step in enumerate(plan, start=1):
        reason = normalize.FAILURE_REASONS.get(step)
        if reason:
            checks.append(f"CASE WHEN s{i}_{k - 1} IS NOT NULL AND s{i}_{k} IS NULL THEN {label} || "
                          f"{sql_literal(reason)} END")
    if validator:
        checks.append(f"{label} || ({sqlfuncs.validate_sql(validator, f's{i}_{len(plan)}')})")
    if required:
        checks.append(f"CASE WHEN s{i}_{len(plan)} IS NULL THEN {label} || 'missing' END")
    return norm, f"coalesce({', '.join(checks)})"


def clean(con: duckdb.DuckDBPyConnection, raw: str, clean_table: str, quarantine_table: str, *,
          columns: Sequence[str], headers: Sequence[str], mapping: Mapping[str, str | None],
          required: Sequence[str] = (), rejects_table: str | None = None, max_chars: int = 65_536) -> CleanResult:
    """Build `clean_table` and `quarantine_table` from `raw` (text columns plus `_record`).

    Runs in the caller's transaction: the caller commits, so both tables appear together or not at all.
    """
    sqlfuncs.register(con)
    plans = [_steps(mapping.get(c)) for c in columns]
    outer: list[str] = []
    errors: list[str] = []
    for i, (column, header) in enumerate(zip(columns, headers, strict=True)):
        plan, validator = plans[i]
        norm, err = _field_checks(i, header, mapping.get(column), plan, validator, max_chars, column in required)
        outer.append(f"{norm} AS {ident(column)}")
        errors.append(err)
    error_list = "list_filter([" + ", ".join(errors) + "], lambda x: x IS NOT NULL)" if errors else "[]::VARCHAR[]"
    # the raw row as JSON only for the rows that fail (joined back by record number)
    raw_json = "to_json(struct_pack(" + ", ".join(
        f"{ident(h)} := r.{ident(c)}" for c, h in zip(columns, headers, strict=True)) + "))" if columns else "'{}'"
    con.execute(
        f"CREATE TEMP TABLE _checked AS SELECT _record, {', '.join(outer)}, {error_list} AS _errors "
        f"FROM ({_layers(raw, columns, [p for p, _v in plans])})"
    )
    try:
        col_list = ", ".join(ident(c) for c in columns)
        con.execute(f"CREATE TABLE {clean_table} AS SELECT _record, {col_list} FROM _checked "
                    f"WHERE len(_errors) = 0 ORDER BY _record")
        con.execute(
            f"CREATE TABLE {quarantine_table} AS SELECT k._record, k._errors[1] AS _reason, "
            f"array_to_string(k._errors, '; ') AS _reasons, {raw_json}::VARCHAR AS _raw "
            f"FROM _checked k JOIN {raw} r ON r._record = k._record WHERE len(k._errors) > 0 ORDER BY k._record"
        )
        if rejects_table:
            con.execute(f"INSERT INTO {quarantine_table} SELECT record, reason, reason || ': ' || detail, raw "
                        f"FROM {rejects_table}")
        accepted = int(con.execute(f"SELECT count(*) FROM {clean_table}").fetchone()[0])  # type: ignore[index]
        reasons = dict(con.execute(
            f"SELECT _reason, count(*) FROM {quarantine_table} GROUP BY 1 ORDER BY 2 DESC").fetchall())
        problems = dict(con.execute(
            "SELECT e, count(*) FROM (SELECT unnest(_errors) AS e FROM _checked) GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall())
        if rejects_table:
            for reason, n in con.execute(f"SELECT reason, count(*) FROM {rejects_table} GROUP BY 1").fetchall():
                problems[reason] = problems.get(reason, 0) + int(n)
        non_empty: dict[str, int] = {}
        if columns:
            counts = con.execute(
                "SELECT " + ", ".join(f"count({ident(c)})" for c in columns) + f" FROM {clean_table}"
            ).fetchone()
            non_empty = {c: int(n) for c, n in zip(columns, counts or (), strict=True)}
    finally:
        con.execute("DROP TABLE IF EXISTS _checked")
    quarantined = sum(reasons.values())
    return CleanResult(accepted=accepted, quarantined=quarantined, reasons={str(k): int(v) for k, v in reasons.items()},
                       problems={str(k): int(v) for k, v in problems.items()}, non_empty=non_empty)
