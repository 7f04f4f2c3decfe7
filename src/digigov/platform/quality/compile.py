"""Compile a (rule, column) pair to SQL over a dataset's clean table.

Each row-level check becomes two boolean expressions over the table's columns: `checked` (the row is
judged: e.g. the value is present) and `fails` (the row is judged and breaks the rule). Checks that need
the whole table first (duplicates, membership in another table) add `derived` columns (an IN over a
subquery) that the evaluator computes in an inner SELECT, so every check still reads as a predicate on
one row.

Params per kind:
- completeness: min_rate (0..1, default 1) only sets `passed`; a row fails when the value is NULL or blank.
- validity: validator (default: the one the data element names in the standards registry, else the element
  id); a row fails when `standards.sqlfuncs.validate_sql` gives a reason (shown by the failing-rows query).
- uniqueness: columns (combined key, dataset-level) or the rule's column; every row of a repeated value fails
  (rows with a NULL in the key are not judged).
- consistency: check id_birth_date | id_gender | uscc_region with `with` (the other column; default the
  column mapped to birth_date / gender / address), or expr (a boolean over the columns; NULL = not judged).
- referential: dataset, column: a non-NULL value must occur in that column of the other clean table.
- allowed_values: values; range: min/max (numbers, or dates 'YYYY-MM-DD' / 'today'); pattern: regex (RE2,
  full match).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache

import duckdb

from digigov.identity.regions import zhejiang_regions
from digigov.platform.quality.rules import RuleDef, first_line, invalid_rule, parse_expr, quote_ident, range_bound
from digigov.platform.standards import validators

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
# The provinces other than Zhejiang, as an address begins with them (then uscc_region does not judge it).
OTHER_PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海",
    "宁夏", "新疆", "香港", "澳门", "台湾",
)
ID18 = r"\d{17}[0-9X]"
ID15 = r"\d{15}"
USCC = r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}"


@dataclass
class Target:
    """What a rule is compiled against: the table's columns and types, the field mapping and context."""

    table: str
    columns: Mapping[str, str]  # column name -> DuckDB type
    mapping: Mapping[str, str | None]
    today: dt.date
    resolve_table: Callable[[str], str | None]
    columns_of: Callable[[str], Mapping[str, str] | None]  # another table's columns, None when missing


@dataclass
class Compiled:
    rule: RuleDef
    column: str | None
    checked: str
    fails: str
    shown: list[str]  # columns listed by the failing-rows query after _record
    derived: dict[str, str] = field(default_factory=dict)  # alias -> expression over the whole table
    reason: str | None = None  # an expression naming why a row fails (validity)
    uses_udf: bool = False


@dataclass
class Skip:
    reason: str


def lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _text(target: Target, column: str) -> str:
    """The column as text (clean tables hold text; anything else is cast)."""
    q = quote_ident(column)
    return q if target.columns.get(column, "VARCHAR") == "VARCHAR" else f"CAST({q} AS VARCHAR)"


def check_expr(expr: str, columns: Collection[str] | Mapping[str, str]) -> None:
    """ValueError unless `expr` parses, references only `columns` and binds as a boolean, on an empty
    scratch table with those columns (of the given DuckDB types; text when only names are given)."""
    unknown = sorted(parse_expr(expr) - set(columns) - {"_record"})
    if unknown:
        raise ValueError(f"expr references unknown columns: {', '.join(unknown)}")
    types = columns if isinstance(columns, Mapping) else {}
    cols = ", ".join(['"_record" BIGINT'] + [f"{quote_ident(c)} {types.get(c, 'VARCHAR')}" for c in columns
                                              if c != "_record"])
    with duckdb.connect(":memory:") as con:
        try:
            con.execute(f"CREATE TABLE _dg_rule_table ({cols})")
            desc = con.execute(f"SELECT ({expr}) FROM _dg_rule_table LIMIT 0").description  # noqa: S608
            con.execute(f"SELECT count_if(({expr})) FROM _dg_rule_table LIMIT 0")  # noqa: S608 (no aggregate inside)
        except duckdb.Error as exc:
            raise ValueError(f"expr is not a valid boolean over the table: {first_line(exc)}") from None
    kind = str(desc[0][1]) if desc else ""
    if kind not in ("BOOLEAN", '"NULL"', "NULL"):
        raise ValueError(f"expr is not a valid boolean over the table: it gives {kind}")


