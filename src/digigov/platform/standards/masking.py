"""Masking rules (脱敏规则): each rule exists twice, as a Python function over one value and as a DuckDB SQL
expression over a column, and the two give the same text for the same input.

The warehouse serves masked data by wrapping each column in ``RULES[rule].sql(col)``, so the clear value never
leaves the warehouse. Every rule maps NULL to NULL and the empty string to the empty string; a value too short to
keep anything of is starred out whole. ``pseudonym`` needs a key (Python) or a key expression plus the
``dg_hmac`` function of ``sqlfuncs.register`` (SQL).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

REDACTED = "******"


def sql_literal(text: str) -> str:
    """A DuckDB string literal (single quotes doubled; backslashes are literal in DuckDB strings)."""
    return "'" + text.replace("'", "''") + "'"


def anchored(pattern: str) -> str:
    """``pattern`` anchored at both ends, for ``regexp_extract``/``regexp_replace`` over a full match."""
    return f"^(?:{pattern})$"


@cache
def compound_surnames() -> tuple[str, ...]:
    """The two-character surnames (欧阳, 司马, …) of ``data/surnames.csv``."""
    text = resources.files("digigov.platform.standards").joinpath("data", "surnames.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(sorted({row["surname"] for row in rows if len(row["surname"]) == 2}))


@dataclass(frozen=True)
class MaskRule:
    """One masking rule: ``python(value)`` masks a value, ``sql(col)`` is the same rule as a SQL expression."""

    id: str
    name: str
    name_en: str
    example: tuple[str, str]
    _python: Callable[[str, str | None], str]
    _sql: Callable[[str, str | None], str]
    needs_key: bool = False

    def python(self, value: object, key: str | None = None) -> str | None:
        """The masked value; None stays None, the empty string stays empty; non-text values are masked as text."""
        if value is None:
            return None
        text = value if isinstance(value, str) else str(value)
        if text == "":
            return ""
        if self.needs_key and key is None:
            raise ValueError(f"masking rule {self.id} needs a key")
        return self._python(text, key)

    def sql(self, col: str, key_sql: str | None = None) -> str:
        """A DuckDB expression masking ``col`` (an already-quoted column or any expression)."""
        if self.needs_key and key_sql is None:
            raise ValueError(f"masking rule {self.id} needs a key expression")
        x = f"CAST({col} AS VARCHAR)"
        return f"(CASE WHEN {x} IS NULL THEN NULL WHEN {x} = '' THEN '' ELSE {self._sql(x, key_sql)} END)"


def _keep(first: int, last: int) -> tuple[Callable[[str, str | None], str], Callable[[str, str | None], str]]:
    """Keep ``first`` leading and ``last`` trailing characters, one star per hidden character; star the whole
    value when it is not longer than ``first + last``."""

    def py(s: str, _key: str | None) -> str:
        n = len(s)
        if n <= first + last:
            return "*" * n
        return s[:first] + "*" * (n - first - last) + (s[n - last:] if last else "")

    def sql(x: str, _key: str | None) -> str:
        head = f"left({x}, {first}) || " if first else ""
        tail = f" || right({x}, {last})" if last else ""
        return (f"CASE WHEN length({x}) <= {first + last} THEN repeat('*', length({x})) "
                f"ELSE {head}repeat('*', length({x}) - {first + last}){tail} END")

    return py, sql


def _surname_py(s: str, _key: str | None) -> str:
    keep = 2 if len(s) >= 3 and s[:2] in compound_surnames() else 1
    return s[:keep] + "*" * (len(s) - keep)


def _surname_sql(x: str, _key: str | None) -> str:
    compounds = ", ".join(sql_literal(c) for c in compound_surnames())
    return (f"CASE WHEN length({x}) >= 3 AND left({x}, 2) IN ({compounds}) "
            f"THEN left({x}, 2) || repeat('*', length({x}) - 2) "
            f"ELSE left({x}, 1) || repeat('*', length({x}) - 1) END")


#: Optional province, optional city, then the first county-level unit (区/县/市) within 9 characters. A 区 after
#: 小/社/园/景/校/厂 is a residential compound, community, park, scenic area, campus or works, not a district,
#: so it does not end the match (else "杭州市某某小区" would keep the compound's name).
DISTRICT = r"(?:.{2,8}?省)?(?:.{2,8}?市)?.{0,7}?(?:[^小社园景校厂]区|.[县市])"


def _district_py(s: str, _key: str | None) -> str:
    m = re.match(DISTRICT, s)
    if m:
        return m[0]
    return s[: 6 if len(s) > 6 else len(s) // 2] + "***"


def _district_sql(x: str, _key: str | None) -> str:
    pat = sql_literal("^" + DISTRICT)
    return (f"CASE WHEN regexp_matches({x}, {pat}) THEN regexp_extract({x}, {pat}, 0) "
            f"ELSE left({x}, CASE WHEN length({x}) > 6 THEN 6 ELSE length({x}) // 2 END) || '***' END")


def _email_py(s: str, _key: str | None) -> str:
    at = s.find("@")
    return s[0] + "***" + s[at:] if at > 0 else REDACTED


def _email_sql(x: str, _key: str | None) -> str:
    return (f"CASE WHEN strpos({x}, '@') > 1 THEN left({x}, 1) || '***' || substr({x}, strpos({x}, '@')) "
            f"ELSE '{REDACTED}' END")


IPV4 = r"([0-9]{1,3})\.([0-9]{1,3})\.[0-9]{1,3}\.[0-9]{1,3}"


def _ip_py(s: str, _key: str | None) -> str:
    m = re.fullmatch(IPV4, s)
    if m:
        return f"{m[1]}.{m[2]}.*.*"
    if s.count(":") >= 2:
        parts = s.split(":")
        return f"{parts[0]}:{parts[1]}:*"
    return REDACTED


def _ip_sql(x: str, _key: str | None) -> str:
    return (f"CASE WHEN regexp_full_match({x}, {sql_literal(IPV4)}) "
            f"THEN regexp_replace({x}, {sql_literal(anchored(IPV4))}, '\\1.\\2.*.*') "
            f"WHEN length({x}) - length(replace({x}, ':', '')) >= 2 "
            f"THEN split_part({x}, ':', 1) || ':' || split_part({x}, ':', 2) || ':*' ELSE '{REDACTED}' END")


#: A Chinese landline: area code (010, 02x or a four-digit 0xxx, optionally in parentheses), then the number.
LANDLINE = r"\(?(010|02[0-9]|0[3-9][0-9]{2})\)?[- ]?(.+)"


def _area_py(s: str, _key: str | None) -> str:
    m = re.fullmatch(LANDLINE, s)
    return f"{m[1]}-" + "*" * len(m[2]) if m else REDACTED


def _area_sql(x: str, _key: str | None) -> str:
    pat = sql_literal(anchored(LANDLINE))
    return (f"CASE WHEN regexp_full_match({x}, {sql_literal(LANDLINE)}) "
            f"THEN regexp_extract({x}, {pat}, 1) || '-' || repeat('*', length(regexp_extract({x}, {pat}, 2))) "
            f"ELSE '{REDACTED}' END")


def _year_py(s: str, _key: str | None) -> str:
    m = re.match(r"[0-9]{4}", s)
    return m[0] if m else REDACTED


def _year_sql(x: str, _key: str | None) -> str:
    return f"CASE WHEN regexp_matches({x}, '^[0-9]{{4}}') THEN left({x}, 4) ELSE '{REDACTED}' END"


_NUM = r"-?[0-9]{1,3}(?:\.[0-9]+)?"
#: One decimal degree value, or a "lng,lat" pair (ASCII or full-width comma, optional spaces around it).
COORDS = f"({_NUM})(?: ?[,，] ?({_NUM}))?"


def _round2(part: str) -> str:
    # Round to 8 places first, as the SQL path's DECIMAL(18,8) cast does, then to 2 (half away from zero).
    value = Decimal(part).quantize(Decimal("1e-8"), ROUND_HALF_UP).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return str(abs(value) if value == 0 else value)


def _coords_py(s: str, _key: str | None) -> str:
    m = re.fullmatch(COORDS, s)
    if not m:
        return REDACTED
    return _round2(m[1]) + ("," + _round2(m[2]) if m[2] else "")


def _coords_sql(x: str, _key: str | None) -> str:
    pat = sql_literal(anchored(COORDS))

    def r(group: int) -> str:
        part = f"regexp_extract({x}, {pat}, {group})"
        return f"CAST(CAST(round(CAST({part} AS DECIMAL(18,8)), 2) AS DECIMAL(18,2)) AS VARCHAR)"

    return (f"CASE WHEN regexp_full_match({x}, {sql_literal(COORDS)}) THEN {r(1)} || "
            f"CASE WHEN regexp_extract({x}, {pat}, 2) <> '' THEN ',' || {r(2)} ELSE '' END ELSE '{REDACTED}' END")


def hmac_hex(key: str, value: str) -> str:
    """Hex HMAC-SHA256 of ``value`` under ``key`` (the keyed pseudonym; ``dg_hmac`` in SQL)."""
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def _pseudonym_py(s: str, key: str | None) -> str:
    assert key is not None
    return hmac_hex(key, s)


def _pseudonym_sql(x: str, key_sql: str | None) -> str:
    return f"dg_hmac({key_sql}, {x})"


def _rule(rule_id: str, name: str, name_en: str, example: tuple[str, str],
          fns: tuple[Callable[[str, str | None], str], Callable[[str, str | None], str]],
          needs_key: bool = False) -> MaskRule:
    return MaskRule(rule_id, name, name_en, example, fns[0], fns[1], needs_key)


RULES: dict[str, MaskRule] = {r.id: r for r in (
    _rule("keep_first6_last4", "保留前6位和后4位", "Keep the first 6 and last 4",
          ("330106199001011234", "330106********1234"), _keep(6, 4)),
    _rule("surname_only", "仅保留姓氏", "Surname only", ("欧阳娜娜", "欧阳**"), (_surname_py, _surname_sql)),
    _rule("keep_first3_last4", "保留前3位和后4位", "Keep the first 3 and last 4",
          ("13812345678", "138****5678"), _keep(3, 4)),
    _rule("to_district", "保留到区县", "Down to the district",
          ("浙江省杭州市西湖区文三路100号", "浙江省杭州市西湖区"), (_district_py, _district_sql)),
    _rule("last4", "仅保留后4位", "Last 4 only", ("6222021234567891234", "***************1234"), _keep(0, 4)),
    _rule("keep_first1_last3", "保留首位和后3位", "Keep the first 1 and last 3",
          ("E12345678", "E*****678"), _keep(1, 3)),
    _rule("plate", "车牌号脱敏", "Plate number", ("浙A12345", "浙A****5"), _keep(2, 1)),
    _rule("email", "邮箱脱敏", "Email", ("zhangsan@example.com", "z***@example.com"), (_email_py, _email_sql)),
    _rule("ip_prefix", "保留IP前两段", "IP prefix", ("10.1.23.45", "10.1.*.*"), (_ip_py, _ip_sql)),
    _rule("area_code_only", "仅保留区号", "Area code only", ("0571-88888888", "0571-********"),
          (_area_py, _area_sql)),
    _rule("year_only", "仅保留年份", "Year only", ("1990-05-17", "1990"), (_year_py, _year_sql)),
    _rule("round_2", "坐标保留两位小数", "Coordinates to 2 decimals",
          ("120.15507,30.27408", "120.16,30.27"), (_coords_py, _coords_sql)),
    _rule("pseudonym", "假名化（带密钥哈希）", "Keyed pseudonym (HMAC-SHA256)", ("张三", "<64 hex digits>"),
          (_pseudonym_py, _pseudonym_sql), needs_key=True),
    _rule("redact", "完全遮盖", "Redact", ("高血压", REDACTED),
          (lambda _s, _k: REDACTED, lambda _x, _k: f"'{REDACTED}'")),
)}


def mask(rule_id: str, value: object, key: str | None = None) -> str | None:
    """``RULES[rule_id].python(value, key)``; KeyError for an unknown rule."""
    return RULES[rule_id].python(value, key)
