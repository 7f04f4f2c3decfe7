"""Value normalisers: named cleaning steps a data element (数据元) applies, in order, to each raw value before
it is validated (全角转半角, 去空格, 繁转简, dates to ISO, amounts to 元, gender codes to 男/女).

Each step is a plain function ``str -> str``; a step that cannot make sense of a value raises
``NormalizeError(step, reason)``. ``sqlfuncs.normalize_sql`` implements the same steps in DuckDB SQL, and the
patterns below are shared by both (they are written for both Python ``re`` and RE2: ASCII classes only, no
back-references, no look-around), so the two paths give the same answers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII; the ideographic space and the no-break space -> a space.
HALFWIDTH_FROM = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000\u00a0"
HALFWIDTH_TO = "".join(chr(c) for c in range(0x21, 0x7F)) + "  "
_HALFWIDTH = str.maketrans(HALFWIDTH_FROM, HALFWIDTH_TO)
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_UPPER = _ASCII_LOWER.upper()
_TO_UPPER = str.maketrans(_ASCII_LOWER, _ASCII_UPPER)
_TO_LOWER = str.maketrans(_ASCII_UPPER, _ASCII_LOWER)

#: Whitespace as the steps see it: ASCII whitespace, the ideographic space and the no-break space.
WS_CLASS = " \\t\\n\\r\\f\\v\u3000\u00a0"
WS_RUN = f"[{WS_CLASS}]+"
#: Characters a phone number may carry around its digits.
PHONE_DROP = f"[{WS_CLASS}()（）-]"
PHONE_PREFIX = r"^(\+86|0086)"

_TIME = r"(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?"
#: Date forms, each with groups (year, month, day): 2021-08-05 / 2021/8/5 / 2021.8.5 (+ time), 2021年8月5日,
#: 20210805. Years 1000..2999.
DATE_FORMS: tuple[str, ...] = (
    r"([12][0-9]{3})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})" + _TIME,
    r"([12][0-9]{3})年([0-9]{1,2})月([0-9]{1,2})日",
    r"([12][0-9]{3})([0-9]{2})([0-9]{2})",
)
#: An Excel serial day number (1..80000 days after 1899-12-30), with an optional fraction (time of day).
DATE_SERIAL = r"([0-9]{1,5})(?:\.[0-9]+)?"
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_MAX = 80000
#: An amount after full-width folding and whitespace removal: sign, currency sign, digits (optionally grouped
#: by thousands, at most 15), up to 6 decimals, 万 or 亿, 元. Groups: sign, integer part, fraction, multiplier.
AMOUNT = r"([-+]?)[¥￥]?([0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})(?:\.([0-9]{1,6}))?(万|亿)?元?"
AMOUNT_MULTIPLIERS = {"": 1, "万": 10_000, "亿": 100_000_000}

GENDER_MALE: tuple[str, ...] = ("男", "男性", "1", "m", "male")
GENDER_FEMALE: tuple[str, ...] = ("女", "女性", "2", "f", "female")

#: Steps that can fail, with the reason key they fail with.
FAILURE_REASONS: dict[str, str] = {"gender": "gender_value", "date": "date_format", "amount": "amount_format"}


class NormalizeError(ValueError):
    """A value that a normaliser step cannot turn into the standard form; ``reason`` is a short stable key."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


def halfwidth(value: str) -> str:
    """Full-width ASCII (Ａ１，（）) and the ideographic space to half-width; CJK punctuation (。、「」) is kept,
    which is why this is not NFKC."""
    return value.translate(_HALFWIDTH)


def trim(value: str) -> str:
    """Strip the ends and collapse every inner run of whitespace into one space."""
    return re.sub(WS_RUN, " ", value).strip(" ")


def nospace(value: str) -> str:
    """Remove all whitespace."""
    return re.sub(WS_RUN, "", value)


def upper(value: str) -> str:
    """Upper-case ASCII letters only (so that the Python and SQL paths agree on every other character)."""
    return value.translate(_TO_UPPER)


def lower(value: str) -> str:
    """Lower-case ASCII letters only."""
    return value.translate(_TO_LOWER)


@cache
def _opencc() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(value: str) -> str:
    """Traditional Chinese to simplified (OpenCC ``t2s``)."""
    return str(_opencc().convert(value))


def digits_only(value: str) -> str:
    """Keep ASCII digits only."""
    return re.sub(r"[^0-9]", "", value)


def phone(value: str) -> str:
    """Remove spaces, dashes and parentheses, then a leading +86 or 0086."""
    return re.sub(PHONE_PREFIX, "", re.sub(PHONE_DROP, "", value), count=1)


def gender(value: str) -> str:
    """男/女 from 男, 女, 1, 2, M, F, male, female, 男性, 女性 (ASCII case ignored)."""
    key = lower(value)
    if key in GENDER_MALE:
        return "男"
    if key in GENDER_FEMALE:
        return "女"
    raise NormalizeError("gender", "gender_value")


def iso_date(value: str) -> str:
    """``YYYY-MM-DD`` from the forms in ``DATE_FORMS`` or an Excel serial day number; an impossible day
    (2021-02-30) or any other text fails with ``date_format``."""
    for form in DATE_FORMS:
        m = re.fullmatch(form, value)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                raise NormalizeError("date", "date_format") from None
    m = re.fullmatch(DATE_SERIAL, value)
    if m and 1 <= int(m[1]) <= EXCEL_MAX:
        return (EXCEL_EPOCH + dt.timedelta(days=int(m[1]))).isoformat()
    raise NormalizeError("date", "date_format")


def decimal_text(number: Decimal) -> str:
    """A decimal as plain text without exponent or trailing fractional zeros (``-0`` is ``0``)."""
    if number == 0:
        return "0"
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def amount(value: str) -> str:
    """An amount in 元 as a decimal string: ``1,234.50`` -> ``1234.5``, ``12.5万元`` -> ``125000``,
    ``￥1,234`` -> ``1234``; full-width digits and spaces allowed; anything else fails with ``amount_format``."""
    m = re.fullmatch(AMOUNT, nospace(halfwidth(value)))
    if not m:
        raise NormalizeError("amount", "amount_format")
    sign, whole, fraction, unit = m[1], m[2].replace(",", ""), m[3] or "0", m[4] or ""
    return decimal_text(Decimal(f"{sign}{whole}.{fraction}") * AMOUNT_MULTIPLIERS[unit])


#: Step name -> function, in the order the names are documented.
STEPS: dict[str, Callable[[str], str]] = {
    "halfwidth": halfwidth,
    "trim": trim,
    "nospace": nospace,
    "upper": upper,
    "lower": lower,
    "simplified": simplified,
    "digits_only": digits_only,
    "phone": phone,
    "gender": gender,
    "date": iso_date,
    "amount": amount,
}


def check_steps(steps: Sequence[str]) -> None:
    """ValueError naming the first unknown step."""
    for step in steps:
        if step not in STEPS:
            raise ValueError(f"unknown normaliser step {step!r}; known: {', '.join(STEPS)}")


def normalize(steps: Sequence[str], value: str | None) -> str | None:
    """Apply ``steps`` in order. None or an empty string (also one that a step leaves empty) gives None;
    a step that cannot read the value raises ``NormalizeError``."""
    check_steps(steps)
    if not value:
        return None
    for step in steps:
        value = STEPS[step](value)
        if not value:
            return None
    return value
