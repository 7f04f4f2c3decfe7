"""The enterprise safety code (企业安全码): its indicator definitions (data/safety_code.yaml) and the scoring.

`score(facts)` is pure: an enterprise's facts (indicator code -> value, as the departments reported them) give its
points per indicator, its score (basic + positive − negative, within 0 … max_score), the veto indicators that hit
and its colour (green / yellow / orange / red by the bands; any veto makes it red). `inspection_plan` says which
colours get extra inspections, how soon and how often.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
COLOURS = ("green", "yellow", "orange", "red")
GROUPS = ("basic", "positive", "negative", "veto")
COUNTS = {"basic": 15, "positive": 4, "negative": 3, "veto": 4}


@dataclass(frozen=True)
class Item:
    code: str
    group: str  # basic | positive | negative | veto
    name: str
    name_en: str
    kind: str  # flag | percent | count | level | veto
    points: float = 0.0  # basic: full points
    bonus: float = 0.0  # positive flag
    target: float = 100.0  # percent
    per: float = 0.0  # negative count: deduction per occurrence
    cap: float = 0.0  # negative count: at most
    passes: tuple[str, ...] = ()  # flag: values that pass
    hits: tuple[str, ...] = ()  # veto: values that hit
    levels: dict[str, float] = field(default_factory=dict)  # level: bonus per level
    source: str = ""

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class Band:
    colour: str
    name: str
    min: float


@dataclass(frozen=True)
class Plan:
    colour: str
    first_within_days: int
    every_days: int
    name: str


@dataclass(frozen=True)
class Definition:
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    max_score: float
    inspections: dict[str, Plan]

    def group(self, name: str) -> list[Item]:
        return [i for i in self.items if i.group == name]


@dataclass(frozen=True)
class Line:
    """How one indicator scored."""

    code: str
    group: str
    value: str | None  # the fact as reported (None: missing)
    points: float  # basic: points earned; positive: bonus; negative: deduction (positive number); veto: 0
    hit: bool = False  # veto hit, or negative occurrence
    missing: bool = False


@dataclass(frozen=True)
class Result:
    score: float
    basic: float
    bonus: float
    deduction: float
    vetoes: tuple[str, ...]
    colour: str
    lines: tuple[Line, ...]

    @property
    def missing(self) -> list[str]:
        return [ln.code for ln in self.lines if ln.missing and ln.group == "basic"]


def _strs(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (values or ()))


@cache
def definition() -> Definition:
    with (DATA / "safety_code.yaml").open(encoding="utf-8") as f:
        raw: dict[str, Any] = yaml.safe_load(f)
    items: list[Item] = []
    for group in GROUPS:
        for r in raw[group]:
            items.append(Item(code=str(r["code"]), group=group, name=r["name"], name_en=r.get("name_en", ""),
                              kind=r["kind"], points=float(r.get("points", 0)), bonus=float(r.get("bonus", 0)),
                              target=float(r.get("target", 100)), per=float(r.get("per", 0)),
                              cap=float(r.get("cap", 0)), passes=_strs(r.get("pass")), hits=_strs(r.get("hit")),
                              levels={str(k): float(v) for k, v in (r.get("levels") or {}).items()},
                              source=str(r.get("source", ""))))
        if len([i for i in items if i.group == group]) != COUNTS[group]:
            raise ValueError(f"safety code: {group} must have {COUNTS[group]} indicators")
    if sum(i.points for i in items if i.group == "basic") != 100:
        raise ValueError("safety code: the basic indicators' points must add up to 100")
    bands = tuple(Band(b["colour"], b["name"], float(b["min"])) for b in raw["bands"])
    if [b.colour for b in bands] != list(COLOURS) or [b.min for b in bands] != sorted((b.min for b in bands),
                                                                                      reverse=True):
        raise ValueError("safety code: bands go green, yellow, orange, red with falling lower bounds")
    plans = {c: Plan(c, int(p["first_within_days"]), int(p["every_days"]), p["name"])
             for c, p in (raw.get("inspections") or {}).items()}
    return Definition(tuple(items), bands, float(raw["max_score"]), plans)


def item(code: str) -> Item | None:
    return next((i for i in definition().items if i.code == code), None)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        return None


def _line(it: Item, value: str | None) -> Line:
    text = None if value is None or str(value).strip() == "" else str(value).strip()
    if text is None:
        return Line(it.code, it.group, None, 0.0, missing=True)
    if it.kind == "flag":
        ok = text in it.passes
        earned = (it.points if it.group == "basic" else it.bonus) if ok else 0.0
        return Line(it.code, it.group, text, earned)
    if it.kind == "percent":
        n = _number(text)
        if n is None:
            return Line(it.code, it.group, text, 0.0, missing=True)
        return Line(it.code, it.group, text, round(it.points * max(0.0, min(1.0, n / it.target)), 2))
    if it.kind == "level":
        return Line(it.code, it.group, text, it.levels.get(text, 0.0))
    if it.kind == "count":
        n = _number(text)
        count = max(0.0, n) if n is not None else 0.0
        return Line(it.code, it.group, text, min(it.cap, it.per * count), hit=count > 0)
    if it.kind == "veto":
        return Line(it.code, it.group, text, 0.0, hit=text in it.hits)
    raise ValueError(f"safety code indicator {it.code}: unknown kind {it.kind}")


def colour_of(score: float, vetoed: bool = False) -> str:
    """The colour of a score (a score on a band's lower bound is in that band); red when vetoed."""
    if vetoed:
        return "red"
    for band in definition().bands:
        if score >= band.min:
            return band.colour
    return "red"


def score(facts: Mapping[str, str | None]) -> Result:
    """An enterprise's safety code from its facts (indicator code -> reported value)."""
    d = definition()
    lines = tuple(_line(it, facts.get(it.code)) for it in d.items)
    basic = round(sum(ln.points for ln in lines if ln.group == "basic"), 2)
    bonus = round(sum(ln.points for ln in lines if ln.group == "positive"), 2)
    deduction = round(sum(ln.points for ln in lines if ln.group == "negative"), 2)
    total = round(max(0.0, min(d.max_score, basic + bonus - deduction)), 2)
    vetoes = tuple(ln.code for ln in lines if ln.group == "veto" and ln.hit)
    return Result(total, basic, bonus, deduction, vetoes, colour_of(total, bool(vetoes)), lines)


def inspection_plan(colour: str) -> Plan | None:
    """The extra inspections an enterprise of `colour` gets (None for green and yellow)."""
    return definition().inspections.get(colour)
