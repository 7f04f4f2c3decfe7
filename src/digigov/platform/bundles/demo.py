"""The demo of "一件事": the shipped bundles published, the handling departments' grants on the population and death
registers (requested and approved through data sharing, as the departments would), and a few applications in
different states made through the same service calls as the pages: one completed and rated, one completed and
waiting for its rating (one item refused), one half-way through its departments, one just submitted.

Idempotent: grants are requested once per (department, purpose) and applications are made only when the bundle has
none. The applicants are people of the linked person files when the departments' data is loaded; otherwise
well-formed demo people whose forms are filled by hand.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from digigov.core.clock import utcnow
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.identity.model import User
from digigov.platform.bundles import service
from digigov.platform.bundles.model import BundleApplication, BundleItemRun
from digigov.platform.cases import service as cases
from digigov.platform.entities.incremental import linked
from digigov.platform.entities.linker import file_table
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import ShareRequest
from digigov.platform.warehouse.model import Dataset

PERSON_FIELDS = ("姓名", "性别", "出生日期", "户籍地址", "手机号码")


@dataclass(frozen=True)
class DemoGrant:
    requester: str
    dataset: str
    fields: tuple[str, ...]
    purpose: str
    legal_basis: str


_HOUSEHOLD_BASIS = "《浙江省公共数据条例》第二十八条；《浙江省群众和企业全生命周期“一件事”工作指南》"
GRANTS = (
    DemoGrant("xh_health_officer", "ps_household", PERSON_FIELDS,
              "新生儿出生一件事：父母身份核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《出生医学证明管理办法》"),
    DemoGrant("xh_police_officer", "ps_household", PERSON_FIELDS,
              "一件事（出生登记、户口注销、印章刻制）：申请表预填与户籍核验",
              _HOUSEHOLD_BASIS),
    DemoGrant("xh_medsec_officer", "ps_household", PERSON_FIELDS,
              "一件事（医保参保登记、账户继承）：参保人身份核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《中华人民共和国社会保险法》"),
    DemoGrant("hz_hrss_steward", "ps_household", PERSON_FIELDS,
              "新生儿出生一件事：社会保障卡申领身份核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《社会保障卡管理办法》"),
    DemoGrant("xh_hrss_officer", "ps_household", PERSON_FIELDS,
              "一件事（社保开户、死亡待遇、退休）：身份核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《中华人民共和国社会保险法》"),
    DemoGrant("xh_market_officer", "ps_household", PERSON_FIELDS,
              "企业开办一件事：法定代表人身份核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《中华人民共和国市场主体登记管理条例》"),
    DemoGrant("xh_tax_officer", "ps_household", PERSON_FIELDS,
              "企业开办一件事：法定代表人身份核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《中华人民共和国税收征收管理法》"),
    DemoGrant("xh_civil_officer", "ps_household", PERSON_FIELDS,
              "身后一件事：逝者及承办人户籍核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《殡葬管理条例》"),
    DemoGrant("xh_civil_officer", "ca_death", ("姓名", "性别", "死亡日期"),
              "身后一件事：死亡信息核验与申请表预填",
              _HOUSEHOLD_BASIS + "；《殡葬管理条例》"),
    DemoGrant("xh_police_officer", "ca_death", ("姓名", "死亡日期"),
              "身后一件事：户口注销死亡信息核验",
              _HOUSEHOLD_BASIS + "；《中华人民共和国户口登记条例》"),
)
AUTHORITY = "zj_bigdata_approver"  # the provincial data authority reviews the grants of graded (L3) fields


def _actor(session: Session, username: str) -> Actor | None:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    return Actor.from_user(user) if user is not None else None


def _reviewer(session: Session, department_id: int) -> Actor | None:
    """A steward (or approver) of the dataset's owner department: who reviews a request for it."""
    for user in session.scalars(select(User).where(User.department_id == department_id, User.active.is_(True))
                                .order_by(User.id)):
        if user.roles & {"data_steward", "approver"}:
            return Actor.from_user(user)
    return None


