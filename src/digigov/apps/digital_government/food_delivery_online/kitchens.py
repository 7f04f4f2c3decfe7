"""阳光厨房 (sunlit kitchens): live kitchen video on the ordering page. Every catering merchant with ten or more
orders a day must be connected; the coverage is reported overall, per platform and per county, with the share of
orders the connected kitchens carry. Domain logic without I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from digigov.apps.digital_government.food_delivery_online import reference
from digigov.apps.digital_government.food_delivery_online.licences import Listing, parse_date

MANDATORY_ORDERS = 10  # orders a day from which a catering merchant must show its kitchen
CONNECTED = "已接入"


@dataclass(frozen=True)
class Kitchen:
    platform: str
    shop_id: str
    status: str  # 已接入 / 未接入 / 已断开
    connected_on: str
    online_rate: float | None  # share of the last seven days' opening hours the stream was live (0-1)
    ai_alerts: int  # problems the AI patrol (AI巡检) found: no hat, no mask, rodents, uncovered food...

    @property
    def connected(self) -> bool:
        return self.status.strip() == CONNECTED

    def record(self) -> dict[str, Any]:
        return {"status": self.status, "connected_on": self.connected_on, "online_rate": self.online_rate,
                "ai_alerts": self.ai_alerts}


def _number(value: object, default: float | None = None) -> float | None:
    try:
        return float(str(value).strip().rstrip("%"))
    except (TypeError, ValueError):
        return default


def kitchens_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Kitchen]:
    out: dict[tuple[str, str], Kitchen] = {}
    for row in rows:
        rate = _number(row.get("近7日在线率(%)"))
        k = Kitchen(str(row.get("平台") or "").strip(), str(row.get("店铺编号") or "").strip(),
                    str(row.get("接入状态") or ""), str(parse_date(row.get("接入日期")) or ""),
                    None if rate is None else round(rate / 100, 4), int(_number(row.get("AI巡检问题数"), 0) or 0))
        out[(k.platform, k.shop_id)] = k
    return out


@dataclass
class KitchenCheck:
    listing: Listing
    catering: bool
    required: bool  # catering and at least MANDATORY_ORDERS orders a day
    kitchen: Kitchen | None

    @property
    def connected(self) -> bool:
        return self.kitchen is not None and self.kitchen.connected

    @property
    def violation(self) -> bool:
        return self.required and not self.connected


@dataclass
class Coverage:
    """Counts of one group of listings (all, a platform, a county)."""

    catering: int = 0
    connected: int = 0
    required: int = 0
    required_connected: int = 0
    orders: int = 0
    orders_connected: int = 0
    ai_alerts: int = 0

    def add(self, c: KitchenCheck) -> None:
        if not c.catering:
            return
        self.catering += 1
        self.orders += c.listing.daily_orders
        if c.connected:
            self.connected += 1
            self.orders_connected += c.listing.daily_orders
            self.ai_alerts += c.kitchen.ai_alerts if c.kitchen else 0
        if c.required:
            self.required += 1
            self.required_connected += 1 if c.connected else 0

    def figures(self) -> dict[str, Any]:
        return {"catering": self.catering, "connected": self.connected, "required": self.required,
                "required_connected": self.required_connected, "orders": self.orders,
                "orders_connected": self.orders_connected, "ai_alerts": self.ai_alerts,
                "coverage": round(self.connected / self.catering, 4) if self.catering else None,
                "required_coverage": round(self.required_connected / self.required, 4) if self.required else None,
                "orders_share": round(self.orders_connected / self.orders, 4) if self.orders else None}


@dataclass
class KitchenReport:
    checks: list[KitchenCheck]
    overall: Coverage = field(default_factory=Coverage)
    by_platform: dict[str, Coverage] = field(default_factory=dict)
    by_county: dict[str, Coverage] = field(default_factory=dict)


def assess(listings: Sequence[Listing], kitchens: Mapping[tuple[str, str], Kitchen]) -> KitchenReport:
    checks = []
    for lst in listings:
        category = reference.category_by_label(lst.category)
        catering = bool(category and category.catering)
        checks.append(KitchenCheck(lst, catering, catering and lst.daily_orders >= MANDATORY_ORDERS,
                                   kitchens.get(lst.key)))
    report = KitchenReport(checks)
    for c in checks:
        report.overall.add(c)
        report.by_platform.setdefault(c.listing.platform, Coverage()).add(c)
        report.by_county.setdefault(c.listing.county_code, Coverage()).add(c)
    return report
