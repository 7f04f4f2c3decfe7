"""Vectorised SQL twins of the hot validators, so a million IDs are checked inside DuckDB, not one by one
in Python.

Each function here takes the SQL of a NORMALISED value (the element's normaliser steps applied) and gives
an expression that is NULL when the value is valid, else the same reason key the Python validator in
`validators` returns. The arithmetic is the standards' own (GB 11643 ISO 7064 MOD 11-2 for the citizen ID,
GB 32100 MOD 31 for the USCC, Luhn for bank cards); the mobile ranges are read from phonenumbers' metadata
once, and only prefixes whose validity depends on later digits fall back to the library per value. A
property test holds every twin to its Python validator.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import phonenumbers

from digigov.platform.standards import validators

RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"  # check character by weighted sum mod 11
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pattern(key: str, col: str) -> str:
    return f"regexp_full_match({col}, {_lit(validators.PATTERNS[key])})"


def _fast_or_library(key: str, col: str, shape: str, fast: str) -> str:
    """`fast` (SQL) for values already in their plain shape (the normalisers produce it), the library's
    validator through the UDF for anything else (separators, lower case, odd characters): exact either way."""
    return (f"(CASE WHEN {col} IS NULL THEN NULL WHEN regexp_full_match({col}, {_lit(shape)}) THEN {fast} "
            f"ELSE dg_check({_lit(key)}, {col}) END)")


def citizen_id(col: str) -> str:
    digits = " + ".join(f"{w} * CAST(substr({col}, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(RIC_WEIGHTS))
    birth = f"substr({col}, 7, 8)"
    fast = (f"(CASE WHEN NOT {_pattern('citizen_id', col)} THEN 'format' "
            f"WHEN try_strptime({birth}, '%Y%m%d') IS NULL OR {birth} > strftime(current_date, '%Y%m%d') "
            f"OR {birth} < '18900101' THEN 'birth_date' "
            f"WHEN substr({_lit(RIC_CHECK)}, (({digits}) % 11) + 1, 1) <> substr({col}, 18, 1) "
            f"THEN 'checksum' END)")
    return _fast_or_library("citizen_id", col, "[0-9]{17}[0-9X]", fast)


def uscc(col: str) -> str:
    total = " + ".join(f"{w} * (instr({_lit(USCC_ALPHABET)}, substr({col}, {i + 1}, 1)) - 1)"
                       for i, w in enumerate(USCC_WEIGHTS))
    fast = (f"(CASE WHEN NOT {_pattern('uscc', col)} THEN 'format' "
            f"WHEN substr({_lit(USCC_ALPHABET)}, ((31 - (({total}) % 31)) % 31) + 1, 1) <> substr({col}, 18, 1) "
            f"THEN 'checksum' END)")
    return _fast_or_library("uscc", col, "[0-9A-Z]{18}", fast)


def bank_card(col: str) -> str:
    luhn = (f"list_sum(list_transform(string_split(reverse({col}), ''), lambda ch, i: CASE WHEN i % 2 = 0 "
            f"THEN (CAST(ch AS INTEGER) * 2) % 10 + (CAST(ch AS INTEGER) * 2) // 10 ELSE CAST(ch AS INTEGER) END))")
    fast = (f"(CASE WHEN NOT {_pattern('bank_card', col)} THEN 'format' "
            f"WHEN {luhn} % 10 <> 0 THEN 'checksum' END)")
    return _fast_or_library("bank_card", col, "[0-9]{16,19}", fast)


@cache
def mobile_prefixes() -> tuple[frozenset[str], frozenset[str]]:
    """(4-digit prefixes that are mobile whatever follows, prefixes whose answer depends on later digits),
    read from phonenumbers' metadata by asking it about sample numbers of every prefix 1300-1999."""
    ok = phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    always: set[str] = set()
    depends: set[str] = set()
    for prefix in range(1300, 2000):
        answers = {phonenumbers.number_type(phonenumbers.PhoneNumber(country_code=86, national_number=int(
            f"{prefix}{tail}"))) in ok for tail in ("0000000", "1234567", "5000000", "7654321", "9999999")}
        if answers == {True}:
            always.add(str(prefix))
        elif answers == {True, False}:
            depends.add(str(prefix))
    return frozenset(always), frozenset(depends)


def prefix_regex(prefixes: frozenset[str]) -> str:
    """A regex matching the start of any of the 4-digit `prefixes`; whole 3-digit blocks written once."""
    blocks: list[str] = []
    for head in sorted({p[:3] for p in prefixes}):
        tails = sorted(p[3] for p in prefixes if p[:3] == head)
        blocks.append(head if len(tails) == 10 else f"{head}[{''.join(tails)}]")
    return "(" + "|".join(blocks) + ")[0-9]*" if blocks else "(?!)"


def mobile(col: str) -> str:
    always, depends = mobile_prefixes()
    fast = (f"(CASE WHEN NOT {_pattern('mobile', col)} THEN 'format' "
            f"WHEN regexp_full_match({col}, {_lit(prefix_regex(always))}) THEN NULL "
            f"WHEN regexp_full_match({col}, {_lit(prefix_regex(depends))}) THEN dg_check('mobile', {col}) "
            f"ELSE 'range' END)")
    return _fast_or_library("mobile", col, "[0-9]{11}", fast)


def date(col: str) -> str:
    """Normalised dates are ISO text: a real calendar day in 1870-2100."""
    iso = f"try_strptime({col}, '%Y-%m-%d')"
    fast = (f"(CASE WHEN NOT {_pattern('date', col)} THEN 'format' "
            f"WHEN {iso} IS NULL THEN 'calendar' WHEN year({iso}) NOT BETWEEN 1870 AND 2100 THEN 'range' END)")
    return _fast_or_library("date", col, "[0-9]{4}-[0-9]{2}-[0-9]{2}", fast)


def person_name(col: str) -> str:
    """Shape only over whole columns: an unknown surname is evidence for the classifier, not a reason to
    refuse a row (there are thousands of surnames and the table holds the common ones)."""
    return (f"(CASE WHEN {col} IS NULL THEN NULL WHEN length({col}) > 15 OR NOT {_pattern('person_name', col)} "
            f"THEN 'format' END)")


def address(col: str) -> str:
    """Shape only over whole columns (parsing every address with cpca costs ~0.2 ms each; the classifier and the
    quality rules parse samples)."""
    return (f"(CASE WHEN {col} IS NULL THEN NULL WHEN length({col}) < 4 OR NOT {_pattern('address', col)} "
            f"THEN 'format' END)")


# Exact twins of the Python validators (the property test holds them to it).
EXACT: dict[str, Callable[[str], str]] = {
    "citizen_id": citizen_id,
    "uscc": uscc,
    "bank_card": bank_card,
    "mobile": mobile,
    "date": date,
}
# Checks looser than the Python validator, on purpose, for whole columns (see each docstring).
SHAPE_ONLY: dict[str, Callable[[str], str]] = {"person_name": person_name, "address": address}
FAST: dict[str, Callable[[str], str]] = {**EXACT, **SHAPE_ONLY}