def check_rule(rule: RuleDef, columns: Collection[str] | Mapping[str, str]) -> None:
    """InvalidInput (key quality_rule_invalid) when a dataset-level rule names columns the dataset lacks or its
    expr does not bind to them. `columns`: the names, or names -> DuckDB types."""
    names = set(columns)
    wanted = [rule.field] if rule.field else []
    if rule.kind == "uniqueness":
        wanted += rule.params.get("columns", [])
    if rule.kind == "consistency" and rule.params.get("with"):
        wanted.append(rule.params["with"])
    missing = [c for c in wanted if c and c not in names]
    if missing and rule.scope == "dataset":
        raise invalid_rule(rule.id, f"no column {', '.join(missing)} in dataset {rule.dataset}")
    if rule.kind == "consistency" and "expr" in rule.params:
        try:
            check_expr(rule.params["expr"], columns)
        except ValueError as exc:
            raise invalid_rule(rule.id, str(exc)) from None


def compile_rule(rule: RuleDef, column: str | None, target: Target, index: int) -> Compiled | Skip:
    """The SQL of one (rule, column) pair, or why it cannot be evaluated on this table."""
    needed = [column] if column else []
    missing = [c for c in needed if c not in target.columns]
    if missing:
        return Skip(f"no column {missing[0]} in the table")
    builder = _BUILDERS.get(rule.kind)
    if builder is None:
        return Skip(f"{rule.kind} is not a row-level rule")
    return builder(rule, column, target, index)


def _present(v: str) -> str:
    return f"({v} IS NOT NULL AND trim({v}) <> '')"


