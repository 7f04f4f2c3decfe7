"""Noise as departments really have it, applied at controlled rates and reported back for the truth.

Each row gets at most one of the row-level kinds (drawn with one random number, so clean rows cost one
call), plus, independently, a lowercase ``x`` when its citizen ID ends in ``X``. A dataset's rates are the
base rates of :data:`RATES` times the dataset's quality scale (public security is cleaner than a village).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from opencc import OpenCC

from digigov.demo.govdata.reference import EXCEL_EPOCH, vocab

TYPO = "typo"  # a look-alike or sound-alike character (王->汪, 路->陆)
SWAP = "swap"  # two adjacent characters swapped
TRADITIONAL = "traditional"  # traditional forms (張, 陳, 區, 縣, 號)
FULLWIDTH = "fullwidth"  # full-width digits in an ID, a USCC or a phone (３３０１…)
MISSING = "missing"  # an empty cell where the department has the value
INVALID_CHECKSUM = "invalid_checksum"  # an ID or USCC with a wrong check character or a mistyped digit
LOWERCASE_X = "lowercase_x"  # a citizen ID ending in x instead of X
WHITESPACE = "whitespace"  # leading or trailing spaces
DATE_FORMAT = "date_format"  # a date written in another format than the file's own
DUPLICATE = "duplicate"  # the row appears twice

# Base rate of each kind, per row (LOWERCASE_X: per row whose citizen ID ends in X).
RATES: dict[str, float] = {
    TYPO: 0.010,
    SWAP: 0.003,
    TRADITIONAL: 0.005,
    FULLWIDTH: 0.005,
    MISSING: 0.010,
    INVALID_CHECKSUM: 0.005,
    WHITESPACE: 0.010,
    DATE_FORMAT: 0.005,
    DUPLICATE: 0.003,
    LOWERCASE_X: 0.25,
}
ROW_KINDS = (TYPO, SWAP, TRADITIONAL, FULLWIDTH, MISSING, INVALID_CHECKSUM, WHITESPACE, DATE_FORMAT, DUPLICATE)

DATE_FORMATS = ("iso", "slash", "cn", "compact", "dot")
_FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Roles:
    """Which headers each kind of noise may touch."""

    names: tuple[str, ...] = ()  # person and enterprise names: typo, swap, traditional
    addresses: tuple[str, ...] = ()  # addresses and place names: typo, swap, traditional
    citizen_ids: tuple[str, ...] = ()  # fullwidth, invalid_checksum, lowercase_x
    usccs: tuple[str, ...] = ()  # fullwidth, invalid_checksum
    phones: tuple[str, ...] = ()  # fullwidth
    optional: tuple[str, ...] = ()  # missing
    spaces: tuple[str, ...] = ()  # whitespace
    dates: dict[str, str] = field(default_factory=dict)  # header -> format of the file (or excel/serial)


def format_date(day: dt.date, fmt: str) -> str:
    if fmt == "iso":
        return day.isoformat()
    if fmt == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if fmt == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    if fmt == "compact":
        return f"{day:%Y%m%d}"
    if fmt == "dot":
        return f"{day.year}.{day.month}.{day.day}"
    raise ValueError(fmt)


def parse_date(value: Any, fmt: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if fmt == "serial":
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if fmt == "compact":
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    parts = [int(p) for p in re.split(r"[-/.年月日]", value) if p]
    return dt.date(parts[0], parts[1], parts[2])


class Noiser:
    """Applies noise to the rows of one dataset; returns the kinds and the headers touched."""

    def __init__(self, headers: tuple[str, ...], roles: Roles, scale: float, rng: random.Random,
                 encoding: str | None = None) -> None:
        self.rng = rng
        self.encoding = encoding if encoding in ("gbk", "gb18030") else None  # noise must stay encodable
        col = {h: i for i, h in enumerate(headers)}
        self.text = [col[h] for h in roles.names + roles.addresses]
        self.codes = [col[h] for h in roles.citizen_ids + roles.usccs + roles.phones]
        self.checked = [col[h] for h in roles.citizen_ids + roles.usccs]
        self.uscc_cols = {col[h] for h in roles.usccs}
        self.cid_cols = [col[h] for h in roles.citizen_ids]
        self.optional = [col[h] for h in roles.optional]
        self.spaces = [col[h] for h in roles.spaces]
        self.dates = [(col[h], fmt) for h, fmt in roles.dates.items()]
        self.headers = headers
        applicable = {
            TYPO: bool(self.text), SWAP: bool(self.text), TRADITIONAL: bool(self.text), FULLWIDTH: bool(self.codes),
            MISSING: bool(self.optional), INVALID_CHECKSUM: bool(self.checked), WHITESPACE: bool(self.spaces),
            DATE_FORMAT: bool(self.dates), DUPLICATE: True,
        }
        self.rates = {k: RATES[k] * scale for k in ROW_KINDS if applicable[k]}
        self.lowercase_rate = RATES[LOWERCASE_X] * scale if self.cid_cols else 0.0
        self.thresholds: list[tuple[float, str]] = []
        total = 0.0
        for kind, rate in self.rates.items():
            total += rate
            self.thresholds.append((total, kind))
        self.total = total
        self.similar: dict[str, str] = vocab()["similar"]
        self.to_traditional = OpenCC("s2t")

    def apply(self, row: list[Any]) -> tuple[list[str], list[str]]:
        """Change ``row`` in place; the noise kinds applied and the header each touched (DUPLICATE: "")."""
        kinds: list[str] = []
        fields: list[str] = []
        u = self.rng.random()
        if u < self.total:
            kind = next(k for threshold, k in self.thresholds if u < threshold)
            column = self._apply(kind, row)
            if column is not None:
                kinds.append(kind)
                fields.append(self.headers[column] if column >= 0 else "")
        for c in self.cid_cols:
            value = row[c]
            if isinstance(value, str) and value.endswith("X") and self.rng.random() < self.lowercase_rate:
                row[c] = value[:-1] + "x"
                kinds.append(LOWERCASE_X)
                fields.append(self.headers[c])
        return kinds, fields

    # ------------------------------------------------------------------ kinds

    def _apply(self, kind: str, row: list[Any]) -> int | None:
        rng = self.rng
        if kind == DUPLICATE:
            return -1
        if kind == DATE_FORMAT:
            dates = [(c, fmt) for c, fmt in self.dates if row[c] not in (None, "")]
            if not dates:
                return None
            c, fmt = rng.choice(dates)
            row[c] = format_date(parse_date(row[c], fmt), rng.choice([f for f in DATE_FORMATS if f != fmt]))
            return c
        if kind == MISSING:
            filled = [c for c in self.optional if row[c] not in (None, "")]
            if not filled:
                return None
            c = rng.choice(filled)
            row[c] = "" if isinstance(row[c], str) else None
            return c
        columns = {FULLWIDTH: self.codes, INVALID_CHECKSUM: self.checked, WHITESPACE: self.spaces}.get(kind, self.text)
        filled = [c for c in columns if isinstance(row[c], str) and row[c]]
        rng.shuffle(filled)
        for c in filled:  # the first column the kind can change (a name may have no traditional form)
            new = self._change(kind, row[c], c in self.uscc_cols)
            if new != row[c] and self._encodable(new):
                row[c] = new
                return c
        return None

    def _encodable(self, value: str) -> bool:
        if self.encoding is None:
            return True
        try:
            value.encode(self.encoding)
        except UnicodeEncodeError:
            return False
        return True

    def _change(self, kind: str, value: str, is_uscc: bool) -> str:
        if kind == TYPO:
            return self._typo(value)
        if kind == SWAP:
            return self._swap(value)
        if kind == TRADITIONAL:
            return str(self.to_traditional.convert(value))
        if kind == FULLWIDTH:
            return value.translate(_FULL)
        if kind == INVALID_CHECKSUM:
            return self._break_check(value, is_uscc)
        pad = self.rng.choice((" ", "  ", "\u3000"))  # WHITESPACE
        return self.rng.choice((pad + value, value + pad, pad + value + " "))

    def _typo(self, value: str) -> str:
        positions = [i for i, ch in enumerate(value) if ch in self.similar]
        if not positions:
            return value
        i = self.rng.choice(positions)
        return value[:i] + self.rng.choice(self.similar[value[i]]) + value[i + 1 :]

    def _swap(self, value: str) -> str:
        positions = [i for i in range(len(value) - 1) if value[i] != value[i + 1]]
        if not positions:
            return value
        i = self.rng.choice(positions)
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]

    def _break_check(self, value: str, is_uscc: bool) -> str:
        """A wrong check character, or one mistyped digit in the body (which always breaks the check)."""
        rng = self.rng
        alphabet = _USCC_ALPHABET if is_uscc else "0123456789X"
        if rng.random() < 0.5:
            return value[:-1] + rng.choice([ch for ch in alphabet if ch != value[-1]])
        digits = [i for i in range(len(value) - 1) if value[i].isdigit()]
        i = rng.choice(digits)
        return value[:i] + rng.choice([d for d in "0123456789" if d != value[i]]) + value[i + 1 :]
