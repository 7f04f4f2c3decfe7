"""Reference data of the demo departments: Zhejiang's 90 counties weighted by population, surnames,
the Chinese vocabulary in ``data/vocab.json``, and the places (towns, villages, roads) of each county.

Everything here is read-only after construction; :class:`World` is built once per generation from the seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from digigov.identity.regions import department_kinds, zhejiang_regions

T = TypeVar("T")

REF_DATE = dt.date(2021, 8, 31)  # "today" of the demo data: ages, statuses and windows are as of this day
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True, slots=True)
class Town:
    name: str  # e.g. 文新街道, 千岛湖镇
    urban: bool  # 街道 (sub-district with 社区) or 镇/乡 (with 村)
    villages: tuple[str, ...]  # 社区 or 村 names


@dataclass(frozen=True, slots=True)
class County:
    code: str
    name: str  # 西湖区
    short: str  # 西湖
    city_code: str
    city_name: str  # 杭州市
    city_short: str  # 杭州
    population: int  # 万人
    enterprise_factor: float
    urban: bool
    towns: tuple[Town, ...]
    roads: tuple[str, ...]

    @property
    def prefix(self) -> str:
        """The address prefix below the province: 杭州市西湖区."""
        return self.city_name + self.name


def short_name(name: str) -> str:
    """西湖区 -> 西湖, 景宁畲族自治县 -> 景宁, 杭州市 -> 杭州 (two-character names are kept whole)."""
    for suffix in ("畲族自治县", "自治县"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name[:-1] if len(name) > 2 and name[-1] in "省市区县" else name


@cache
def vocab() -> dict[str, Any]:
    text = resources.files("digigov.demo.govdata").joinpath("data", "vocab.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _csv_rows(package: str, *path: str) -> list[dict[str, str]]:
    text = resources.files(package).joinpath(*path).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if line.strip() and not line.startswith("#")))


@cache
def surnames() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Surnames and their cumulative weights (for ``random.choices(cum_weights=...)``)."""
    rows = _csv_rows("digigov.platform.standards", "data", "surnames.csv")
    names, cumulative, total = [], [], 0.0
    for row in rows:
        total += float(row["share_percent"])
        names.append(row["surname"].strip())
        cumulative.append(total)
    return tuple(names), tuple(cumulative)


@cache
def county_department_suffix(kind: str) -> str:
    """The county-tier name suffix of a department kind: civil_affairs -> 民政局."""
    for k in department_kinds():
        if k.kind == kind:
            return k.suffix["county"]
    raise KeyError(kind)


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice(items)`` in a tenth of the time (one float instead of rejection sampling on bits)."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``, the fast way of :func:`pick`."""
    return low + int(rng.random() * (high - low + 1))


def weighted(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """``rng.choices(items, cum_weights=cum_weights)[0]``, without the list: the hot paths call it a lot."""
    return items[min(bisect(cum_weights, rng.random() * cum_weights[-1]), len(items) - 1)]


def cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


class World:
    """The counties with their places, and the weights used to draw where people live and were born."""

    def __init__(self, seed: int) -> None:
        regions = {r.code: r for r in zhejiang_regions()}
        stats = {row["code"]: row for row in _csv_rows("digigov.demo.govdata", "data", "counties.csv")}
        syllables = vocab()["place_syllables"]
        roads = vocab()["roads"]
        self.counties: list[County] = []
        for r in zhejiang_regions():
            if r.level != "county":
                continue
            city = regions[r.parent_code or ""]
            row = stats[r.code]
            rng = random.Random(f"{seed}:places:{r.code}")
            urban = row["urban"] == "1"
            short = short_name(r.name)
            own_roads = [f"{short}大道", f"{short}东路", f"{short}西路", f"{short}南路", f"{short}北路"]
            county_roads = tuple(own_roads[: rng.randint(1, 5)] + rng.sample(roads, 24))
            self.counties.append(
                County(
                    code=r.code,
                    name=r.name,
                    short=short,
                    city_code=city.code,
                    city_name=city.name,
                    city_short=short_name(city.name),
                    population=int(row["population_10k"]),
                    enterprise_factor=float(row["enterprise_factor"]),
                    urban=urban,
                    towns=_towns(rng, syllables, urban, int(row["population_10k"])),
                    roads=county_roads,
                )
            )
        self.by_code = {c.code: c for c in self.counties}
        self.home_weights = cumulative([c.population for c in self.counties])
        # where people who moved were born: flatter than population (rural counties send people out)
        self.origin_weights = cumulative([c.population**0.5 * (0.6 if c.urban else 1.0) for c in self.counties])
        self.firm_weights = cumulative([c.population * c.enterprise_factor for c in self.counties])

    def home(self, rng: random.Random) -> County:
        return weighted(rng, self.counties, self.home_weights)

    def origin(self, rng: random.Random, other_than: str) -> County:
        while True:
            county = weighted(rng, self.counties, self.origin_weights)
            if county.code != other_than:
                return county

    def firm_county(self, rng: random.Random) -> County:
        return weighted(rng, self.counties, self.firm_weights)


def _place_names(rng: random.Random, syllables: str, count: int, suffix: str, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        name = rng.choice(syllables) + rng.choice(syllables) + suffix
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            out.append(name)
    return out


def _towns(rng: random.Random, syllables: str, urban: bool, population: int) -> tuple[Town, ...]:
    scale = max(0.5, min(2.0, population / 60))
    subdistricts = round((rng.randint(7, 12) if urban else rng.randint(2, 5)) * scale)
    towns = 0 if urban and rng.random() < 0.5 else round((rng.randint(1, 3) if urban else rng.randint(7, 13)) * scale)
    townships = 0 if urban else rng.randint(0, 5)
    taken: set[str] = set()
    out: list[Town] = []
    for name in _place_names(rng, syllables, subdistricts, "街道", taken):
        communities = _place_names(rng, syllables, rng.randint(5, 12), "社区", taken)
        villages = _place_names(rng, syllables, rng.randint(0, 4), "村", taken)
        out.append(Town(name, True, tuple(communities + villages)))
    for name in _place_names(rng, syllables, towns, "镇", taken):
        out.append(Town(name, False, tuple(_place_names(rng, syllables, rng.randint(8, 20), "村", taken))))
    for name in _place_names(rng, syllables, townships, "乡", taken):
        out.append(Town(name, False, tuple(_place_names(rng, syllables, rng.randint(5, 12), "村", taken))))
    return tuple(out)


def street_address(rng: random.Random, county: County) -> tuple[Town, str, str]:
    """(town, village or community, address below the county): 文新街道丰潭路128号3幢502室 / 塘口村45号."""
    town = pick(rng, county.towns)
    village = pick(rng, town.villages)
    if town.urban and not village.endswith("村"):
        rest = f"{town.name}{pick(rng, county.roads)}{between(rng, 1, 480)}号"
        if rng.random() < 0.7:
            rest += f"{between(rng, 1, 30)}幢{between(rng, 1, 24)}{between(rng, 1, 4):02d}室"
        return town, village, rest
    return town, village, f"{town.name}{village}{between(rng, 1, 260)}号"


def excel_serial(day: dt.date) -> int:
    """The Excel (1900 system) serial number of a day: 2021-08-05 -> 44413."""
    return (day - EXCEL_EPOCH).days


def random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly random day in [start, end]."""
    return start + dt.timedelta(days=between(rng, 0, (end - start).days))
