"""Is a column of short Chinese words a column of person names (人名)?

Two to four Han characters that start with a surname character are not enough: 金华火腿, 高压锅 and 白酒 all
start with one. A column of real names, however, has surnames distributed like the population (王 李 张 刘
陈 … are frequent), while words that merely begin with a surname character hit the surname table at its
rare end as often as at its common end. The test compares the mean population share of the surnames found
in the column with the mean a random sample of people would give, and rejects columns of a few repeated
words. A header such as 姓名 or 联系人 relaxes both tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from digigov.platform.standards.validators import surname_of, surname_shares

NAME_HEADER_HINTS = (
    "姓名",
    "名字",
    "联系人",
    "负责人",
    "代表",
    "户主",
    "申请人",
    "经办人",
    "监护人",
    "家属",
    "患者",
    "人",
    "name",
)
# Observed mean share / expected mean share at or above which the surnames look like a population's.
MIN_SHARE_RATIO = 0.4
MIN_SHARE_RATIO_WITH_HEADER = 0.15
MIN_DISTINCT_RATIO = 0.02


def header_suggests_name(header: str) -> bool:
    """True when a column header names a person (姓名, 联系人, 法定代表人, …)."""
    low = header.strip().lower()
    if not low or any(word in low for word in ("名称", "单位", "企业", "公司", "机构", "地址")):
        return False
    return any(hint in low for hint in NAME_HEADER_HINTS)


@cache
def expected_share() -> float:
    """Mean population share (percent) of the surname of a randomly drawn person: sum(share^2) / 100."""
    return sum(share * share for share in surname_shares().values()) / 100.0


@dataclass(frozen=True)
class NameVerdict:
    accepted: bool
    known_rate: float  # share of the candidate values (distinct) whose surname is in the table
    share_ratio: float  # mean surname share in the column / expected mean share
    why: str
    why_en: str


def judge_names(candidates: Mapping[str, int], *, non_empty: int, distinct: int, header: str = "") -> NameVerdict:
    """Judge a column from its distinct name-shaped values (value -> count).

    ``candidates`` are values that match the person-name pattern; the distribution test runs over distinct
    values, so that one repeated word cannot carry it.
    """
    if not candidates:
        return NameVerdict(False, 0.0, 0.0, "无符合人名形式的值", "no name-shaped values")
    shares = surname_shares()
    total = len(candidates)
    observed = 0.0
    known = 0
    for value in candidates:
        surname = surname_of(value)
        if surname is not None or any(sep in value for sep in "·•・"):
            known += 1
        if surname is not None:
            observed += shares[surname]
    known_rate = known / total
    ratio = (observed / total) / expected_share()
    hinted = header_suggests_name(header)
    distinct_ratio = distinct / non_empty if non_empty else 0.0
    if distinct_ratio < MIN_DISTINCT_RATIO and distinct < 50 and not hinted:
        return NameVerdict(
            False,
            known_rate,
            ratio,
            f"不同值过少({distinct}/{non_empty})，不似人名列",
            f"too few distinct values ({distinct}/{non_empty}) for a name column",
        )
    floor = MIN_SHARE_RATIO_WITH_HEADER if hinted else MIN_SHARE_RATIO
    if ratio >= floor or (hinted and known_rate >= 0.8):
        return NameVerdict(
            True,
            known_rate,
            ratio,
            f"姓氏分布与人口姓氏分布相符(比值 {ratio:.2f})",
            f"surname distribution matches the population (ratio {ratio:.2f})",
        )
    return NameVerdict(
        False,
        known_rate,
        ratio,
        f"首字虽多为姓氏用字，但分布不似人名(比值 {ratio:.2f})",
        f"first characters are surname characters but not distributed like surnames (ratio {ratio:.2f})",
    )
