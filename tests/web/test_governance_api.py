"""The data-governance JSON API end to end through HTTP: create a dataset, upload files (UTF-8 and GBK), confirm
the mapping, describe, read rows masked or clear, refusals (another department, oversize, empty file), quality
items and rules, a grade decision, and the standards."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from stdnum.cn import ric

from tests.web.conftest import Console

CODE = "hz_people_api"
HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "手机号码", "住址"]


def make_id(region: str, birth: str, seq: str) -> str:
    body = f"{region}{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants the number with a placeholder check digit


def bad_checksum(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


GOOD = [
    ("张三", make_id("330106", "19900805", "123"), "男", "1990-08-05", "13812345678", "浙江省杭州市西湖区文三路100号"),
    ("李四", make_id("330102", "19850312", "224"), "女", "1985-03-12", "13912345678", "杭州市上城区解放路1号"),
    ("王五", make_id("330203", "20010101", "015"), "男", "2001-01-01", "13700001111", "宁波市海曙区中山西路2号"),
    ("陈六", make_id("330302", "19700615", "031"), "男", "1970-06-15", "13512340000", "温州市鹿城区人民路5号"),
]
BAD = ("赵七", bad_checksum(make_id("330106", "19920202", "123")), "女", "1992-02-02", "13600000000",
       "杭州市拱墅区湖墅南路3号")


def csv_bytes(rows: list[tuple[str, ...]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADERS)
    w.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def api(client: TestClient, bearer: Callable[[str], dict[str, str]]) -> Callable[..., object]:
    """api(user, method, path, **kw) -> the response, with that user's bearer token."""
    tokens: dict[str, dict[str, str]] = {}

    def call(user: str, method: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        if user not in tokens:
            tokens[user] = bearer(user)
        return client.request(method, "/api/v1" + path, headers=tokens[user], **kw)  # type: ignore[arg-type]

    return call


def create(api: Callable[..., object], code: str = CODE) -> None:
    r = api("hz_police_steward", "POST", "/datasets", json={
        "code": code, "name": "杭州市人口（接口测试）", "department": "330100-public_security",
        "update_frequency": "每日", "key_columns": ["公民身份号码"]})
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]


def upload(api: Callable[..., object], data: bytes, *, user: str = "hz_police_steward", code: str = CODE,
           name: str = "people.csv", **fields: str):  # type: ignore[no-untyped-def]
    return api(user, "POST", f"/datasets/{code}/loads", files={"file": (name, data, "text/csv")}, data=fields)


def loaded(api: Callable[..., object]) -> dict[str, object]:
    create(api)
    r = upload(api, csv_bytes([*GOOD, BAD]), commit="true")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    return r.json()  # type: ignore[attr-defined,no-any-return]


def test_upload_stage_then_commit_with_a_mapping(api: Callable[..., object]) -> None:
    create(api)
    r = upload(api, csv_bytes([*GOOD, BAD]))
    assert r.status_code == 201, r.text
    load = r.json()
    assert load["state"] == "staged" and load["rows_in"] == 5 and load["dataset"] == CODE
    suggested = {s["header"]: s for s in load["suggestions"]}
    assert suggested["公民身份号码"]["element"] == "citizen_id"
    assert suggested["手机号码"]["detected"][0]["evidence"], "masked samples come with each detected type"
    assert all("*" in e for e in suggested["公民身份号码"]["detected"][0]["evidence"])

    again = api("hz_police_steward", "GET", f"/loads/{load['id']}")
    assert again.status_code == 200 and again.json()["state"] == "staged"

    r = api("hz_police_steward", "POST", f"/loads/{load['id']}/commit", json={"mapping": {"住址": None}})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["state"] == "committed" and done["version"] == 1
    assert done["rows_in"] == done["accepted"] + done["quarantined"] == 5
    assert done["quarantined"] == 1 and done["reasons"] == {"公民身份号码:checksum": 1}
    assert done["mapping"]["住址"] is None and done["mapping"]["公民身份号码"] == "citizen_id"
    assert done["quality"]["score"] is not None

    r = api("hz_police_steward", "POST", f"/loads/{load['id']}/commit", json={})
    assert r.status_code == 409  # committed already

    info = api("hz_civil_officer", "GET", f"/datasets/{CODE}").json()  # any user sees the description
    assert info["grade"] == "L4" and info["rows"] == 4 and info["version"] == 1
    fields = {f["header"]: f for f in info["fields"]}
    assert fields["公民身份号码"]["grade"] == "L4" and fields["公民身份号码"]["element"] == "citizen_id"
    assert fields["住址"]["element"] is None
    assert info["last_load"]["id"] == load["id"]

    listed = api("hz_civil_officer", "GET", "/datasets").json()
    assert CODE in {d["code"] for d in listed}
    history = api("hz_police_steward", "GET", f"/datasets/{CODE}/loads").json()
    assert [h["id"] for h in history] == [load["id"]]
    graph = api("hz_police_steward", "GET", f"/datasets/{CODE}/lineage").json()
    assert graph["nodes"][0]["code"] == CODE and graph["edges"] == []


