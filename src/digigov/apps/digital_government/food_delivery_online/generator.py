"""The demo platforms' data, built from the demo province's own registries (market regulation's food-business
licences and enterprise registry, as loaded in the warehouse), with every problem planted on purpose and written
down as the truth the verification must find.

Deterministic for a seed. Three fictional platforms with different conduct (`PROFILES`): the first lists mostly
compliant shops, connects its kitchens, insures its riders, promises reasonable times and has few accidents; the
third does the opposite; the second is in between. So the health index must rank them in that order.

Listings. Every food-business licence whose holder is active and in force becomes a shop on one to three
platforms; the licences that expired or whose holder is deregistered become shops too (those are real problems of
the registry). Planted on top, on one platform each, weighted towards the worse platforms:

- ``no_licence``: an active enterprise without a food licence showing its credit code; one showing nothing; one
  showing a JY number that was never issued;
- ``uscc_invalid``: a credit code shown with a wrong check character;
- ``out_of_scope``: a catering licence without 自制饮品制售 listed under 奶茶饮品 (or without 冷食类 under 凉菜卤味),
  a food-sale licence listed under 快餐简餐;
- ``licence_other_entity``: an enterprise without a licence showing another holder's licence;
- ``licence_shared``: one licence shown by two more shops at other premises;
- ``photo_mismatch``: a licence photo showing another licence's number.

Near-miss twins that must not be flagged: the same shop on two platforms with its address written differently; an
operator name with another legal-form suffix or a space; a credit code shown in lower case with spaces (resolved to
its holder's licence); a number shown only on the photo; a licence photo whose number has spaces; shops with 9 and
10 orders a day, the first without a kitchen, the second with one.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from stdnum.cn import ric

from digigov.apps.digital_government.food_delivery_online import datasets, kitchens, licences, reference, riders
from digigov.platform.entities import normalize

SIZES = {"small": (150, 1200), "medium": (3000, 20000), "large": (20000, 100000)}  # riders, deliveries
DEREGISTERED = licences.DEREGISTERED


@dataclass(frozen=True)
class Profile:
    share: float  # market share (riders, deliveries)
    list_p: float  # chance a compliant shop is on this platform
    problem_weight: float  # how often a planted problem lands here
    kitchen_required_p: float  # chance a shop with >= 10 orders a day shows its kitchen
    kitchen_optional_p: float
    false_claim: float  # riders declared insured without any enrolment
    stopped: float  # riders declared insured whose enrolment stopped
    promise_factor: float  # promised time over the expected time
    accident_rate: float  # accidents per rider over the period


PROFILES: dict[str, Profile] = {
    "xianda": Profile(0.45, 0.8, 1.0, 0.97, 0.45, 0.01, 0.0, 1.25, 0.02),
    "chengzi": Profile(0.35, 0.6, 2.5, 0.82, 0.3, 0.06, 0.03, 1.0, 0.05),
    "zhelisong": Profile(0.20, 0.35, 6.0, 0.5, 0.15, 0.15, 0.05, 0.72, 0.14),
}
PREFIX = {"xianda": "XD", "chengzi": "CZ", "zhelisong": "ZL"}
WEATHER_P = {"晴": 0.35, "多云": 0.25, "阴": 0.15, "小雨": 0.12, "中雨": 0.06, "大雨": 0.04, "雪": 0.03}
WEATHER_SPEED = {"晴": 1.0, "多云": 1.0, "阴": 0.97, "小雨": 0.85, "中雨": 0.78, "大雨": 0.66, "雪": 0.58}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华飞鹏辉建波宁浩亮凯斌俊峰"
MOBILE = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "180", "187", "188", "189")
FALLBACK_COUNTIES = ("330102", "330106", "330203", "330302", "330402", "330502", "330602", "330702", "330802")


@dataclass
class Generated:
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)  # dataset code -> rows in header order
    truth: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Shop:
    licence: licences.Licence | None
    operator: str
    address: str
    county: str
    category: str
    displayed: str
    photo: str
    kinds: set[str]
    platforms: list[str]
    name: str = ""
    orders: int | None = None  # fixed orders a day (the kitchen near-miss twins)
    kitchen: bool | None = None  # fixed kitchen connection (the kitchen near-miss twins)


def _status(ents: Mapping[str, licences.Enterprise], uscc: str) -> str:
    e = ents.get(uscc)
    return e.status if e else ""


def licence_photo(lic: licences.Licence, number: str | None = None) -> str:
    """The text an OCR reads off a food-business licence."""
    exp = lic.expires_on
    until = f"{exp.year}年{exp.month:02d}月{exp.day:02d}日" if exp else ""
    return (f"食品经营许可证\n经营者名称：{lic.holder}\n社会信用代码（身份证号码）：{lic.uscc}\n"
            f"经营场所：{lic.premises}\n"
            f"主体业态：{lic.form}\n经营项目：{'，'.join(lic.items)}\n许可证编号：{number or lic.number}\n"
            f"有效期至：{until}\n发证机关：{lic.authority}")


def business_photo(ent: licences.Enterprise, code: str | None = None) -> str:
    """The text an OCR reads off a business licence (营业执照)."""
    return (f"营业执照\n统一社会信用代码 {code or ent.uscc}\n名称 {ent.name}\n类型 {ent.form}\n住所 {ent.address}")


def _category(rng: random.Random, lic: licences.Licence) -> str:
    items = "，".join(lic.items)
    if lic.form != "餐饮服务经营者":
        return "convenience"
    if "自制饮品" in items and rng.random() < 0.5:
        return "drinks"
    if "冷食类" in items and rng.random() < 0.4:
        return "cold_dishes"
    return rng.choice(("chinese_food", "fast_food", "bbq"))


def _out_of_scope_category(lic: licences.Licence) -> str | None:
    items = "，".join(lic.items)
    if lic.form != "餐饮服务经营者":
        return "fast_food"
    if not lic.items:  # the registry does not say what it covers: the 主体业态 alone is out of scope
        return "convenience"
    if "自制饮品" not in items:
        return "drinks"
    if "冷食类" not in items:
        return "cold_dishes"
    return "bakery" if "糕点类" not in items else None


def _county_of(number: str) -> str:
    kind, code = licences.code_kind(number)
    if kind == "jy":
        return code[3:9]
    if kind == "uscc":
        return code[2:8]
    return ""


def _reformat(address: str) -> str:
    """The same premises as another platform writes it: no province, a space after the county."""
    text = address.removeprefix("浙江省")
    for mark in ("区", "县", "市"):
        at = text.find(mark, 3)
        if 0 < at < 10:
            return text[: at + 1] + " " + text[at + 1:]
    return text


def _twin_name(name: str) -> str:
    """The operator's name as a platform might write it, still the same entity once normalised."""
    if name.endswith("有限责任公司"):
        return name.removesuffix("有限责任公司") + "有限公司"
    if name.endswith("有限公司") and not name.endswith("股份有限公司"):
        return name.removesuffix("有限公司") + "有限责任公司"
    return name[:2] + " " + name[2:] if len(name) > 3 else name


