"""The sunlit-kitchen rule (every catering merchant with ten or more orders a day connected), the riders' declared
insurance against the HR enrolment, the accidents fed back to the riders' platforms, and the health index."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from stdnum.cn import ric

from digigov.apps.digital_government.food_delivery_online import health, kitchens, riders
from digigov.apps.digital_government.food_delivery_online.licences import Listing

SHOP = Listing("xianda", "XD1", "味道小馆", "杭州味道餐饮有限公司", "杭州市西湖区文三路100号", "330106", "中餐",
               "JY23301060000011", "", 10, date(2021, 8, 31))


def kitchen(shop_id: str, status: str = kitchens.CONNECTED) -> dict[str, object]:
    return {"平台": "xianda", "店铺编号": shop_id, "接入状态": status, "接入日期": "2021-01-05",
            "近7日在线率(%)": "92.5",
            "AI巡检问题数": "2"}


def test_ten_orders_a_day_must_show_the_kitchen() -> None:
    listings = [
        SHOP,  # 10 orders, not connected: a finding
        replace(SHOP, shop_id="XD2", daily_orders=9),  # 9 orders, not connected: allowed
        replace(SHOP, shop_id="XD3", daily_orders=10),  # 10 orders, connected
        replace(SHOP, shop_id="XD4", daily_orders=50, category="便利超市"),  # not catering
        replace(SHOP, shop_id="XD5", daily_orders=40, county_code="330108"),  # 40 orders, disconnected
    ]
    records = kitchens.kitchens_from_rows([kitchen("XD3"), kitchen("XD5", "已断开")])
    report = kitchens.assess(listings, records)
    assert [c.violation for c in report.checks] == [True, False, False, False, True]
    assert [c.required for c in report.checks] == [True, False, True, False, True]
    assert records[("xianda", "XD3")].online_rate == 0.925 and records[("xianda", "XD3")].ai_alerts == 2
    overall = report.overall.figures()
    assert overall["catering"] == 4 and overall["connected"] == 1 and overall["required"] == 3
    assert overall["required_coverage"] == round(1 / 3, 4) and overall["orders_share"] == round(10 / 69, 4)
    by_county = {code: c.figures() for code, c in report.by_county.items()}
    assert by_county["330106"]["required"] == 2 and by_county["330106"]["required_connected"] == 1
    assert by_county["330108"]["required_coverage"] == 0.0


def citizen_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


PLATFORM_COMPANY = "浙江鲜达网络科技有限公司"  # data/platforms.yaml, xianda


def rider(no: str, cid: str, declared: bool = True, platform: str = "xianda") -> dict[str, object]:
    return {"平台": platform, "骑手编号": no, "姓名": "王小明", "身份证号": cid, "手机号": "13800000000",
            "县区代码": "330106", "平台申报参保": "已参保" if declared else "未参保"}


def enrolment(cid: str, unit: str = PLATFORM_COMPANY, status: str = "参保中") -> dict[str, object]:
    return {"身份证号": cid, "姓名": "王小明", "参保单位": unit, "参保状态": status, "参保日期": "2021-03-01"}


def test_declared_insurance_against_the_hr_records() -> None:
    ids = [citizen_id(f"33010619900101{n:03d}") for n in range(1, 8)]
    people = riders.riders_from_rows([
        rider("R1", ids[0]),  # insured by the platform's company
        rider("R2", ids[1]),  # twin: the HR record writes the ID in lower case and the company with another suffix
        rider("R3", ids[2]),  # the enrolment stopped
        rider("R4", ids[3]),  # insured, but by another company
        rider("R5", ids[4]),  # no record at all
        rider("R6", ids[5], declared=False),  # not declared, not insured: no false declaration
        rider("R7", ids[6][:-1] + ("0" if ids[6][-1] != "0" else "1")),  # an ID that fails its check
    ])
    hr = riders.enrolments_from_rows([
        enrolment(ids[0]), enrolment(ids[1].lower(), "浙江鲜达网络科技有限责任公司"),
        enrolment(ids[2], status="已停保"),
        enrolment(ids[3], "杭州橙子信息技术有限公司"), enrolment(ids[6]),
    ])
    checks = {c.rider.rider_no: c for c in riders.cross_check(people, hr)}
    assert {no for no, c in checks.items() if c.insured} == {"R1", "R2"}
    assert {no for no, c in checks.items() if c.violation} == {"R3", "R4", "R5", "R7"}
    assert "已停保" in checks["R3"].reason and "身份证号无效" in checks["R7"].reason
    assert checks["R3"].evidence()["citizen_id"] == ids[2][:6] + "********" + ids[2][-4:]


def test_accidents_are_fed_back_to_the_riders_platforms() -> None:
    a, b, c = (citizen_id(f"33010619850202{n:03d}") for n in (1, 2, 3))
    people = riders.riders_from_rows([rider("R1", a), rider("C1", a, platform="chengzi"), rider("R2", b)])
    accidents = riders.accidents_from_rows([
        {"事故编号": "SG1", "发生日期": "2021-08-01", "县区代码": "330106", "当事人身份证号": a, "伤亡情况": "受伤",
         "所属平台": ""},
        {"事故编号": "SG2", "发生日期": "2021-08-02", "县区代码": "330106", "当事人身份证号": c, "伤亡情况": "财产损失",
         "所属平台": "浙里送"},  # nobody's rider on record, but the police wrote the platform down
        {"事故编号": "SG3", "发生日期": "2021-08-03", "县区代码": "330106", "当事人身份证号": c, "伤亡情况": "财产损失",
         "所属平台": ""},
    ])
    report = riders.attribute(accidents, people)
    assert [(x.number, p) for x, p in report.attributed] == [("SG1", ["chengzi", "xianda"]), ("SG2", ["zhelisong"])]
    assert report.unattributed == 1
    assert report.by_platform["xianda"]["受伤"] == 1 and report.by_platform["zhelisong"]["财产损失"] == 1


def test_the_health_index_formula() -> None:
    inputs = health.PlatformInputs(listings=100, listings_with_licence_findings=10, kitchens_required=50,
                                   kitchens_required_connected=40, riders=200, riders_insured=180, deliveries=1000,
                                   promises_below=300, accidents=10)
    h = health.score("xianda", inputs)
    assert h.components == {"merchants": 0.9, "kitchens": 0.8, "insurance": 0.9, "delivery_time": 0.7,
                            "traffic": 0.5}  # 10 accidents / 200 riders = 5 per 100, half the cap of 10
    assert h.index == pytest.approx(100 * (0.3 * 0.9 + 0.2 * 0.8 + 0.2 * 0.9 + 0.15 * 0.7 + 0.15 * 0.5))
    empty = health.score("chengzi", health.PlatformInputs(listings=10, listings_with_licence_findings=10))
    assert empty.components["merchants"] == 0.0 and set(empty.missing) == {"kitchens", "insurance", "delivery_time",
                                                                             "traffic"}
    assert empty.index == 70.0
    worse = health.score("zhelisong", replace(inputs, accidents=40))  # 20 per 100: the traffic component is 0
    assert worse.components["traffic"] == 0.0
    assert [x.platform for x in health.rank([worse, empty, h])] == ["xianda", "zhelisong", "chengzi"]
