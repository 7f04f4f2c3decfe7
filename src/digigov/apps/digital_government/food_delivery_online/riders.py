"""Riders (骑手): the platforms' rider profiles cross-checked with the occupational-injury insurance enrolment the
human-resources department holds (新就业形态职业伤害保障), and the public-security traffic accidents fed back to
the platforms the riders work for. Domain logic without I/O.

A rider the platform declares insured (已参保) counts as insured only when the HR records hold an enrolment in
force (参保中) for the same citizen ID (checked and compared by ``entities.normalize.citizen_id``) whose insuring
unit is the platform's operating company (compared by ``entities.normalize.enterprise_name``); otherwise the
declaration is a finding.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from digigov.apps.digital_government.food_delivery_online import reference
from digigov.apps.digital_government.food_delivery_online.licences import compact, parse_date
from digigov.platform.entities import normalize

DECLARED = "已参保"
IN_FORCE = "参保中"


def person_key(value: str | None) -> str | None:
    """The checked citizen ID (``entities.normalize.citizen_id``), None when invalid. A region code python-stdnum
    knows without its county list makes its check raise KeyError: such an ID cannot be checked, so it is None."""
    try:
        return normalize.citizen_id(value)
    except KeyError:
        return None


def mask_id(number: str) -> str:
    text = compact(number)
    return text[:6] + "********" + text[-4:] if len(text) == 18 else "*" * len(text)


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


@dataclass(frozen=True)
class Rider:
    platform: str
    rider_no: str
    name: str
    citizen_id: str  # as the platform sent it
    phone: str
    county_code: str
    declared_insured: bool

    @property
    def key(self) -> tuple[str, str]:
        return self.platform, self.rider_no

    @property
    def person(self) -> str | None:
        """The checked citizen ID, the key the departments' records are compared on."""
        return person_key(self.citizen_id)


@dataclass(frozen=True)
class Enrolment:
    citizen_id: str
    name: str
    unit: str  # 参保单位
    status: str  # 参保中 / 已停保
    started_on: str

    @property
    def in_force(self) -> bool:
        return self.status.strip() == IN_FORCE


def riders_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Rider]:
    return [Rider(str(r.get("平台") or "").strip(), str(r.get("骑手编号") or "").strip(), str(r.get("姓名") or ""),
                  str(r.get("身份证号") or ""), str(r.get("手机号") or ""), str(r.get("县区代码") or ""),
                  str(r.get("平台申报参保") or "").strip() == DECLARED) for r in rows]


def enrolments_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Enrolment]:
    return [Enrolment(str(r.get("身份证号") or ""), str(r.get("姓名") or ""), str(r.get("参保单位") or ""),
                      str(r.get("参保状态") or ""), str(parse_date(r.get("参保日期")) or "")) for r in rows]


@dataclass
class InsuranceCheck:
    rider: Rider
    insured: bool  # an enrolment in force by the platform's company
    reason: str = ""
    reason_en: str = ""
    records: list[Enrolment] = field(default_factory=list)

    @property
    def violation(self) -> bool:
        return self.rider.declared_insured and not self.insured

    def evidence(self) -> dict[str, Any]:
        return {"rider_no": self.rider.rider_no, "name": mask_name(self.rider.name),
                "citizen_id": mask_id(self.rider.citizen_id), "county_code": self.rider.county_code,
                "declared": DECLARED if self.rider.declared_insured else "未参保",
                "hr_records": [{"unit": e.unit, "status": e.status, "started_on": e.started_on} for e in self.records]}


def cross_check(riders: Sequence[Rider], enrolments: Sequence[Enrolment],
                platforms: Mapping[str, reference.Platform] | None = None) -> list[InsuranceCheck]:
    platforms = platforms if platforms is not None else reference.platforms()
    by_person: dict[str, list[Enrolment]] = defaultdict(list)
    for e in enrolments:
        person = person_key(e.citizen_id)
        if person:
            by_person[person].append(e)
    out = []
    for r in riders:
        person = r.person
        records = by_person.get(person, []) if person else []
        platform = platforms.get(r.platform)
        company = normalize.enterprise_name(platform.company) if platform else ""
        own = [e for e in records if company and normalize.enterprise_name(e.unit) == company]
        check = InsuranceCheck(r, any(e.in_force for e in own), records=records)
        if not check.insured:
            if person is None:
                check.reason, check.reason_en = "身份证号无效，无法核对参保", "Invalid citizen ID: cannot be checked"
            elif not own:
                name = platform.name if platform else r.platform
                check.reason = f"人社职业伤害保障记录中没有该骑手经{name}参保的记录"
                check.reason_en = "The HR records hold no enrolment of this rider by the platform's company"
            else:
                check.reason, check.reason_en = "人社记录显示已停保", "The HR records show the enrolment stopped"
        out.append(check)
    return out


@dataclass(frozen=True)
class Accident:
    number: str
    happened_on: str
    county_code: str
    citizen_id: str
    name: str
    form: str  # 事故形态
    casualty: str  # 伤亡情况: 财产损失 / 受伤 / 死亡
    violation: str  # 违法行为
    platform: str  # the platform's name as the police recorded it ('' when not)

    def evidence(self) -> dict[str, Any]:
        return {"number": self.number, "happened_on": self.happened_on, "county_code": self.county_code,
                "citizen_id": mask_id(self.citizen_id), "form": self.form, "casualty": self.casualty,
                "violation": self.violation}


def accidents_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Accident]:
    return [Accident(str(r.get("事故编号") or ""), str(parse_date(r.get("发生日期")) or ""),
                     str(r.get("县区代码") or ""),
                     str(r.get("当事人身份证号") or ""), str(r.get("当事人姓名") or ""), str(r.get("事故形态") or ""),
                     str(r.get("伤亡情况") or ""), str(r.get("违法行为") or ""), str(r.get("所属平台") or "").strip())
            for r in rows]


@dataclass
class AccidentReport:
    attributed: list[tuple[Accident, list[str]]]  # each accident with the platforms it is fed back to
    unattributed: int  # accidents of people who are no platform's rider
    by_platform: dict[str, Counter[str]]  # platform -> casualty -> count


def attribute(accidents: Sequence[Accident], riders: Sequence[Rider]) -> AccidentReport:
    """Each accident to the platforms of the rider involved (by checked citizen ID; the platform the police
    recorded as well when it is one of the known platforms)."""
    platforms_of: dict[str, set[str]] = defaultdict(set)
    for r in riders:
        if r.person:
            platforms_of[r.person].add(r.platform)
    known = {p.name: p.code for p in reference.platforms().values()} | {c: c for c in reference.platforms()}
    attributed, unattributed = [], 0
    by_platform: dict[str, Counter[str]] = defaultdict(Counter)
    for a in accidents:
        person = person_key(a.citizen_id)
        names = set(platforms_of.get(person, set()) if person else set())
        if a.platform in known:
            names.add(known[a.platform])
        if not names:
            unattributed += 1
            continue
        ordered = sorted(names)
        attributed.append((a, ordered))
        for p in ordered:
            by_platform[p][a.casualty or "未知"] += 1
    return AccidentReport(attributed, unattributed, dict(by_platform))
