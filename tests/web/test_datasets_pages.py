"""The data-governance console pages for a logged-in steward, in Chinese and English: datasets, upload, the load
page (mapping, then report), a dataset's page, standards, quality items and rules; and the mapping form's round
trip from upload to commit."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI

from tests.web.conftest import Console
from tests.web.test_governance_api import BAD, GOOD, csv_bytes

CODE = "hz_people_pages"
# a message key that reached the page untranslated (t() falls back to the key itself)
RAW_KEY = re.compile(r">\s*(?:ds|up|load|std|quality|gov|dtype|nav|error|state)\.[a-z_.]+\s*<")


def upload_page(c: Console, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    """The upload page's XHR: multipart with the CSRF header, asking for JSON."""
    return c.post("/datasets/upload", files={"file": ("人口.csv", data, "text/csv")}, data=fields,
                  headers={"X-CSRF-Token": c.csrf, "Accept": "application/json"})


def new_dataset(c: Console, rows: list[tuple[str, ...]], encoding: str = "utf-8") -> int:
    r = upload_page(c, csv_bytes(rows, encoding), mode="new", code=CODE, name="杭州市人口（页面测试）",
                    update_frequency="每日", key_columns="公民身份号码")
    assert r.status_code == 201, r.text
    location = r.json()["location"]
    assert re.fullmatch(r"/loads/\d+", location)
    return int(location.rsplit("/", 1)[1])


def commit_all(c: Console, load_id: int) -> None:
    page = c.get(f"/loads/{load_id}")
    choices = dict(re.findall(r'<select name="(map_\d+)".*?<option value="([a-z_]*)" selected', page.text, re.S))
    r = c.post_form(f"/loads/{load_id}/commit", choices)
    assert r.status_code == 303 and r.headers["location"] == f"/loads/{load_id}"


@pytest.fixture
def steward(login: Callable[[str], Console]) -> Console:
    return login("hz_police_steward")


def check(c: Console, path: str, lang: str, *expected: str) -> str:
    r = c.get(path, params={"lang": lang})
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    assert not RAW_KEY.search(r.text), (path, lang, RAW_KEY.search(r.text))
    for text in expected:
        assert text in r.text, (path, lang, text)
    return r.text


def test_every_page_renders_in_chinese_and_english(steward: Console) -> None:
    load_id = new_dataset(steward, [*GOOD, BAD])
    check(steward, f"/loads/{load_id}", "zh", "确认字段映射", "公民身份号码", "表头 + 内容", "330*")
    check(steward, f"/loads/{load_id}", "en", "Confirm the field mapping", "Citizen ID number", "Header + content")
    commit_all(steward, load_id)
    issue = re.search(r'href="/quality/issues/(\d+)"', steward.get("/quality/issues").text)
    assert issue
    pages = {
        "/datasets": (("数据集", "归集数据", CODE), ("Datasets", "Hand in data", CODE)),
        "/datasets/upload": (("归集数据", "新建数据集", "<progress"), ("Hand in data", "A new dataset", "<progress")),
        f"/loads/{load_id}": (("归集报告", "隔离原因", "L4 敏感"),
                              ("Load report", "Quarantined by reason", "L4 Sensitive")),
        f"/datasets/{CODE}": (("字段", "数据血缘", "归集记录", "调整分级"),
                              ("Fields", "Lineage", "Load history", "Change the grade")),
        "/standards": (("数据元", "分类分级方案", "保留前6位和后4位"),
                       ("Data elements", "Grading scheme", "Keep the first 6")),
        "/quality/issues": (("问题数据", "待整改"), ("Problem data", "To fix")),
        f"/quality/issues/{issue.group(1)}": (("整改说明", "查看问题行"), ("What was fixed", "Show the rows")),
        "/quality/rules": (("质量规则", "试运行", "内置"), ("Quality rules", "Dry run", "Shipped")),
    }
    for path, (zh, en) in pages.items():
        check(steward, path, "zh", *zh)
        check(steward, path, "en", *en)


def test_the_mapping_form_round_trip_commits_what_was_chosen(steward: Console) -> None:
    load_id = new_dataset(steward, [*GOOD, BAD], encoding="gbk")
    page = steward.get(f"/loads/{load_id}").text
    assert 'id="commit-form"' in page and "赵*" in page  # samples are masked
    headers = re.findall(r'<select name="(map_\d+)" aria-label="[^"]*: ([^"]+)"', page)
    by_header = {h: name for name, h in headers}
    choices = {name: "" for name, _ in headers}
    choices.update({by_header["姓名"]: "person_name", by_header["公民身份号码"]: "citizen_id",
                    by_header["手机号码"]: "mobile"})
    r = steward.post_form(f"/loads/{load_id}/commit", choices)
    assert r.status_code == 303
    report = steward.get(r.headers["location"]).text
    assert "归集报告" in report and "已入库，数据集版本 v1。" in report
    rows = re.search(r'id="rows-in">([\d,]+)<.*id="rows-accepted">([\d,]+)<.*id="rows-quarantined">([\d,]+)<',
                     report, re.S)
    assert rows and int(rows.group(1)) == int(rows.group(2)) + int(rows.group(3)) == 5
    assert "公民身份号码：校验位错误" in report
    info = steward.get(f"/api/v1/datasets/{CODE}").json()
    mapped = {f["header"]: f["element"] for f in info["fields"]}
    assert mapped == {"姓名": "person_name", "公民身份号码": "citizen_id", "性别": None, "出生日期": None,
                      "手机号码": "mobile", "住址": None}
    again = steward.post_form(f"/loads/{load_id}/commit", choices)  # committed already: a message, not a crash
    assert again.status_code == 303
    assert "已入库" in steward.get(f"/loads/{load_id}").text