def _completeness(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    assert column is not None
    v = _text(t, column)
    return Compiled(rule, column, "TRUE", f"NOT {_present(v)}", [quote_ident(column)])


def validator_key(rule: RuleDef, column: str | None, mapping: Mapping[str, str | None]) -> str | None:
    """params.validator, else the validator the data element names (standards registry), else the element id."""
    if rule.params.get("validator"):
        return str(rule.params["validator"])
    element = rule.element or (mapping.get(column) if column else None)
    if element is None:
        return None
    try:
        from digigov.platform.standards import registry

        named = registry.elements()[element].validator
    except (ImportError, LookupError, ValueError):  # no registry entry (or none loadable): the element's own key
        named = None
    return named or element


def _validity(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    assert column is not None
    key = validator_key(rule, column, t.mapping)
    if key is None:
        return Skip(f"column {column} is mapped to no data element; name a validator in params.validator")
    if key not in validators.VALIDATORS:
        return Skip(f"no validator {key}")
    try:
        from digigov.platform.standards import sqlfuncs
    except ImportError:
        return Skip("the validators' SQL functions (standards.sqlfuncs) are not installed")
    v = _text(t, column)
    reason = f"({sqlfuncs.validate_sql(key, v)})"
    return Compiled(rule, column, _present(v), f"({_present(v)} AND {reason} IS NOT NULL)",
                    [quote_ident(column)], reason=reason, uses_udf=True)


def _uniqueness(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    cols = list(rule.params.get("columns") or ([column] if column else []))
    missing = [c for c in cols if c not in t.columns]
    if missing:
        return Skip(f"no column {missing[0]} in the table")
    quoted = [quote_ident(c) for c in cols]
    alias = f"_dq{i}"
    checked = " AND ".join(f"{q} IS NOT NULL" for q in quoted)
    key = quoted[0] if len(quoted) == 1 else f"row({', '.join(quoted)})"
    repeated = f"SELECT {key} FROM {t.table} WHERE {checked} GROUP BY ALL HAVING count(*) > 1"  # noqa: S608
    derived = {alias: f"{key} IN ({repeated})"}
    return Compiled(rule, column, f"({checked})", f"({checked} AND coalesce({alias}, FALSE))", quoted, derived)


def _with_column(rule: RuleDef, element: str, t: Target) -> str | Skip:
    named = rule.params.get("with")
    if named:
        return named if named in t.columns else Skip(f"no column {named} in the table")
    found = [c for c, e in t.mapping.items() if e == element and c in t.columns]
    if not found:
        return Skip(f"no column mapped to {element}")
    if len(found) > 1:
        return Skip(f"several columns mapped to {element} ({', '.join(found)}); name one with params.with")
    return found[0]


def _consistency(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    check = rule.params.get("check")
    if check is None:
        return _expr(rule, column, t)
    assert column is not None
    other = _with_column(rule, {"id_birth_date": "birth_date", "id_gender": "gender",
                                "uscc_region": "address"}[check], t)
    if isinstance(other, Skip):
        return other
    c, o = _text(t, column), _text(t, other)
    shown = [quote_ident(column), quote_ident(other)]
    if check == "uscc_region":
        checked, fails = _uscc_region(c, o)
        return Compiled(rule, column, checked, fails, shown)
    is18, is15 = f"regexp_full_match({c}, '{ID18}')", f"regexp_full_match({c}, '{ID15}')"
    if check == "id_birth_date":
        from_id = (f"CASE WHEN {is18} THEN substr({c}, 7, 4) || '-' || substr({c}, 11, 2) || '-' || substr({c}, 13, 2)"
                   f" ELSE '19' || substr({c}, 7, 2) || '-' || substr({c}, 9, 2) || '-' || substr({c}, 11, 2) END")
        checked = f"({o} IS NOT NULL AND ({is18} OR {is15}))"
        return Compiled(rule, column, checked, f"({checked} AND {o} <> {from_id})", shown)
    digit = f"CAST(CASE WHEN {is18} THEN substr({c}, 17, 1) ELSE substr({c}, 15, 1) END AS INTEGER)"
    checked = f"({o} IN ('男', '女') AND ({is18} OR {is15}))"
    fails = f"({checked} AND {o} <> CASE WHEN {digit} % 2 = 1 THEN '男' ELSE '女' END)"
    return Compiled(rule, column, checked, fails, shown)


@cache
def region_names() -> dict[str, tuple[str, ...]]:
    """Zhejiang city and county codes -> the place names that an address in that region mentions:
    a county's own name and its city's; a city's name and its counties'. Full and short forms (杭州市, 杭州)."""
    rows = zhejiang_regions()

    def forms(name: str) -> list[str]:
        short = re.sub(r"(畲族自治县|自治县|县|市)$", "", name)
        return [name, short] if short != name and len(short) >= 2 else [name]

    out: dict[str, tuple[str, ...]] = {}
    for r in rows:
        if r.level == "county" and r.parent_code:
            parent = next(p for p in rows if p.code == r.parent_code)
            out[r.code] = tuple(forms(r.name) + forms(parent.name))
        elif r.level == "city":
            kids = [n for k in rows if k.parent_code == r.code for n in forms(k.name)]
            out[r.code] = tuple(forms(r.name) + kids)
    return out


def _uscc_region(u: str, a: str) -> tuple[str, str]:
    names = region_names()
    every = sorted({n for ns in names.values() for n in ns}, key=len, reverse=True)
    code = f"substr({u}, 3, 6)"
    in_zj = (f"regexp_matches({a}, {lit('|'.join(map(re.escape, every)))})"
             f" AND NOT regexp_matches({a}, {lit('^(' + '|'.join(OTHER_PROVINCES) + ')')})")
    checked = (f"({a} IS NOT NULL AND regexp_full_match({u}, '{USCC}')"
               f" AND {code} IN ({', '.join(lit(c) for c in sorted(names))}) AND {in_zj})")
    branches = " ".join(
        f"WHEN {lit(c)} THEN " + " OR ".join(f"contains({a}, {lit(n)})" for n in ns) for c, ns in sorted(names.items()))
    return checked, f"({checked} AND NOT (CASE {code} {branches} ELSE TRUE END))"


def _expr(rule: RuleDef, column: str | None, t: Target) -> Compiled | Skip:
    expr = str(rule.params["expr"])
    try:
        check_expr(expr, t.columns)
    except ValueError as exc:
        return Skip(str(exc))
    refs = parse_expr(expr)
    shown = [quote_ident(c) for c in t.columns if c == column or (c in refs and c != "_record")]
    return Compiled(rule, column, f"(({expr}) IS NOT NULL)", f"(NOT coalesce(({expr}), TRUE))", shown)


def _referential(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    assert column is not None
    code, other_col = str(rule.params["dataset"]), str(rule.params["column"])
    other = t.resolve_table(code)
    if other is None:
        return Skip(f"dataset {code} has no clean table")
    other_cols = t.columns_of(other)
    if other_cols is None or other_col not in other_cols:
        return Skip(f"no column {other_col} in dataset {code}")
    v, alias = _text(t, column), f"_dq{i}"
    o = quote_ident(other_col)
    ov = o if other_cols[other_col] == "VARCHAR" else f"CAST({o} AS VARCHAR)"
    derived = {alias: f"{v} IN (SELECT {ov} FROM {other} WHERE {o} IS NOT NULL)"}  # noqa: S608
    checked = f"({v} IS NOT NULL)"
    return Compiled(rule, column, checked, f"({checked} AND NOT coalesce({alias}, FALSE))", [quote_ident(column)],
                    derived)


def _allowed(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    assert column is not None
    v = _text(t, column)
    values = ", ".join(lit(x) for x in rule.params["values"])
    return Compiled(rule, column, f"({v} IS NOT NULL)", f"({v} IS NOT NULL AND {v} NOT IN ({values}))",
                    [quote_ident(column)])


def _range(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    assert column is not None
    q = quote_ident(column)
    bounds = {k: range_bound(rule.params.get(k)) for k in ("min", "max") if rule.params.get(k) is not None}
    is_date = any(b and b[0] == "date" for b in bounds.values())
    v = f"TRY_CAST({q} AS DATE)" if is_date else f"TRY_CAST({q} AS DOUBLE)"

    def bound(b: tuple[str, float | str] | None) -> str:
        assert b is not None
        if not is_date:
            return repr(float(b[1]))
        day = t.today.isoformat() if b[1] == "today" else str(b[1])
        return f"DATE {lit(day)}"

    outside = [f"{v} < {bound(bounds['min'])}"] if "min" in bounds else []
    outside += [f"{v} > {bound(bounds['max'])}"] if "max" in bounds else []
    checked = f"({v} IS NOT NULL)"
    return Compiled(rule, column, checked, f"({checked} AND ({' OR '.join(outside)}))", [q])


def _pattern(rule: RuleDef, column: str | None, t: Target, i: int) -> Compiled | Skip:
    assert column is not None
    v = _text(t, column)
    checked = f"({v} IS NOT NULL)"
    return Compiled(rule, column, checked, f"({checked} AND NOT regexp_full_match({v}, {lit(rule.params['regex'])}))",
                    [quote_ident(column)])


_BUILDERS: dict[str, Callable[[RuleDef, str | None, Target, int], Compiled | Skip]] = {
    "completeness": _completeness, "validity": _validity, "uniqueness": _uniqueness,
    "consistency": _consistency, "referential": _referential, "allowed_values": _allowed,
    "range": _range, "pattern": _pattern,
}


def source_sql(table: str, derived: Mapping[str, str]) -> str:
    """The FROM clause: the table itself, or the table with its derived columns computed over all rows."""
    if not derived:
        return f"{table} AS _q"
    extra = ", ".join(f"{expr} AS {alias}" for alias, expr in derived.items())
    return f"(SELECT *, {extra} FROM {table}) AS _q"  # noqa: S608


def failing_sql(c: Compiled, table: str) -> str:
    """A query listing every failing row: _record, the columns involved, and the reason when known."""
    cols = ["_record", *c.shown] + ([f"{c.reason} AS reason"] if c.reason else [])
    return f"SELECT {', '.join(cols)} FROM {source_sql(table, c.derived)} WHERE {c.fails} ORDER BY _record"  # noqa: S608
