"""The demo market entities (市场主体): companies, individual businesses (个体工商户) and farmers'
cooperatives (农民专业合作社), each with a valid 统一社会信用代码 (USCC, GB 32100).

A USCC is: registration authority (9 = market regulation), entity type (1 enterprise, 2 individual
business, 3 cooperative), the six-digit county code, the nine-character organisation code (GB 11714:
eight characters and their check character; "MA…" for those registered since October 2015), and the
mod-31 check character computed by ``stdnum.cn.uscc``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import deque
from dataclasses import dataclass

from stdnum.cn import uscc

from digigov.demo.govdata.people import Person
from digigov.demo.govdata.reference import (
    REF_DATE,
    County,
    World,
    cumulative,
    random_day,
    street_address,
    vocab,
    weighted,
)

_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the USCC alphabet (no I O S V Z)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
MA_SINCE = dt.date(2015, 10, 1)
ACTIVE = ("存续", "在业")

# (name suffix, 企业类型, share among companies)
COMPANY_FORMS = (
    ("有限公司", "有限责任公司(自然人投资或控股)", 70),
    ("有限责任公司", "有限责任公司(自然人独资)", 25),
    ("股份有限公司", "股份有限公司(非上市、自然人投资或控股)", 5),
)


@dataclass(slots=True)
class Enterprise:
    index: int
    key: str  # E000001
    uscc: str
    name: str
    form: str  # 企业类型
    kind: str  # company / individual / cooperative
    county: County
    town: str
    village: str
    address: str  # below the province
    capital: float  # 注册资本 / 资金数额, 万元
    established: dt.date
    status: str  # 存续 在业 注销 吊销
    industry: str  # GB/T 4754 sector (门类)
    food: str  # "" / catering / sale: the food-business licence it needs
    construction: bool
    size: float  # weight as an employer
    rep_key: str = ""
    rep_name: str = ""
    rep_id: str = ""
    employees: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def org_check_char(body: str) -> str:
    """The GB 11714 check character of an eight-character organisation code body."""
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_uscc(rng: random.Random, entity_type: str, county: str, established: dt.date, individual: bool) -> str:
    if individual or established >= MA_SINCE:
        body = "MA" + "".join(rng.choice(_ORG_ALPHABET) for _ in range(6))
    else:
        body = f"{rng.randrange(10**8):08d}"
    code = f"9{entity_type}{county}{body}{org_check_char(body)}"
    return code + uscc.calc_check_digit(code)


def _weighted(rng: random.Random, items: list[list[object]]) -> list[object]:
    return rng.choices(items, weights=[float(str(item[2])) for item in items])[0]


def make_enterprises(world: World, count: int, seed: int) -> list[Enterprise]:
    rng = random.Random(f"{seed}:enterprises")
    v = vocab()
    trade_chars: str = v["trade_chars"]
    industries: list[list[object]] = v["company_industries"]
    shops: list[list[object]] = v["shop_kinds"]
    years = list(range(1992, 2022))
    year_weights = cumulative([1.13 ** (y - 1992) for y in years])
    names: set[str] = set()
    codes: set[str] = set()
    out: list[Enterprise] = []
    for index in range(count):
        county = world.firm_county(rng)
        year = rng.choices(years, cum_weights=year_weights)[0]
        established = random_day(rng, dt.date(year, 1, 1), min(dt.date(year, 12, 31), REF_DATE))
        roll = rng.random()
        kind = "company" if roll < 0.55 else "individual" if roll < 0.95 else "cooperative"
        if kind == "company":
            word, industry, _, flag = _weighted(rng, industries)
            suffix, form, _ = rng.choices(COMPANY_FORMS, weights=[f[2] for f in COMPANY_FORMS])[0]
            capital = float(rng.choices((10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000),
                                        (8, 8, 14, 22, 12, 8, 10, 8, 4, 2, 1))[0])
            if suffix == "股份有限公司":
                capital = max(capital, 500.0)
            size = min(3000.0, capital**0.5 * rng.paretovariate(1.6))
            entity_type, status_active = "1", "存续"
        elif kind == "individual":
            word, industry, _, flag = _weighted(rng, shops)
            suffix, form = "", "个体工商户"
            capital = float(rng.choice((1, 2, 3, 5, 5, 10, 10, 20, 30, 50)))
            size, entity_type, status_active = 0.5, "2", "在业"
        else:
            word, industry, flag = rng.choice(v["coop_products"]) + "专业合作社", "农、林、牧、渔业", ""
            suffix, form = "", "农民专业合作社"
            capital = float(rng.choice((10, 50, 100, 200, 500)))
            size, entity_type, status_active = 1.0, "3", "在业"
        name = ""
        for attempt in range(40):
            trade = "".join(rng.choice(trade_chars) for _ in range(2 if attempt < 20 else 3))
            name = _name(rng, county, trade, str(word), suffix, kind, capital)
            if name not in names and trade[0] != trade[1]:
                break
        names.add(name)
        while True:
            code = make_uscc(rng, entity_type, county.code, established, kind == "individual")
            if code not in codes:
                codes.add(code)
                break
        age = (REF_DATE - established).days / 365.25
        closed = min(0.35, 0.03 + age * (0.02 if kind == "individual" else 0.012))
        roll = rng.random()
        status = "注销" if roll < closed else "吊销" if roll < closed * 1.3 else status_active
        town, village, rest = street_address(rng, county)
        out.append(Enterprise(
            index=index, key=f"E{index + 1:06d}", uscc=code, name=name, form=form, kind=kind, county=county,
            town=town.name, village=village, address=county.prefix + rest, capital=capital, established=established,
            status=status, industry=str(industry), food=str(flag) if flag in ("catering", "sale") else "",
            construction=flag == "construction", size=size,
        ))
    return out


def _name(rng: random.Random, county: County, trade: str, word: str, suffix: str, kind: str, capital: float) -> str:
    if kind == "individual":
        place = county.prefix if rng.random() < 0.5 else county.name
        return f"{place}{trade}{word}"
    if kind == "cooperative":
        return f"{county.name}{trade}{word}"
    roll = rng.random()
    if capital >= 1000 and roll < 0.3:
        return f"浙江{trade}{word}{suffix}"
    if roll < 0.5:
        return f"{county.city_short}{county.short}{trade}{word}{suffix}"
    if roll < 0.8:
        return f"{county.city_short}{trade}{word}{suffix}"
    if roll < 0.9:
        return f"{trade}（{county.city_short}）{word}{suffix}"
    if county.name[-1] in "市县":
        return f"{county.name}{trade}{word}{suffix}"
    return f"{county.city_short}{county.short}{trade}{word}{suffix}"


def _adult_at(person: Person, day: dt.date) -> bool:
    return day.year - person.birth.year > 18


class Registry:
    """The enterprises, with the employer lists of each county and the queue of those awaiting a legal
    representative. Representatives are taken from the people as they are generated: an adult living in a
    county with enterprises still waiting becomes the representative of the next one with a chance sized so
    that the queue empties before the end of the run."""

    ELIGIBLE_SHARE = 0.66  # of the people, roughly the share aged 22-75

    def __init__(self, world: World, enterprises: list[Enterprise], people: int, seed: int) -> None:
        self.items = enterprises
        self.rng = random.Random(f"{seed}:registry")
        self.waiting: dict[str, deque[int]] = {}
        for e in enterprises:
            self.waiting.setdefault(e.county.code, deque()).append(e.index)
        total_population = sum(c.population for c in world.counties)
        self.chance: dict[str, float] = {}
        for code, queue in self.waiting.items():
            county = enterprises[queue[0]].county
            expected = people * self.ELIGIBLE_SHARE * county.population / total_population
            self.chance[code] = min(1.0, 1.4 * len(queue) / max(expected, 1.0))
        self.employers: dict[str, tuple[list[int], list[float]]] = {}
        everywhere: list[Enterprise] = []
        for e in enterprises:
            if e.active and e.kind != "cooperative":
                everywhere.append(e)
        for e in everywhere:
            self.employers.setdefault(e.county.code, ([], []))[0].append(e.index)
        for indices, weights in self.employers.values():
            weights.extend(cumulative([enterprises[i].size for i in indices]))
        self.all_employers = ([e.index for e in everywhere], cumulative([e.size for e in everywhere]))
        self.spare: list[Person] = []  # recent adults, for enterprises left without a representative

    def offer(self, person: Person) -> None:
        """Maybe make ``person`` (an adult) the legal representative of waiting enterprises of their county."""
        queue = self.waiting.get(person.county.code)
        if len(self.spare) < 500:
            self.spare.append(person)
        elif self.rng.random() < 0.01:
            self.spare[self.rng.randrange(500)] = person
        if not queue or self.rng.random() >= self.chance[person.county.code]:
            return
        for _ in range(2 if self.rng.random() < 0.06 else 1):  # a few people head two businesses
            for i in range(min(8, len(queue))):  # the first waiting one founded when the person was an adult
                if _adult_at(person, self.items[queue[i]].established):
                    self._assign(self.items[queue[i]], person)
                    del queue[i]
                    break

    def finish(self) -> None:
        """Give the enterprises still waiting a representative from the spare adults."""
        for queue in self.waiting.values():
            for index in queue:
                enterprise = self.items[index]
                person = self.rng.choice(self.spare)
                for _ in range(50):
                    if _adult_at(person, enterprise.established):
                        break
                    person = self.rng.choice(self.spare)
                self._assign(enterprise, person)
            queue.clear()

    @staticmethod
    def _assign(enterprise: Enterprise, person: Person) -> None:
        enterprise.rep_key, enterprise.rep_name, enterprise.rep_id = person.key, person.name, person.citizen_id

    def employer(self, rng: random.Random, county: str) -> Enterprise | None:
        local = self.employers.get(county)
        indices, weights = local if local and rng.random() < 0.82 else self.all_employers
        if not indices:
            return None
        return self.items[weighted(rng, indices, weights)]
