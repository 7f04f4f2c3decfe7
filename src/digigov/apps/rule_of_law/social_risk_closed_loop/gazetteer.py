"""The towns and streets (乡镇街道) of Huzhou, the level the risk-control loop works at, and their grid cells (网格).

data/huzhou_towns.csv holds each town's statistical division code (9 digits: the county's GB/T 2260 code and
three more), its name, kind, county, an approximate centre for the cockpit's map, an approximate resident population
(for rates per 10,000 residents) and the number of grid cells the demo divides it into. Grid cells are numbered
within their town: code = town code + 3 digits (001…), name = town name + 第N网格.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
CITY = "330500"
CITY_NAME = "湖州市"
COUNTIES: dict[str, tuple[str, str]] = {
    "330502": ("吴兴区", "Wuxing District"),
    "330503": ("南浔区", "Nanxun District"),
    "330521": ("德清县", "Deqing County"),
    "330522": ("长兴县", "Changxing County"),
    "330523": ("安吉县", "Anji County"),
}
KINDS = {"street": ("街道", "Subdistrict"), "town": ("镇", "Town"), "township": ("乡", "Township")}


@dataclass(frozen=True)
class Town:
    code: str  # 9 digits
    name: str
    name_en: str
    kind: str  # street | town | township
    county_code: str
    county_name: str
    lon: float
    lat: float
    population: int
    grids: int


@dataclass(frozen=True)
class Grid:
    code: str  # 12 digits: town code + 3
    name: str
    town_code: str


@cache
def towns() -> dict[str, Town]:
    """Every town and street of Huzhou by code, in code order."""
    with (DATA / "huzhou_towns.csv").open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        out = {r["code"]: Town(r["code"], r["name"], r["name_en"], r["kind"], r["county_code"], r["county_name"],
                               float(r["lon"]), float(r["lat"]), int(r["population"]), int(r["grids"]))
               for r in rows}
    return dict(sorted(out.items()))


def town(code: str) -> Town | None:
    return towns().get(code)


def of_county(county_code: str) -> list[Town]:
    return [t for t in towns().values() if t.county_code == county_code]


def grids(town_code: str) -> list[Grid]:
    """The grid cells of a town (none for an unknown town)."""
    t = town(town_code)
    if t is None:
        return []
    return [Grid(f"{t.code}{n:03d}", f"{t.name}第{n}网格", t.code) for n in range(1, t.grids + 1)]


def grid(code: str) -> Grid | None:
    """A grid cell by its 12-digit code."""
    if len(code) != 12 or not code.isdigit():
        return None
    return next((g for g in grids(code[:9]) if g.code == code), None)


def label(code: str, lang: str = "zh") -> str:
    """The name of a town, a county or the city by code, in the page's language (the code when unknown)."""
    if code == CITY:
        return "Huzhou" if lang == "en" else CITY_NAME
    if code in COUNTIES:
        zh, en = COUNTIES[code]
        return en if lang == "en" else zh
    t = town(code)
    if t is None:
        return code
    return t.name_en if lang == "en" else t.name
