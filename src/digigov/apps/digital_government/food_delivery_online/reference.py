"""What the application knows before it reads any data: the delivery platforms, the listing categories with the
licence scope each needs (data/*.yaml), and the kinds of finding it reports, each with its severity and labels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Platform:
    code: str
    name: str
    name_en: str
    company: str  # the operating company: the unit that enrols its riders in occupational-injury insurance

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_en: str
    catering: bool  # a catering listing falls under the sunlit-kitchen rule
    forms: tuple[str, ...]  # 主体业态 the licence must have (one of)
    items: tuple[str, ...]  # 经营项目 the licence must cover (all)

    def label(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name


@dataclass(frozen=True)
class Kind:
    code: str
    subject: str  # listing / rider / platform / accident
    severity: str  # red / orange / yellow / blue
    name: str
    name_en: str
    sla_workdays: int
    department_kind: str  # who handles its case
    tier: str  # county / province


# The kinds of finding, most serious first (a listing's case is filed under its first kind).
KINDS: tuple[Kind, ...] = (
    Kind("no_licence", "listing", "red", "无食品经营许可证", "No food-business licence", 5, "market_regulation",
         "county"),
    Kind("uscc_invalid", "listing", "red", "统一社会信用代码校验不通过", "Credit code fails its check", 5,
         "market_regulation", "county"),
    Kind("holder_deregistered", "listing", "red", "持证主体已注销或吊销", "Licence holder deregistered or revoked", 5,
         "market_regulation", "county"),
    Kind("licence_expired", "listing", "orange", "许可证已过有效期", "Licence expired", 10, "market_regulation",
         "county"),
    Kind("licence_other_entity", "listing", "orange", "使用他人许可证", "Licence of another entity", 10,
         "market_regulation", "county"),
    Kind("licence_shared", "listing", "orange", "一证多店", "One licence used by several shops", 10,
         "market_regulation", "county"),
    Kind("out_of_scope", "listing", "yellow", "超范围经营", "Outside the licensed scope", 10, "market_regulation",
         "county"),
    Kind("photo_mismatch", "listing", "yellow", "证照照片与公示编号不符",
         "Licence photo does not match the number shown",
         10, "market_regulation", "county"),
    Kind("kitchen_unconnected", "listing", "yellow", "日均10单以上未接入阳光厨房",
         "Ten or more orders a day without a sunlit kitchen", 15, "market_regulation", "county"),
    Kind("rider_uninsured", "rider", "orange", "平台申报参保但人社无有效参保记录",
         "Declared insured by the platform, not insured in the HR records", 10, "human_resources", "county"),
    Kind("delivery_time_pressure", "platform", "orange", "承诺送达时长低于合理区间",
         "Promised delivery times below the reasonable window", 15, "market_regulation", "province"),
    Kind("traffic_accident", "accident", "blue", "骑手交通事故回传平台",
         "Rider traffic accident fed back to the platform",
         0, "", ""),
)
LISTING_KINDS = tuple(k.code for k in KINDS if k.subject == "listing")
LICENCE_KINDS = tuple(k for k in LISTING_KINDS if k != "kitchen_unconnected")


def kind(code: str) -> Kind:
    return next(k for k in KINDS if k.code == code)


def kinds() -> dict[str, Kind]:
    return {k.code: k for k in KINDS}


@cache
def platforms() -> dict[str, Platform]:
    raw = yaml.safe_load((DATA / "platforms.yaml").read_text(encoding="utf-8"))
    return {p["code"]: Platform(p["code"], p["name"], p["name_en"], p["company"]) for p in raw["platforms"]}


@cache
def categories() -> dict[str, Category]:
    raw = yaml.safe_load((DATA / "categories.yaml").read_text(encoding="utf-8"))
    return {c["code"]: Category(c["code"], c["name"], c["name_en"], bool(c["catering"]), tuple(c["forms"]),
                                tuple(c["items"])) for c in raw["categories"]}


def category_by_label(value: str) -> Category | None:
    """A category by its code or its Chinese name (the platforms report the name)."""
    text = (value or "").strip()
    found = categories().get(text)
    return found or next((c for c in categories().values() if c.name == text), None)
