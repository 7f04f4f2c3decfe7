"""Demo tickets for 民呼我为, written the way callers and hotline operators write them.

`generate_tickets()` makes months of tickets with the hotline's daily rhythm (peaks 9-11 h and 14-17 h,
quiet at night), its weekly rhythm (weekends about half a weekday), repeat callers, and planted spikes
(`default_spikes()`: housing complaints +235 % for two weeks after a policy date, a water-main burst in
one street, an outage of the government app). `labelled_corpus()` gives (text, category) pairs for
training the dispatch classifier. Everything is deterministic for a seed.

Texts are assembled from data/ticket_phrases.yaml: a channel frame (市民来电反映：… for the hotline, 尊敬
的领导 for letters …), a place phrase from the gazetteer, one or two complaint sentences with their slots
filled, a demand; hotline notes are turned into the operator's third person, and some get typos and
homophones (在/再, 的/得, 噪声/躁音). About 8 % of tickets describe their problem with a neighbouring
category's words (a construction-noise call that sounds like a neighbour's renovation), so a classifier
cannot be perfect.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import yaml

from . import places, taxonomy
from .places import Street

CORPUS_VERSION = "2026.11-1"  # bump when phrases or generation change: cached models retrain
LOCAL = ZoneInfo("Asia/Shanghai")
CHANNELS = {"hotline": 55, "web": 20, "open311": 10, "mailbox": 8, "letter": 7}
PER_DAY = 40
AMBIGUOUS = 0.12
REPEATS = 0.03
# Local hour weights: night is quiet, peaks at 9-11 h and 14-17 h.
HOURS = (1, 1, 0.5, 0.5, 0.5, 1, 2, 5, 9, 14, 14, 12, 7, 8, 12, 13, 13, 11, 7, 6, 5, 4, 3, 2)
WEEKDAYS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.55, 0.5)
VOLUME = {  # relative call volume per category; 1 when not listed
    "noise_construction": 3, "noise_social": 3, "garbage": 2.5, "property_management": 3, "illegal_parking": 2.5,
    "housing_management": 2, "water_outage": 1.5, "road_damage": 1.5, "consumer_dispute": 2, "wage_arrears": 1.5,
    "street_vendor": 1.5, "policy_consult": 2.5, "social_insurance": 1.5, "medical_insurance": 1.5,
    "school_enrolment": 1.5, "public_transport": 1.5, "elevator": 1.2,
    "agriculture": 0.5, "land_planning": 0.6, "tax": 0.7, "noise_industrial": 0.7, "official_conduct": 0.5,
}
CONFUSABLE = {
    "noise_construction": ("noise_social", "noise_industrial"), "noise_social": ("noise_construction",),
    "noise_industrial": ("noise_construction", "air_pollution"), "air_pollution": ("noise_industrial", "garbage"),
    "water_pollution": ("air_pollution",), "garbage": ("street_vendor", "property_management"),
    "street_vendor": ("garbage", "illegal_parking"), "streetlight": ("road_damage",),
    "road_damage": ("streetlight",), "water_outage": ("property_management",), "gas": ("safety_hazard",),
    "illegal_parking": ("safety_hazard", "street_vendor"), "property_management": ("old_community", "garbage"),
    "housing_management": ("property_registration",), "old_community": ("property_management",),
    "property_registration": ("housing_management",), "consumer_dispute": ("price", "off_campus_training"),
    "price": ("consumer_dispute",), "social_insurance": ("medical_insurance", "employment"),
    "medical_insurance": ("social_insurance",), "employment": ("social_insurance", "wage_arrears"),
    "elderly_care": ("social_assistance", "subsidy_payment"), "social_assistance": ("subsidy_payment",),
    "subsidy_payment": ("social_assistance",), "public_transport": ("taxi",), "taxi": ("public_transport",),
    "official_conduct": ("repeat_complaint",), "repeat_complaint": ("official_conduct",),
    "policy_consult": ("household_registration",), "safety_hazard": ("illegal_parking",),
    "off_campus_training": ("consumer_dispute",), "food_safety": ("consumer_dispute",),
}


@dataclass(frozen=True)
class PlantedSpike:
    """Extra tickets of one category: `change_pct` more than its expected count over `days` from `start`,
    all in `street` (of `county_code`) when given; `phrases` are extra complaint sentences they use."""

    category: str
    start: date
    days: int
    change_pct: float
    county_code: str | None = None
    street: str | None = None
    phrases: tuple[str, ...] = ()


Spike = PlantedSpike


@dataclass(frozen=True)
class TicketRecord:
    text: str
    category: str
    channel: str
    created_at: datetime  # UTC
    county_code: str
    street: str
    lon: float
    lat: float
    caller_name: str
    phone: str
    true_department_kind: str
    repeat_of: int | None = None  # index of the earlier ticket this one repeats


@cache
def phrases() -> dict[str, dict[str, list[str]]]:
    text = resources.files(__package__).joinpath("data", "ticket_phrases.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, list[str]]] = yaml.safe_load(text)
    return data


def default_spikes(start: date) -> list[PlantedSpike]:
    """The demo's planted events (for a run of at least 90 days from `start`)."""
    return [
        PlantedSpike("housing_management", start + timedelta(days=63), 14, 235.0, phrases=(
            "房产新政出来以后我的购房资格没有了，之前交的定金怎么办",
            "新政说二手房要先网签再贷款，中介说现在网签停了",
            "限购新政执行以后开发商不给我们退认筹金",
            "新政对落户不满五年的限购，我社保交了四年十一个月，能不能通融",
        )),
        PlantedSpike("water_outage", start + timedelta(days=30), 3, 900.0, county_code="330105",
                     street="米市巷街道", phrases=(
            "湖墅南路那边爆管了，整个小区停水，到现在还没来水",
            "米市巷这一片全部停水，也没有送水车",
        )),
        PlantedSpike("gov_app", start + timedelta(days=48), 2, 500.0, phrases=(
            "浙里办今天一直登录不了，说系统维护，办事全卡住了",
            "浙里办系统崩了，公积金提取提交不上去",
        )),
    ]


