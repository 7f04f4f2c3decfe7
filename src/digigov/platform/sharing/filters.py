"""Row filters of a sharing grant (行级过滤): a list of conditions `{column, op, value}`, all of which a row must
meet, as structured data rather than SQL. The one a county asks for is `region_code prefix 330802` (only its own
county's rows).

Operators: `=`, `in` (a list of values), `>=`, `<=`, `prefix`. A number as the value compares numerically (the
column read as a double; a value that is not a number never matches); any other value compares as text (the
column's text form, as `CAST(... AS VARCHAR)` gives it). `prefix` always compares text. NULL never matches.

Each filter compiles twice, and the two agree: to a parameterised SQL condition over the warehouse table
(column names quoted identifiers, every value a bound parameter) and to a Python predicate over a row dict
(`apply_grant` for small row sets such as change events).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from digigov.core.errors import InvalidInput
from digigov.core.warehouse import ident
from digigov.platform.sharing.model import FILTER_OPS

Condition = dict[str, Any]
MAX_CONDITIONS = 20
MAX_IN_VALUES = 1000
MAX_VALUE_LEN = 200
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _scalar(value: object, where: str) -> str | int | float:
    if _is_number(value):
        return value  # type: ignore[return-value]
    if isinstance(value, str) and len(value) <= MAX_VALUE_LEN and "\x00" not in value:
        return value
    raise InvalidInput(f"{where}: a value is a number or a text of at most {MAX_VALUE_LEN} characters",
                       key="sharing_bad_filter", field="row_filter")


def validate(conditions: object, columns: Sequence[str]) -> list[Condition]:
    """The conditions in their stored form, or InvalidInput naming what is wrong."""
    if conditions is None:
        return []
    if not isinstance(conditions, list | tuple):
        raise InvalidInput("row_filter is a list of {column, op, value}", key="sharing_bad_filter",
                           field="row_filter")
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidInput(f"at most {MAX_CONDITIONS} filter conditions", key="sharing_bad_filter",
                           field="row_filter")
    known = set(columns)
    out: list[Condition] = []
    for i, cond in enumerate(conditions):
        where = f"row_filter[{i}]"
        if not isinstance(cond, Mapping) or set(cond) - {"column", "op", "value"}:
            raise InvalidInput(f"{where}: a condition is {{column, op, value}}", key="sharing_bad_filter",
                               field="row_filter")
        column, op, value = cond.get("column"), cond.get("op"), cond.get("value")
        if not isinstance(column, str) or column not in known:
            raise InvalidInput(f"{where}: the dataset has no column {str(column)[:64]!r}",
                               key="sharing_unknown_column", field="row_filter", column=str(column)[:64])
        if op not in FILTER_OPS:
            raise InvalidInput(f"{where}: op must be one of {', '.join(FILTER_OPS)}", key="sharing_bad_filter",
                               field="row_filter")
        if op == "in":
            if not isinstance(value, list | tuple) or not 0 < len(value) <= MAX_IN_VALUES:
                raise InvalidInput(f"{where}: 'in' takes a list of 1-{MAX_IN_VALUES} values",
                                   key="sharing_bad_filter", field="row_filter")
            out.append({"column": column, "op": op, "value": [_scalar(v, where) for v in value]})
        elif op == "prefix":
            if not isinstance(value, str) or not value:
                raise InvalidInput(f"{where}: 'prefix' takes a non-empty text", key="sharing_bad_filter",
                                   field="row_filter")
            out.append({"column": column, "op": op, "value": _scalar(value, where)})
        else:
            out.append({"column": column, "op": op, "value": _scalar(value, where)})
    return out


# ---- SQL ----------------------------------------------------------------------------------------

def _num_sql(col: str) -> str:
    """The column as a double; NULL for text that is not a number, and for NaN (which DuckDB sorts last)."""
    return f"(CASE WHEN isnan(TRY_CAST({col} AS DOUBLE)) THEN NULL ELSE TRY_CAST({col} AS DOUBLE) END)"


def _text_sql(col: str) -> str:
    return f"CAST({col} AS VARCHAR)"


def to_sql(conditions: Sequence[Condition], alias: str = "t") -> tuple[str, list[Any]]:
    """`(sql, params)`: the conditions ANDed over `alias`, values as `?` parameters; `TRUE` for none."""
    parts: list[str] = []
    params: list[Any] = []
    for cond in conditions:
        col = f"{alias}.{ident(cond['column'])}"
        op, value = cond["op"], cond["value"]
        if op == "in":
            values = list(value)
            if all(_is_number(v) for v in values):
                parts.append(f"{_num_sql(col)} IN ({', '.join('?' for _ in values)})")
                params += [float(v) for v in values]
            else:
                parts.append(f"{_text_sql(col)} IN ({', '.join('?' for _ in values)})")
                params += [text_of(v) for v in values]
        elif op == "prefix":
            parts.append(f"starts_with({_text_sql(col)}, ?)")
            params.append(str(value))
        elif _is_number(value):
            parts.append(f"{_num_sql(col)} {op} ?")
            params.append(float(value))
        else:
            parts.append(f"{_text_sql(col)} {op} ?")
            params.append(str(value))
    return (" AND ".join(f"({p})" for p in parts) if parts else "TRUE"), params


# ---- Python ---------------------------------------------------------------------------------------

def text_of(value: Any) -> str:
    """A value's text the way DuckDB's `CAST(... AS VARCHAR)` writes it (for the values the warehouse holds)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        return None
    return float(text)


def _matches(cond: Condition, row: Mapping[str, Any]) -> bool:
    raw = row.get(cond["column"])
    if raw is None:
        return False
    op, value = cond["op"], cond["value"]
    if op == "in":
        if all(_is_number(v) for v in value):
            n = _number(raw)
            return n is not None and n in {float(v) for v in value}
        return text_of(raw) in {text_of(v) for v in value}
    if op == "prefix":
        return text_of(raw).startswith(str(value))
    if _is_number(value):
        n = _number(raw)
        if n is None or math.isnan(n):
            return False
        left: Any = n
        right: Any = float(value)
    else:
        left, right = text_of(raw), str(value)
    if op == "=":
        return bool(left == right)
    if op == ">=":
        return bool(left >= right)
    return bool(left <= right)


def predicate(conditions: Sequence[Condition]) -> Callable[[Mapping[str, Any]], bool]:
    """A function telling whether a row (a dict by column) meets every condition."""
    conds = list(conditions)
    return lambda row: all(_matches(c, row) for c in conds)
