"""Quality rule definitions (质量规则): data, not code. A rule is parsed from YAML, checked here, and
compiled to SQL by `compile.py`.

A rule is element-level (`element`: it applies to every column mapped to that data element, in every
dataset), dataset-level (`dataset` and usually `field`: one dataset's column), or global (neither:
only timeliness, which judges a dataset's loads, not its rows).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from digigov.core.errors import InvalidInput
from digigov.core.i18n import register

Kind = Literal[
    "completeness", "validity", "uniqueness", "consistency", "timeliness", "referential",
    "allowed_values", "range", "pattern",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
Severity = Literal["high", "medium", "low"]
CHECKS = ("id_birth_date", "id_gender", "uscc_region")
CHECK_ELEMENT = {"id_birth_date": "citizen_id", "id_gender": "citizen_id", "uscc_region": "uscc"}
# 更新频率 (update frequency) as the catalogue states it.
FREQUENCIES = ("实时", "每日", "每周", "每月", "每季度", "每年", "不定期")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NAME_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
_PARAMS: dict[str, set[str]] = {
    "completeness": {"min_rate"},
    "validity": {"validator"},
    "uniqueness": {"columns"},
    "consistency": {"check", "with", "expr"},
    "timeliness": {"frequency", "grace_hours"},
    "referential": {"dataset", "column"},
    "allowed_values": {"values"},
    "range": {"min", "max"},
    "pattern": {"regex"},
}

register({
    "error.quality_rule_invalid": ("质量规则“{rule}”无效：{problem}", "Quality rule {rule} is invalid: {problem}"),
    "error.quality_rules_unreadable": ("质量规则文本无法读取：{problem}",
                                       "The quality rules cannot be read: {problem}"),
})


def invalid_rule(rule: str, problem: str) -> InvalidInput:
    """The error naming a rule (its id, or #n for the n-th of a file) and its problem."""
    return InvalidInput(f"quality rule {rule}: {problem}", key="quality_rule_invalid", rule=rule, problem=problem)


class RuleDef(BaseModel):
    """One quality rule. `params` are kind-specific (see the module docstring of `compile.py`)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_.-]+$", min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: Kind
    element: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$", max_length=64)
    dataset: str | None = Field(default=None, min_length=1, max_length=100)
    field: str | None = Field(default=None, min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(default=1.0, gt=0, le=100, strict=True)
    severity: Severity = "medium"
    enabled: bool = True

    @field_validator("weight", mode="before")
    @classmethod
    def _weight_number(cls, v: object) -> object:
        if isinstance(v, bool):
            raise ValueError("weight must be a number")
        return float(v) if isinstance(v, int) else v

    @field_validator("params", mode="before")
    @classmethod
    def _params_plain(cls, v: object) -> object:
        """Dates that YAML parsed turn back into ISO text, so a rule is plain JSON."""
        if v is None:
            return {}
        if isinstance(v, dict):
            return {k: _plain(x) for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _coherent(self) -> RuleDef:
        _check_scope(self)
        unknown = set(self.params) - _PARAMS[self.kind]
        if unknown:
            raise ValueError(f"unknown params for {self.kind}: {', '.join(sorted(unknown))}"
                             f" (allowed: {', '.join(sorted(_PARAMS[self.kind]))})")
        _CHECK_PARAMS[self.kind](self)
        return self

    @property
    def scope(self) -> Literal["element", "dataset", "global"]:
        return "element" if self.element else "dataset" if self.dataset else "global"


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, list):
        return [_plain(x) for x in value]
    return value


def _check_scope(rule: RuleDef) -> None:
    if rule.element and rule.dataset:
        raise ValueError("set either element (every column of that data element) or dataset, not both")
    if rule.field and not rule.dataset:
        raise ValueError("field names a column of one dataset: set dataset too")
    if rule.kind == "timeliness":
        if rule.element or rule.field:
            raise ValueError("timeliness judges a dataset's loads: no element or field")
        return
    if not rule.element and not rule.dataset:
        raise ValueError("set element (element-level rule) or dataset (dataset-level rule)")
    if rule.dataset and not rule.field:
        multi = (rule.kind == "uniqueness" and "columns" in rule.params) or (
            rule.kind == "consistency" and "expr" in rule.params)
        if not multi:
            raise ValueError(f"a dataset-level {rule.kind} rule needs field (the column it checks)")


def _check_completeness(rule: RuleDef) -> None:
    rate = rule.params.get("min_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1):
        raise ValueError("min_rate must be a number from 0 to 1")


def _check_validity(rule: RuleDef) -> None:
    validator = rule.params.get("validator")
    if validator is not None and (not isinstance(validator, str) or not re.fullmatch(r"[a-z0-9_]+", validator)):
        raise ValueError("validator must be a validator key such as citizen_id")


def _check_uniqueness(rule: RuleDef) -> None:
    cols = rule.params.get("columns")
    if cols is None:
        return
    if rule.element:
        raise ValueError("columns (a combined key) belong to a dataset-level rule")
    if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and c for c in cols):
        raise ValueError("columns must be a non-empty list of column names")
    if len(set(cols)) != len(cols):
        raise ValueError("columns lists a column twice")


def _check_consistency(rule: RuleDef) -> None:
    check, expr, with_ = rule.params.get("check"), rule.params.get("expr"), rule.params.get("with")
    if (check is None) == (expr is None):
        raise ValueError(f"a consistency rule needs exactly one of check ({', '.join(CHECKS)}) or expr")
    if expr is not None:
        if not rule.dataset:
            raise ValueError("an expr rule names columns of one dataset: set dataset")
        if with_ is not None:
            raise ValueError("with belongs to a check, not to expr")
        if not isinstance(expr, str) or not expr.strip() or len(expr) > 2000:
            raise ValueError("expr must be a SQL boolean expression (at most 2000 characters)")
        parse_expr(expr)
        return
    if check not in CHECKS:
        raise ValueError(f"check must be one of {', '.join(CHECKS)}")
    if rule.element and rule.element != CHECK_ELEMENT[check]:
        raise ValueError(f"check {check} applies to element {CHECK_ELEMENT[check]}, not {rule.element}")
    if with_ is not None and (not isinstance(with_, str) or not with_):
        raise ValueError("with must be a column name")


def _check_timeliness(rule: RuleDef) -> None:
    freq, grace = rule.params.get("frequency"), rule.params.get("grace_hours")
    if freq is not None and freq not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {'/'.join(FREQUENCIES)}")
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int | float) or grace < 0):
        raise ValueError("grace_hours must be a number of hours, 0 or more")


def _check_referential(rule: RuleDef) -> None:
    for key in ("dataset", "column"):
        if not isinstance(rule.params.get(key), str) or not rule.params[key]:
            raise ValueError(f"referential needs params.{key} (the other dataset's code and column)")


def _check_allowed(rule: RuleDef) -> None:
    values = rule.params.get("values")
    if not isinstance(values, list) or not values or len(values) > 1000:
        raise ValueError("values must be a non-empty list (at most 1000 entries)")
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        raise ValueError("values must be text or numbers")


def range_bound(value: object) -> tuple[str, float | str] | None:
    """A range bound as ("number", n) or ("date", "YYYY-MM-DD" | "today"); None when it is neither."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ("number", float(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        if value == "today":
            return "date", value
        if DATE_RE.fullmatch(value):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return None
            return "date", value
    return None


def _check_range(rule: RuleDef) -> None:
    bounds = {k: rule.params[k] for k in ("min", "max") if rule.params.get(k) is not None}
    if not bounds:
        raise ValueError("range needs min, max or both")
    parsed = {k: range_bound(v) for k, v in bounds.items()}
    for k, p in parsed.items():
        if p is None:
            raise ValueError(f"{k} must be a number, a date (YYYY-MM-DD) or today")
    kinds = {p[0] for p in parsed.values() if p}
    if len(kinds) > 1:
        raise ValueError("min and max must both be numbers or both be dates")
    lo, hi = parsed.get("min"), parsed.get("max")
    if lo and hi and "today" not in (lo[1], hi[1]) and lo[1] > hi[1]:  # type: ignore[operator]
        raise ValueError("min is greater than max")


def _check_pattern(rule: RuleDef) -> None:
    regex = rule.params.get("regex")
    if not isinstance(regex, str) or not regex or len(regex) > 1000:
        raise ValueError("regex must be a regular expression (RE2 syntax, at most 1000 characters)")
    try:
        _scratch().cursor().execute("SELECT regexp_full_match('', ?)", [regex]).fetchall()
    except duckdb.Error as exc:
        raise ValueError(f"regex does not compile: {first_line(exc)}") from None


_CHECK_PARAMS = {
    "completeness": _check_completeness, "validity": _check_validity, "uniqueness": _check_uniqueness,
    "consistency": _check_consistency, "timeliness": _check_timeliness, "referential": _check_referential,
    "allowed_values": _check_allowed, "range": _check_range, "pattern": _check_pattern,
}


# --- expressions -------------------------------------------------------------------------------


@cache
def _scratch() -> duckdb.DuckDBPyConnection:
    """An empty in-memory DuckDB used only to parse and bind rule text (never the warehouse)."""
    return duckdb.connect(":memory:")


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def parse_expr(expr: str) -> set[str]:
    """Check that `expr` is one SQL expression without subqueries or ';' and return the column names it
    references. Raises ValueError with the problem."""
    for pos, kind in duckdb.tokenize(expr):
        if kind == duckdb.token_type.operator and expr[pos] == ";":
            raise ValueError("expr must not contain ';'")
    query = f"SELECT ({expr}) FROM _dg_rule_table"  # noqa: S608 (parsed, never run)
    tree = json.loads(_scratch().cursor().execute("SELECT json_serialize_sql(?)", [query]).fetchall()[0][0])
    if tree.get("error"):
        raise ValueError(f"expr does not parse: {tree.get('error_message', '')[:300]}")
    stmts = tree.get("statements", [])
    node = stmts[0].get("node", {}) if len(stmts) == 1 else {}
    plain = (node.get("type") == "SELECT_NODE" and len(node.get("select_list", [])) == 1
             and (node.get("from_table") or {}).get("table_name") == "_dg_rule_table"
             and not node.get("where_clause") and not node.get("group_expressions") and not node.get("having")
             and not node.get("modifiers") and not node.get("qualify") and not node.get("cte_map", {}).get("map"))
    if not plain:
        raise ValueError("expr must be one boolean expression over the table's columns")
    refs: set[str] = set()
    _walk(node["select_list"][0], refs)
    return refs


def _walk(node: object, refs: set[str]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, refs)
        return
    if not isinstance(node, dict):
        return
    cls = node.get("class")
    if cls == "SUBQUERY" or node.get("type") in ("SELECT_NODE", "BASE_TABLE", "TABLE_FUNCTION"):
        raise ValueError("expr must not contain a subquery")
    if cls == "WINDOW":
        raise ValueError("expr must not contain a window function")
    if cls == "LAMBDA":
        return  # lambda parameters are not columns; DuckDB's binder checks the body
    if cls == "COLUMN_REF":
        names = node.get("column_names", [])
        if len(names) != 1:
            raise ValueError(f"expr must name columns without a table: {'.'.join(names)}")
        refs.add(names[0])
    for value in node.values():
        _walk(value, refs)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- loading -----------------------------------------------------------------------------------


def _describe(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors:
        where = ".".join(str(x) for x in err.get("loc", ()))
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_rule(data: Mapping[str, Any], position: int = 1) -> RuleDef:
    """One rule from a mapping (YAML or JSON); InvalidInput naming the rule and the problem."""
    label = str(data.get("id") or f"#{position}") if isinstance(data, Mapping) else f"#{position}"
    if not isinstance(data, Mapping):
        raise invalid_rule(label, "a rule must be a mapping of id, name, kind, ...")
    try:
        return RuleDef.model_validate(dict(data))
    except ValidationError as exc:
        raise invalid_rule(label, _describe(exc.errors())) from None


def load_rules(text: str) -> list[RuleDef]:
    """Rules from YAML text (a list under `rules:`); InvalidInput(key="quality_rule_invalid") naming the
    first bad rule and its problem."""
    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for a date such as 2023-02-30
        problem = first_line(exc)
        raise InvalidInput(f"quality rules are not YAML: {problem}", key="quality_rules_unreadable",
                           problem=problem) from None
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("rules", []), list) or set(doc) - {"rules"}:
        problem = "expected a mapping with one key, rules: a list of rules"
        raise InvalidInput(f"quality rules: {problem}", key="quality_rules_unreadable", problem=problem)
    rules: list[RuleDef] = []
    seen: set[str] = set()
    for i, item in enumerate(doc.get("rules") or [], start=1):
        rule = parse_rule(item, i)
        if rule.id in seen:
            raise invalid_rule(rule.id, "the id is used by another rule")
        seen.add(rule.id)
        rules.append(rule)
    return rules


def default_rules() -> list[RuleDef]:
    """The shipped element-level rules (quality/data/default_rules.yaml)."""
    return list(_default_rules())


@cache
def _default_rules() -> tuple[RuleDef, ...]:
    text = resources.files("digigov.platform.quality").joinpath("data", "default_rules.yaml").read_text("utf-8")
    return tuple(load_rules(text))


def applicable(rules: Sequence[RuleDef], dataset: str,
               mapping: Mapping[str, str | None]) -> list[tuple[RuleDef, str | None]]:
    """(rule, column) pairs of the enabled rules for `dataset`: an element-level rule once per column mapped
    to its element; a dataset-level rule of this dataset on its field (None when it spans columns); a
    global rule once with column None."""
    out: list[tuple[RuleDef, str | None]] = []
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.element:
            out += [(rule, col) for col, element in mapping.items() if element == rule.element]
        elif rule.dataset is None or rule.dataset == dataset:
            out.append((rule, rule.field))
    return out
