"""In real Chromium: 杭州市公安局's data steward hands in a GBK-encoded CSV as a new dataset, watches it go up and
get read, checks the suggested mapping (masked samples, where each suggestion came from), confirms, and reads the
load report: rows in = accepted + quarantined (one ID with a bad check digit), the quality score, and the field
grades (the citizen ID is L4)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from stdnum.cn import ric
from tests.e2e.test_cart_flow import log_in

HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "手机号码", "住址"]
CODE = "hz_e2e_residents"


def make_id(region: str, birth: str, seq: str) -> str:
    body = f"{region}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants the number with a placeholder check digit


def write_gbk_csv(path: Path) -> Path:
    good = make_id("330106", "19880512", "321")
    wrong = make_id("330102", "19930704", "118")
    wrong = wrong[:-1] + ("0" if wrong[-1] != "0" else "1")  # a bad check digit
    rows = [
        ("张伟", good, "男", "1988-05-12", "13857112345", "浙江省杭州市西湖区文三路90号"),
        ("王芳", make_id("330105", "19760101", "246"), "女", "1976-01-01", "13957198765", "杭州市拱墅区莫干山路8号"),
        ("李娜", make_id("330110", "20000229", "052"), "女", "2000-02-29", "13600571234", "杭州市余杭区文一西路998号"),
        ("刘洋", wrong, "男", "1993-07-04", "13777765432", "杭州市上城区延安路1号"),
        ("陈静", make_id("330108", "19650923", "427"), "女", "1965-09-23", "13588889999", "杭州市滨江区江南大道3888号"),
    ]
    with path.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows)
    return path


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_a_steward_uploads_confirms_and_reads_the_report(page: Any, live_server: dict[str, Any],
                                                         tmp_path: Path) -> None:
    server = live_server
    log_in(page, server, "hz_police_steward")
    page.click("nav.subnav a[href='/datasets']")
    page.click("a[href='/datasets/upload']")
    expect(page.locator("h1")).to_have_text("归集数据")

    page.check("input[name=mode][value=new]")
    page.fill("input[name=code]", CODE)
    page.fill("input[name=name]", "杭州市常住人口（浏览器测试）")
    page.select_option("select[name=update_frequency]", "每日")
    page.set_input_files("input[name=file]", str(write_gbk_csv(tmp_path / "常住人口.csv")))
    page.click("form[data-upload] button[type=submit]")
    expect(page.locator("#upload-progress")).to_be_visible()  # the bar and the status line appear
    expect(page).to_have_url(re.compile(r"/loads/\d+$"))

    # the mapping suggestions: masked samples, suggested elements and where they came from
    expect(page.locator("h2").filter(has_text="确认字段映射")).to_be_visible()
    id_row = page.locator("table.mapping tr[data-header='公民身份号码']")
    expect(id_row.locator("select")).to_have_value("citizen_id")
    expect(id_row.locator("td.samples code").first).to_contain_text("*")
    expect(id_row.locator(".source")).to_have_text("表头 + 内容")
    expect(id_row.locator("td.detected")).to_contain_text("校验位正确")
    name_row = page.locator("table.mapping tr[data-header='姓名']")
    expect(name_row.locator("select")).to_have_value("person_name")
    expect(page.locator("table.mapping")).not_to_contain_text("13857112345")  # no clear value on the page

    page.click("button[form=commit-form]")
    expect(page.locator("h2").filter(has_text="归集报告")).to_be_visible()
    rows_in = number(page.locator("#rows-in").inner_text())
    accepted = number(page.locator("#rows-accepted").inner_text())
    quarantined = number(page.locator("#rows-quarantined").inner_text())
    assert rows_in == 5 and quarantined == 1 and rows_in == accepted + quarantined
    expect(page.locator("#quality-score")).to_have_text(re.compile(r"\d+\.\d"))
    expect(page.locator("#by-reason")).to_contain_text("公民身份号码：校验位错误")
    expect(page.locator("#field-grades tr[data-header='公民身份号码'] .grade")).to_have_text("L4 敏感")
    expect(page.locator("#field-grades tr[data-header='性别'] .grade")).to_have_text(re.compile(r"^L[1-3] "))

    # the dataset page shows it too, with its lineage block and the load in its history
    page.click("a:has-text('查看数据集')")
    expect(page.locator("h1")).to_have_text("杭州市常住人口（浏览器测试）")
    expect(page.locator(".detail-head .grade").first).to_have_text("L4 敏感")
    expect(page.locator("#loads tbody tr")).to_have_count(1)
