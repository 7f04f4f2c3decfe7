"""Merchant verification, check by check: each fires on its planted listing and not on a near-miss twin that
differs only in what the check must look through (a legal-form suffix, spaces, lower case, a number read from the
photo, the same premises written differently, the last day of validity)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from stdnum.cn import uscc

from digigov.apps.digital_government.food_delivery_online import licences
from digigov.apps.digital_government.food_delivery_online.licences import Listing, Registry

AS_OF = date(2021, 8, 31)


def code(body: str) -> str:
    """A credit code with its check character (GB 32100)."""
    return body + uscc.calc_check_digit(body)


WEIDAO = code("91330106MA2B00001")  # 杭州味道餐饮有限公司: licensed for hot food and drinks
ZHANG = code("92330106MA2B00002")  # 西湖区老张面馆: licence expired on 30 June
LI = code("92330105MA2B00003")  # 拱墅区小李饭店: deregistered
BIANMIN = code("92330102MA2B00004")  # 上城区便民超市: food sale only
WUZHENG = code("92330108MA2B00005")  # 滨江区无证小吃店: no licence at all
REVOKED = code("92330110MA2B00006")  # 余杭区阿强烧烤店: licence revoked with its business licence

LICENCES = [
    {"许可证编号": "JY23301060000011", "经营者名称": "杭州味道餐饮有限公司", "统一社会信用代码": WEIDAO,
     "经营场所": "浙江省杭州市西湖区文三路100号", "主体业态": "餐饮服务经营者",
     "经营项目": "热食类食品制售,自制饮品制售",
     "发证日期": "2020-01-02", "有效期至": "2025-01-01", "发证机关": "杭州市西湖区市场监督管理局"},
    {"许可证编号": "JY23301060000022", "经营者名称": "西湖区老张面馆", "统一社会信用代码": ZHANG,
     "经营场所": "浙江省杭州市西湖区古墩路8号", "主体业态": "餐饮服务经营者", "经营项目": "热食类食品制售",
     "发证日期": "2016-07-01", "有效期至": "2021-06-30", "发证机关": "杭州市西湖区市场监督管理局"},
    {"许可证编号": "JY23301050000033", "经营者名称": "拱墅区小李饭店", "统一社会信用代码": LI,
     "经营场所": "浙江省杭州市拱墅区湖墅南路5号", "主体业态": "餐饮服务经营者", "经营项目": "热食类食品制售",
     "发证日期": "2019-03-01", "有效期至": "2024-02-28", "发证机关": "杭州市拱墅区市场监督管理局"},
    {"许可证编号": "JY13301020000044", "经营者名称": "上城区便民超市", "统一社会信用代码": BIANMIN,
     "经营场所": "浙江省杭州市上城区解放路9号", "主体业态": "食品销售经营者",
     "经营项目": "预包装食品销售（含冷藏冷冻食品）",
     "发证日期": "2019-03-01", "有效期至": "2024-02-28", "发证机关": "杭州市上城区市场监督管理局"},
    {"许可证编号": "JY23301100000055", "经营者名称": "余杭区阿强烧烤店", "统一社会信用代码": REVOKED,
     "经营场所": "浙江省杭州市余杭区临平路3号", "主体业态": "餐饮服务经营者", "经营项目": "热食类食品制售",
     "发证日期": "2019-03-01", "有效期至": "2024-02-28", "发证机关": "杭州市余杭区市场监督管理局"},
]
ENTERPRISES = [
    {"统一社会信用代码": WEIDAO, "企业名称": "杭州味道餐饮有限公司", "企业类型": "有限责任公司", "登记状态": "存续",
     "所属行业": "住宿和餐饮业", "住所": "浙江省杭州市西湖区文三路100号"},
    {"统一社会信用代码": ZHANG, "企业名称": "西湖区老张面馆", "企业类型": "个体工商户", "登记状态": "在业",
     "所属行业": "住宿和餐饮业", "住所": "浙江省杭州市西湖区古墩路8号"},
    {"统一社会信用代码": LI, "企业名称": "拱墅区小李饭店", "企业类型": "个体工商户", "登记状态": "注销",
     "所属行业": "住宿和餐饮业", "住所": "浙江省杭州市拱墅区湖墅南路5号"},
    {"统一社会信用代码": BIANMIN, "企业名称": "上城区便民超市", "企业类型": "个体工商户", "登记状态": "在业",
     "所属行业": "批发和零售业", "住所": "浙江省杭州市上城区解放路9号"},
    {"统一社会信用代码": WUZHENG, "企业名称": "滨江区无证小吃店", "企业类型": "个体工商户", "登记状态": "在业",
     "所属行业": "住宿和餐饮业", "住所": "浙江省杭州市滨江区江南大道7号"},
    {"统一社会信用代码": REVOKED, "企业名称": "余杭区阿强烧烤店", "企业类型": "个体工商户", "登记状态": "吊销",
     "所属行业": "住宿和餐饮业", "住所": "浙江省杭州市余杭区临平路3号"},
]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_rows(LICENCES, ENTERPRISES)


def photo(number: str, holder: str = "杭州味道餐饮有限公司") -> str:
    return f"食品经营许可证\n经营者名称：{holder}\n许可证编号：{number}\n有效期至：2025年01月01日"


WEIDAO_SHOP = Listing("xianda", "XD0000001", "味道小馆", "杭州味道餐饮有限公司", "浙江省杭州市西湖区文三路100号",
                      "330106", "中餐", "JY23301060000011", photo("JY23301060000011"), 30, AS_OF)


def kinds(listing: Listing, registry: Registry) -> list[str]:
    return licences.verify_one(listing, registry, AS_OF).kinds()


def test_a_licensed_shop_is_compliant(registry: Registry) -> None:
    v = licences.verify_one(WEIDAO_SHOP, registry, AS_OF)
    assert v.compliant and v.verdict == "compliant" and v.licence is not None and v.number_source == "displayed"
    assert v.enterprise is not None and v.enterprise.status == "存续"


def test_no_licence(registry: Registry) -> None:
    unlicensed = replace(WEIDAO_SHOP, operator_name="滨江区无证小吃店", displayed=WUZHENG, photo_text="")
    assert kinds(unlicensed, registry) == ["no_licence"]
    nothing = replace(WEIDAO_SHOP, displayed="", photo_text="")
    assert kinds(nothing, registry) == ["no_licence"]
    never_issued = replace(WEIDAO_SHOP, displayed="JY23301069999999", photo_text="")
    assert kinds(never_issued, registry) == ["no_licence"]
    # twin: nothing shown on the listing, but the number is read from the licence photo
    photo_only = replace(WEIDAO_SHOP, displayed="")
    v = licences.verify_one(photo_only, registry, AS_OF)
    assert v.compliant and v.number_source == "photo" and v.number_used == "JY23301060000011"


def test_licence_expired(registry: Registry) -> None:
    zhang = replace(WEIDAO_SHOP, shop_name="老张面馆", operator_name="西湖区老张面馆",
                    address="浙江省杭州市西湖区古墩路8号", displayed="JY23301060000022",
                    photo_text=photo("JY23301060000022", "西湖区老张面馆"))
    assert kinds(zhang, registry) == ["licence_expired"]
    # twin: captured on the last day the licence is valid
    assert kinds(replace(zhang, captured_on=date(2021, 6, 30)), registry) == []


def test_out_of_scope(registry: Registry) -> None:
    assert kinds(replace(WEIDAO_SHOP, category="凉菜卤味"), registry) == ["out_of_scope"]  # no 冷食类
    supermarket = replace(WEIDAO_SHOP, operator_name="上城区便民超市", address="浙江省杭州市上城区解放路9号",
                          displayed="JY13301020000044", photo_text="", category="快餐简餐")
    v = licences.verify_one(supermarket, registry, AS_OF)
    assert v.kinds() == ["out_of_scope"] and "餐饮服务经营者" in v.findings[0].evidence["needs"]
    # twins: drinks are licensed; a convenience store sells prepackaged food
    assert kinds(replace(WEIDAO_SHOP, category="奶茶饮品"), registry) == []
    assert kinds(replace(supermarket, category="便利超市"), registry) == []


def test_licence_of_another_entity(registry: Registry) -> None:
    assert kinds(replace(WEIDAO_SHOP, operator_name="杭州美味餐饮有限公司"), registry) == ["licence_other_entity"]
    # twins: the same entity with another legal-form suffix, with spaces, full-width brackets
    assert kinds(replace(WEIDAO_SHOP, operator_name="杭州味道餐饮有限责任公司"), registry) == []
    assert kinds(replace(WEIDAO_SHOP, operator_name="杭州 味道餐饮有限公司"), registry) == []


def test_one_licence_many_shops(registry: Registry) -> None:
    on_other_platform = replace(WEIDAO_SHOP, platform="chengzi", shop_id="CZ0000001",
                                address="杭州市西湖区 文三路100号")  # the same premises, written differently
    elsewhere = replace(WEIDAO_SHOP, platform="zhelisong", shop_id="ZL0000001", address="浙江省杭州市西湖区学院路77号")
    verdicts = licences.verify([WEIDAO_SHOP, on_other_platform, elsewhere], registry, AS_OF)
    assert [v.kinds() for v in verdicts] == [[], [], ["licence_shared"]]
    assert verdicts[2].findings[0].evidence["premises"] == 2
    # twin: the same shop on two platforms alone is no sharing
    assert [v.kinds() for v in licences.verify([WEIDAO_SHOP, on_other_platform], registry, AS_OF)] == [[], []]


def test_invalid_credit_code(registry: Registry) -> None:
    wrong = WEIDAO[:-1] + ("0" if WEIDAO[-1] != "0" else "1")
    v = licences.verify_one(replace(WEIDAO_SHOP, displayed=wrong, photo_text=""), registry, AS_OF)
    assert v.kinds() == ["uscc_invalid"] and v.licence is None
    # twin: the valid code in lower case with spaces is resolved to its holder's food licence
    spaced = WEIDAO.lower()[:6] + " " + WEIDAO.lower()[6:]
    v = licences.verify_one(replace(WEIDAO_SHOP, displayed=spaced, photo_text=""), registry, AS_OF)
    assert v.compliant and v.licence is not None and v.licence.number == "JY23301060000011"


def test_deregistered_holder(registry: Registry) -> None:
    li = replace(WEIDAO_SHOP, operator_name="拱墅区小李饭店", address="浙江省杭州市拱墅区湖墅南路5号",
                 displayed="JY23301050000033", photo_text="")
    v = licences.verify_one(li, registry, AS_OF)
    assert v.kinds() == ["holder_deregistered"] and v.findings[0].evidence["status"] == "注销"
    qiang = replace(li, operator_name="余杭区阿强烧烤店", address="浙江省杭州市余杭区临平路3号",
                    displayed="JY23301100000055")
    assert kinds(qiang, registry) == ["holder_deregistered"]  # 吊销
    assert kinds(WEIDAO_SHOP, registry) == []  # twin: 存续


def test_licence_photo_mismatch(registry: Registry) -> None:
    other = replace(WEIDAO_SHOP, photo_text=photo("JY13301020000044"))
    assert kinds(other, registry) == ["photo_mismatch"]
    # twin: the same number on the photo, read with spaces and full-width digits
    assert kinds(replace(WEIDAO_SHOP, photo_text=photo("JY2330 1060 0000１１")), registry) == []


def test_every_listing_gets_a_verdict(registry: Registry) -> None:
    listings = [WEIDAO_SHOP, replace(WEIDAO_SHOP, shop_id="2", displayed="", photo_text=""),
                replace(WEIDAO_SHOP, shop_id="3", category="凉菜卤味"),
                replace(WEIDAO_SHOP, shop_id="4", displayed="?", photo_text="")]
    verdicts = licences.verify(listings, registry, AS_OF)
    assert [v.listing.shop_id for v in verdicts] == [lst.shop_id for lst in listings]
    assert [v.verdict for v in verdicts] == ["compliant", "non_compliant", "non_compliant", "non_compliant"]
    assert verdicts[3].kinds() == ["no_licence"] and "不是许可证编号" in verdicts[3].findings[0].reason


def test_reading_numbers() -> None:
    assert licences.code_kind(" jy2330 1060000011 ") == ("jy", "JY23301060000011")
    assert licences.code_kind(WEIDAO.lower()) == ("uscc", WEIDAO)
    assert licences.code_kind("营业执照") == ("other", "营业执照")
    assert licences.read_photo(f"营业执照\n统一社会信用代码 {WEIDAO}\n名称 杭州味道") == ("", WEIDAO)
    assert licences.premises_key("浙江省杭州市西湖区 文三路100号") == licences.premises_key("杭州市西湖区文三路100号")
