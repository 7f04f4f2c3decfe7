"""合理时间区间 (the reasonable delivery-time window): how long a delivery takes given its distance, the weather,
the congestion, the hour and the rider's load, learnt from the platforms' own delivery records.

Two gradient-boosted quantile regressions (scikit-learn's HistGradientBoostingRegressor with the pinball loss) are
fitted on the actual delivery times: the 20th percentile is the window's lower bound, the 80th its upper bound. A
promise below the lower bound asks a rider to beat four deliveries in five made under the same conditions: it is
unreasonable, and the share of such promises per platform measures the time pressure the platform puts on its
riders. The weather is a categorical feature; the hour is kept as a number (the trees find the meal peaks).

Fitting and predicting run on one thread (threadpoolctl, a scikit-learn dependency): on a small machine shared with
a web server, OpenMP's threads wait on each other and make a one-second fit take ten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

WEATHER = ("晴", "多云", "阴", "小雨", "中雨", "大雨", "雪")
LOWER_Q = 0.2
UPPER_Q = 0.8
FEATURES = ("distance_km", "weather", "congestion", "hour", "load")
MIN_SAMPLES = 50  # fewer deliveries than this teach nothing: no model, no finding


@dataclass(frozen=True)
class Delivery:
    platform: str
    order_no: str
    rider_no: str
    county_code: str
    hour: int
    weather: str
    congestion: float  # 拥堵指数: travel time at that hour over free-flow time (1.0 = free)
    load: int  # 骑手在途单量: orders the rider carried at once
    distance_km: float
    promised_min: float
    actual_min: float

    def features(self) -> list[float]:
        w = WEATHER.index(self.weather) if self.weather in WEATHER else 0
        return [self.distance_km, float(w), self.congestion, float(self.hour), float(self.load)]


def _float(value: object, default: float = 0.0) -> float:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return default


def deliveries_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Delivery]:
    out = []
    for r in rows:
        actual, promised = _float(r.get("实际送达时长(分钟)"), -1), _float(r.get("平台承诺时长(分钟)"), -1)
        distance = _float(r.get("配送距离(km)"), -1)
        if actual <= 0 or promised <= 0 or distance < 0:
            continue  # an order without its times or distance says nothing about the window
        out.append(Delivery(str(r.get("平台") or "").strip(), str(r.get("订单编号") or ""),
                            str(r.get("骑手编号") or ""), str(r.get("县区代码") or ""), int(_float(r.get("下单时段"))),
                            str(r.get("天气") or "").strip(),
                            _float(r.get("拥堵指数"), 1.0), int(_float(r.get("骑手在途单量"), 1)), distance, promised,
                            actual))
    return out


def _regressor(quantile: float) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(loss="quantile", quantile=quantile, max_iter=150, learning_rate=0.08,
                                         max_leaf_nodes=15, min_samples_leaf=20, categorical_features=[1],
                                         early_stopping=False, random_state=0)


@dataclass
class TimeModel:
    lower: HistGradientBoostingRegressor
    upper: HistGradientBoostingRegressor
    samples: int
    calibration: float  # share of the training deliveries faster than their lower bound (about LOWER_Q)

    def window(self, deliveries: Sequence[Delivery]) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) bounds in minutes for each delivery's conditions."""
        x = np.array([d.features() for d in deliveries], dtype=float).reshape(-1, len(FEATURES))
        with threadpool_limits(1):
            return self.lower.predict(x), self.upper.predict(x)

    def describe(self) -> dict[str, Any]:
        return {"samples": self.samples, "lower_quantile": LOWER_Q, "upper_quantile": UPPER_Q,
                "features": list(FEATURES), "calibration": round(self.calibration, 4),
                "estimator": "HistGradientBoostingRegressor(loss=quantile)"}


def fit(deliveries: Sequence[Delivery]) -> TimeModel | None:
    """The window learnt from the actual times, or None with fewer than MIN_SAMPLES deliveries."""
    if len(deliveries) < MIN_SAMPLES:
        return None
    x = np.array([d.features() for d in deliveries], dtype=float)
    y = np.array([d.actual_min for d in deliveries], dtype=float)
    with threadpool_limits(1):
        lower, upper = _regressor(LOWER_Q).fit(x, y), _regressor(UPPER_Q).fit(x, y)
        calibration = float(np.mean(y < lower.predict(x)))
    return TimeModel(lower, upper, len(deliveries), calibration)


@dataclass(frozen=True)
class Assessed:
    delivery: Delivery
    lower: float
    upper: float

    @property
    def unreasonable(self) -> bool:
        return self.delivery.promised_min < self.lower

    def evidence(self) -> dict[str, Any]:
        d = self.delivery
        return {"order_no": d.order_no, "distance_km": d.distance_km, "weather": d.weather,
                "congestion": d.congestion, "hour": d.hour, "load": d.load, "promised_min": d.promised_min,
                "actual_min": d.actual_min, "window": [round(self.lower, 1), round(self.upper, 1)]}


def assess(model: TimeModel, deliveries: Sequence[Delivery]) -> list[Assessed]:
    if not deliveries:
        return []
    low, high = model.window(deliveries)
    return [Assessed(d, float(lo), float(hi)) for d, lo, hi in zip(deliveries, low, high, strict=True)]


def pressure_by_platform(assessed: Sequence[Assessed]) -> dict[str, dict[str, Any]]:
    """Per platform: deliveries, promises below the window, their share, the median promise and lower bound."""
    out: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[Assessed]] = {}
    for a in assessed:
        groups.setdefault(a.delivery.platform, []).append(a)
    for platform, items in sorted(groups.items()):
        below = [a for a in items if a.unreasonable]
        out[platform] = {
            "deliveries": len(items), "below": len(below), "share_below": round(len(below) / len(items), 4),
            "median_promised": round(float(np.median([a.delivery.promised_min for a in items])), 1),
            "median_lower": round(float(np.median([a.lower for a in items])), 1),
            "median_actual": round(float(np.median([a.delivery.actual_min for a in items])), 1),
            "examples": [a.evidence() for a in sorted(below, key=lambda a: a.delivery.promised_min - a.lower)[:5]],
        }
    return out