def _staff_of(session: Session, department_id: int) -> Actor | None:
    user = session.scalar(select(User).where(User.department_id == department_id, User.active.is_(True))
                          .order_by(User.id))
    return Actor.from_user(user) if user is not None else None


def grants(session: Session, *, today: date | None = None) -> int:
    """Request and approve the departments' grants (when the datasets are loaded); how many were made."""
    made = 0
    expires = (today or date.today()) + timedelta(days=365)
    for spec in GRANTS:
        ds = session.scalar(select(Dataset).where(Dataset.code == spec.dataset))
        if ds is None or not ds.current_version:
            continue
        requester = _actor(session, spec.requester)
        owner, authority = _reviewer(session, ds.owner_department_id), _actor(session, AUTHORITY)
        if None in (requester, owner, authority):
            continue
        assert requester is not None and owner is not None and authority is not None
        if requester.department_id == ds.owner_department_id:
            continue
        exists = session.scalar(select(ShareRequest.id).where(ShareRequest.requester_id == requester.user_id,
                                                              ShareRequest.purpose == spec.purpose))
        if exists is not None:
            continue
        columns = {f.column for f in ds.fields}
        fields = [f for f in spec.fields if f in columns]
        req = sharing.submit_request(session, requester, dataset=spec.dataset, purpose=spec.purpose,
                                     legal_basis=spec.legal_basis, fields=fields, unmasked=fields, channel="api",
                                     expires=expires)
        sharing.decide(session, owner, req.id, approve=True, comment="同意：用于一件事申请表预填和材料免提交。")
        if req.state == "authority_review":
            sharing.decide(session, authority, req.id, approve=True, comment="同意，按最小必要原则使用。")
        made += 1
    return made


# ---------------------------------------------------------------- demo people


@dataclass(frozen=True)
class Person:
    citizen_id: str
    name: str
    gender: str
    address: str
    mobile: str
    death_date: str = ""


def resident_id(rng: random.Random, region: str, born: date, gender: str) -> str:
    """A well-formed resident ID number (GB 11643: odd sequence for men, even for women; the check digit)."""
    seq = rng.randrange(10, 99) * 10 + rng.choice((1, 3, 5) if gender == "男" else (2, 4, 6))
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _made_up(rng: random.Random, region: str, born: date, gender: str, name: str) -> Person:
    return Person(resident_id(rng, region, born, gender), name, gender, f"杭州市西湖区文三路{rng.randrange(1, 500)}号",
                  f"13{rng.randrange(100000000, 999999999)}")


ROLES = {  # role -> (gender or "", earliest and latest year of birth)
    "father": ("男", 1985, 2000), "mother": ("女", 1985, 2000), "heir": ("", 1950, 1985),
    "founder": ("", 1970, 1998), "other": ("女", 1980, 2000),
}
_FALLBACK = {"father": ("陈志强", "男", date(1990, 3, 14)), "mother": ("林晓静", "女", date(1992, 7, 2)),
             "heir": ("王建华", "男", date(1965, 11, 23)), "founder": ("孙文博", "男", date(1979, 9, 30)),
             "other": ("吴美玲", "女", date(1988, 5, 19))}


