"""The dispatch classifier on the demo corpus's held-out split: accuracy, confidence, caching, routing."""

import pickle
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from digigov.apps.digital_society.people_call_we_act import classifier, taxonomy
from digigov.apps.digital_society.people_call_we_act.classifier import Model

# Measured on seed 2021 (8,000 train / 2,000 held out): top-1 0.967, top-3 0.9945; at LOW_CONFIDENCE 0.9
# the human queue takes 6.4 % of tickets and catches 45 % of the top-1 errors.


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def model(var_dir: Path) -> Model:
    return classifier.default_model(var_dir, seed=2021)


@pytest.fixture(scope="module")
def split() -> classifier.Split:
    return classifier.held_out_split(2021)


def test_tokenizer_keeps_places_and_domain_words() -> None:
    words = classifier.tok("市民来电反映：拱墅区米市巷街道的广场舞音响太吵，已经3天了！")
    assert "米市巷街道" in words and "广场舞" in words and "拱墅区" in words
    assert "0" in words and "：" not in words and "！" not in words


def test_held_out_accuracy(model: Model, split: classifier.Split) -> None:
    train = set(split.train_texts)
    assert len(split.test_texts) == 2000 and sum(t in train for t in split.test_texts) <= 10  # measured: 2
    scores = classifier.evaluate(model, split.test_texts, split.test_labels)
    assert scores["top1"] >= 0.93
    assert scores["top3"] >= 0.98
    # the human dispatcher's queue: a minority of tickets, a good part of the errors
    assert scores["low_share"] <= 0.15
    assert scores["errors_caught"] >= 0.4
    assert scores["auto_top1"] > scores["top1"]


def test_predictions(model: Model) -> None:
    top = model.predict("我家楼下的广场舞每天晚上九点多音响还开得特别大声，吵得睡不着", k=3)
    assert top[0][0] == "noise_social" and len(top) == 3
    assert top[0][1] >= top[1][1] >= top[2][1] and top[0][1] > classifier.LOW_CONFIDENCE
    assert model.predict("小区从早上开始突然停水了，也没通知")[0][0] == "water_outage"
    assert model.predict("包工头拖欠我们工资三个月了")[0][0] == "wage_arrears"
    assert model.confidence("你好") < classifier.LOW_CONFIDENCE
    assert set(model.classes) == set(taxonomy.BY_CODE)


HAND_WRITTEN = [  # wordings the generator never uses
    ("市民来电反映：西湖区翠苑街道翠苑新村楼下广场舞音响太吵，晚上十点以后还在跳", "noise_social"),
    ("隔壁工地半夜还在浇筑混凝土，吵死了", "noise_construction"),
    ("我们小区停水了，一滴水都没有，什么时候恢复", "water_outage"),
    ("老板欠了我三个月工资不给，人也找不到", "wage_arrears"),
    ("河里好多死鱼，水又黑又臭", "water_pollution"),
    ("电梯卡在两楼中间，里面有人出不来", "elevator"),
    ("楼下饭店的油烟全飘到我家里，窗都不敢开", "air_pollution"),
    ("物业费收了服务跟不上，小区里垃圾也不扫", "property_management"),
    ("孩子上小学的学区划分怎么查", "school_enrolment"),
    ("医保异地报销要准备哪些材料", "medical_insurance"),
    ("打车司机故意绕远路，多收了我三十块", "taxi"),
    ("浙里办登录老是失败，验证码收不到", "gov_app"),
    ("路口那盏路灯一直不亮，晚上很黑", "streetlight"),
    ("马路边上好多小摊贩占道摆摊卖水果", "street_vendor"),
    ("楼道里有人拉电线给电动车充电，着火了怎么办", "safety_hazard"),
    ("健身卡还没用完健身房就关门了，钱退不回来", "consumer_dispute"),
    ("外卖吃出虫子，肚子疼了一晚上", "food_safety"),
    ("房东不退押金", "housing_management"),
    ("低保申请被退回来了，家里真的很困难", "social_assistance"),
    ("公交车半个小时都等不到一班", "public_transport"),
]


def test_generalises_to_hand_written_tickets(model: Model) -> None:
    predicted = model.predict_many([text for text, _ in HAND_WRITTEN], k=3)
    top1 = sum(p[0][0] == want for p, (_, want) in zip(predicted, HAND_WRITTEN, strict=True))
    top3 = sum(want in {c for c, _ in p} for p, (_, want) in zip(predicted, HAND_WRITTEN, strict=True))
    assert top1 >= 18 and top3 == len(HAND_WRITTEN)  # measured: 20 and 20


def test_fast_scores_equal_the_pipeline(model: Model, split: classifier.Split) -> None:
    sample = split.test_texts[:200] + ["", "？？？", "abc 123"]
    assert np.abs(model.scores(sample) - model.pipeline.decision_function(sample)).max() < 1e-9


def test_latency(model: Model, split: classifier.Split) -> None:
    seconds = []
    for text in split.test_texts[:300]:
        start = time.perf_counter()
        model.predict(text)
        seconds.append(time.perf_counter() - start)
    seconds.sort()
    assert seconds[int(len(seconds) * 0.99)] < 0.05  # the bench target is 20 ms; slack for a busy CI box


def test_cached_and_reloaded(model: Model, var_dir: Path, split: classifier.Split) -> None:
    path = next((var_dir / "people_call_we_act").glob("dispatch_*.joblib"))
    before = path.stat().st_mtime_ns
    again = classifier.default_model(var_dir, seed=2021)
    assert path.stat().st_mtime_ns == before
    sample = split.test_texts[:50]
    assert again.predict_many(sample) == model.predict_many(sample)
    copy = pickle.loads(pickle.dumps(model.pipeline))  # noqa: S301 - our own object; the tokenizer pickles by name
    assert list(copy.predict(sample)) == list(model.pipeline.predict(sample))
    clone(model.pipeline)  # jieba.lcut would fail here (lock)


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    small = classifier.default_model(tmp_path, seed=5, size=600)
    path = next((tmp_path / "people_call_we_act").glob("dispatch_*_5_600.joblib"))
    path.write_bytes(b"not a model")
    rebuilt = classifier.default_model(tmp_path, seed=5, size=600)
    assert classifier.load(path).temperature == rebuilt.temperature == small.temperature
    assert rebuilt.predict_many(["楼下停水了"]) == small.predict_many(["楼下停水了"])


def test_dispatch_routes_by_category_and_place(model: Model) -> None:
    text = "市民来电反映：西湖区翠苑街道翠苑新村的广场舞每天晚上音响开得特别大声，吵得人没法休息"
    d = classifier.dispatch(model, text)
    assert (d.category, d.department_code, d.location.street) == ("noise_social", "330106-public_security", "翠苑街道")
    assert not d.needs_human
    d = classifier.dispatch(model, "家里停水两天了", lon=120.196, lat=30.189)
    assert (d.category, d.department_code, d.location.street) == ("water_outage", "330100-urban_management", "长河街道")
    d = classifier.dispatch(model, "楼道里电瓶车充电很危险")
    assert d.department_code is None and d.needs_human
