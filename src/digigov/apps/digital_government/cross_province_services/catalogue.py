"""The cross-province service catalogue (跨省通办事项清单) and the four cities, read from data/.

Both files ship with the application and are the same at every instance: an item's code, its competent
department kind and time limit, its required materials and the cities that offer it are agreed at the
four cities' joint meeting, so each side can check an application against the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from digigov.core.errors import InvalidInput, NotFound

DATA = Path(__file__).parent / "data"
GROUPS = {
    "social_security": ("社会保障", "Social security"),
    "exit_entry": ("出入境", "Exit and entry"),
    "vehicle": ("机动车和驾驶人", "Vehicles and drivers"),
    "household": ("户籍", "Household registration"),
    "enterprise": ("市场主体", "Market entities"),
    "housing_fund": ("住房公积金", "Housing provident fund"),
    "medical_insurance": ("医疗保障", "Medical insurance"),
    "civil_affairs": ("民政", "Civil affairs"),
    "health": ("卫生健康", "Health"),
    "tax": ("税务", "Tax"),
}


@dataclass(frozen=True)
class City:
    code: str  # GB/T 2260 division code
    name: str
    name_en: str
    province: str
    province_en: str
    province_code: str
    instance_id: str  # its platform instance in the federation

    def label(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    name_en: str
    group: str
    department_kind: str
    authority: str
    authority_en: str
    materials: tuple[str, ...]
    time_limit: int  # working days
    cities: tuple[str, ...]

    def offered_in(self, city: str) -> bool:
        return city in self.cities

    def label(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang == "en" else self.name

    def authority_in(self, city: City, lang: str = "zh-CN") -> str:
        """The competent authority in a city, e.g. 南平市住房公积金管理中心."""
        return f"{city.name_en} {self.authority_en}" if lang == "en" else f"{city.name}{self.authority}"

    def department_code(self, city: str) -> str:
        return f"{city}-{self.department_kind}"


def _load(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


@cache
def cities() -> dict[str, City]:
    return {str(r["code"]): City(str(r["code"]), r["name"], r["name_en"], r["province"], r["province_en"],
                                 str(r["province_code"]), r["instance_id"]) for r in _load("cities.yaml")}


@cache
def items() -> dict[str, Item]:
    every = tuple(cities())
    out: dict[str, Item] = {}
    for r in _load("items.yaml"):
        offered = every if r["cities"] == "all" else tuple(str(c) for c in r["cities"])
        unknown = set(offered) - set(every)
        if unknown or r["group"] not in GROUPS or r["code"] in out:
            raise ValueError(f"bad catalogue entry {r['code']}: cities {sorted(unknown)}, group {r['group']}")
        out[r["code"]] = Item(r["code"], r["name"], r["name_en"], r["group"], r["department_kind"], r["authority"],
                              r["authority_en"], tuple(r["materials"]), int(r["time_limit"]), offered)
    return out


def city(code: str) -> City:
    found = cities().get(code) if isinstance(code, str) else None
    if found is None:
        raise InvalidInput(f"{str(code)[:16]} is not one of the four cities", key="xps_city_unknown",
                           city=str(code)[:16])
    return found


def city_of_instance(instance_id: str) -> City | None:
    return next((c for c in cities().values() if c.instance_id == instance_id), None)


def item(code: str) -> Item:
    found = items().get(code) if isinstance(code, str) else None
    if found is None:
        raise NotFound(f"no cross-province item {str(code)[:32]}", key="xps_item_unknown", item=str(code)[:32])
    return found