def _people(rng: random.Random) -> tuple[dict[str, Person], Person]:
    """People of the person files for each role (by gender and age), and a deceased one; made-up ones when the
    departments' data is not loaded."""
    rows: list[tuple[Any, ...]] = []
    dead: list[Person] = []
    try:
        with get_warehouse().connect() as con:
            if linked(con, "person"):
                rows = con.execute(
                    f"SELECT citizen_id, name, coalesce(gender, ''), address, mobile, birth_date "  # noqa: S608
                    f"FROM {file_table('person')} WHERE citizen_id IS NOT NULL AND name IS NOT NULL "
                    "AND address IS NOT NULL AND mobile IS NOT NULL AND birth_date IS NOT NULL AND death_date IS NULL "
                    "ORDER BY file_id LIMIT 500").fetchall()
                dead = [Person(*r) for r in con.execute(
                    f"SELECT citizen_id, name, coalesce(gender, ''), coalesce(address, ''), "  # noqa: S608
                    f"coalesce(mobile, ''), death_date FROM {file_table('person')} WHERE citizen_id IS NOT NULL "
                    "AND name IS NOT NULL AND death_date IS NOT NULL ORDER BY file_id LIMIT 1").fetchall()]
    except Exception:  # noqa: BLE001  (no warehouse: made-up people)
        rows, dead = [], []
    people: dict[str, Person] = {}
    used: set[str] = set()
    for role, (gender, first, last) in ROLES.items():
        for citizen_id, name, sex, address, mobile, born in rows:
            year = int(str(born)[:4]) if str(born)[:4].isdigit() else 0
            if citizen_id in used or (gender and sex != gender) or not first <= year <= last:
                continue
            people[role] = Person(citizen_id, name, sex, address, mobile)
            used.add(citizen_id)
            break
        if role not in people:
            name, sex, day = _FALLBACK[role]
            people[role] = _made_up(rng, "330106", day, sex, name)
    if not dead:
        p = _made_up(rng, "330106", date(1938, 6, 6), "男", "钱福生")
        dead = [Person(p.citizen_id, p.name, p.gender, p.address, p.mobile, "2026-11-02")]
    return people, dead[0]


def _doc(name: str) -> bytes:
    return f"%PDF-1.4\n% 演示材料：{name}\n".encode() + b"%%EOF\n"


def _uploads(form: Any) -> list[service.Upload]:
    return [service.Upload(m.key, f"{m.code}.pdf", _doc(m.name), "application/pdf")
            for m in form.materials if m.submit]


def _fill(form: Any, answers: dict[str, str], person: Person) -> dict[str, str]:
    """The values a person would type: their own data where the form asks, the given answers, and for any other
    field a plausible default."""
    own = {"applicant.mobile": person.mobile, "applicant.address": person.address}
    values = {}
    for f in form.fields:
        if f.key in answers:
            values[f.key] = answers[f.key]
        elif f.key in own and own[f.key]:
            values[f.key] = own[f.key]
        elif f.type == "choice":
            values[f.key] = f.choices[0]
    return values


def _ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def _apply(session: Session, code: str, applicant: Person, subjects: dict[str, str], answers: dict[str, str],
           channel: str = "online", *, days_ago: float = 0) -> BundleApplication:
    d = service.published(session, code)
    form = service.merged(session, d)
    actor = cases.citizen("bundles") if channel == "online" else (_actor(session, "xh_window_clerk")
                                                                  or cases.citizen("bundles"))
    return service.apply(session, actor, code, applicant_name=applicant.name,
                         subjects={"applicant": applicant.citizen_id, **subjects},
                         values=_fill(form, answers, applicant), uploads=_uploads(form), channel=channel,
                         now=_ago(days_ago))


def _decide(session: Session, app: BundleApplication, item: str, outcome: str, note: str, certificate: str, *,
            days_ago: float = 0) -> bool:
    run = next(r for r in app.runs if r.item_code == item)
    actor = _staff_of(session, run.department_id)
    if actor is None or run.status == "done":
        return False
    service.decide_item(session, actor, run.id, outcome=outcome, note=note, certificate=certificate,
                        now=_ago(days_ago))
    return True