def test_a_gbk_file_commits_at_once(api: Callable[..., object]) -> None:
    create(api)
    r = upload(api, csv_bytes(list(GOOD), "gbk"), name="人口.csv", commit="true")
    assert r.status_code == 201, r.text
    load = r.json()
    assert load["state"] == "committed" and load["encoding"].lower() in ("gbk", "gb18030")
    assert load["file"] == "人口.csv" and load["accepted"] == 4 and load["quarantined"] == 0
    rows = api("hz_police_steward", "GET", f"/datasets/{CODE}/rows", params={"unmasked": "true"}).json()
    assert {r[1] for r in rows["rows"]} == {g[0] for g in GOOD}  # the names decoded from GBK


def test_rows_masked_for_an_approver_clear_for_the_steward_refused_elsewhere(api: Callable[..., object]) -> None:
    loaded(api)
    masked = api("hz_police_approver", "GET", f"/datasets/{CODE}/rows", params={"limit": 10})
    assert masked.status_code == 200, masked.text
    body = masked.json()
    assert body["masked"] and body["total"] == 4
    first = dict(zip(body["columns"], body["rows"][0], strict=True))
    assert first["公民身份号码"] == GOOD[0][1][:6] + "********" + GOOD[0][1][-4:]
    assert first["手机号码"] == "138****5678"
    assert not {g[1] for g in GOOD} & {str(v) for row in body["rows"] for v in row}

    assert api("hz_police_approver", "GET", f"/datasets/{CODE}/rows", params={"unmasked": "true"}).status_code == 403
    clear = api("hz_police_steward", "GET", f"/datasets/{CODE}/rows", params={"unmasked": "true"}).json()
    assert not clear["masked"] and GOOD[0][1] in {str(v) for row in clear["rows"] for v in row}
    steward_default = api("hz_police_steward", "GET", f"/datasets/{CODE}/rows").json()
    assert steward_default["masked"]

    other = api("hz_civil_officer", "GET", f"/datasets/{CODE}/rows")
    assert other.status_code == 403 and other.json()["error"] == "forbidden"
    assert api("hz_civil_officer", "GET", "/datasets/no_such_set/rows").status_code == 404


def test_another_department_may_not_create_or_load(api: Callable[..., object]) -> None:
    r = api("hz_civil_steward", "POST", "/datasets", json={
        "code": "hz_not_theirs", "name": "别人的数据", "department": "330100-public_security"})
    assert r.status_code == 403
    create(api)
    r = upload(api, csv_bytes(list(GOOD)), user="hz_civil_steward")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = api("hz_police_steward", "POST", "/datasets", json={
        "code": CODE, "name": "重复", "department": "330100-public_security"})
    assert r.status_code == 409


def test_an_oversize_upload_is_refused_with_413(app: FastAPI, api: Callable[..., object]) -> None:
    create(api)
    app.state.settings = app.state.settings.model_copy(update={"max_upload_bytes": 200})
    r = upload(api, csv_bytes(list(GOOD) * 10))
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "too_large"
    small = upload(api, csv_bytes(list(GOOD[:1])))
    assert small.status_code == 201, small.text