def _shop_name(name: str) -> str:
    short = normalize.enterprise_name(name)
    return short if len(short) >= 4 else name


def _citizen_id(rng: random.Random, county: str) -> str:
    for attempt in range(50):
        region = county if attempt < 25 else rng.choice(FALLBACK_COUNTIES)
        birth = f"{rng.randint(1970, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        body = f"{region}{birth}{rng.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum takes the number with a check digit slot
        if riders.person_key(number):
            return number
    raise RuntimeError("no valid citizen ID could be made")  # never expected: the fallback regions are old


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _pick_platform(rng: random.Random, weight: str) -> str:
    codes = list(PROFILES)
    return rng.choices(codes, weights=[getattr(PROFILES[c], weight) for c in codes])[0]


def generate(licence_rows: Sequence[Mapping[str, Any]], enterprise_rows: Sequence[Mapping[str, Any]], *,
             size: str = "small", seed: int = 2021, captured_on: date) -> Generated:
    rng = random.Random(f"{seed}:food_delivery_online")
    registry = licences.Registry.from_rows(licence_rows, enterprise_rows)
    ents = registry.enterprises
    all_licences = sorted(registry.by_number.values(), key=lambda lic: lic.number)
    good: list[licences.Licence] = []
    natural: list[licences.Licence] = []
    for lic in all_licences:
        expired = lic.expires_on is not None and lic.expires_on < captured_on
        closed = _status(ents, lic.uscc) in DEREGISTERED
        (natural if expired or closed else good).append(lic)
    licensed = {lic.uscc for lic in all_licences}
    free = sorted((e for e in ents.values() if e.uscc not in licensed and e.status not in DEREGISTERED
                   and normalize.uscc_status(e.uscc) == "valid"), key=lambda e: e.uscc)
    rng.shuffle(good)
    rng.shuffle(free)
    free.sort(key=lambda e: e.industry != "住宿和餐饮业")  # the unlicensed kitchens first (stable: shuffled within)
    n = max(len(good), 1)

    def take(pool: list[Any], share: float) -> list[Any]:
        k = min(len(pool), max(1, round(share * n)))
        out, pool[:] = pool[:k], pool[k:]
        return out

    shops: list[_Shop] = []

    def licensed_shop(lic: licences.Licence, kinds: set[str], platforms: list[str], **kw: Any) -> _Shop:
        premises = lic.premises or (ents[lic.uscc].address if lic.uscc in ents else "")
        shop = _Shop(lic, lic.holder, premises, _county_of(lic.number) or _county_of(lic.uscc),
                     kw.pop("category", None) or _category(rng, lic), kw.pop("displayed", lic.number),
                     kw.pop("photo", None) or licence_photo(lic), kinds, platforms, **kw)
        shops.append(shop)
        return shop

    def clean_platforms() -> list[str]:
        chosen = [c for c, p in PROFILES.items() if rng.random() < p.list_p]
        return chosen or [_pick_platform(rng, "share")]

    def problem_platform() -> list[str]:
        return [_pick_platform(rng, "problem_weight")]

    # problems of the registry itself: expired licences, deregistered holders
    for lic in natural:
        kinds = set()
        if lic.expires_on is not None and lic.expires_on < captured_on:
            kinds.add("licence_expired")
        if _status(ents, lic.uscc) in DEREGISTERED:
            kinds.add("holder_deregistered")
        licensed_shop(lic, kinds, problem_platform())
    # planted licence problems
    for lic in take(good, 0.06):
        category = _out_of_scope_category(lic)
        if category is None:
            licensed_shop(lic, set(), clean_platforms())
        else:
            licensed_shop(lic, {"out_of_scope"}, problem_platform(), category=category)
    borrowed = take(good, 0.05)
    for lic in borrowed:
        if not free:
            licensed_shop(lic, set(), clean_platforms())
            continue
        operator = free.pop()
        shop = licensed_shop(lic, {"licence_other_entity"}, problem_platform())
        shop.operator, shop.address, shop.county = operator.name, operator.address, _county_of(operator.uscc)
    places = sorted((e for e in ents.values() if e.address), key=lambda e: e.uscc)
    for lic in take(good, 0.03):
        licensed_shop(lic, set(), clean_platforms())
        others = [e for e in places if licences.premises_key(e.address) != licences.premises_key(lic.premises)]
        for e in rng.sample(others, min(2, len(others))):
            shop = licensed_shop(lic, {"licence_shared"}, problem_platform())
            shop.address, shop.county = e.address, _county_of(e.uscc)
    for lic in take(good, 0.05):
        other = rng.choice(all_licences)
        fake = other.number if other.number != lic.number else "JY" + "".join(reversed(lic.number[2:]))
        licensed_shop(lic, {"photo_mismatch"}, problem_platform(), photo=licence_photo(lic, fake))
    # near-miss twins, compliant
    for lic in take(good, 0.08):
        shop = licensed_shop(lic, set(), clean_platforms())
        shop.operator = _twin_name(lic.holder)
    for lic in take(good, 0.08):
        code = lic.uscc.lower()
        licensed_shop(lic, set(), clean_platforms(), displayed=f"{code[:6]} {code[6:12]} {code[12:]}",
                      photo=business_photo(ents[lic.uscc]) if lic.uscc in ents else licence_photo(lic))
    for lic in take(good, 0.05):
        licensed_shop(lic, set(), clean_platforms(), displayed="")
    for lic in take(good, 0.05):
        licensed_shop(lic, set(), clean_platforms(), photo=licence_photo(lic, f"{lic.number[:8]} {lic.number[8:]}"))
    for lic in good:
        licensed_shop(lic, set(), clean_platforms())
    # planted unlicensed shops
    for e in take(free, 0.06):
        shops.append(_Shop(None, e.name, e.address, _county_of(e.uscc), "fast_food", e.uscc, business_photo(e),
                           {"no_licence"}, problem_platform()))
    for e in take(free, 0.03):
        shops.append(_Shop(None, e.name, e.address, _county_of(e.uscc), "chinese_food", "", "", {"no_licence"},
                           problem_platform()))
    for e in take(free, 0.03):
        digits = f"2{_county_of(e.uscc) or '330106'}{rng.randrange(10**6, 10**7)}"[:14]
        while "JY" + digits in registry.by_number:
            digits = digits[:-1] + str((int(digits[-1]) + 1) % 10)
        shops.append(_Shop(None, e.name, e.address, _county_of(e.uscc), "bbq", "JY" + digits, "", {"no_licence"},
                           problem_platform()))
    for e in take(free, 0.04):
        wrong = e.uscc[:-1] + next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"
                                   if normalize.uscc_status(e.uscc[:-1] + c) == "invalid")
        shops.append(_Shop(None, e.name, e.address, _county_of(e.uscc), "fast_food", wrong, business_photo(e, wrong),
                           {"uscc_invalid"}, problem_platform()))
    # the kitchen near-miss twins: 9 orders without a kitchen, 10 with one (compliant shops, catering)
    twins = [s for s in shops if not s.kinds and reference.categories()[s.category].catering][:2]
    for s, orders, connected in zip(twins, (9, 10), (False, True), strict=False):
        s.orders, s.kitchen, s.platforms = orders, connected, s.platforms[:1]
    out = Generated()
    _listings(rng, shops, captured_on, out)
    counties = sorted({s.county for s in shops if s.county}) or list(FALLBACK_COUNTIES)
    _riders(rng, size, counties, captured_on, out)
    return out


