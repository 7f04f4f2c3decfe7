"""The reasonable delivery-time window learnt from actual delivery times: an unreasonable promise is flagged, a
reasonable one for the same delivery is not, the lower bound follows the conditions, and the platform that
promises less than its riders can do has the larger share of promises below the window."""

from __future__ import annotations

import random

import pytest

from digigov.apps.digital_government.food_delivery_online import delivery_time
from digigov.apps.digital_government.food_delivery_online.delivery_time import Delivery

SPEED = {"晴": 1.0, "多云": 1.0, "阴": 0.97, "小雨": 0.85, "中雨": 0.78, "大雨": 0.66, "雪": 0.58}


def expected(distance: float, weather: str, congestion: float, load: int) -> float:
    return 6 + distance * 60 / (16 * SPEED[weather] / congestion) + 2.2 * (load - 1)


def sample(n: int, seed: int, factors: dict[str, float]) -> list[Delivery]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        platform = rng.choice(list(factors))
        hour = rng.choice(range(7, 24))
        weather = rng.choice(list(SPEED))
        congestion = round(rng.uniform(1.0, 2.0), 2)
        load = rng.randint(1, 5)
        distance = round(rng.uniform(0.3, 7.0), 1)
        t = expected(distance, weather, congestion, load)
        out.append(Delivery(platform, f"O{i}", "R1", "330106", hour, weather, congestion, load, distance,
                            round(t * factors[platform]), round(t * rng.lognormvariate(0, 0.15), 1)))
    return out


@pytest.fixture(scope="module")
def model() -> delivery_time.TimeModel:
    fitted = delivery_time.fit(sample(1500, 1, {"a": 1.0}))
    assert fitted is not None
    return fitted


def test_an_unreasonable_promise_is_flagged(model: delivery_time.TimeModel) -> None:
    rainy = Delivery("a", "X1", "R1", "330106", 12, "大雨", 1.8, 4, 5.0, 15, 0)
    roomy = Delivery("a", "X2", "R1", "330106", 12, "大雨", 1.8, 4, 5.0, 60, 0)
    short = Delivery("a", "X3", "R1", "330106", 15, "晴", 1.0, 1, 0.8, 15, 0)
    flagged = delivery_time.assess(model, [rainy, roomy, short])
    assert [a.unreasonable for a in flagged] == [True, False, False]
    truth = expected(5.0, "大雨", 1.8, 4)  # about 50 minutes: the window is around it
    assert 0.7 * truth < flagged[0].lower < truth < flagged[0].upper < 1.4 * truth
    assert flagged[2].lower < 15 < flagged[0].lower  # a short dry trip's bound is far lower
    assert flagged[0].evidence()["window"] == [round(flagged[0].lower, 1), round(flagged[0].upper, 1)]


def test_the_window_is_calibrated(model: delivery_time.TimeModel) -> None:
    assert 0.15 < model.calibration < 0.25  # about one delivery in five is faster than the lower bound
    held_out = sample(800, 2, {"a": 1.0})
    below = [a.delivery.actual_min < a.lower for a in delivery_time.assess(model, held_out)]
    assert 0.12 < sum(below) / len(below) < 0.3
    assert model.describe()["samples"] == 1500


def test_time_pressure_by_platform(model: delivery_time.TimeModel) -> None:
    deliveries = sample(900, 3, {"fair": 1.3, "pushy": 0.7})
    shares = delivery_time.pressure_by_platform(delivery_time.assess(model, deliveries))
    assert shares["pushy"]["share_below"] > 0.8 > 0.05 > shares["fair"]["share_below"]
    assert shares["pushy"]["median_promised"] < shares["pushy"]["median_lower"]
    assert len(shares["pushy"]["examples"]) == 5


def test_too_few_deliveries_teach_nothing() -> None:
    assert delivery_time.fit(sample(delivery_time.MIN_SAMPLES - 1, 4, {"a": 1.0})) is None
    rows = [{"平台": "a", "订单编号": "1", "实际送达时长(分钟)": "", "平台承诺时长(分钟)": "30", "配送距离(km)": "2"},
            {"平台": "a", "订单编号": "2", "实际送达时长(分钟)": "25.5", "平台承诺时长(分钟)": "30",
             "配送距离(km)": "2",
             "天气": "小雨", "拥堵指数": "1.4", "下单时段": "12", "骑手在途单量": "3"}]
    parsed = delivery_time.deliveries_from_rows(rows)
    assert len(parsed) == 1 and parsed[0].features() == [2.0, 3.0, 1.4, 12.0, 3.0]
