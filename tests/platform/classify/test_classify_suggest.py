"""Mapping suggestions from headers (standard aliases) and content scans."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from stdnum.cn import ric

from digigov.platform.classify.detect import scan_table
from digigov.platform.classify.names import expected_share, header_suggests_name, judge_names
from digigov.platform.classify.suggest import header_element, suggest_mapping
from digigov.platform.standards.registry import elements


def ids(n: int) -> list[str]:
    out = []
    for i in range(n):
        body = f"3301061990{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        out.append(body + ric.calc_check_digit(body + "0"))
    return out


def scans_of(columns: dict[str, list[str | None]]):
    con = duckdb.connect()
    con.register("src", pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}))
    return scan_table(con, "src")


def test_header_only_suggestions() -> None:
    headers = ["身份证号", "手机号码", "联系人手机", "单位名称", "经度", "备注", "sfzhm", "user_mobile"]
    got = suggest_mapping(headers, {})
    assert got["身份证号"].element == "citizen_id" and got["身份证号"].source == "header"
    assert got["手机号码"].element == "mobile" and got["手机号码"].confidence == 0.9
    assert got["联系人手机"].element == "mobile"  # the head noun comes last
    assert got["联系人手机"].confidence < got["手机号码"].confidence
    assert got["单位名称"].element == "enterprise_name"
    assert got["经度"].element == "longitude"
    assert got["sfzhm"].element == "citizen_id"
    assert got["user_mobile"].element == "mobile"
    assert got["备注"].element is None and got["备注"].source == "none"
    for suggestion in got.values():
        assert suggestion.element is None or suggestion.element in elements()


def test_remarks_column_holding_phone_numbers_is_found_by_content() -> None:
    scans = scans_of({"备注": ["13812345678", "13912345678", "15057112345", "18657112345"] * 5})
    got = suggest_mapping(["备注"], scans)["备注"]
    assert got.element == "mobile" and got.source == "content"
    assert got.confidence >= 0.8


def test_header_and_content_agree() -> None:
    scans = scans_of({"身份证号": list(ids(50)), "出生日期": ["1990-01-02", "1985-12-31"] * 25})
    got = suggest_mapping(["身份证号", "出生日期"], scans)
    assert got["身份证号"].source == "both" and got["身份证号"].confidence > 0.95
    assert got["出生日期"].element == "birth_date" and got["出生日期"].source == "both"


def test_content_wins_when_it_is_clear_and_says_so() -> None:
    scans = scans_of({"日期": ids(50)})
    got = suggest_mapping(["日期"], scans)["日期"]
    assert got.element == "citizen_id" and got.source == "content"
    assert "date" in got.alternatives
    assert "以内容为准" in got.why and "content wins" in got.why_en


def test_header_kept_when_content_is_unclear() -> None:
    values: list[str | None] = ["13812345678"] * 7 + ["打不通", "空号", "已停机"]
    got = suggest_mapping(["身份证号"], scans_of({"身份证号": values}))["身份证号"]
    assert got.element == "citizen_id" and got.source == "header"
    assert "mobile" in got.alternatives


def test_gender_birth_date_amount_enterprise_region() -> None:
    scans = scans_of({
        "性别": ["男", "女", "女", "男"] * 10,
        "xb_code": ["1", "2", "2", "1"] * 10,
        "出生年份日期": ["1990-01-02", "1985-12-31"] * 20,
        "补贴(元)": ["1200.50", "300", "80.00", "4500"] * 10,
        "主体": ["杭州某某科技有限公司", "宁波港五金厂", "临安山核桃专业合作社", "西湖区社区卫生服务中心"] * 10,
        "所属区县": ["330106", "330102", "330212", "331082"] * 10,
        "时间": ["2024-01-05", "2024-02-29"] * 20,
    })
    scans["性别代码"] = scans.pop("xb_code")
    scans["性别代码"].column = "性别代码"
    got = suggest_mapping(list(scans), scans)
    assert got["性别"].element == "gender" and got["性别"].source == "both"
    assert got["性别代码"].element == "gender" and got["性别代码"].source == "both"
    assert got["出生年份日期"].element == "birth_date"
    assert got["补贴(元)"].element == "amount"
    assert got["主体"].element == "enterprise_name" and got["主体"].source == "content"
    assert got["所属区县"].element == "region_code"
    assert got["时间"].element == "date" and got["时间"].source == "both"


def test_financial_content_is_a_grade_hint_not_an_element() -> None:
    scans = scans_of({"说明": ["账户余额不足", "贷款逾期", "转账交易", "信用卡还款"] * 5})
    got = suggest_mapping(["说明"], scans)["说明"]
    assert got.element is None and got.grade_hint == "L3" and "financial" in got.alternatives


def test_header_element_ranks() -> None:
    assert header_element("手机号码") == ("mobile", 0.9)
    assert header_element("申请人身份证号")[0] == "citizen_id"
    assert header_element("") == (None, 0.0)


def test_name_helpers() -> None:
    assert header_suggests_name("法定代表人") and header_suggests_name("联系人")
    assert not header_suggests_name("单位名称")
    assert 1.0 < expected_share() < 5.0
    verdict = judge_names({"王芳": 1, "李娜": 1, "张伟": 1, "刘洋": 1}, non_empty=4, distinct=4)
    assert verdict.accepted and verdict.share_ratio > 1
    assert not judge_names({}, non_empty=0, distinct=0).accepted