def _listings(rng: random.Random, shops: list[_Shop], captured_on: date, out: Generated) -> None:
    serials: Counter[str] = Counter()
    listing_rows, kitchen_rows = [], []
    truth: dict[str, list[str]] = {}
    planted: Counter[str] = Counter()
    for shop in shops:
        for n, platform in enumerate(shop.platforms):
            serials[platform] += 1
            shop_id = f"{PREFIX[platform]}{serials[platform]:07d}"
            orders = shop.orders if shop.orders is not None else \
                max(1, min(400, int(rng.lognormvariate(2.35, 0.85))))
            address = shop.address if n == 0 else _reformat(shop.address)
            category = reference.categories()[shop.category]
            listing_rows.append([platform, shop_id, _shop_name(shop.licence.holder if shop.licence else shop.operator),
                                 shop.operator, address, shop.county, category.name, shop.displayed, shop.photo, orders,
                                 captured_on.isoformat()])
            kinds = set(shop.kinds)
            if category.catering:
                p = PROFILES[platform]
                required = orders >= kitchens.MANDATORY_ORDERS
                connected = shop.kitchen if shop.kitchen is not None else \
                    rng.random() < (p.kitchen_required_p if required else p.kitchen_optional_p)
                if connected:
                    since = captured_on - timedelta(days=rng.randint(20, 400))
                    kitchen_rows.append([platform, shop_id, kitchens.CONNECTED, since.isoformat(),
                                         f"{rng.uniform(55, 100):.1f}", rng.choice((0, 0, 0, 1, 1, 2, 3))])
                elif rng.random() < 0.5:
                    kitchen_rows.append([platform, shop_id, rng.choice(("未接入", "已断开")), "", "0", 0])
                if required and not connected:
                    kinds.add("kitchen_unconnected")
            planted.update(kinds)
            truth[f"{platform}:{shop_id}"] = sorted(kinds)
    out.rows[datasets.LISTINGS.code] = listing_rows
    out.rows[datasets.KITCHENS.code] = kitchen_rows
    out.truth["listings"] = truth
    out.truth["planted"] = dict(sorted(planted.items()))