# --- text ---------------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程沈魏"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌宇浩凯鹏晨婷雪琳欣怡涵轩诺豪远晓"
MOBILE = ("138", "139", "137", "136", "135", "158", "159", "157", "150", "151", "152", "187", "188", "182",
          "183", "189", "180", "181", "177", "133", "153", "199", "130", "131", "132", "155", "156", "186", "166")
TIMES = ("晚上十点以后", "凌晨一两点", "每天早上五六点", "半夜十二点多", "中午休息的时候", "晚上九点多",
         "周末一大早", "晚上11点后", "每天夜里", "早上6点不到")
DAYS = ("好几天", "一个多礼拜", "半个月", "两三天", "一个多月", "三天", "一周", "十几天", "2天")
MONEY = ("三千多块", "2000元", "八千", "1.2万", "五百多", "6800元", "四千块", "一万多", "1500元")
SHOPS = ("一家饭店", "楼下的烧烤店", "一家面馆", "路口的小超市", "一家奶茶店", "小区门口的水果店", "一家火锅店",
         "一家小吃店", "沿街的快餐店")
COMPANIES = ("小区物业", "物业公司", "绿城物业", "物业", "万科物业", "我们小区的物业公司")
HOSPITALS = ("市一医院", "区人民医院", "社区卫生服务中心", "浙一医院", "邵逸夫医院", "省中医院", "儿保", "妇保医院")
SCHOOLS = ("学军小学", "文三街小学", "采荷一小", "天长小学", "胜利小学", "保俶塔实验学校", "公办小学", "对口初中")
FRAMES = {
    "hotline": ("市民来电反映：{body}", "来电人反映，{body}", "市民来电称：{body}", "来电人{name}反映：{body}",
                "市民来电：{body}来电人要求尽快处理。", "{body}（来电人情绪较激动）"),
    "web": ("{body}", "你好，{body}", "我是{loc}的住户，{body}", "{body}谢谢！", "{body}！！！"),
    "open311": ("{body}", "{body}", "{loc}：{body}"),
    "mailbox": ("市长您好，{body}", "领导您好！{body}盼复。", "尊敬的市长：{body}"),
    "letter": ("尊敬的领导：您好！{body}此致敬礼", "尊敬的有关部门：{body}望回复为盼。"),
}
ASKS = ("希望相关部门尽快处理", "请尽快处理", "请有关部门核实处理", "麻烦尽快解决", "希望给个答复")
TYPOS = (("在", "再"), ("的", "得"), ("噪声", "躁音"), ("噪音", "燥音"), ("反映", "反应"), ("垃圾", "拉圾"),
         ("已经", "以经"), ("一直", "一至"), ("没人", "莫人"), ("处理", "处里"), ("做", "作"))
