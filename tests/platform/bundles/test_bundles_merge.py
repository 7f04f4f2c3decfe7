"""The merged form (一表申请), merged materials (一套材料) and savings of the shipped bundles, as pure functions of the
catalogue: a field asked once per (subject, data element), an item's own field kept, materials de-duplicated and
exempted only for a reason, the before and after figures."""

from __future__ import annotations

from collections import Counter

from digigov.platform.bundles import catalogue
from digigov.platform.bundles.merge import Handler, Holding, PersonSource, merge

NEWBORN = ("health.birth_certificate", "public_security.birth_registration", "medical_security.newborn_enrolment",
           "human_resources.social_security_card")
HOUSEHOLD = PersonSource("ps_household", "户籍人口信息", "浙江省公安厅",
                         {"person_name": "姓名", "gender": "性别", "birth_date": "出生日期", "address": "户籍地址",
                          "mobile": "手机号码", "citizen_id": "公民身份号码"},
                         frozenset({"person_name", "gender", "birth_date", "address", "citizen_id"}), 1)


def _handlers(codes: tuple[str, ...]) -> dict[str, Handler]:
    return {c: Handler(c, n + 1, f"330106-{catalogue.item(c).department_kind}", f"dept {n + 1}", "330106")
            for n, c in enumerate(codes)}


def _holding(dept: int, columns: tuple[str, ...] = ("姓名", "性别", "出生日期", "户籍地址", "手机号码")) -> Holding:
    return Holding(dept, f"dept {dept}", "ps_household", "户籍人口信息", "浙江省公安厅", "grant", 100 + dept,
                   frozenset(columns))


def test_the_shipped_catalogue_is_consistent() -> None:
    assert catalogue.check() == []
    codes = {b.code for b in catalogue.catalogue().bundles}
    assert {"newborn", "enterprise_opening", "after_death", "retirement"} <= codes


def test_newborn_fields_shared_by_several_items_are_asked_once() -> None:
    items = [catalogue.item(c) for c in NEWBORN]
    form = merge(items, _handlers(NEWBORN), [], {}, steps=3, trips=0, days=5)
    keys = [f.key for f in form.fields]
    assert len(keys) == len(set(keys)) == 17  # 39 fields in the four items' own forms
    baby = form.field_by_key("newborn.person_name")
    assert baby is not None and baby.items == list(NEWBORN) and baby.shared and baby.label == "新生儿姓名"
    mother_id = form.field_by_key("mother.citizen_id")
    assert mother_id is not None and mother_id.items == list(NEWBORN[:2]) and mother_id.identity
    # the applicant's address: 落户地址 (public security), 居住地址 (medical security), 邮寄地址 (social security card)
    address = form.field_by_key("applicant.address")
    assert address is not None and address.items == list(NEWBORN[1:]) and address.required
    # an item's own field stays its own, under the item
    hospital = form.field_by_key("health.birth_certificate:birth_hospital")
    assert hospital is not None and hospital.items == ["health.birth_certificate"] and not hospital.shared
    assert Counter(f.subject for f in form.fields if f.subject)["newborn"] == 3
    assert form.subjects() == ["applicant", "mother", "father"]


def test_newborn_materials_are_deduplicated_and_exempted_only_for_a_reason() -> None:
    items = [catalogue.item(c) for c in NEWBORN]
    form = merge(items, _handlers(NEWBORN), [], {}, steps=3, trips=0, days=5)
    by_key = {m.key: m for m in form.materials}
    assert len(by_key) == 9  # 18 materials in the four items' guides
    assert by_key[".application_form"].exemption == "merged_form" and len(by_key[".application_form"].items) == 4
    cert = by_key["newborn.birth_medical_certificate"]
    assert cert.exemption == "issued" and cert.issued_by == "health.birth_certificate"
    assert cert.original  # public security wants the original, medical security a copy: the original covers both
    ids = by_key["applicant.id_card"]
    assert ids.items == ["medical_security.newborn_enrolment", "human_resources.social_security_card"]
    # without any grant nobody can check the household register: the booklet and the ID cards must be handed in
    assert ids.submit and by_key["applicant.household_book"].submit and by_key["mother.id_card"].submit
    assert sorted(m.key for m in form.materials if m.submit) == [
        "applicant.household_book", "applicant.id_card", "applicant.marriage_certificate", "father.id_card",
        "mother.id_card", "newborn.hospital_delivery_record", "newborn.photo"]


