"""The standards registry: data elements, definition sets, aliases, versions, and load-time checks."""

from __future__ import annotations

import copy

import pytest

from digigov.core.errors import NotFound
from digigov.core.i18n import error_text
from digigov.platform.standards import masking, registry, validators
from digigov.platform.standards.normalize import STEPS
from digigov.platform.standards.registry import RegistryError

REQUIRED = {
    # id: (name, validator, grade, masking)
    "citizen_id": ("公民身份号码", "citizen_id", "L4", "keep_first6_last4"),
    "person_name": ("姓名", "person_name", "L3", "surname_only"),
    "gender": ("性别", None, "L2", None),
    "birth_date": ("出生日期", "date", "L3", "year_only"),
    "mobile": ("手机号码", "mobile", "L3", "keep_first3_last4"),
    "landline": ("固定电话", "landline", "L2", "area_code_only"),
    "address": ("住址", "address", "L3", "to_district"),
    "uscc": ("统一社会信用代码", "uscc", "L1", None),
    "enterprise_name": ("企业名称", None, "L1", None),
    "legal_representative": ("法定代表人", "person_name", "L2", "surname_only"),
    "bank_card": ("银行卡号", "bank_card", "L4", "last4"),
    "passport": ("护照号码", "passport", "L4", "keep_first1_last3"),
    "plate_number": ("车牌号码", "plate_number", "L3", "plate"),
    "email": ("电子邮箱", "email", "L3", "email"),
    "ip_address": ("IP地址", "ip_address", "L3", "ip_prefix"),
    "coordinates": ("经纬度", "coordinates", "L3", "round_2"),
    "longitude": ("经度", "longitude", "L2", "round_2"),
    "latitude": ("纬度", "latitude", "L2", "round_2"),
    "licence_number": ("许可证编号", "licence_number", "L1", None),
    "amount": ("金额", "amount", "L2", None),
    "date": ("日期", "date", "L1", None),
    "region_code": ("行政区划代码", "region_code", "L1", None),
    "diagnosis": ("疾病诊断", None, "L4", "redact"),
    "death_date": ("死亡日期", "date", "L3", "year_only"),
}


def test_required_elements_are_shipped_as_specified():
    els = registry.elements()
    for element_id, (name, validator, grade, rule) in REQUIRED.items():
        el = els[element_id]
        assert (el.name, el.validator, el.grade, el.masking) == (name, validator, grade, rule), element_id


def test_element_details():
    assert registry.element("gender").allowed_values == ("男", "女")
    assert registry.element("amount").unit == "元"
    assert registry.element("amount").normalizer == ("amount",)
    assert registry.element("coordinates").type == "geo"
    assert registry.element("birth_date").type == "date"
    assert registry.element("longitude").type == "decimal"
    assert registry.element("citizen_id").tags["data_object"] == ("个人数据", "身份信息")
    assert "禁止开放" in registry.element("citizen_id").tags["security_protection"]
    assert registry.element("uscc").label("en") == "Unified social credit code"


def test_validator_keys_are_exactly_the_contract_and_all_implemented():
    used = {el.validator for el in registry.elements().values() if el.validator}
    assert used == set(registry.VALIDATOR_KEYS)
    assert set(registry.VALIDATOR_KEYS) <= set(validators.VALIDATORS)


def test_every_step_and_rule_named_exists():
    for el in registry.elements().values():
        assert set(el.normalizer) <= set(STEPS)
        assert el.masking is None or el.masking in masking.RULES
        assert set(el.tags) == set(registry.DIMENSIONS), el.id


def test_missing_element_is_not_found_with_a_key():
    with pytest.raises(NotFound) as caught:
        registry.element("shoe_size")
    assert caught.value.key == "element_not_found"
    assert "shoe_size" in error_text(caught.value, "zh")
    with pytest.raises(NotFound) as caught_term:
        registry.term("nope")
    assert caught_term.value.key == "term_not_found"


