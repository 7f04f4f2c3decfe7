"""The vectorised path of the standards: DuckDB functions and SQL builders the ingest pipeline runs over whole
tables (millions of rows), instead of calling Python once per value.

``register(con)`` adds three Arrow-vectorised Python UDFs to a connection: ``dg_check(validator, value)`` (the
reason key a validator gives, NULL when valid), ``dg_simplified(value)`` (繁转简, OpenCC) and
``dg_hmac(key, value)`` (keyed pseudonym). The builders return SQL expressions over an already-quoted column:
``normalize_sql`` does each normaliser step of ``normalize`` in plain SQL wherever it can, ``normalize_error_sql``
gives the reason a value failed, and ``validate_sql`` runs a pattern prefilter in SQL and the checksum UDF only
on the values that match it.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa

from . import normalize as nz
from .masking import anchored, hmac_hex, sql_literal

UDF_NAMES: tuple[str, ...] = ("dg_check", "dg_simplified", "dg_hmac")
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_UPPER = _ASCII_LOWER.upper()


def _validators() -> tuple[dict[str, Callable[[str], str | None]], dict[str, str]]:
    from . import validators

    return validators.VALIDATORS, validators.PATTERNS


def _check_batch(validator: pa.Array, value: pa.Array) -> pa.Array:
    checks, _ = _validators()
    out: list[str | None] = []
    for key, text in zip(validator.to_pylist(), value.to_pylist(), strict=True):
        if key is None or text is None:
            out.append(None)
            continue
        fn = checks.get(key)
        if fn is None:
            raise ValueError(f"dg_check: unknown validator {key!r}")
        out.append(fn(text))
    return pa.array(out, type=pa.string())


def _simplified_batch(value: pa.Array) -> pa.Array:
    return pa.array([None if v is None else nz.simplified(v) for v in value.to_pylist()], type=pa.string())


def _hmac_batch(key: pa.Array, value: pa.Array) -> pa.Array:
    return pa.array(
        [None if k is None or v is None else hmac_hex(k, v)
         for k, v in zip(key.to_pylist(), value.to_pylist(), strict=True)],
        type=pa.string(),
    )


@cache
def _udf_options() -> tuple[Any, Any]:
    """(ARROW, SPECIAL): the UDF type and null-handling enums, ``duckdb.func`` (2.x) or ``duckdb.functional``."""
    for name in ("duckdb.func", "duckdb.functional"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.ARROW, module.SPECIAL
    raise RuntimeError("this duckdb has no Arrow UDF support")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Register ``dg_check``, ``dg_simplified`` and ``dg_hmac`` on ``con``; a second call is a no-op."""
    wanted = ", ".join(f"'{name}'" for name in UDF_NAMES)
    names = {row[0] for row in con.execute(
        f"SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name IN ({wanted})"  # noqa: S608
    ).fetchall()}
    arrow, special = _udf_options()
    specs: list[tuple[str, Callable[..., pa.Array], int]] = [
        ("dg_check", _check_batch, 2), ("dg_simplified", _simplified_batch, 1), ("dg_hmac", _hmac_batch, 2),
    ]
    for name, fn, arity in specs:
        if name in names:
            continue
        con.create_function(name, fn, ["VARCHAR"] * arity, "VARCHAR", type=arrow, null_handling=special,
                            side_effects=False)


# --- normaliser steps as SQL -------------------------------------------------------------------------------

def _lit(text: str) -> str:
    return sql_literal(text)


#: Any character ``halfwidth`` changes (full-width ASCII, the ideographic and the no-break space).
_FULLWIDTH_ANY = "[\uff01-\uff5e\u3000\u00a0]"


def _halfwidth(x: str) -> str:
    # DuckDB's translate() rebuilds its 96-character map for every row (~6 s per million rows), so only values
    # that hold a full-width character pay for it (most hold none).
    translated = f"translate({x}, {_lit(nz.HALFWIDTH_FROM)}, {_lit(nz.HALFWIDTH_TO)})"
    return f"(CASE WHEN regexp_matches({x}, {_lit(_FULLWIDTH_ANY)}) THEN {translated} ELSE {x} END)"