def applications(session: Session, *, seed: int = 2021) -> int:
    """A few applications in different states (only for bundles that have none yet)."""
    rng = random.Random(seed)
    people, deceased = _people(rng)
    father, mother, founder = people["father"], people["mother"], people["founder"]
    made = 0

    def none_yet(code: str) -> bool:
        return not session.scalar(select(func.count()).select_from(BundleApplication)
                                  .where(BundleApplication.bundle_code == code))

    born = date.today() - timedelta(days=9)
    newborn_answers = {
        "newborn.person_name": f"{father.name[0]}子墨", "newborn.gender": "男",
        "newborn.birth_date": born.isoformat(),
        "health.birth_certificate:birth_time": "08:42",
        "health.birth_certificate:birth_hospital": "浙江大学医学院附属妇产科医院",
        "public_security.birth_registration:ethnicity": "汉族",
        "public_security.birth_registration:relation_to_head": "子",
        "mother.person_name": mother.name, "father.person_name": father.name,
    }
    if none_yet("newborn"):
        done = _apply(session, "newborn", father, {"mother": mother.citizen_id, "father": father.citizen_id},
                      newborn_answers, days_ago=7)
        for item, cert, days in (("health.birth_certificate", "R330106202611", 6.8),
                                 ("public_security.birth_registration", resident_id(rng, "330106", born, "男"), 6),
                                 ("medical_security.newborn_enrolment", "YB3301062026110087", 5.9),
                                 ("human_resources.social_security_card", "C33010600871", 4)):
            _decide(session, done, item, "approved", "材料齐全，准予办理。", cert, days_ago=days)
        if done.status == "completed":
            service.rate(session, done.token, 5, comment="一次申请四件事都办好了，社保卡直接寄到家，不用跑。",
                         now=_ago(3.5))
        other = people["other"]
        half = _apply(session, "newborn", other, {"mother": other.citizen_id},
                      {**newborn_answers, "newborn.person_name": f"{other.name[0]}若溪", "newborn.gender": "女",
                       "mother.person_name": other.name, "public_security.birth_registration:relation_to_head": "女"},
                      days_ago=2)
        _decide(session, half, "health.birth_certificate", "approved", "已签发。", "R330106202612", days_ago=1.8)
        _decide(session, half, "medical_security.newborn_enrolment", "approved", "已参保。", "YB3301062026110091",
                days_ago=1)
        made += 2
    if none_yet("after_death"):
        app = _apply(session, "after_death", people["heir"], {"deceased": deceased.citizen_id}, {
            "deceased.person_name": deceased.name, "deceased.gender": deceased.gender or "男",
            "deceased.death_date": deceased.death_date or (date.today() - timedelta(days=20)).isoformat(),
            "civil_affairs.death_cremation:death_place": "家中", "deceased.address": deceased.address or
            "杭州市西湖区文一路1号", "applicant.bank_card": "6222021202000123456"}, days_ago=9)
        for item, outcome, note, cert, days in (
                ("civil_affairs.death_cremation", "approved", "已火化，出具火化证明。", "HH3301062026-0452", 8.9),
                ("public_security.household_cancellation", "approved", "户口已注销。", "ZX3301062026-0118", 8),
                ("human_resources.survivor_benefits", "approved", "丧葬补助金、抚恤金已核定。", "DY2026-330106-0231",
                 5),
                ("medical_security.account_inheritance", "refused",
                 "经核查，参保人医保个人账户无余额，无需继承。", "", 6)):
            _decide(session, app, item, outcome, note, cert, days_ago=days)
        made += 1
    if none_yet("enterprise_opening"):
        app = _apply(session, "enterprise_opening", founder, {}, {
            "enterprise.enterprise_name": "杭州西溪数智科技有限公司",
            "enterprise.address": "杭州市西湖区西溪路556号8幢301室",
            "enterprise.amount": "100",
            "market_regulation.company_registration:business_scope":
                "一般项目：技术服务、技术开发、技术咨询、软件开发。",
            "market_regulation.company_registration:shareholders": f"{founder.name}，货币出资100万元，持股100%",
            "taxation.new_taxpayer:finance_officer": "徐会计"}, channel="window", days_ago=0.1)
        run = next(r for r in app.runs if r.item_code == "market_regulation.company_registration")
        officer = _staff_of(session, run.department_id)
        if officer is not None and run.case_id is not None:
            cases.accept(session, officer, run.case_id, now=_ago(0.05))
        made += 1
    return made


def build(session: Session, actor: Actor, *, seed: int = 2021) -> dict[str, int]:
    """Publish the shipped bundles, make the departments' grants and the demo applications; counts."""
    installed = service.install_shipped(session, actor)
    made_grants = grants(session)
    made = applications(session, seed=seed)
    session.flush()
    return {"bundles": installed, "grants": made_grants, "applications": made,
            "item_cases": int(session.scalar(select(func.count()).select_from(BundleItemRun)) or 0)}