def test_a_plain_form_post_is_redirected_and_errors_come_back_in_the_page_language(steward: Console) -> None:
    r = steward.post("/datasets/upload", data={"csrf_token": steward.csrf, "mode": "new", "code": CODE,
                                               "name": "人口", "update_frequency": "每日"},
                     files={"file": ("p.csv", csv_bytes(list(GOOD)), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/loads/")
    again = upload_page(steward, csv_bytes(list(GOOD)), mode="new", code=CODE, name="重名")
    assert again.status_code == 409 and again.json()["message"] == f"数据集编码“{CODE}”已被使用"
    empty = upload_page(steward, b"", mode="existing", dataset=CODE)
    assert empty.status_code == 422 and empty.json()["message"] == "文件是空的（0 字节）"
    steward.cookies.set("lang", "en")
    empty_en = upload_page(steward, b"", mode="existing", dataset=CODE)
    assert empty_en.json()["message"] == "The file is empty (0 bytes)"
    form_again = steward.post("/datasets/upload", data={"csrf_token": steward.csrf, "mode": "existing", "dataset": ""},
                              files={"file": ("p.csv", csv_bytes(list(GOOD)), "text/csv")}, follow_redirects=False)
    assert form_again.status_code == 422 and "Pick a dataset" in form_again.text


def test_an_officer_gets_no_upload_and_another_department_no_preview(login: Callable[[str], Console],
                                                                     steward: Console) -> None:
    load_id = new_dataset(steward, list(GOOD))
    commit_all(steward, load_id)
    officer = login("hz_civil_officer")
    assert officer.get("/datasets/upload").status_code == 403
    assert "归集数据" not in officer.get("/datasets").text.split("<main", 1)[1].split("</h1>")[1][:400]
    page = officer.get(f"/datasets/{CODE}").text
    assert "数据预览" not in page and "调整分级" not in page
    assert officer.get(f"/datasets/{CODE}/preview").status_code == 403
    preview = steward.get(f"/datasets/{CODE}/preview", headers={"HX-Request": "true"})
    assert preview.status_code == 200 and "330106********" in preview.text and "已脱敏" in preview.text


def test_grade_override_respond_and_rule_forms(steward: Console) -> None:
    commit_all(steward, new_dataset(steward, [*GOOD, BAD]))
    r = steward.post_form(f"/datasets/{CODE}/grade", {"column": "性别", "grade": "L1", "reason": "汇总用途"})
    assert r.status_code == 303
    page = steward.get(f"/datasets/{CODE}").text
    assert "字段“性别”已定为 L1。" in page and "hz_police_steward 人工定级（规则为 L2）" in page and "汇总用途" in page
    r = steward.post_form(f"/datasets/{CODE}/grade", {"column": "性别", "grade": "L3", "reason": ""})
    assert r.status_code == 303 and "与规则分级不同时须说明理由" in steward.get(f"/datasets/{CODE}").text

    issue_id = re.search(r'href="/quality/issues/(\d+)"', steward.get(f"/quality/issues?dataset={CODE}").text)
    assert issue_id
    rows = steward.get(f"/quality/issues/{issue_id.group(1)}/rows")
    assert rows.status_code == 200
    r = steward.post_form(f"/quality/issues/{issue_id.group(1)}/respond", {"response": "已更正"})
    assert r.status_code == 303
    assert "已整改待复核" in steward.get(f"/quality/issues/{issue_id.group(1)}").text

    rule = f"id: {CODE}.gender_known\nname: 性别已填\nkind: completeness\ndataset: {CODE}\nfield: 性别\n"
    tried = steward.post_form("/quality/rules", {"dataset": CODE, "definition": rule, "action": "dry_run"})
    assert tried.status_code == 200 and "试运行结果" in tried.text
    saved = steward.post_form("/quality/rules", {"dataset": CODE, "definition": rule, "action": "save"})
    assert saved.status_code == 303
    page = steward.get(saved.headers["location"]).text
    assert f"{CODE}.gender_known" in page and f"/quality/rules/{CODE}.gender_known/enable" in page
    r = steward.post_form(f"/quality/rules/{CODE}.gender_known/enable", {"dataset": CODE})
    assert r.status_code == 303 and f"/quality/rules/{CODE}.gender_known/disable" in steward.get(
        r.headers["location"]).text
    broken = steward.post_form("/quality/rules", {"dataset": CODE, "definition": "id: [", "action": "save"})
    assert broken.status_code == 422 and "质量规则" in broken.text


def test_the_nav_shows_the_governance_pages(steward: Console, app: FastAPI) -> None:
    html = steward.get("/").text
    for href in ('href="/datasets"', 'href="/standards"', 'href="/quality/issues"'):
        assert href in html