def test_a_refused_file_is_422_with_the_reason(api: Callable[..., object]) -> None:
    create(api)
    r = upload(api, b"")
    assert r.status_code == 422
    assert "empty" in r.json()["message"].lower()
    r = upload(api, ",".join(HEADERS).encode() + b"\n")
    assert r.status_code == 422 and "no data rows" in r.json()["message"]
    r = api("hz_police_steward", "POST", f"/datasets/{CODE}/loads", data={"commit": "true"})
    assert r.status_code == 422  # no file at all
    assert api("hz_police_steward", "GET", f"/datasets/{CODE}/loads").json() == []  # nothing was kept


def test_a_load_can_be_discarded_once(api: Callable[..., object]) -> None:
    create(api)
    load = upload(api, csv_bytes(list(GOOD))).json()
    r = api("hz_police_steward", "POST", f"/loads/{load['id']}/discard")
    assert r.status_code == 200 and r.json()["state"] == "discarded"
    assert api("hz_police_steward", "POST", f"/loads/{load['id']}/discard").status_code == 409
    assert api("hz_police_steward", "GET", "/loads/999999").status_code == 404


def test_quality_items_are_listed_answered_and_their_rows_shown(api: Callable[..., object]) -> None:
    loaded(api)
    items = api("hz_police_steward", "GET", "/quality/issues", params={"dataset": CODE}).json()
    by_problem = {i["problem"]: i for i in items}
    issue = by_problem["quarantine:公民身份号码:checksum"]
    assert issue["state"] == "open" and issue["rows"] == 1
    rows = api("hz_police_steward", "GET", f"/quality/issues/{issue['id']}/rows").json()
    assert len(rows["rows"]) == 1 and BAD[1] in str(rows["rows"][0])
    assert api("hz_civil_officer", "GET", f"/quality/issues/{issue['id']}").status_code == 403
    assert api("hz_civil_officer", "GET", "/quality/issues").json() == []

    r = api("hz_police_steward", "POST", f"/quality/issues/{issue['id']}/respond",
            json={"response": "已按户籍底册更正"})
    assert r.status_code == 200 and r.json()["state"] == "resubmitted"
    assert api("hz_police_steward", "GET", f"/quality/issues/{issue['id']}").json()["response"] == "已按户籍底册更正"
    assert api("hz_police_steward", "POST", f"/quality/issues/{issue['id']}/respond",
               json={"response": "  "}).status_code == 422
    # a clean reload closes it (复核)
    assert upload(api, csv_bytes(list(GOOD)), commit="true").status_code == 201
    assert api("hz_police_steward", "GET", f"/quality/issues/{issue['id']}").json()["state"] == "closed"


def test_a_rule_is_tried_saved_disabled_and_enabled(api: Callable[..., object]) -> None:
    loaded(api)
    rule = (f"id: {CODE}.mobile_138\nname: 手机号以138开头\nname_en: Mobile starts with 138\nkind: pattern\n"
            f"dataset: {CODE}\nfield: 手机号码\nparams: {{regex: '138\\d{{8}}'}}\nseverity: low\n")
    r = api("hz_police_steward", "POST", "/quality/dry-run", json={"dataset": CODE, "definition": rule})
    assert r.status_code == 200, r.text
    (result,) = r.json()
    assert result["checked"] == 4 and result["failed"] == 3 and len(result["samples"]) == 3

    r = api("hz_police_steward", "POST", "/quality/rules", json={"dataset": CODE, "definition": rule})
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["id"] == f"{CODE}.mobile_138" and saved["origin"] == "dataset" and not saved["enabled"]
    r = api("hz_police_steward", "POST", f"/quality/rules/{CODE}.mobile_138/enable")
    assert r.status_code == 200 and r.json()["enabled"]
    listed = {x["id"]: x for x in api("hz_police_steward", "GET", "/quality/rules", params={"dataset": CODE}).json()}
    assert listed[f"{CODE}.mobile_138"]["enabled"] and listed["citizen_id.valid"]["origin"] == "shipped"
    assert api("hz_police_steward", "POST", f"/quality/rules/{CODE}.mobile_138/disable").json()["enabled"] is False

    assert api("hz_civil_steward", "POST", "/quality/rules",
               json={"dataset": CODE, "definition": rule}).status_code == 403
    bad = api("hz_police_steward", "POST", "/quality/rules", json={"dataset": CODE, "definition": "id: x\nkind: nope"})
    assert bad.status_code == 422
    assert api("hz_police_steward", "POST", "/quality/rules/no.such.rule/enable").status_code == 404


