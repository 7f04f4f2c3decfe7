"""平台健康指数 (the platform health index): one score from 0 to 100 per platform, a weighted sum of five
components, each a share from 0 (worst) to 1 (best):

    merchants       1 - listings with a licence finding / listings
    kitchens        catering listings with >= 10 orders a day connected to a sunlit kitchen / such listings
    insurance       riders insured in the HR records by the platform's company / riders
    delivery_time   1 - promises below the reasonable window's lower bound / deliveries
    traffic         max(0, 1 - accidents per 100 riders / ACCIDENT_CAP)

    index = 100 * (0.30 merchants + 0.20 kitchens + 0.20 insurance + 0.15 delivery_time + 0.15 traffic)

A component without data (no listing, no rider, no delivery) counts as 1 and is marked missing, so a platform
is not ranked on what it did not hand over; the cockpit shows which were missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WEIGHTS: dict[str, float] = {"merchants": 0.30, "kitchens": 0.20, "insurance": 0.20, "delivery_time": 0.15,
                             "traffic": 0.15}
ACCIDENT_CAP = 10.0  # accidents per 100 riders (over the records' period) at which the traffic component is 0


@dataclass
class PlatformInputs:
    listings: int = 0
    listings_with_licence_findings: int = 0
    kitchens_required: int = 0
    kitchens_required_connected: int = 0
    riders: int = 0
    riders_insured: int = 0
    deliveries: int = 0
    promises_below: int = 0
    accidents: int = 0


@dataclass
class PlatformHealth:
    platform: str
    components: dict[str, float]
    missing: list[str] = field(default_factory=list)
    index: float = 0.0
    inputs: dict[str, Any] = field(default_factory=dict)


def _share(good: int, total: int) -> float | None:
    return good / total if total else None


def score(platform: str, i: PlatformInputs) -> PlatformHealth:
    raw: dict[str, float | None] = {
        "merchants": _share(i.listings - i.listings_with_licence_findings, i.listings),
        "kitchens": _share(i.kitchens_required_connected, i.kitchens_required),
        "insurance": _share(i.riders_insured, i.riders),
        "delivery_time": _share(i.deliveries - i.promises_below, i.deliveries),
        "traffic": max(0.0, 1 - (100 * i.accidents / i.riders) / ACCIDENT_CAP) if i.riders else None,
    }
    missing = [k for k, v in raw.items() if v is None]
    components = {k: round(1.0 if v is None else v, 4) for k, v in raw.items()}
    index = round(100 * sum(WEIGHTS[k] * components[k] for k in WEIGHTS), 1)
    return PlatformHealth(platform, components, missing, index, dict(vars(i)))


def rank(healths: list[PlatformHealth]) -> list[PlatformHealth]:
    """Best first (ties by platform code, for a stable order)."""
    return sorted(healths, key=lambda h: (-h.index, h.platform))
