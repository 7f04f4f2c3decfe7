"""What the departments record about the enterprises once the people are known: the enterprise registry
and food-business licences (市场监管), village projects and contracts (农业农村).

Planted anomalies, marked in the truth: ``cadre_employer`` (a village project awarded to the company that
pays the village cadre's social insurance, the Jiande pattern of C4) and ``closed_licensee`` (a food
licence held by an enterprise that has been deregistered or revoked) and ``cadre_self`` (a village contract
whose other party is the village's own cadre).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from stdnum import luhn

from digigov.demo.govdata.enterprises import Enterprise, Registry
from digigov.demo.govdata.people import Person
from digigov.demo.govdata.reference import (
    REF_DATE,
    County,
    World,
    county_department_suffix,
    excel_serial,
    random_day,
    vocab,
)
from digigov.demo.govdata.sink import Sink

CADRE_EMPLOYER = "cadre_employer"
CLOSED_LICENSEE = "closed_licensee"
CADRE_SELF = "cadre_self"

ENTERPRISE_SCHEMA = pa.schema([
    ("enterprise_key", pa.string()), ("uscc", pa.string()), ("name", pa.string()), ("form", pa.string()),
    ("kind", pa.string()), ("county", pa.string()), ("town", pa.string()), ("village", pa.string()),
    ("address", pa.string()), ("capital", pa.float64()), ("established", pa.date32()), ("status", pa.string()),
    ("industry", pa.string()), ("food", pa.string()), ("construction", pa.bool_()), ("legal_rep_key", pa.string()),
    ("legal_rep_name", pa.string()), ("legal_rep_id", pa.string()), ("employees", pa.int64()),
])


def enterprise_columns(items: list[Enterprise]) -> dict[str, list[Any]]:
    return {
        "enterprise_key": [e.key for e in items], "uscc": [e.uscc for e in items], "name": [e.name for e in items],
        "form": [e.form for e in items], "kind": [e.kind for e in items], "county": [e.county.code for e in items],
        "town": [e.town for e in items], "village": [e.village for e in items],
        "address": ["浙江省" + e.address for e in items], "capital": [e.capital for e in items],
        "established": [e.established for e in items], "status": [e.status for e in items],
        "industry": [e.industry for e in items], "food": [e.food or None for e in items],
        "construction": [e.construction for e in items], "legal_rep_key": [e.rep_key for e in items],
        "legal_rep_name": [e.rep_name for e in items], "legal_rep_id": [e.rep_id for e in items],
        "employees": [e.employees for e in items],
    }


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Business:
    def __init__(self, world: World, registry: Registry, cadres: dict[str, list[Person]], people: int,
                 seed: int) -> None:
        self.world = world
        self.registry = registry
        self.cadre_pool = cadres
        self.everyone = [p for pool in cadres.values() for p in pool]
        self.people = people
        self.rng = random.Random(f"{seed}:business")
        self.market = county_department_suffix("market_regulation")
        self.by_village: dict[tuple[str, str], Person] = {}
        self.builders: dict[str, list[Enterprise]] = {}
        self.firms: dict[str, list[Enterprise]] = {}
        for e in registry.items:
            if e.active and e.kind != "cooperative":
                self.firms.setdefault(e.county.code, []).append(e)
                if e.construction:
                    self.builders.setdefault(e.county.code, []).append(e)
                    self.builders.setdefault(e.county.city_code, []).append(e)
                    self.builders.setdefault("", []).append(e)
                self.firms.setdefault("", []).append(e)

    # ------------------------------------------------------------------ 市场监管

    def enterprises(self, sink: Sink) -> None:
        for e in self.registry.items:
            row = [e.uscc, e.name, e.form, e.rep_name, e.rep_id, f"{e.capital:.2f}", e.established.isoformat(),
                   e.status, e.industry, "浙江省" + e.address, e.county.prefix + self.market]
            sink.emit(row, e.key, person=e.rep_key, enterprise=e.key)

    def food_licences(self, sink: Sink) -> None:
        rng = self.rng
        serials: dict[str, int] = {}
        for e in self.registry.items:
            if not e.food or rng.random() >= (0.9 if e.active else 0.25):
                continue  # about one in ten food businesses trades without a licence
            catering = e.food == "catering"
            serial = serials.get(e.county.code, rng.randrange(1000, 9000)) + rng.randint(1, 40)
            serials[e.county.code] = serial
            digits = f"{'2' if catering else '1'}{e.county.code}{serial % 10**6:06d}"
            issued = random_day(rng, max(e.established, dt.date(2016, 1, 1)), REF_DATE)
            expires = add_years(issued, 5) - dt.timedelta(days=1)
            place = "浙江省" + e.address
            projects = "热食类食品制售" + rng.choice(("", ",冷食类食品制售", ",自制饮品制售")) if catering else \
                "预包装食品销售（含冷藏冷冻食品）" + rng.choice(("", ",散装食品销售（不含冷藏冷冻食品）"))
            form = "餐饮服务经营者" if catering else "食品销售经营者"
            row = [f"JY{digits}{luhn.calc_check_digit(digits)}", e.name, e.uscc, e.rep_name, place, form, projects,
                   issued.isoformat(), expires.isoformat(), e.county.prefix + self.market]
            anomaly = None if e.active else CLOSED_LICENSEE
            sink.emit(row, e.key, person=e.rep_key, enterprise=e.key, anomaly=anomaly)

    # ------------------------------------------------------------------ 农业农村

    def _village(self) -> tuple[County, str, str]:
        rng = self.rng
        county = self.world.home(rng)
        rural = [(t.name, v) for t in county.towns for v in t.villages if v.endswith("村")]
        town, village = rng.choice(rural)
        return county, town, village

    def cadre(self, county: County, village: str) -> Person:
        """The village's cadre (村干部), the same person for all of the village's projects and contracts."""
        found = self.by_village.get((county.code, village))
        if found is None:
            pool = self.cadre_pool.get(county.code) or self.everyone
            found = self.by_village[(county.code, village)] = self.rng.choice(pool)
        return found

    def _pick(self, table: dict[str, list[Enterprise]], *codes: str) -> Enterprise:
        for code in codes:
            if table.get(code):
                return self.rng.choice(table[code])
        return self.rng.choice(self.firms[""])

    def village_projects(self, sink: Sink) -> None:
        rng = self.rng
        works: list[str] = vocab()["village_works"]
        for serial in range(1, max(10, self.people // 200) + 1):
            county, town, village = self._village()
            cadre = self.cadre(county, village)
            own = self.registry.items[cadre.employer] if cadre.employer >= 0 else None
            anomaly = None
            if own is not None and own.active and rng.random() < 0.1:
                winner, anomaly = own, CADRE_EMPLOYER
            else:
                winner = self._pick(self.builders, county.code, county.city_code, "")
            amount = min(800.0, max(2.0, round(35 * rng.lognormvariate(0, 0.8), 1)))
            start = random_day(rng, dt.date(2020, 3, 1), REF_DATE)
            name = ("" if rng.random() < 0.7 else f"{start.year}年度") + village + rng.choice(works)
            row = [f"CJGC{county.code}{start.year}{serial:05d}", name, village, town, county.code, winner.name,
                   winner.uscc, f"{amount:g}万元", f"{start.year}/{start.month}/{start.day}", cadre.name, cadre.mobile]
            sink.emit(row, winner.key, enterprise=winner.key, official=cadre.key, anomaly=anomaly)

    def village_contracts(self, sink: Sink) -> None:
        rng = self.rng
        v = vocab()
        kinds: list[list[Any]] = v["contract_kinds"]
        works: list[str] = v["village_works"]
        medians = {"工程施工": 300_000, "物资采购": 30_000, "土地承包": 30_000, "房屋租赁": 40_000,
                   "保洁绿化服务": 60_000, "山林承包": 15_000}
        terms: dict[str, Callable[[], int]] = {
            "工程施工": lambda: rng.randint(90, 365), "物资采购": lambda: rng.randint(30, 90),
            "土地承包": lambda: 365 * rng.randint(3, 10), "房屋租赁": lambda: 365 * rng.randint(1, 5),
            "保洁绿化服务": lambda: 365, "山林承包": lambda: 365 * rng.randint(5, 15),
        }
        for serial in range(1, max(20, self.people // 50) + 1):
            county, town, village = self._village()
            cadre = self.cadre(county, village)
            kind, party_kind, document, _ = rng.choices(kinds, weights=[k[3] for k in kinds])[0]
            amount = round(medians[kind] * rng.lognormvariate(0, 0.7), -2) or 100.0
            signed = random_day(rng, dt.date(2019, 1, 1), REF_DATE)
            due = signed + dt.timedelta(days=terms[kind]())
            share = 1.0 if rng.random() < 0.8 else rng.choice((0.0, 0.3, 0.5))
            paid = round(amount * (share if due <= REF_DATE else min(share, rng.uniform(0, 0.7))), -2)
            if party_kind == "person":
                pool = self.cadre_pool.get(county.code) or self.everyone
                person = cadre if rng.random() < 0.02 else rng.choice(pool)
                for _ in range(5):
                    if person is not cadre or rng.random() < 0.02:
                        break
                    person = rng.choice(pool)
                party_name, uscc, cid, key, kind_of = person.name, "", person.citizen_id, person.key, "person"
            else:
                table = self.builders if party_kind == "enterprise_construction" else self.firms
                firm = self._pick(table, county.code, county.city_code, "")
                party_name, uscc, cid, key, kind_of = firm.name, firm.uscc, "", firm.key, "enterprise"
            work = rng.choice(works).removesuffix("工程").removesuffix("项目")
            title = village + (work if kind == "工程施工" else "")
            row = [f"HT{county.code}{signed.year}{serial:05d}", title + document, kind, village, town, county.code,
                   f"{county.name}{town}{village}股份经济合作社", party_name, uscc, cid, amount, paid,
                   excel_serial(signed), excel_serial(due), cadre.name]
            sink.emit(row, key, person=key if kind_of == "person" else None,
                      enterprise=key if kind_of == "enterprise" else None, official=cadre.key, entity_kind=kind_of,
                      anomaly=CADRE_SELF if key == cadre.key else None)
