"""Where a ticket is: Hangzhou's districts, streets and landmarks, and `locate()` from text or coordinates.

The gazetteer (data/hangzhou_places.csv) holds the 13 county-level divisions after the 2021 redistricting,
some streets (街道) and towns (镇) of each with an approximate centre, and a few communities, roads and
landmarks per street. `locate()`:

- from coordinates: the nearest street centre (equirectangular distance over the street centres; no
  boundary polygons are shipped, so a point near a district border can land in the neighbouring street);
  points more than `MAX_KM` from every centre are reported as outside Hangzhou's gazetteer;
- from text: the longest gazetteer names found in the text (street full and short names, landmarks,
  district names) decide the street; cpca parses the district when the gazetteer finds none (it knows the
  pre-2021 names such as 江干区 and 下城区, mapped here to today's codes) and only Zhejiang results are
  kept. Hangzhou is the default city: a bare 西湖区 or 文三路 means Hangzhou's.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from digigov.identity.regions import zhejiang_regions

CITY_CODE = "330100"
CITY_NAME = "杭州市"
MAX_KM = 25.0
# Pre-2021 Hangzhou codes still found in addresses and in cpca's tables: 下城区, 江干区, 临安市.
LEGACY_CODES = {"330103": "330105", "330104": "330102", "330185": "330112"}
LEGACY_NAMES = {"下城区": "330105", "下城": "330105", "江干区": "330102", "江干": "330102", "临安市": "330112"}
# Short names too generic to mean a place on their own.
GENERIC = frozenset({"城南", "运河", "前进", "临江", "东湖", "新街", "春江", "玲珑", "锦城", "锦南", "锦北",
                     "西湖", "钱塘", "南苑", "大同", "新湾", "文昌", "石林", "分水", "更楼", "仁和", "中泰"})


@dataclass(frozen=True)
class Street:
    county_code: str
    county_name: str
    name: str
    lon: float
    lat: float
    weight: int
    landmarks: tuple[str, ...]

    @property
    def short(self) -> str:
        return re.sub(r"(街道|镇)$", "", self.name)


@dataclass(frozen=True)
class Location:
    county_code: str | None
    county_name: str | None
    street: str | None
    lon: float | None
    lat: float | None
    confidence: float
    how: str  # "coordinates", "text", "cpca" or "none"


@cache
def streets() -> tuple[Street, ...]:
    text = resources.files(__package__).joinpath("data", "hangzhou_places.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(
        Street(r["county_code"], r["county_name"], r["street"], float(r["lon"]), float(r["lat"]),
               int(r["weight"]), tuple(r["landmarks"].split("|")))
        for r in rows
    )


@cache
def counties() -> dict[str, str]:
    """{county code: name} for Hangzhou's 13 county-level divisions."""
    return {s.county_code: s.county_name for s in streets()}


@cache
def county_centre(county_code: str) -> tuple[float, float]:
    mine = [s for s in streets() if s.county_code == county_code]
    total = sum(s.weight for s in mine)
    return (sum(s.lon * s.weight for s in mine) / total, sum(s.lat * s.weight for s in mine) / total)


def find_street(county_code: str, name: str) -> Street | None:
    return next((s for s in streets() if s.county_code == county_code and s.name == name), None)


@cache
def _terms() -> dict[str, list[tuple[str, str, Street | None]]]:
    """{term: [(kind, county_code, street)]}; kind is county, street, short or landmark."""
    out: dict[str, list[tuple[str, str, Street | None]]] = {}
    for code, name in counties().items():
        out.setdefault(name, []).append(("county", code, None))
        short = name[:-1]
        if short not in GENERIC:
            out.setdefault(short, []).append(("county", code, None))
    for legacy, code in LEGACY_NAMES.items():
        out.setdefault(legacy, []).append(("county", code, None))
    for s in streets():
        out.setdefault(s.name, []).append(("street", s.county_code, s))
        if len(s.short) >= 2 and s.short not in GENERIC and not any(k == "county" for k, *_ in out.get(s.short, [])):
            out.setdefault(s.short, []).append(("short", s.county_code, s))
        for mark in s.landmarks:
            if mark not in GENERIC:
                out.setdefault(mark, []).append(("landmark", s.county_code, s))
    return out


@cache
def _pattern() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(t) for t in sorted(_terms(), key=len, reverse=True)))


@cache
def place_terms() -> frozenset[str]:
    """Every place name the gazetteer knows (for the tokenizer's dictionary and hot-word exclusion)."""
    return frozenset(_terms()) | {"杭州", "杭州市", "浙江", "浙江省"}


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6371.0 * math.hypot(x, y)


def nearest_street(lon: float, lat: float) -> tuple[Street, float]:
    """The street whose centre is nearest to (lon, lat), and the distance in km."""
    best = min(streets(), key=lambda s: _km(lon, lat, s.lon, s.lat))
    return best, _km(lon, lat, best.lon, best.lat)


def _from_coordinates(lon: float, lat: float) -> Location | None:
    street, km = nearest_street(lon, lat)
    if km > MAX_KM:
        return None
    confidence = round(max(0.5, 0.95 - 0.05 * km), 2)
    return Location(street.county_code, street.county_name, street.name, lon, lat, confidence, "coordinates")


_RANK = {"street": 3, "short": 2, "landmark": 1}


def _from_text(text: str) -> Location | None:
    hits = [(m.group(0), entry) for m in _pattern().finditer(text) for entry in _terms()[m.group(0)]]
    named_counties = [code for _, (kind, code, _s) in hits if kind == "county"]
    county = named_counties[0] if named_counties else None
    candidates = [(term, kind, s) for term, (kind, code, s) in hits
                  if s is not None and (county is None or code == county)]
    if candidates:
        term, kind, street = max(candidates, key=lambda c: (_RANK[c[1]], len(c[0])))
        confidence = {"street": 0.9, "short": 0.8, "landmark": 0.75}[kind] + (0.05 if county else 0.0)
        return Location(street.county_code, street.county_name, street.name, street.lon, street.lat,
                        round(confidence, 2), "text")
    if county is None:
        county = _cpca_county(text)
        how = "cpca"
    else:
        how = "text"
    if county is None:
        return None
    name = counties().get(county)
    if name is None:  # elsewhere in Zhejiang: the county only
        return Location(county, _zhejiang_names().get(county), None, None, None, 0.5, how)
    lon, lat = county_centre(county)
    return Location(county, name, None, lon, lat, 0.6, how)


@cache
def _zhejiang_names() -> dict[str, str]:
    return {r.code: r.name for r in zhejiang_regions() if r.level == "county"}


def _cpca_county(text: str) -> str | None:
    import cpca  # noqa: PLC0415 - 0.5 s to load its tables; only when the gazetteer found nothing

    row = cpca.transform([text]).iloc[0]
    code = row.get("adcode")
    if not isinstance(code, str) or not code:
        return None
    code = LEGACY_CODES.get(code[:6], code[:6])
    if code.endswith("00"):
        return None
    return code if code in _zhejiang_names() else None


def locate(text: str | None = None, lon: float | None = None, lat: float | None = None) -> Location:
    """Where a ticket is, from its coordinates when it has them, else from its text (see module doc)."""
    if lon is not None and lat is not None:
        found = _from_coordinates(lon, lat)
        if found is not None:
            return found
    if text:
        found = _from_text(text)
        if found is not None:
            return found
    return Location(None, None, None, lon, lat, 0.0, "none")