def _trim(x: str) -> str:
    return f"trim(regexp_replace({x}, {_lit(nz.WS_RUN)}, ' ', 'g'))"


def _nospace(x: str) -> str:
    return f"regexp_replace({x}, {_lit(nz.WS_RUN)}, '', 'g')"


def _upper(x: str) -> str:
    # Guarded like _halfwidth: translate() is paid only by values holding a letter to change.
    changed = f"translate({x}, '{_ASCII_LOWER}', '{_ASCII_UPPER}')"
    return f"(CASE WHEN regexp_matches({x}, '[a-z]') THEN {changed} ELSE {x} END)"


def _lower(x: str) -> str:
    changed = f"translate({x}, '{_ASCII_UPPER}', '{_ASCII_LOWER}')"
    return f"(CASE WHEN regexp_matches({x}, '[A-Z]') THEN {changed} ELSE {x} END)"


@functools.cache
def traditional_chars() -> str:
    """Every CJK character OpenCC's t2s changes on its own: values without one skip the Python call."""
    blocks = ((0x3400, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2FA20))  # CJK, compatibility, extensions B-F
    chars = [chr(c) for lo, hi in blocks for c in range(lo, hi)]
    converted = nz.simplified("\n".join(chars)).split("\n")  # one per line: no phrase spans two characters
    if len(converted) != len(chars):  # a dictionary that rewrites lines: check every value
        return "".join(chars)
    return "".join(a for a, b in zip(chars, converted, strict=True) if a != b)


def _simplified(x: str) -> str:
    return f"(CASE WHEN regexp_matches({x}, {_lit('[' + traditional_chars() + ']')}) THEN dg_simplified({x}) " \
           f"ELSE {x} END)"


def _digits_only(x: str) -> str:
    return f"regexp_replace({x}, '[^0-9]', '', 'g')"


def _phone(x: str) -> str:
    return f"regexp_replace(regexp_replace({x}, {_lit(nz.PHONE_DROP)}, '', 'g'), {_lit(nz.PHONE_PREFIX)}, '')"


def _gender(x: str) -> str:
    key = _lower(x)
    male = ", ".join(_lit(v) for v in nz.GENDER_MALE)
    female = ", ".join(_lit(v) for v in nz.GENDER_FEMALE)
    return f"(CASE WHEN {key} IN ({male}) THEN '男' WHEN {key} IN ({female}) THEN '女' ELSE NULL END)"


def _date(x: str) -> str:
    whens = [
        f"WHEN regexp_full_match({x}, {_lit(form)}) THEN CAST(try_cast("
        f"regexp_replace({x}, {_lit(anchored(form))}, '\\1-\\2-\\3') AS DATE) AS VARCHAR)"
        for form in nz.DATE_FORMS
    ]
    serial = f"try_cast(regexp_extract({x}, '^([0-9]{{1,5}})', 1) AS INTEGER)"
    whens.append(
        f"WHEN regexp_full_match({x}, {_lit(nz.DATE_SERIAL)}) THEN (CASE WHEN {serial} BETWEEN 1 AND {nz.EXCEL_MAX} "
        f"THEN CAST(DATE '{nz.EXCEL_EPOCH.isoformat()}' + {serial} AS VARCHAR) END)"
    )
    return "(CASE " + " ".join(whens) + " ELSE NULL END)"