def test_a_grade_decision_is_kept_with_its_reason_and_can_be_cleared(api: Callable[..., object]) -> None:
    loaded(api)
    r = api("hz_police_steward", "PUT", f"/datasets/{CODE}/fields/性别/grade",
            json={"grade": "L1", "reason": "性别单独不能识别个人"})
    assert r.status_code == 200, r.text
    field = {f["column"]: f for f in r.json()["fields"]}["性别"]
    assert field["grade"] == "L1" and field["detected_grade"] == "L2"
    assert field["override"] == {"grade": "L1", "reason": "性别单独不能识别个人", "by": "hz_police_steward"}
    assert api("hz_police_approver", "PUT", f"/datasets/{CODE}/fields/性别/grade",
               json={"grade": "L1", "reason": "x"}).status_code == 403
    assert api("hz_police_steward", "PUT", f"/datasets/{CODE}/fields/没有/grade",
               json={"grade": "L1", "reason": "x"}).status_code == 404
    cleared = api("hz_police_steward", "PUT", f"/datasets/{CODE}/fields/性别/grade",
                  json={"grade": None, "reason": "恢复按规则"}).json()
    assert {f["column"]: f for f in cleared["fields"]}["性别"]["override"] is None


def test_the_console_uploads_through_the_api_with_its_csrf_header(login: Callable[[str], Console],
                                                                  api: Callable[..., object]) -> None:
    create(api)
    c = login("hz_police_steward")
    files = {"file": ("p.csv", csv_bytes(list(GOOD)), "text/csv")}
    refused = c.post(f"/api/v1/datasets/{CODE}/loads", files=files)
    assert refused.status_code == 403  # no CSRF token
    r = c.post(f"/api/v1/datasets/{CODE}/loads", files=files, headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 201, r.text
    # the token as a form field works too (the body was read for it; the file is taken from there)
    r = c.post(f"/api/v1/datasets/{CODE}/loads", files=files, data={"csrf_token": c.csrf, "commit": "true"})
    assert r.status_code == 201 and r.json()["state"] == "committed"


def test_the_standards(api: Callable[..., object]) -> None:
    terms = api("hz_civil_officer", "GET", "/standards/terms", params={"q": "数据"}).json()
    assert terms and all(t["system_label"] for t in terms)
    with_related = next(t for t in api("auditor", "GET", "/standards/terms").json() if t["related"])
    one = api("auditor", "GET", f"/standards/terms/{with_related['id']}").json()
    assert [r["id"] for r in one["related_terms"]] == with_related["related"]
    assert api("auditor", "GET", "/standards/terms/no_such_term").status_code == 404
    elements = {e["id"]: e for e in api("auditor", "GET", "/standards/elements").json()}
    assert elements["citizen_id"]["grade"] == "L4" and elements["citizen_id"]["masking"] == "keep_first6_last4"
    assert api("auditor", "GET", "/standards/elements/mobile").json()["masking_example"] == ["13812345678",
                                                                                            "138****5678"]
    scheme = api("auditor", "GET", "/standards/scheme").json()
    assert [lv["id"] for lv in scheme["levels"]] == ["L4", "L3", "L2", "L1"]
    assert {lv["id"]: lv["gb_level"] for lv in scheme["levels"]}["L4"] == "general_4"