def test_materials_are_exempt_only_when_every_department_needing_them_can_check_the_data() -> None:
    items = [catalogue.item(c) for c in NEWBORN]
    hs = _handlers(NEWBORN)
    everyone = {(h.department_id, "ps_household"): _holding(h.department_id or 0) for h in hs.values()}
    form = merge(items, hs, [HOUSEHOLD], everyone, steps=3, trips=0, days=5)
    assert sorted(m.key for m in form.materials if m.submit) == [
        "applicant.marriage_certificate", "newborn.hospital_delivery_record", "newborn.photo"]
    # the social security card's department (id 4) has no grant: the applicant's ID card and booklet come back
    partial = {k: v for k, v in everyone.items() if k[0] != 4}
    form = merge(items, hs, [HOUSEHOLD], partial, steps=3, trips=0, days=5)
    ids = next(m for m in form.materials if m.key == "applicant.id_card")
    assert ids.submit and ids.missing_access == ["human_resources.social_security_card"]
    assert "medical_security.newborn_enrolment" in ids.checked_by
    mother_ids = next(m for m in form.materials if m.key == "mother.id_card")
    assert not mother_ids.submit  # health (1) and public security (2) both hold the grant


def test_prefill_sources_need_a_grant_with_the_column_in_clear() -> None:
    items = [catalogue.item(c) for c in NEWBORN]
    hs = _handlers(NEWBORN)
    none = merge(items, hs, [HOUSEHOLD], {}, steps=3, trips=0, days=5)
    assert not any(f.prefillable for f in none.fields)
    # only public security (2) holds a grant, and its grant serves the address masked (not in clear)
    masked = {(2, "ps_household"): _holding(2, ("姓名", "手机号码"))}
    form = merge(items, hs, [HOUSEHOLD], masked, steps=3, trips=0, days=5)
    assert [f.key for f in form.fields if f.prefillable] == ["mother.person_name", "father.person_name",
                                                             "applicant.mobile"]
    mobile = form.field_by_key("applicant.mobile")
    assert mobile is not None and [(p.dataset, p.column, p.department_id, p.grant_id) for p in mobile.prefill] == [
        ("ps_household", "手机号码", 2, 102)]
    # the newborn has no resident ID yet: nothing about the baby is ever prefilled
    assert not form.field_by_key("newborn.person_name").prefillable  # type: ignore[union-attr]
    # the applicant's own name and ID are asked when they identify, never prefilled
    assert not form.field_by_key("applicant.person_name").prefillable  # type: ignore[union-attr]


def test_savings_before_is_the_sum_over_the_items_and_after_is_the_bundles() -> None:
    items = [catalogue.item(c) for c in NEWBORN]
    hs = _handlers(NEWBORN)
    everyone = {(h.department_id, "ps_household"): _holding(h.department_id or 0) for h in hs.values()}
    form = merge(items, hs, [HOUSEHOLD], everyone, steps=3, trips=0, days=5)
    assert form.before.as_dict() == {"steps": 19, "materials": 18, "fields": 39, "trips": 6, "days": 21}
    # 17 merged fields, of which the mother's and father's names, the applicant's address and phone are prefilled
    assert form.after.as_dict() == {"steps": 3, "materials": 3, "fields": 13, "trips": 0, "days": 5}
    assert form.saved == {"steps": 16, "materials": 15, "fields": 26, "trips": 6, "days": 16}
    assert round(form.saved_ratio["materials"], 3) == round(15 / 18, 3)


def test_enterprise_opening_passes_the_licence_and_seals_between_departments() -> None:
    b = next(x for x in catalogue.catalogue().bundles if x.code == "enterprise_opening")
    items = [catalogue.item(c) for c in b.items]
    form = merge(items, _handlers(b.items), [], {}, steps=len(b.steps), trips=b.trips, days=b.time_limit)
    by_key = {m.key: m for m in form.materials}
    licence = by_key["enterprise.business_licence"]
    assert licence.exemption == "issued" and len(licence.items) == 4
    assert by_key["enterprise.company_seals"].exemption == "issued"  # the bank's seals come from public security
    assert by_key["enterprise.premises_proof"].items == ["market_regulation.company_registration",
                                                         "taxation.new_taxpayer"]
    name = form.field_by_key("enterprise.enterprise_name")
    assert name is not None and len(name.items) == 5
    assert form.before.days == 11 and form.after.days == 1
    bank = catalogue.item("bank.basic_account")
    assert bank.external and bank.partner