def _amount(x: str) -> str:
    c = _nospace(_halfwidth(x))
    # One rewrite gives "<sign><digits>.<fraction>0" (RE2 back-references are single digits, so \\30 is group 3
    # then "0"); a full match holds at most one of 万/亿; a DECIMAL(38,10) always prints ten decimals to trim.
    digits = f"replace(regexp_replace({c}, {_lit(anchored(nz.AMOUNT))}, '\\1\\2.\\30'), ',', '')"
    scale = f"(CASE WHEN contains({c}, '万') THEN 10000 WHEN contains({c}, '亿') THEN 100000000 ELSE 1 END)"
    text = f"rtrim(rtrim(CAST(CAST({digits} AS DECIMAL(38,10)) * {scale} AS VARCHAR), '0'), '.')"
    return f"(CASE WHEN regexp_full_match({c}, {_lit(nz.AMOUNT)}) THEN {text} ELSE NULL END)"


SQL_STEPS: dict[str, Callable[[str], str]] = {
    "halfwidth": _halfwidth,
    "trim": _trim,
    "nospace": _nospace,
    "upper": _upper,
    "lower": _lower,
    "simplified": _simplified,
    "digits_only": _digits_only,
    "phone": _phone,
    "gender": _gender,
    "date": _date,
    "amount": _amount,
}


def normalize_sql(steps: Sequence[str], col: str) -> str:
    """A VARCHAR expression giving ``normalize.normalize(steps, value)`` for each value of ``col``; NULL where
    the value is NULL, empty, emptied by a step, or fails a step (see ``normalize_error_sql``)."""
    nz.check_steps(steps)
    expr = f"nullif(CAST({col} AS VARCHAR), '')"
    for step in steps:
        expr = f"nullif({SQL_STEPS[step](expr)}, '')"
    return expr


def normalize_error_sql(steps: Sequence[str], col_raw: str, col_normalized: str) -> str:
    """A VARCHAR expression: NULL when the value normalised (or was empty), else the reason key of the first
    step that failed (``date_format``, ``amount_format``, ``gender_value``). ``col_normalized`` must hold
    ``normalize_sql(steps, col_raw)``; it short-cuts the common case."""
    nz.check_steps(steps)
    whens = []
    for i, step in enumerate(steps):
        reason = nz.FAILURE_REASONS.get(step)
        if reason is None:
            continue
        before, after = normalize_sql(steps[:i], col_raw), normalize_sql(steps[: i + 1], col_raw)
        whens.append(f"WHEN {before} IS NOT NULL AND {after} IS NULL THEN {_lit(reason)}")
    if not whens:
        return "CAST(NULL AS VARCHAR)"
    return f"(CASE WHEN {col_normalized} IS NOT NULL THEN NULL " + " ".join(whens) + " ELSE NULL END)"


def validate_sql(validator: str, col: str) -> str:
    """A VARCHAR expression: NULL for NULL or valid values, ``'format'`` when the value does not match the
    validator's pattern, else ``dg_check(validator, col)`` (the checksum and the other checks in Python, run
    only on pattern hits). Needs ``register(con)``."""
    checks, patterns = _validators()
    if validator not in checks:
        raise ValueError(f"unknown validator {validator!r}")
    from .sqlchecks import FAST

    if validator in FAST:  # computed in SQL, vectorised (see sqlchecks)
        return FAST[validator](col)
    call = f"dg_check({_lit(validator)}, {col})"
    pattern = patterns.get(validator)
    if pattern is None:
        return f"(CASE WHEN {col} IS NULL THEN NULL ELSE {call} END)"
    return (f"(CASE WHEN {col} IS NULL THEN NULL WHEN NOT regexp_full_match({col}, {_lit(pattern)}) "
            f"THEN 'format' ELSE {call} END)")


def element_sql(element_id: str, col: str) -> tuple[str, str, str | None]:
    """For a data element: (normalised expression, normalisation-error expression, validation expression over
    the normalised value or None when the element has no validator)."""
    from .registry import element

    el = element(element_id)
    normalized = normalize_sql(el.normalizer, col)
    error = normalize_error_sql(el.normalizer, col, normalized)
    check = validate_sql(el.validator, normalized) if el.validator else None
    return normalized, error, check