def _riders(rng: random.Random, size: str, counties: list[str], captured_on: date, out: Generated) -> None:
    n_riders, n_deliveries = SIZES.get(size, SIZES["small"])
    platforms = reference.platforms()
    rider_rows, enrolment_rows, accident_rows, delivery_rows = [], [], [], []
    by_platform: dict[str, list[list[Any]]] = defaultdict(list)
    violations: list[str] = []
    people: list[tuple[str, str, str, str]] = []  # (citizen ID, name, county, platform) of every rider made
    for code, p in PROFILES.items():
        elsewhere = list(people)
        for i in range(max(10, round(n_riders * p.share))):
            if elsewhere and rng.random() < 0.05:  # a rider who also works for another platform
                cid, name, county, _ = elsewhere.pop(rng.randrange(len(elsewhere)))
            else:
                county = rng.choice(counties)
                cid, name = _citizen_id(rng, county), _person(rng)
            people.append((cid, name, county, code))
            rider_no = f"{PREFIX[code]}R{i + 1:06d}"
            declared = rng.random() < 0.92
            company = platforms[code].company
            roll = rng.random()
            if declared and roll < p.false_claim:
                violations.append(f"{code}:{rider_no}")
            elif declared and roll < p.false_claim + p.stopped:
                enrolment_rows.append([cid, name, company, "新就业形态职业伤害保障", "已停保",
                                       (captured_on - timedelta(days=rng.randint(200, 600))).isoformat()])
                violations.append(f"{code}:{rider_no}")
            elif declared or rng.random() < 0.3:
                unit = _twin_name(company) if rng.random() < 0.1 else company
                enrolment_rows.append([cid.lower(), name, unit, "新就业形态职业伤害保障", "参保中",
                                       (captured_on - timedelta(days=rng.randint(10, 600))).isoformat()])
            row = [code, rider_no, name, cid, rng.choice(MOBILE) + f"{rng.randrange(10**8):08d}", county,
                   "已参保" if declared else "未参保", (captured_on - timedelta(days=rng.randint(10, 900))).isoformat()]
            rider_rows.append(row)
            by_platform[code].append(row)
    for _ in range(max(5, n_riders // 20)):  # enrolments of other platform workers (couriers, drivers)
        county = rng.choice(counties)
        enrolment_rows.append([_citizen_id(rng, county), _person(rng), "浙江快跑同城配送有限公司",
                               "新就业形态职业伤害保障",
                               "参保中", (captured_on - timedelta(days=rng.randint(10, 600))).isoformat()])
    # deliveries over the last 30 days
    hours = list(range(7, 24))
    hour_w = [1, 2, 3, 5, 14, 16, 8, 3, 2, 3, 6, 13, 14, 9, 5, 3, 2]
    for code, p in PROFILES.items():
        for i in range(max(60, round(n_deliveries * p.share))):
            rider = rng.choice(by_platform[code])
            hour = rng.choices(hours, weights=hour_w)[0]
            peak = hour in (11, 12, 17, 18, 19)
            weather = rng.choices(list(WEATHER_P), weights=list(WEATHER_P.values()))[0]
            congestion = round((1.55 if peak else 1.12) * rng.uniform(0.9, 1.3), 2)
            load = min(6, max(1, int(rng.gauss(3 if peak else 1.8, 1))))
            distance = round(min(8.0, max(0.3, rng.lognormvariate(0.8, 0.5))), 1)
            speed = 16.0 * WEATHER_SPEED[weather] / congestion
            expected = 6 + distance * 60 / speed + 2.2 * (load - 1)
            actual = round(expected * rng.lognormvariate(0, 0.15), 1)
            promised = round(expected * p.promise_factor * rng.lognormvariate(0, 0.05))
            day = captured_on - timedelta(days=rng.randint(0, 29))
            delivery_rows.append([code, f"{PREFIX[code]}{day:%Y%m%d}{i + 1:07d}", rider[1], rider[5], day.isoformat(),
                                  hour, weather, congestion, load, distance, promised, actual])
    # accidents the traffic police recorded
    accidents: Counter[str] = Counter()
    serial = 0

    def accident(cid: str, name: str, county: str, platform: str) -> None:
        nonlocal serial
        serial += 1
        day = captured_on - timedelta(days=rng.randint(0, 89))
        casualty = rng.choices(("财产损失", "受伤", "死亡"), weights=(70, 28, 2))[0]
        accident_rows.append([f"SG{county}{day:%Y%m%d}{serial:04d}", day.isoformat(), county, cid, name, "电动自行车",
                              rng.choice(("追尾", "侧面碰撞", "刮擦", "单车事故")), casualty,
                              rng.choice(("闯红灯", "逆行", "超速", "未按规定车道行驶", "")), platform])

    for code, p in PROFILES.items():
        riders_here = by_platform[code]
        for row in rng.sample(riders_here, min(len(riders_here), max(1, round(p.accident_rate * len(riders_here))))):
            accident(row[3], row[2], row[5], platforms[code].name if rng.random() < 0.5 else "")
            accidents[code] += 1
    for _ in range(3 + n_riders // 50):  # cyclists who are nobody's rider
        county = rng.choice(counties)
        accident(_citizen_id(rng, county), _person(rng), county, "")
    out.rows[datasets.RIDERS.code] = rider_rows
    out.rows[datasets.INJURY_INSURANCE.code] = enrolment_rows
    out.rows[datasets.DELIVERIES.code] = delivery_rows
    out.rows[datasets.ACCIDENTS.code] = accident_rows
    out.truth["riders_uninsured"] = sorted(violations)
    out.truth["accident_riders"] = dict(accidents)
    out.truth["platform_order"] = list(PROFILES)  # best first, as planted