THIRD_PERSON = (("我们", "他们"), ("我家", "其家"), ("我的", "其"), ("我", "其"))


def _num(rng: random.Random, lo: int, hi: int) -> str:
    value = rng.randint(lo, hi)
    return str(value) if rng.random() < 0.6 else "零一二三四五六七八九十"[value] if value <= 10 else str(value)


def _slots(rng: random.Random, street: Street) -> dict[str, Callable[[], str]]:
    return {
        "loc": lambda: rng.choice(street.landmarks), "time": lambda: rng.choice(TIMES),
        "days": lambda: rng.choice(DAYS), "n": lambda: _num(rng, 2, 12), "money": lambda: rng.choice(MONEY),
        "shop": lambda: rng.choice(SHOPS), "company": lambda: rng.choice(COMPANIES),
        "line": lambda: f"{rng.choice(('', 'B支', 'K'))}{rng.randint(1, 399)}路",
        "plate": lambda: "浙A" + "".join(rng.choices("0123456789ABCDEFGHJK", k=5)),
        "school": lambda: rng.choice(SCHOOLS) if rng.random() < 0.6 else f"{street.short}小学",
        "hospital": lambda: rng.choice(HOSPITALS), "name": lambda: rng.choice(SURNAMES) + rng.choice(("先生", "女士")),
    }


def _fill(template: str, slots: dict[str, Callable[[], str]]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)](), template)


def _place(rng: random.Random, street: Street) -> str:
    county, mark = street.county_name, rng.choice(street.landmarks)
    short_county = county[:-1] if len(county) == 3 else county
    return rng.choice((f"{county}{street.name}{mark}", f"{street.name}{mark}", f"{short_county}{street.short}",
                       mark, f"{county}{mark}", f"{mark}附近", f"{street.name}", f"杭州{county}{mark}"))


def ticket_text(rng: random.Random, category: str, street: Street, channel: str,
                extra: tuple[str, ...] = ()) -> str:
    """One ticket's text for `category` at `street`, as written on `channel`."""
    table = phrases()
    slots = _slots(rng, street)
    own = table[category]["core"]
    pool = list(extra) * 3 + own if extra else own
    asks = table[category].get("ask", [])
    if rng.random() < AMBIGUOUS and category in CONFUSABLE:
        # told in a neighbouring category's words, with the caller's own demand and sometimes a hint
        other = table[rng.choice(CONFUSABLE[category])]["core"]
        sentences = [_fill(rng.choice(other), slots)]
        if rng.random() < 0.4:
            sentences.append(_fill(rng.choice(own), slots))
        if asks and rng.random() < 0.7:
            sentences.append(rng.choice(asks))
    else:
        first = rng.choice(pool)
        sentences = [_fill(first, slots)]
        if rng.random() < 0.25:
            sentences.append(_fill(rng.choice([p for p in own if p != first]), slots))
        if rng.random() < 0.7:
            sentences.append(rng.choice(asks) if asks and rng.random() < 0.6 else rng.choice(ASKS))
    place = _place(rng, street)
    lead = rng.random()
    if lead < 0.45:
        before, after = rng.choice(("家住", "在", "", "位于")), rng.choice(("，", "这边", "", "的"))
        sentences[0] = f"{before}{place}{after}{sentences[0]}"
    elif lead < 0.85:
        sentences.insert(1, f"地址在{place}")
    sep = "，" if rng.random() < 0.3 else "。"
    body = sep.join(sentences) + ("。" if rng.random() < 0.8 else "")
    if channel == "hotline":
        for first, third in THIRD_PERSON:
            body = body.replace(first, third)
    frame = rng.choice(FRAMES[channel])
    text = _fill(frame.replace("{body}", "\0"), slots | {"loc": lambda: place}).replace("\0", body)
    if rng.random() < 0.3:
        for right, wrong in rng.sample(TYPOS, 3):
            text = text.replace(right, wrong, 1)
    if rng.random() < 0.1:
        text = re.sub(r"[，。！]", " ", text)
    return text


# --- tickets -------------------------------------------------------------------------------------------

def _phone(rng: random.Random) -> str:
    return rng.choice(MOBILE) + "".join(rng.choices("0123456789", k=8))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _moment(rng: random.Random, day: date) -> datetime:
    hour = rng.choices(range(24), weights=HOURS)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), LOCAL)
    return local.astimezone(UTC)


