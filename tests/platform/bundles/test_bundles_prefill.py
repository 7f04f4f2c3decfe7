"""Prefilling (免填) and materials exemption with the real sharing and entity services: a field is prefilled only
when a handling department owns the data or holds an active grant serving the column in clear, with the register's
value for the right person; every read is audited and counted against the grant."""

from __future__ import annotations

import json

from bundles_helpers import DECEASED, FATHER, HEIR, MOTHER, actor, grant
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.platform.bundles import service
from digigov.platform.cases import service as cases
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Usage

CITIZEN = cases.citizen("bundles")


def _newborn(session: Session, name: str = FATHER.name) -> service.Identified:
    return service.identify(session, CITIZEN, "newborn", applicant_name=name,
                            subjects={"applicant": FATHER.citizen_id, "mother": MOTHER.citizen_id})


def _prefill_audits(session: Session) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action == "bundles.prefill")))


def test_without_a_grant_nothing_is_prefilled(bsession: Session) -> None:
    form = service.merged(bsession, service.published(bsession, "newborn"))
    assert not [f.key for f in form.fields if f.prefillable]
    got = _newborn(bsession)
    assert got.prefill.verified and got.prefill.values == {}
    assert _prefill_audits(bsession) == []


def test_a_grant_holder_prefills_the_registers_values(bsession: Session) -> None:
    g = grant(bsession, "xh_police_officer")
    form = service.merged(bsession, service.published(bsession, "newborn"))
    address = form.field_by_key("applicant.address")
    assert address is not None and address.prefillable
    src = address.prefill[0]
    assert (src.dataset, src.column, src.basis, src.grant_id, src.department_name) == (
        "ps_household", "户籍地址", "grant", g.id, "西湖区公安分局")
    got = _newborn(bsession)
    values = {k: v.value for k, v in got.prefill.values.items()}
    assert values == {"applicant.address": FATHER.address, "applicant.mobile": FATHER.mobile,
                      "mother.person_name": MOTHER.name}
    audits = _prefill_audits(bsession)
    details = [json.loads(a.detail) for a in audits]
    assert details and all(d["grant"] == g.id and d["bundle"] == "newborn" for d in details)
    assert audits[0].purpose == g.purpose
    used = bsession.scalar(select(Usage).where(Usage.grant_id == g.id))
    assert used is not None and used.calls == 1 and used.rows == 2  # the father's and the mother's records


def test_a_masked_column_is_not_prefilled(bsession: Session) -> None:
    grant(bsession, "xh_police_officer", unmasked=("姓名",))
    form = service.merged(bsession, service.published(bsession, "newborn"))
    assert [f.key for f in form.fields if f.prefillable] == ["mother.person_name", "father.person_name"]
    got = _newborn(bsession)
    assert {k: v.value for k, v in got.prefill.values.items()} == {"mother.person_name": MOTHER.name}


def test_the_grants_row_filter_and_revocation_are_respected(bsession: Session) -> None:
    g = grant(bsession, "xh_police_officer")
    g.row_filter = [{"column": "户籍地址", "op": "prefix", "value": "浙江省宁波市"}]
    bsession.flush()
    got = _newborn(bsession)
    assert got.prefill.values == {}  # nobody in the newborn's family lives in Ningbo
    g.row_filter = []
    sharing.revoke(bsession, actor(bsession, "zj_police_steward"), g.id, reason="一件事改由其他授权预填")
    form = service.merged(bsession, service.published(bsession, "newborn"))
    assert not any(f.prefillable for f in form.fields)
    assert _newborn(bsession).prefill.values == {}


def test_a_wrong_name_prefills_nothing(bsession: Session) -> None:
    grant(bsession, "xh_police_officer")
    got = _newborn(bsession, name="张三")
    assert not got.prefill.verified and got.prefill.values == {}
    assert _prefill_audits(bsession) == []


def test_own_department_data_prefills_and_other_peoples_values_are_shown_masked(bsession: Session) -> None:
    # 西湖区民政局 owns the death register: the date of death is its own data for 身后一件事
    got = service.identify(bsession, CITIZEN, "after_death", applicant_name=HEIR.name,
                           subjects={"applicant": HEIR.citizen_id, "deceased": DECEASED.citizen_id})
    death = got.prefill.values["deceased.death_date"]
    assert death.value == DECEASED.death_date and death.source.basis == "own"
    assert death.source.department_name == "西湖区民政局" and death.source.dataset == "ca_death"
    assert service.display_value("deceased", "death_date", death.value) == "2026"
    assert service.display_value("deceased", "person_name", DECEASED.name) != DECEASED.name
    assert service.display_value("applicant", "address", HEIR.address) == HEIR.address
    assert "applicant.address" not in got.prefill.values  # nobody in the bundle holds the household register


def test_materials_are_exempt_only_with_every_departments_access(bsession: Session) -> None:
    for who in ("xh_health_officer", "xh_police_officer", "xh_medsec_officer"):
        grant(bsession, who)
    d = service.published(bsession, "newborn")
    form = service.merged(bsession, d)
    ids = next(m for m in form.materials if m.key == "applicant.id_card")
    assert ids.submit and ids.missing_access == ["human_resources.social_security_card"]
    assert not next(m for m in form.materials if m.key == "mother.id_card").submit
    grant(bsession, "hz_hrss_steward")
    form = service.merged(bsession, d)
    assert sorted(m.key for m in form.materials if m.submit) == [
        "applicant.marriage_certificate", "newborn.hospital_delivery_record", "newborn.photo"]
    assert form.after.materials == 3 and form.before.materials == 18