def test_alias_index_maps_department_headers():
    idx = registry.alias_index()
    for header in ("身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "sfzh", "zjhm", "id_card", "idcard"):
        assert idx[registry.normalize_header(header)] == "citizen_id", header
    assert registry.element_for_header(" SFZH ").id == "citizen_id"
    assert registry.element_for_header("ＩＤ＿Ｃａｒｄ").id == "citizen_id"  # full-width, case, underscore
    assert registry.element_for_header("金额（元）").id == "amount"
    assert registry.element_for_header("手机 号码").id == "mobile"
    assert registry.element_for_header("法定代表人").id == "legal_representative"
    assert registry.element_for_header("统一社会信用代码").id == "uscc"
    assert registry.element_for_header("favourite colour") is None


def test_normalize_header():
    assert registry.normalize_header(" ID_Card (No.) ") == "idcardno"
    assert registry.normalize_header("身份证号（Ａ）") == "身份证号a"


def test_terms_cover_the_systems_and_relations_resolve():
    all_terms = registry.terms()
    assert len(all_terms) >= 40
    ids = {t.id for t in all_terms}
    for t in all_terms:
        assert set(t.related) <= ids, t.id
        assert t.system in registry.SYSTEMS
        assert t.definition and t.definition_en
    names = {t.name for t in all_terms}
    for name in ("数字化改革", "整体智治", "一体化智能化公共数据平台", "数据高铁", "一件事", "多跨场景应用", "三张清单",
                 "党政机关整体智治", "数字政府", "数字经济", "数字社会", "数字法治", "基层智治", "数字文化", "公共数据",
                 "数据元", "定义集", "归集", "回流", "共享", "开放", "受限开放", "脱敏", "分类分级", "一数一源",
                 "数源部门", "一人一档", "一企一档", "质量管控", "问题数据", "工单", "办结销号", "督办", "回头看",
                 "驾驶舱", "预警", "浙里办", "浙政钉", "最多跑一次", "好差评", "免申即享", "网格员"):
        assert name in names, name
    assert {t.system for t in all_terms} == set(registry.SYSTEMS)
    assert registry.term("catalog").name.startswith("一体化数字资源系统")
    assert registry.system_label("digital_government") == "数字政府"


def test_search_terms_ranks_name_matches_first():
    found = registry.search_terms("共享")
    assert found[0].name == "共享"  # exact name
    ranks = [0 if t.name == "共享" else 1 if "共享" in t.name else 2 for t in found]
    assert ranks == sorted(ranks)
    assert any("共享" not in t.name for t in found)  # definition matches come too, last
    assert [t.id for t in registry.search_terms("IRS")][0] == "catalog"
    assert registry.search_terms("ｉｒｓ")[0].id == "catalog"  # full-width, case-insensitive
    assert registry.search_terms("zzzz-nothing") == []
    assert len(registry.search_terms("  ")) == len(registry.terms())


def test_versions():
    assert registry.versions() == {"elements.yaml": "2026.1", "terms.yaml": "2026.1", "scheme.yaml": "2026.1"}


def _elements_data(mutate):
    data = copy.deepcopy(registry._read("elements.yaml"))
    mutate(data["elements"])
    return data


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda els: els[0].update(validator="shoe_size"), "unknown validator"),
    (lambda els: els[0].update(masking="blur"), "unknown masking rule"),
    (lambda els: els[0].update(grade="L5"), "grade"),
    (lambda els: els[0].update(gb_level="secret"), "gb_level"),
    (lambda els: els[0].update(normalizer=["sparkle"]), "unknown normaliser step"),
    (lambda els: els[0]["tags"].update(data_object=["外星人数据"]), "is not a value of dimension"),
    (lambda els: els[0]["tags"].update(colour=["红"]), "unknown classification dimension"),
    (lambda els: els.append(copy.deepcopy(els[0])), "duplicate id"),
    (lambda els: els[1]["aliases"].append("sfzh"), "claimed by both"),
    (lambda els: els[0].update(unexpected=1), "unexpected"),
])
def test_broken_element_data_fails_loudly(mutate, message):
    with pytest.raises(RegistryError, match=message):
        registry.parse_elements(_elements_data(mutate), registry.scheme())


def test_broken_terms_and_scheme_fail_loudly():
    terms = copy.deepcopy(registry._read("terms.yaml"))
    terms["terms"][0]["related"] = ["no_such_term"]
    with pytest.raises(RegistryError, match="does not resolve"):
        registry.parse_terms(terms)
    terms = copy.deepcopy(registry._read("terms.yaml"))
    terms["terms"][0]["system"] = "metaverse"
    with pytest.raises(RegistryError, match="unknown system"):
        registry.parse_terms(terms)
    scheme = copy.deepcopy(registry._read("scheme.yaml"))
    scheme["crosswalk"].pop()
    with pytest.raises(RegistryError, match="crosswalk"):
        registry.parse_scheme(scheme)
    scheme = copy.deepcopy(registry._read("scheme.yaml"))
    scheme["dimensions"][0]["attributes"][0]["values"].append({"zh": "实时", "en": "again"})
    with pytest.raises(RegistryError, match="duplicate tag value"):
        registry.parse_scheme(scheme)
