"""Situation analysis over tickets: hot words, their trend, spikes per category, hot spots on the map.

Pure functions over records with `text`, `category`, `created_at` (aware, or naive meaning UTC),
`county_code`, `street`, `lon`, `lat`, given as objects (TicketRecord, ORM rows) or mappings. Days and
weeks are counted in Hangzhou local time.

A spike is a category whose count in a window of `window_days` is far above its own baseline: the mean
count per window over the `baseline_days` before it. Three tests must all hold: at least `min_count`
tickets, at least `min_ratio` times the baseline, and a Poisson z-score (count - baseline) / sqrt(baseline
+ 1) of at least `min_z`, so that small categories don't "spike" from 3 to 7 by chance. Overlapping
flagged windows of one category are one episode, reported at its busiest window.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from . import places, taxonomy
from .classifier import tok
from .corpus import LOCAL


def _get(record: Any, name: str) -> Any:
    return record[name] if isinstance(record, Mapping) else getattr(record, name)


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).date()


def _since(records: Iterable[Any], since: date | datetime | None) -> list[Any]:
    if since is None:
        return list(records)
    if isinstance(since, datetime):
        cut = since if since.tzinfo else since.replace(tzinfo=UTC)
        return [r for r in records if _aware(_get(r, "created_at")) >= cut]
    return [r for r in records if _local_day(_get(r, "created_at")) >= since]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cache
def stop_words() -> frozenset[str]:
    text = resources.files(__package__).joinpath("data", "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _excluded() -> frozenset[str]:
    return stop_words() | places.place_terms()


@lru_cache(maxsize=100_000)
def _words(text: str) -> frozenset[str]:
    """The countable words of a ticket (cached: dashboards ask for the same tickets again and again)."""
    excluded = _excluded()
    return frozenset(w for w in tok(text) if len(w) >= 2 and w not in excluded and not w.isascii()
                     and not any(ch.isdigit() for ch in w))


def hot_words(records: Iterable[Any], top: int = 20, since: date | datetime | None = None) -> list[tuple[str, int]]:
    """The `top` words in the most tickets (each ticket counts a word once), stop words, place names and
    hotline filler left out."""
    counts: Counter[str] = Counter()
    for record in _since(records, since):
        counts.update(_words(_get(record, "text")))
    return sorted(counts.items(), key=lambda p: (-p[1], p[0]))[:top]


def _period(day: date, freq: str) -> date:
    if freq == "day":
        return day
    if freq == "week":
        return day - timedelta(days=day.weekday())
    if freq == "month":
        return day.replace(day=1)
    raise ValueError(f"freq must be day, week or month, not {freq!r}")


def hot_word_trend(records: Sequence[Any], words: Sequence[str],
                   freq: str = "week") -> dict[str, list[tuple[date, int]]]:
    """{word: [(period start, tickets mentioning it)]} for every period from the first ticket to the last
    (periods: day, week starting Monday, or month)."""
    per: dict[str, Counter[date]] = {w: Counter() for w in words}
    days = []
    for record in records:
        day = _local_day(_get(record, "created_at"))
        days.append(day)
        found = _words(_get(record, "text"))
        for word in words:
            if word in found:
                per[word][_period(day, freq)] += 1
    if not days:
        return {w: [] for w in words}
    periods, cursor = [], _period(min(days), freq)
    while cursor <= max(days):
        periods.append(cursor)
        cursor = _period(cursor + timedelta(days=32 if freq == "month" else 7 if freq == "week" else 1), freq)
    return {w: [(p, per[w][p]) for p in periods] for w in words}


@dataclass(frozen=True)
class Spike:
    category: str
    window_start: date
    count: int
    baseline_mean: float
    change_pct: float
    window_days: int = 14

    @property
    def name(self) -> str:
        return taxonomy.BY_CODE[self.category].name if self.category in taxonomy.BY_CODE else self.category

    @property
    def label(self) -> str:
        """e.g. 房产管理 +235%."""
        return f"{self.name} {self.change_pct:+.0f}%"


def spikes(records: Iterable[Any], *, window_days: int = 14, baseline_days: int = 56, min_ratio: float = 2.0,
           min_count: int = 10, min_z: float = 3.5) -> list[Spike]:
    """Categories far above their own baseline (see the module doc), earliest first."""
    daily: dict[str, Counter[date]] = defaultdict(Counter)
    all_days: list[date] = []
    for record in records:
        day = _local_day(_get(record, "created_at"))
        daily[_get(record, "category")][day] += 1
        all_days.append(day)
    if not all_days:
        return []
    first, last = min(all_days), max(all_days)
    span = (last - first).days + 1
    found: list[Spike] = []
    for category, counts in sorted(daily.items()):
        series = [counts.get(first + timedelta(days=i), 0) for i in range(span)]
        prefix = [0]
        for value in series:
            prefix.append(prefix[-1] + value)
        best: Spike | None = None
        for s in range(baseline_days, span - window_days + 1):
            count = prefix[s + window_days] - prefix[s]
            baseline = (prefix[s] - prefix[s - baseline_days]) * window_days / baseline_days
            # the difference's variance: the window's own count plus the baseline estimate's
            z = (count - baseline) / math.sqrt(count + baseline * window_days / baseline_days + 1)
            flagged = count >= min_count and count >= min_ratio * baseline and z >= min_z
            if flagged:
                change = (count / baseline - 1) * 100 if baseline else math.inf
                candidate = Spike(category, first + timedelta(days=s), count, round(baseline, 2),
                                  round(change, 1), window_days)
                if best is None or count > best.count:
                    best = candidate
            elif best is not None and s >= (best.window_start - first).days + window_days:
                found.append(best)
                best = None
        if best is not None:
            found.append(best)
    return sorted(found, key=lambda sp: (sp.window_start, sp.category))


@dataclass(frozen=True)
class HotSpot:
    county_code: str | None
    street: str | None
    lon: float
    lat: float
    count: int


def hot_spots(records: Iterable[Any], *, cell: str = "street", grid_m: float = 500, top: int | None = None,
              since: date | datetime | None = None, category: str | None = None) -> list[HotSpot]:
    """Ticket counts per street (at the street's centre) or per square grid cell of `grid_m` metres (at
    the cell's centre, named after its commonest street), busiest first."""
    chosen = [r for r in _since(records, since) if category is None or _get(r, "category") == category]
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    if cell == "street":
        for r in chosen:
            groups[(_get(r, "county_code"), _get(r, "street"))].append(r)
    elif cell == "grid":
        deg_lat = grid_m / 111_320
        deg_lon = grid_m / (111_320 * math.cos(math.radians(30.0)))
        for r in chosen:
            if _get(r, "lon") is not None and _get(r, "lat") is not None:
                groups[(math.floor(_get(r, "lon") / deg_lon), math.floor(_get(r, "lat") / deg_lat))].append(r)
    else:
        raise ValueError(f"cell must be street or grid, not {cell!r}")
    spots = []
    for key, members in groups.items():
        if cell == "street":
            known = places.find_street(key[0], key[1]) if key[0] and key[1] else None
            located = [m for m in members if _get(m, "lon") is not None and _get(m, "lat") is not None]
            if known is not None:
                lon, lat = known.lon, known.lat
            elif located:
                lon = sum(_get(m, "lon") for m in located) / len(located)
                lat = sum(_get(m, "lat") for m in located) / len(located)
            else:
                continue
            spots.append(HotSpot(key[0], key[1], lon, lat, len(members)))
        else:
            named = Counter((_get(m, "county_code"), _get(m, "street")) for m in members)
            (county, street), _ = named.most_common(1)[0]
            spots.append(HotSpot(county, street, round((key[0] + 0.5) * deg_lon, 6),
                                 round((key[1] + 0.5) * deg_lat, 6), len(members)))
    spots.sort(key=lambda h: (-h.count, h.county_code or "", h.street or ""))
    return spots[:top] if top else spots
