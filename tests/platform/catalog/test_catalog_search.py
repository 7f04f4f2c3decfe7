"""Search like a search engine: jieba tokens, ranking, facets, highlights (same output on both backends)."""

from __future__ import annotations

import pytest
from catalog_helpers import Catalogue, admin, build
from sqlalchemy.orm import Session

from digigov.core.errors import InvalidInput
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog import text as textutil


@pytest.fixture
def cat(session: Session, actor_of) -> Catalogue:  # type: ignore[no-untyped-def]
    return build(session, actor_of)


def _codes(result: catalog.SearchResult) -> list[str]:
    return [h.resource.code for h in result.hits]


def test_chinese_query_finds_names_and_functions(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    me = actor_of("hz_civil_officer")
    found = _codes(catalog.search(session, me, "社保"))
    assert cat.social_insurance.code in found  # name 社保参保缴费信息
    assert cat.apps["one_stop_business"].code in found  # function 社保和公积金登记同步办理
    assert cat.population.code not in found
    licence = catalog.search(session, me, "营业执照")
    assert _codes(licence)[0] == cat.licence.code
    assert cat.apps["one_stop_business"].code in _codes(licence)  # function 电子营业执照自动发放
    assert set(_codes(catalog.search(session, me, "执照"))) == set(_codes(licence))  # a sub-word


def test_name_match_ranks_above_description_only(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    result = catalog.search(session, actor_of("hz_civil_officer"), "社保")
    codes = _codes(result)
    assert codes[0] == cat.social_insurance.code
    assert codes.index(cat.social_insurance.code) < codes.index(cat.insurance_desc_only.code)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


def test_all_terms_match_first(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    result = catalog.search(session, actor_of("hz_civil_officer"), "企业登记")
    assert result.tokens == ["企业", "登记"]
    assert _codes(result) == [cat.apps["one_stop_business"].code]  # the only one holding both words


def test_any_term_when_none_holds_all(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    result = catalog.search(session, actor_of("hz_civil_officer"), "公积金 身份证 人像")
    codes = _codes(result)
    assert codes[0] == cat.ocr.code  # holds 身份证 and 人像
    assert set(codes) == {cat.ocr.code, cat.population.code, cat.apps["one_stop_business"].code}
    assert result.hits[0].score > result.hits[1].score


def test_facets_count_the_match_set(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    result = catalog.search(session, actor_of("hz_civil_officer"), "社保")
    assert result.total == 3
    facets = {k: {f.value: (f.label, f.count) for f in v} for k, v in result.facets.items()}
    assert facets["kind"] == {"dataset": ("数据", 2), "application": ("应用", 1)}
    assert facets["tier"] == {"city": ("市级", 2), "province": ("省级", 1)}
    assert facets["system"]["digital_society"] == ("数字社会", 2)
    hrss = cat.social_insurance.owner_department_id
    assert facets["department"][str(hrss)] == ("杭州市人力资源和社会保障局", 2)
    assert [f.count for f in result.facets["kind"]] == [2, 1]  # largest first


def test_filters_narrow_hits_and_facets(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    me = actor_of("hz_civil_officer")
    only_apps = catalog.search(session, me, "社保", kind="application")
    assert _codes(only_apps) == [cat.apps["one_stop_business"].code] and only_apps.total == 1
    hz = catalog.search(session, me, "", region_code="330100")
    assert hz.total == 5 and all(h.resource.region_code.startswith("3301") for h in hz.hits)
    assert catalog.search(session, me, "", region_code="330000").total == 9
    assert catalog.search(session, me, "", tier="province").total == 4
    dept = catalog.search(session, me, "", department_id=cat.ocr.owner_department_id)
    assert set(_codes(dept)) == {cat.ocr.code, cat.population.code}
    assert catalog.search(session, me, "", system="party_governance").total == 1
    assert catalog.search(session, me, "", status="retired").total == 0
    with pytest.raises(InvalidInput):
        catalog.search(session, me, "", kind="spaceship")
    with pytest.raises(InvalidInput):
        catalog.search(session, me, "", limit=0)
    with pytest.raises(InvalidInput):
        catalog.search(session, me, "", region_code="33'--")


def test_empty_query_lists_all_by_reuse(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    a = admin(actor_of)
    catalog.add_dependency(session, a, cat.apps["one_stop_business"].code, cat.licence.code)
    catalog.add_dependency(session, a, cat.apps["food_delivery"].code, cat.licence.code)
    catalog.add_dependency(session, a, cat.apps["elderly"].code, cat.ocr.code)
    result = catalog.search(session, actor_of("hz_civil_officer"))
    assert result.total == 9
    assert _codes(result)[:2] == [cat.licence.code, cat.ocr.code]
    page = catalog.search(session, actor_of("hz_civil_officer"), limit=4, offset=8)
    assert len(page.hits) == 1 and page.total == 9


def test_highlights_wrap_terms_and_escape_html(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    evil = catalog.create_resource(
        session, admin(actor_of), kind="component", name="<script>alert(1)</script>社保卡识别",
        owner_department="330100-human_resources", description='读取社保卡芯片 & 返回 "卡号"')
    result = catalog.search(session, actor_of("hz_civil_officer"), "社保卡")
    hit = next(h for h in result.hits if h.resource.id == evil.id)
    assert hit.name_html == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>社保卡</mark>识别"
    assert hit.snippet_html == "读取<mark>社保卡</mark>芯片 &amp; 返回 &quot;卡号&quot;"
    licence = next(h for h in catalog.search(session, actor_of("hz_civil_officer"), "营业执照").hits
                   if h.resource.id == cat.licence.id)
    assert licence.name_html == "电子<mark>营业执照</mark>信息"


def test_snippet_uses_best_matching_function(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    hit = next(h for h in catalog.search(session, actor_of("hz_civil_officer"), "公积金").hits)
    assert hit.resource.code == cat.apps["one_stop_business"].code
    assert hit.snippet_html == "社保和<mark>公积金</mark>登记同步办理"


def test_single_character_falls_back_to_substring(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    result = catalog.search(session, actor_of("hz_civil_officer"), "税")
    assert _codes(result) == [cat.apps["one_stop_business"].code]
    assert "<mark>税</mark>务发票" in result.hits[0].snippet_html


def test_query_syntax_is_not_interpreted(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    me = actor_of("hz_civil_officer")
    for q in ['"', "社保 OR", "NEAR(社保", "*", "社保\"' AND 1=1 --", "^社保", "a:b"]:
        catalog.search(session, me, q)  # never a syntax error
    with pytest.raises(InvalidInput):
        catalog.search(session, me, "社保\x00")


def test_highlight_and_snippet_helpers() -> None:
    assert textutil.highlight("A<b>社保</b>", ["社保"]) == "A&lt;b&gt;<mark>社保</mark>&lt;/b&gt;"
    assert textutil.highlight("营业执照", ["营业", "营业执照"]) == "<mark>营业执照</mark>"
    long = "一" * 100 + "社保" + "二" * 100
    snip = textutil.snippet([long], ["社保"])
    assert snip.startswith("…") and snip.endswith("…") and "<mark>社保</mark>" in snip
    assert len(snip.replace("<mark>", "").replace("</mark>", "")) <= 82
    assert textutil.query_tokens("的社保") == ["社保"]
