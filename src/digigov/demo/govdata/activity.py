"""What the departments record about each person as the people are generated: the household register
(公安), deaths and subsistence allowances (民政), social-insurance contributions (人力社保) and medical
claims (医保).

About 15% of the people who died go on appearing after their death (claims, contributions, allowances,
an uncancelled registration): the truth marks those rows with the anomaly ``after_death``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import pyarrow as pa

from digigov.demo.govdata.enterprises import Registry
from digigov.demo.govdata.noise import format_date
from digigov.demo.govdata.people import Person, age_on
from digigov.demo.govdata.reference import (
    REF_DATE,
    County,
    between,
    county_department_suffix,
    pick,
    random_day,
    vocab,
    weighted,
)
from digigov.demo.govdata.sink import Sink

AFTER_DEATH = "after_death"
ZOMBIE_SHARE = 0.15  # of the dead, those whose records go on after death
MONTHS = ((dt.date(2021, 6, 1), "202106"), (dt.date(2021, 7, 1), "202107"), (dt.date(2021, 8, 1), "202108"))
CLAIM_WINDOW = (dt.date(2021, 1, 1), REF_DATE)
BASE_RANGE = (3322, 19783)  # 浙江 2021 social-insurance contribution base, 元/月
SUBSISTENCE_SHARE = 0.015  # of households

CLAIM_SCHEMA = pa.schema([
    ("结算单号", pa.string()), ("参保人姓名", pa.string()), ("证件号码", pa.string()), ("就诊日期", pa.date32()),
    ("医疗机构", pa.string()), ("就诊类型", pa.string()), ("疾病诊断", pa.string()), ("诊断编码", pa.string()),
    ("总金额", pa.float64()), ("统筹支付", pa.float64()),
])

PEOPLE_SCHEMA = pa.schema([
    ("person_key", pa.string()), ("citizen_id", pa.string()), ("name", pa.string()), ("gender", pa.string()),
    ("birth_date", pa.date32()), ("birth_county", pa.string()), ("county", pa.string()), ("town", pa.string()),
    ("village", pa.string()), ("address", pa.string()), ("mobile", pa.string()), ("household", pa.string()),
    ("relation", pa.string()), ("death_date", pa.date32()), ("employer_key", pa.string()),
])


def people_row(p: Person, employer_key: str | None) -> list[Any]:
    return [p.key, p.citizen_id, p.name, p.gender, p.birth, p.birth_county, p.county.code, p.town, p.village,
            "浙江省" + p.address, p.mobile or None, p.household, p.relation, p.death, employer_key]


class Diagnoses:
    """Diagnoses by age band and gender, as (name, ICD-10, visit type, mean cost) with cumulative weights."""

    def __init__(self) -> None:
        self.table: dict[tuple[int, str], tuple[list[list[Any]], list[float]]] = {}
        items: list[list[Any]] = vocab()["diagnoses"]
        for band in range(20):
            for gender in "男女":
                fits = [d for d in items if d[3] <= min(band * 5 + 2, 93) <= d[4] and d[5] in ("", gender)]
                weights, total = [], 0.0
                for d in fits:
                    total += d[6]
                    weights.append(total)
                self.table[(band, gender)] = (fits, weights)

    def pick(self, rng: random.Random, age: int, gender: str) -> list[Any]:
        fits, weights = self.table[(min(age // 5, 19), gender)]
        return weighted(rng, fits, weights)


class PersonActivity:
    def __init__(self, sinks: dict[str, Sink], registry: Registry, seed: int) -> None:
        self.sinks = sinks
        self.registry = registry
        self.rng = random.Random(f"{seed}:activity")
        self.diagnoses = Diagnoses()
        v = vocab()
        self.causes: dict[str, list[str]] = v["death_causes"]
        self.places: list[str] = v["death_places"]
        self.city_hospitals: dict[str, list[str]] = v["provincial_hospitals"]
        self.claim_serial = 0
        self.cadres: dict[str, list[Person]] = {}  # county -> adults who may serve as village cadres
        self.civil_affairs = county_department_suffix("civil_affairs")

    def household(self, members: list[Person], people_out: list[list[Any]]) -> None:
        rng = self.rng
        zombies = {p.key for p in members if p.death and rng.random() < ZOMBIE_SHARE}
        for p in members:
            zombie = p.key in zombies
            self.register(p, zombie)
            if p.death:
                self.death(p)
            self.contributions(p, zombie)
            self.claims(p, zombie)
            age = p.age
            if p.death is None and 22 <= age <= 75:
                self.registry.offer(p)
                if 30 <= age <= 65:
                    self._keep_cadre(p)
            employer = self.registry.items[p.employer].key if p.employer >= 0 else None
            people_out.append(people_row(p, employer))
        if rng.random() < SUBSISTENCE_SHARE * (0.55 if members[0].county.urban else 1.3):
            self.subsistence(members, zombies)

    def _keep_cadre(self, p: Person) -> None:
        pool = self.cadres.setdefault(p.county.code, [])
        if len(pool) < 40:
            pool.append(p)
        elif self.rng.random() < 0.02:
            pool[self.rng.randrange(40)] = p

    # ------------------------------------------------------------------ 公安: household register

    def register(self, p: Person, zombie: bool) -> None:
        if p.death and not zombie:
            return  # registration cancelled (户口注销) after the death
        row = [p.name, p.citizen_id, p.gender, f"{p.birth:%Y%m%d}", "浙江省" + p.address, p.mobile, p.household,
               p.relation]
        self.sinks["ps_household"].emit(row, p.key, person=p.key, anomaly=AFTER_DEATH if p.death else None)

    # ------------------------------------------------------------------ 民政: deaths, subsistence

    def death(self, p: Person) -> None:
        assert p.death is not None
        rng = self.rng
        age = age_on(p.birth, p.death)
        accident = age < 55 and rng.random() < 0.35
        cause = rng.choice(self.causes["accident" if accident else "illness"])
        place = self.places[0] if rng.random() < 0.6 else rng.choice(self.places)
        registered = min(REF_DATE, p.death + dt.timedelta(days=rng.randint(0, 25)))
        row = [p.name, p.citizen_id, p.gender, p.death, cause, place, "浙江省" + p.address, registered,
               p.county.prefix + self.civil_affairs]
        self.sinks["ca_death"].emit(row, p.key, person=p.key)

    def subsistence(self, members: list[Person], zombies: set[str]) -> None:
        rng = self.rng
        paid = dt.date(2021, 8, rng.randint(5, 10))
        alive = [p for p in members if not p.death or p.death >= paid]
        head = members[0]
        anomaly = None
        if head.death and head.death < paid:
            if head.key in zombies:
                anomaly, alive = AFTER_DEATH, [head, *alive]
            else:
                adults = [p for p in alive if p.age >= 18]
                if not adults:
                    return
                head = adults[0]
        county: County = head.county
        standard = 1100 if county.city_code in ("330100", "330200") else 1000
        amount = round(standard * len(alive) * rng.uniform(0.25, 0.85), -1)
        row = [head.name, head.citizen_id, str(len(alive)), f"{int(amount)}元", format_date(paid, "cn"), head.village,
               head.town, county.code]
        self.sinks["ca_subsistence"].emit(row, head.key, person=head.key, anomaly=anomaly)

    # ------------------------------------------------------------------ 人力社保: contributions

    def contributions(self, p: Person, zombie: bool) -> None:
        rng = self.rng
        age = p.age
        limit = 60 if p.gender == "男" else 55
        chance = 0.25 if age < 23 else 0.62 if age < 50 else 0.45 if age < limit else 0.04 if age < 66 else 0.0
        if rng.random() >= chance or (p.death and p.death < MONTHS[0][0] and not zombie):
            return
        employer = self.registry.employer(rng, p.county.code)
        if employer is None:
            return
        previous = self.registry.employer(rng, p.county.code) if rng.random() < 0.06 else None
        switch = between(rng, 1, 2)
        base = round(min(BASE_RANGE[1], max(BASE_RANGE[0], 5200 * rng.lognormvariate(0, 0.45))))
        p.employer = employer.index
        employer.employees += 1
        sink = self.sinks["hr_contribution"]
        for i, (start, month) in enumerate(MONTHS):
            anomaly = None
            if p.death and p.death < start:
                if not zombie:
                    break
                anomaly = AFTER_DEATH
            firm = previous if previous is not None and i < switch else employer
            insurance = "工伤保险" if firm.kind == "individual" else "企业职工基本养老保险"
            row = [p.citizen_id, p.name, firm.name, firm.uscc, f"{base}.00", month, insurance]
            sink.emit(row, p.key, person=p.key, enterprise=firm.key, anomaly=anomaly)

    # ------------------------------------------------------------------ 医保: claims

    def claims(self, p: Person, zombie: bool) -> None:
        rng = self.rng
        age = p.age
        count, threshold, product = 0, math.exp(-(0.15 + 0.012 * age)), rng.random()
        while product > threshold:  # Poisson (Knuth)
            count += 1
            product *= rng.random()
        start, end = max(CLAIM_WINDOW[0], p.birth), CLAIM_WINDOW[1]
        if p.death and not zombie:
            end = min(end, p.death)
        if count == 0 or end < start:
            return
        sink = self.sinks["ms_claim"]
        for _ in range(count):
            day = random_day(rng, start, end)
            name, code, visit, mean = self._diagnosis(p, day)
            total = round(mean * rng.lognormvariate(0, 0.55), 2)
            share = rng.uniform(0.6, 0.85) if visit == "住院" else rng.uniform(0.45, 0.7)
            self.claim_serial += 1
            row = [f"{p.county.code}{day:%Y%m%d}{self.claim_serial:07d}", p.name, p.citizen_id, day,
                   self.institution(p, visit), visit, name, code, total, round(total * share, 2)]
            anomaly = AFTER_DEATH if p.death and day > p.death else None
            sink.emit(row, p.key, person=p.key, anomaly=anomaly)

    def _diagnosis(self, p: Person, day: dt.date) -> tuple[str, str, str, float]:
        d = self.diagnoses.pick(self.rng, age_on(p.birth, day), p.gender)
        return d[0], d[1], d[2], float(d[7])

    def institution(self, p: Person, visit: str) -> str:
        rng = self.rng
        roll = rng.random()
        county = p.county
        if visit == "门诊" and roll < 0.45:
            kind = "社区卫生服务中心" if p.town.endswith("街道") else "卫生院"
            return f"{county.name}{p.town}{kind}"
        if roll < (0.85 if visit == "门诊" else 0.6):
            return county.name + pick(rng, ("人民医院", "人民医院", "中医院", "第二人民医院", "妇幼保健院"))
        if roll < 0.9:
            return rng.choice(self.city_hospitals[county.city_code])
        return rng.choice(self.city_hospitals["330100"])