def _ticket(rng: random.Random, category: str, street: Street, day: date,
            extra: tuple[str, ...] = ()) -> TicketRecord:
    channel = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
    return TicketRecord(
        text=ticket_text(rng, category, street, channel, extra), category=category, channel=channel,
        created_at=_moment(rng, day), county_code=street.county_code, street=street.name,
        lon=round(street.lon + rng.gauss(0, 0.006), 6), lat=round(street.lat + rng.gauss(0, 0.005), 6),
        caller_name=_name(rng), phone=_phone(rng),
        true_department_kind=taxonomy.get(category).department_kind)


def _repeat(rng: random.Random, original: TicketRecord) -> TicketRecord:
    later = original.created_at + timedelta(days=rng.uniform(0.5, 6.5))
    core = re.sub(r"^(市民来电反映：|来电人反映，|市民来电称：|你好，|市长您好，)", "", original.text)
    text = rng.choice(("再次来电反映：", "又来反映，", "之前反映过，")) + core
    return replace(original, text=text, created_at=later, lon=round(original.lon + rng.uniform(-1e-4, 1e-4), 6),
                   lat=round(original.lat + rng.uniform(-1e-4, 1e-4), 6), channel="hotline")


def generate_tickets(n: int | None = None, *, start: date, days: int, seed: int,
                     spikes: list[PlantedSpike] | None = None) -> list[TicketRecord]:
    """`n` ordinary tickets (default PER_DAY a day) over `days` days from `start`, about 3 % of them repeat
    calls about an earlier ticket, plus each planted spike's extra tickets; sorted by created_at."""
    rng = random.Random(seed)
    n = PER_DAY * days if n is None else n
    dates = [start + timedelta(days=i) for i in range(days)]
    day_weights = [WEEKDAYS[d.weekday()] for d in dates]
    codes = [c.code for c in taxonomy.CATEGORIES]
    volume = [VOLUME.get(c, 1.0) for c in codes]
    all_streets = places.streets()
    street_weights = [s.weight for s in all_streets]
    tickets = [
        _ticket(rng, rng.choices(codes, weights=volume)[0], rng.choices(all_streets, weights=street_weights)[0], day)
        for day in rng.choices(dates, weights=day_weights, k=n)
    ]
    for spike in spikes or []:
        window = [(d, w) for d, w in zip(dates, day_weights, strict=True)
                  if spike.start <= d < spike.start + timedelta(days=spike.days)]
        share = VOLUME.get(spike.category, 1.0) / sum(volume)
        expected = n * share * sum(w for _, w in window) / sum(day_weights)
        extra = round(expected * spike.change_pct / 100)
        where = [s for s in all_streets if (spike.county_code is None or s.county_code == spike.county_code)
                 and (spike.street is None or s.name == spike.street)] or list(all_streets)
        for _ in range(extra if window else 0):
            day = rng.choices([d for d, _ in window], weights=[w for _, w in window])[0]
            street = rng.choices(where, weights=[s.weight for s in where])[0]
            tickets.append(_ticket(rng, spike.category, street, day, spike.phrases))
    tickets.sort(key=lambda t: t.created_at)
    end = datetime.combine(dates[-1] + timedelta(days=1), time(), LOCAL)
    originals: dict[int, TicketRecord] = {}
    for j in range(1, len(tickets)):
        if rng.random() < REPEATS:
            i = rng.randrange(max(0, j - 200), j)
            repeat = _repeat(rng, tickets[i])
            if repeat.created_at < end:
                tickets[j] = repeat
                originals[id(repeat)] = tickets[i]
    tickets.sort(key=lambda t: t.created_at)
    position = {id(t): k for k, t in enumerate(tickets)}
    return [replace(t, repeat_of=position[id(originals[id(t)])]) if id(t) in originals else t for t in tickets]


def labelled_corpus(seed: int, size: int) -> list[tuple[str, str]]:
    """`size` (text, category) pairs for training and testing the classifier; every category appears,
    rarer ones at least half as often as the average."""
    rng = random.Random(seed)
    codes = [c.code for c in taxonomy.CATEGORIES]
    mean = sum(VOLUME.get(c, 1.0) for c in codes) / len(codes)
    weights = [VOLUME.get(c, 1.0) + mean / 2 for c in codes]
    all_streets = places.streets()
    street_weights = [s.weight for s in all_streets]
    out = []
    for _ in range(size):
        category = rng.choices(codes, weights=weights)[0]
        street = rng.choices(all_streets, weights=street_weights)[0]
        channel = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
        out.append((ticket_text(rng, category, street, channel), category))
    return out
