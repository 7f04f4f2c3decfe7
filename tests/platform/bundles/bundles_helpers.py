"""Bundle test helpers: a small population register and death register handed in through ingestion and linked into
person files, the people in them, grants made through data sharing, and filled-in applications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.bundles import service
from digigov.platform.bundles.merge import MergedForm
from digigov.platform.bundles.model import BundleApplication
from digigov.platform.cases import service as cases
from digigov.platform.entities import service as entities
from digigov.platform.ingest import service as ingest
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant

HOUSEHOLD_OWNER = "330000-public_security"  # 浙江省公安厅: zj_police_steward
DEATH_OWNER = "330106-civil_affairs"  # 西湖区民政局 holds its own death register here: own-department data
OWNER_STEWARD = "zj_police_steward"
AUTHORITY = "zj_bigdata_approver"
HOUSEHOLD_FIELDS = ("姓名", "性别", "出生日期", "户籍地址", "手机号码")


def resident_id(region: str, born: str, seq: int) -> str:
    body = f"{region}{born}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class Person:
    name: str
    citizen_id: str
    gender: str
    born: str  # YYYYMMDD
    address: str
    mobile: str
    death_date: str = ""

    @property
    def birth_date(self) -> str:
        return f"{self.born[:4]}-{self.born[4:6]}-{self.born[6:]}"


FATHER = Person("陈志强", resident_id("330106", "19900314", 11), "男", "19900314", "浙江省杭州市西湖区文三路100号",
                "13800001111")
MOTHER = Person("林晓静", resident_id("330106", "19920702", 22), "女", "19920702", "浙江省杭州市西湖区文一西路88号",
                "13800002222")
HEIR = Person("王建华", resident_id("330106", "19651123", 31), "男", "19651123", "浙江省杭州市西湖区古墩路12号",
              "13900003333")
DECEASED = Person("钱福生", resident_id("330106", "19380606", 41), "男", "19380606", "浙江省杭州市西湖区古墩路12号",
                  "13900004444", death_date="2026-11-02")
FOUNDER = Person("孙文博", resident_id("330106", "19790930", 51), "男", "19790930", "浙江省杭州市西湖区天目山路5号",
                 "13700005555")
PEOPLE = (FATHER, MOTHER, HEIR, DECEASED, FOUNDER)


def load_registers(session: Session, directory: Path) -> None:
    """The population register (owned by the provincial public security department) and the county civil affairs
    bureau's death register, handed in through ingestion and linked into person files."""
    op = Actor.operator()
    directory.mkdir(parents=True, exist_ok=True)
    household = directory / "ps_household.csv"
    household.write_text("姓名,公民身份号码,性别,出生日期,户籍地址,手机号码\n" + "".join(
        f"{p.name},{p.citizen_id},{p.gender},{p.born},{p.address},{p.mobile}\n" for p in PEOPLE), encoding="utf-8")
    death = directory / "ca_death.csv"
    death.write_text("姓名,身份证号码,性别,死亡日期,户籍地址\n"
                     f"{DECEASED.name},{DECEASED.citizen_id},{DECEASED.gender},{DECEASED.death_date},"
                     f"{DECEASED.address}\n", encoding="utf-8")
    for code, name, owner, path, mapping, key in (
        ("ps_household", "户籍人口信息", HOUSEHOLD_OWNER, household,
         {"姓名": "person_name", "公民身份号码": "citizen_id", "性别": "gender", "出生日期": "birth_date",
          "户籍地址": "address", "手机号码": "mobile"}, ["公民身份号码"]),
        ("ca_death", "死亡登记信息", DEATH_OWNER, death,
         {"姓名": "person_name", "身份证号码": "citizen_id", "性别": "gender", "死亡日期": "death_date",
          "户籍地址": "address"}, ["身份证号码"]),
    ):
        ingest.ensure_dataset(session, op, ingest.DatasetSpec(code=code, name=name, department=owner,
                                                              key_columns=key))
        result = ingest.ingest(session, op, code, path, mapping=mapping, file_name=path.name)
        assert result.quarantined == 0, (code, result.state)
    entities.link(session, op, kind="person", full=True)


def actor(session: Session, username: str) -> Actor:
    return Actor.from_user(identity.get_user(session, username))


def grant(session: Session, requester: str, *, dataset: str = "ps_household",
          fields: Sequence[str] = HOUSEHOLD_FIELDS, unmasked: Sequence[str] | None = None) -> Grant:
    """A grant made the way departments make them: the request, the owner's steward, the data authority."""
    who = actor(session, requester)
    req = sharing.submit_request(session, who, dataset=dataset, purpose=f"一件事申请表预填（{requester}）",
                                 legal_basis="《浙江省公共数据条例》", fields=list(fields),
                                 unmasked=list(fields if unmasked is None else unmasked),
                                 expires=date.today() + timedelta(days=90))
    sharing.decide(session, actor(session, OWNER_STEWARD), req.id, approve=True, comment="同意")
    if req.state == "authority_review":
        sharing.decide(session, actor(session, AUTHORITY), req.id, approve=True, comment="同意")
    found = session.scalar(select(Grant).where(Grant.request_id == req.id))
    assert found is not None
    return found


NEWBORN_ANSWERS = {
    "newborn.person_name": "陈子墨", "newborn.gender": "男", "newborn.birth_date": "2026-11-20",
    "health.birth_certificate:birth_time": "08:42", "health.birth_certificate:birth_hospital": "浙大妇产科医院",
    "public_security.birth_registration:ethnicity": "汉族",
    "public_security.birth_registration:relation_to_head": "子",
    "medical_security.newborn_enrolment:insurance_year": "2026",
    "human_resources.social_security_card:card_bank": "杭州银行",
}


def uploads(form: MergedForm) -> list[service.Upload]:
    return [service.Upload(m.key, f"{m.code}.pdf", f"%PDF-1.4 {m.name}".encode(), "application/pdf")
            for m in form.materials if m.submit]


def apply_newborn(session: Session, *, extra: dict[str, str] | None = None,
                  applicant: Person = FATHER) -> BundleApplication:
    """A newborn application by the father, with every field a person would have to type."""
    d = service.published(session, "newborn")
    form = service.merged(session, d)
    values = {**NEWBORN_ANSWERS, "applicant.mobile": applicant.mobile, "applicant.address": applicant.address,
              "mother.person_name": MOTHER.name, "father.person_name": FATHER.name, **(extra or {})}
    return service.apply(session, cases.citizen("bundles"), "newborn", applicant_name=applicant.name,
                         subjects={"applicant": applicant.citizen_id, "mother": MOTHER.citizen_id,
                                   "father": FATHER.citizen_id},
                         values=values, uploads=uploads(form))
