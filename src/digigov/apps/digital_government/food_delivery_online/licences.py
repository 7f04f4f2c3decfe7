"""Merchant verification (商户证照核验): each platform listing matched with the food-business licences
(食品经营许可证) and the enterprise registry (企业登记) of market regulation. Domain logic without I/O: the
service reads the datasets and hands their rows in.

A listing shows a licence number (公示证照编号): a food-business licence number (JY + 14 digits) or a business
licence's unified social credit code (统一社会信用代码, 18 characters); the platform also sends the text read from
the licence photo (证照照片识别文本). The number used is the one shown, else the one in the photo. The checks:

- ``uscc_invalid``: the credit code shown fails its check character (GB 32100, python-stdnum); nothing else can be
  verified through it;
- ``no_licence``: nothing shown or readable, a JY number the registry does not know, or a credit code whose holder
  has no food-business licence;
- ``licence_expired``: the licence's 有效期至 is before the day the listing was captured;
- ``out_of_scope``: the licence's 主体业态 or 经营项目 does not cover the listing's category (data/categories.yaml);
- ``licence_other_entity``: the licence holder is not the shop's operator (names compared without legal-form
  suffix, brackets, spaces or punctuation: ``entities.normalize.enterprise_name``);
- ``licence_shared``: one licence shown by shops at more than one premises (addresses compared in a normal form);
  the listings away from the licensed premises are flagged;
- ``holder_deregistered``: the holder's 登记状态 in the enterprise registry is 注销 or 吊销;
- ``photo_mismatch``: the photo shows another licence number than the one shown.

Every listing gets a verdict, ``compliant`` or ``non_compliant``, with its findings and their evidence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from digigov.apps.digital_government.food_delivery_online import reference
from digigov.platform.entities import normalize
from digigov.platform.standards.normalize import halfwidth, simplified

DEREGISTERED = ("注销", "吊销")
_JY = re.compile(r"JY\d{14}")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
_SPACES = re.compile(r"\s+")
_ADDRESS_PUNCT = re.compile(r"[\s·.,，。、:：;；'\"“”‘’\-—_/\\()（）#]+")


def parse_date(value: object) -> date | None:
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def compact(value: str | None) -> str:
    """Half-width, upper case, without any whitespace: the form numbers are compared in."""
    return _SPACES.sub("", halfwidth(value or "")).upper()


def code_kind(value: str | None) -> tuple[str, str]:
    """(``jy`` | ``uscc`` | ``other`` | ``""``, the compact value) for a number as shown."""
    text = compact(value)
    if not text:
        return "", ""
    if _JY.fullmatch(text):
        return "jy", text
    if len(text) == 18 and text[:2].isalnum():
        return "uscc", text
    return "other", text


def read_photo(text: str | None) -> tuple[str, str]:
    """(JY number, credit code) found in the text read from a licence photo ('' when none)."""
    flat = compact(text)
    jy = _JY.search(flat)
    rest = _JY.sub("", flat)
    uscc = _USCC.search(rest)
    return (jy.group(0) if jy else ""), (uscc.group(0) if uscc else "")


def premises_key(address: str | None) -> str:
    """An address as premises are compared: simplified, half-width, no spaces or punctuation, no province."""
    text = _ADDRESS_PUNCT.sub("", simplified(halfwidth(address or "")))
    return text.removeprefix("浙江省")


@dataclass(frozen=True)
class Listing:
    """One shop on one platform, as the platform reported it."""

    platform: str
    shop_id: str
    shop_name: str
    operator_name: str  # the registered operator the platform knows (经营者名称)
    address: str
    county_code: str
    category: str  # a category code or Chinese name (data/categories.yaml)
    displayed: str  # 公示证照编号
    photo_text: str  # 证照照片识别文本
    daily_orders: int
    captured_on: date | None  # 采集日期: the day the listing was read

    @property
    def key(self) -> tuple[str, str]:
        return self.platform, self.shop_id

    def record(self) -> dict[str, Any]:
        return {"platform": self.platform, "shop_id": self.shop_id, "shop_name": self.shop_name,
                "operator_name": self.operator_name, "address": self.address, "county_code": self.county_code,
                "category": self.category, "displayed": self.displayed, "photo_text": self.photo_text,
                "daily_orders": self.daily_orders,
                "captured_on": self.captured_on.isoformat() if self.captured_on else None}


@dataclass(frozen=True)
class Licence:
    number: str
    holder: str
    uscc: str
    premises: str
    form: str  # 主体业态
    items: tuple[str, ...]  # 经营项目
    issued_on: date | None
    expires_on: date | None
    authority: str

    def record(self) -> dict[str, Any]:
        return {"number": self.number, "holder": self.holder, "uscc": self.uscc, "premises": self.premises,
                "form": self.form, "items": list(self.items),
                "issued_on": self.issued_on.isoformat() if self.issued_on else None,
                "expires_on": self.expires_on.isoformat() if self.expires_on else None, "authority": self.authority}


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    name: str
    form: str  # 企业类型
    status: str  # 登记状态
    industry: str
    address: str

    def record(self) -> dict[str, Any]:
        return {"uscc": self.uscc, "name": self.name, "form": self.form, "status": self.status,
                "industry": self.industry, "address": self.address}


def _items(value: object) -> tuple[str, ...]:
    text = halfwidth(str(value or ""))
    return tuple(p.strip() for p in re.split(r"[,，;；、]", text) if p.strip())


@dataclass
class Registry:
    """The food-business licences and the enterprise registry, indexed for matching."""

    by_number: dict[str, Licence] = field(default_factory=dict)
    by_uscc: dict[str, list[Licence]] = field(default_factory=dict)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, licences: Iterable[Mapping[str, Any]], enterprises: Iterable[Mapping[str, Any]]) -> Registry:
        """From rows of `mr_food_licence` and `mr_enterprise` (their Chinese headers)."""
        reg = cls()
        for row in enterprises:
            code = compact(row.get("统一社会信用代码"))
            if code:
                reg.enterprises[code] = Enterprise(code, str(row.get("企业名称") or ""), str(row.get("企业类型") or ""),
                                                   str(row.get("登记状态") or ""), str(row.get("所属行业") or ""),
                                                   str(row.get("住所") or ""))
        for row in licences:
            number = compact(row.get("许可证编号"))
            if not number:
                continue
            lic = Licence(number, str(row.get("经营者名称") or ""), compact(row.get("统一社会信用代码")),
                          str(row.get("经营场所") or ""), str(row.get("主体业态") or ""), _items(row.get("经营项目")),
                          parse_date(row.get("发证日期")), parse_date(row.get("有效期至")),
                          str(row.get("发证机关") or ""))
            reg.by_number[number] = lic
            if lic.uscc:
                reg.by_uscc.setdefault(lic.uscc, []).append(lic)
        for group in reg.by_uscc.values():  # the latest valid first
            group.sort(key=lambda lic: (lic.expires_on or date.min, lic.number), reverse=True)
        return reg


@dataclass(frozen=True)
class Finding:
    kind: str
    reason: str  # zh
    reason_en: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    listing: Listing
    licence: Licence | None = None
    enterprise: Enterprise | None = None  # the licence holder's (or the credit code's) registry record
    number_used: str = ""  # the licence number or credit code the checks used
    number_source: str = ""  # displayed / photo / "" (nothing usable)
    photo_number: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return not self.findings

    @property
    def verdict(self) -> str:
        return "compliant" if self.compliant else "non_compliant"

    def kinds(self) -> list[str]:
        return [f.kind for f in self.findings]

    def add(self, kind: str, reason: str, reason_en: str, **evidence: Any) -> None:
        if kind not in self.kinds():
            self.findings.append(Finding(kind, reason, reason_en, evidence))


def _scope_gaps(category: reference.Category, lic: Licence) -> tuple[list[str], list[str]]:
    """(forms wanted but absent, items missing) of the licence for the category."""
    forms = [] if lic.form in category.forms else list(category.forms)
    if not lic.items:  # the registry does not say what the licence covers: only its 主体业态 can be judged
        return forms, []
    missing = [need for need in category.items if not any(need in item for item in lic.items)]
    return forms, missing


def _check_licence(v: Verdict, lic: Licence, registry: Registry, as_of: date) -> None:
    lst = v.listing
    v.licence = lic
    v.enterprise = registry.enterprises.get(lic.uscc)
    captured = lst.captured_on or as_of
    if lic.expires_on is not None and lic.expires_on < captured:
        v.add("licence_expired", f"许可证 {lic.number} 有效期至 {lic.expires_on.isoformat()}，早于采集日期 "
              f"{captured.isoformat()}", f"Licence {lic.number} expired on {lic.expires_on.isoformat()}, before the "
              f"listing was captured on {captured.isoformat()}", expires_on=lic.expires_on.isoformat(),
              captured_on=captured.isoformat())
    category = reference.category_by_label(lst.category)
    if category is not None:
        forms, missing = _scope_gaps(category, lic)
        if forms or missing:
            need = "、".join([*forms, *missing])
            v.add("out_of_scope",
                  f"经营类目“{category.name}”需要许可“{need}”，许可证为“{lic.form}：{'、'.join(lic.items)}”",
                  f"The category {category.name_en} needs {', '.join([*forms, *missing])}; the licence covers "
                  f"{lic.form}: {', '.join(lic.items)}", category=category.code, needs=[*forms, *missing],
                  licensed=[lic.form, *lic.items])
    holder, operator = normalize.enterprise_name(lic.holder), normalize.enterprise_name(lst.operator_name)
    if holder and operator and holder != operator:
        v.add("licence_other_entity", f"许可证持有人“{lic.holder}”不是店铺经营者“{lst.operator_name}”",
              f"The licence holder {lic.holder} is not the shop's operator {lst.operator_name}",
              holder=lic.holder, operator=lst.operator_name, compared=[holder, operator])
    _check_status(v, v.enterprise)


def _check_status(v: Verdict, ent: Enterprise | None) -> None:
    if ent is not None and ent.status in DEREGISTERED:
        v.add("holder_deregistered", f"持证主体“{ent.name}”（{ent.uscc}）登记状态为{ent.status}",
              f"The holder {ent.name} ({ent.uscc}) is {ent.status} in the enterprise registry",
              uscc=ent.uscc, status=ent.status)


def verify_one(lst: Listing, registry: Registry, as_of: date) -> Verdict:
    """The checks of one listing on its own (everything except one licence shared by several shops)."""
    v = Verdict(lst)
    shown_kind, shown = code_kind(lst.displayed)
    photo_jy, photo_uscc = read_photo(lst.photo_text)
    v.photo_number = photo_jy or photo_uscc
    if shown_kind in ("jy", "uscc"):
        v.number_used, v.number_source = shown, "displayed"
        photo_same_kind = photo_jy if shown_kind == "jy" else photo_uscc
        if photo_same_kind and photo_same_kind != shown:
            v.add("photo_mismatch", f"公示编号 {shown} 与证照照片上的编号 {photo_same_kind} 不一致",
                  f"The number shown ({shown}) differs from the one on the licence photo ({photo_same_kind})",
                  shown=shown, photo=photo_same_kind)
    elif photo_jy or photo_uscc:
        shown_kind = "jy" if photo_jy else "uscc"
        v.number_used, v.number_source = photo_jy or photo_uscc, "photo"
    if not v.number_used:
        why = (f"公示的“{lst.displayed}”不是许可证编号或统一社会信用代码" if shown_kind == "other"
               else "未公示证照，照片中也识别不到编号")
        why_en = (f"{lst.displayed!r} is neither a licence number nor a credit code" if shown_kind == "other"
                  else "No licence shown, and none readable on the photo")
        v.add("no_licence", why, why_en, displayed=lst.displayed)
        return v
    if shown_kind == "jy":
        lic = registry.by_number.get(v.number_used)
        if lic is None:
            v.add("no_licence", f"许可证编号 {v.number_used} 在食品经营许可发证信息中不存在",
                  f"No food-business licence {v.number_used} was ever issued", number=v.number_used)
            return v
        _check_licence(v, lic, registry, as_of)
        return v
    if normalize.uscc_status(v.number_used) != "valid":
        v.add("uscc_invalid", f"统一社会信用代码 {v.number_used} 校验位错误（GB 32100）",
              f"The credit code {v.number_used} fails its check character (GB 32100)", uscc=v.number_used)
        return v
    found = registry.by_uscc.get(v.number_used) or []
    if not found:
        ent = registry.enterprises.get(v.number_used)
        v.enterprise = ent
        who = f"“{ent.name}”" if ent else "该主体"
        v.add("no_licence", f"统一社会信用代码 {v.number_used}（{who}）没有食品经营许可证",
              f"The holder of credit code {v.number_used} has no food-business licence", uscc=v.number_used)
        _check_status(v, ent)
        return v
    _check_licence(v, found[0], registry, as_of)
    return v


def verify(listings: Sequence[Listing], registry: Registry, as_of: date) -> list[Verdict]:
    """A verdict for every listing, in order: the checks of each, then one licence shown at several premises."""
    verdicts = [verify_one(lst, registry, as_of) for lst in listings]
    by_licence: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        if v.licence is not None:
            by_licence[v.licence.number].append(v)
    for number, group in by_licence.items():
        places = {premises_key(v.listing.address) for v in group}
        if len(places) < 2:
            continue
        licensed = premises_key(group[0].licence.premises if group[0].licence else "")
        for v in group:
            if premises_key(v.listing.address) != licensed:
                v.add("licence_shared",
                      f"许可证 {number} 被 {len(places)} 处不同经营场所的店铺使用，本店地址不是许可的经营场所",
                      f"Licence {number} is shown by shops at {len(places)} premises; this shop is not at the "
                      f"licensed premises", number=number, premises=len(places),
                      shops=sorted(f"{g.listing.platform}:{g.listing.shop_id}" for g in group)[:20])
    return verdicts
