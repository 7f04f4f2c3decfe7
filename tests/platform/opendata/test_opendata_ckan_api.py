"""The CKAN Action API: CKAN's envelope, errors and statuses, GET and POST, every action, and the unmodified
`ckanapi` client (PyPI) against a real server on a free local port."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from opendata_helpers import LICENCE_COLS, PERSONAL_COLS, Col, licence_rows, make_dataset
from sqlalchemy.orm import Session
from tests.apps.people_call_we_act.test_open311_api import V2

from digigov.platform.opendata import service

API = "/api/3/action"


@pytest.fixture
def catalogue(session: Session) -> dict[str, object]:
    licences = make_dataset(session, "mr_food_licence_notice", LICENCE_COLS, licence_rows(30),
                            name="食品经营许可公示", name_en="Food business licences", tags=["食品", "许可"],
                            system="digital_economy", description="食品经营许可证的公示信息。")
    projects = make_dataset(session, "ag_project_notice", [Col("项目名称"), Col("所属村"), Col("金额", "L1", "DOUBLE")],
                            [["道路硬化", "三墩村", 12.5], ["河道清淤", "留下村", 30.0]], name="村级工程项目公示",
                            tags=["三资"], owner="330106-agriculture", frequency="每月", system="digital_government")
    closed = make_dataset(session, "ps_household", [Col("姓名", "L3"), Col("公民身份号码", "L4")], [["张三", "1"]])
    stale = make_dataset(session, "stale_grade", [*LICENCE_COLS, *PERSONAL_COLS], licence_rows(3, personal=True),
                         grade="L1", name="许可登记（分级过期）")
    session.commit()
    return {"licences": licences, "projects": projects, "closed": closed, "stale": stale}


def ok(response) -> object:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["help"].endswith("help_show?name=" + response.url.path.rsplit("/", 1)[1])
    return body["result"]


def test_package_list_show_and_the_closed_dataset(client: TestClient, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert ok(client.get(f"{API}/package_list")) == ["ag_project_notice", "mr_food_licence_notice", "stale_grade"]
    pkg = ok(client.get(f"{API}/package_show", params={"id": "mr_food_licence_notice"}))
    assert pkg["name"] == "mr_food_licence_notice" and pkg["title"] == "食品经营许可公示"
    assert pkg["organization"]["name"] == "330100-public_security" and pkg["organization"]["title"] == "杭州市公安局"
    assert [t["name"] for t in pkg["tags"]] == ["食品", "许可"] and pkg["groups"][0]["name"] == "digital_economy"
    assert [r["format"] for r in pkg["resources"]] == ["CSV", "JSON", "Parquet"]
    assert pkg["resources"][0]["url"] == "http://testserver/open/datasets/mr_food_licence_notice.csv"
    assert [r["datastore_active"] for r in pkg["resources"]] == [True, False, False]
    assert pkg["license_id"] == "CC-BY-4.0" and pkg["license_title"]
    assert {e["key"]: e["value"] for e in pkg["extras"]}["update_frequency"] == "每日"
    assert {e["key"]: e["value"] for e in pkg["extras"]}["region"] == "330100"
    assert ok(client.get(f"{API}/package_show", params={"id": pkg["id"]}))["name"] == pkg["name"]  # id or name
    missing = client.get(f"{API}/package_show", params={"id": "ps_household"})
    assert missing.status_code == 404
    body = missing.json()
    assert body["success"] is False and body["error"]["__type"] == "Not Found Error"
    assert client.get(f"{API}/package_show", params={"id": "no_such"}).json()["error"] == body["error"] | {
        "message": body["error"]["message"].replace("ps_household", "no_such")}


def test_post_with_a_json_body_works_as_get(client: TestClient, catalogue) -> None:  # type: ignore[no-untyped-def]
    got = ok(client.post(f"{API}/package_search", json={"q": "公示", "rows": 1, "sort": "name asc"}))
    assert got["count"] == 2 and [p["name"] for p in got["results"]] == ["ag_project_notice"]
    form = ok(client.post(f"{API}/package_show", data={"id": "ag_project_notice"}))
    assert form["name"] == "ag_project_notice"


def test_package_search_fq_sort_paging_and_facets(client: TestClient, catalogue) -> None:  # type: ignore[no-untyped-def]
    got = ok(client.get(f"{API}/package_search", params={
        "q": "*:*", "fq": "tags:食品 res_format:CSV", "facet.field": '["organization","tags","res_format"]',
        "facet.limit": "1"}))
    assert got["count"] == 1 and got["results"][0]["name"] == "mr_food_licence_notice"
    assert got["facets"]["organization"] == {"330100-public_security": 1}
    assert got["search_facets"]["organization"]["items"] == [
        {"name": "330100-public_security", "display_name": "杭州市公安局", "count": 1}]
    assert len(got["facets"]["tags"]) == 1  # facet.limit
    paged = [ok(client.get(f"{API}/package_search", params={"rows": 1, "start": s, "sort": "name asc"}))
             for s in range(4)]
    assert [p["results"][0]["name"] for p in paged[:3]] == ["ag_project_notice", "mr_food_licence_notice",
                                                           "stale_grade"]
    assert paged[3]["results"] == [] and paged[0]["count"] == 3
    newest = ok(client.get(f"{API}/package_search", params={"sort": "metadata_modified desc"}))
    stamps = [p["metadata_modified"] for p in newest["results"]]
    assert stamps == sorted(stamps, reverse=True)
    harvester = ok(client.get(f"{API}/package_search", params={
        "fq": "organization:330106-agriculture OR organization:330100-public_security -groups:digital_economy "
              "metadata_modified:[2000-01-01T00:00:00.000Z TO *]", "rows": "100", "start": "0", "sort": "id asc"}))
    assert {p["name"] for p in harvester["results"]} == {"ag_project_notice", "stale_grade"}
    assert [p["id"] for p in harvester["results"]] == sorted(p["id"] for p in harvester["results"])
    assert ok(client.get(f"{API}/package_search", params={"q": "公民身份号码"}))["count"] == 0


def test_validation_and_query_errors_answer_as_ckan_does(client: TestClient, catalogue) -> None:  # type: ignore[no-untyped-def]
    bad_rows = client.get(f"{API}/package_search", params={"rows": "many"})
    assert bad_rows.status_code == 409
    assert bad_rows.json()["error"]["__type"] == "Validation Error" and "rows" in bad_rows.json()["error"]
    assert client.get(f"{API}/package_show").status_code == 409  # id is missing
    bad_fq = client.get(f"{API}/package_search", params={"fq": "password:1"})
    assert bad_fq.status_code == 400 and bad_fq.json()["error"]["__type"] == "Search Query Error"
    unknown = client.get(f"{API}/not_an_action")
    assert unknown.status_code == 400 and unknown.json() == "Bad request - Action name not known: not_an_action"
    write = client.post(f"{API}/package_create", json={"name": "x"})
    assert write.status_code == 403 and write.json()["error"]["__type"] == "Authorization Error"
    not_json = client.post(f"{API}/package_list", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json().startswith("Bad request - ")


def test_organizations_groups_tags_resources_and_status(client: TestClient, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert ok(client.get(f"{API}/organization_list")) == ["330100-public_security", "330106-agriculture"]  # by title
    orgs = ok(client.get(f"{API}/organization_list", params={"all_fields": "true", "sort": "name asc"}))
    assert [(o["name"], o["package_count"]) for o in orgs] == [("330100-public_security", 2),
                                                               ("330106-agriculture", 1)]
    org = ok(client.get(f"{API}/organization_show", params={"id": "330106-agriculture", "include_datasets": True}))
    assert org["is_organization"] and [p["name"] for p in org["packages"]] == ["ag_project_notice"]
    assert client.get(f"{API}/organization_show", params={"id": "330000-big_data"}).status_code == 404
    assert ok(client.get(f"{API}/group_list")) == ["digital_government", "digital_economy"]
    assert ok(client.get(f"{API}/group_show", params={"id": "digital_economy"}))["package_count"] == 1
    assert ok(client.get(f"{API}/tag_list")) == ["三资", "许可", "食品"]
    assert ok(client.get(f"{API}/tag_list", params={"query": "食"})) == ["食品"]
    pkg = ok(client.get(f"{API}/package_show", params={"id": "ag_project_notice"}))
    res = ok(client.get(f"{API}/resource_show", params={"id": pkg["resources"][2]["id"]}))
    assert res == pkg["resources"][2] and res["format"] == "Parquet"
    assert client.get(f"{API}/resource_show", params={"id": "nope"}).status_code == 404
    status = ok(client.get(f"{API}/status_show"))
    assert status["ckan_version"].startswith("2.") and "datastore" in status["extensions"]
    assert ok(client.get(f"{API}/help_show", params={"name": "package_search"})).startswith("Search: q, fq")


def test_datastore_search(client: TestClient, catalogue, session: Session) -> None:  # type: ignore[no-untyped-def]
    pkg = ok(client.get(f"{API}/package_show", params={"id": "mr_food_licence_notice"}))
    rid = pkg["resources"][0]["id"]
    got = ok(client.get(f"{API}/datastore_search", params={
        "resource_id": rid, "filters": json.dumps({"主体业态": "餐饮服务"}), "limit": 2, "offset": 1,
        "sort": "注册资本 desc", "fields": "经营者名称,注册资本"}))
    assert [f["id"] for f in got["fields"]] == ["_id", "经营者名称", "注册资本"]
    assert [f["type"] for f in got["fields"]] == ["int", "text", "float8"]
    assert got["total"] == 10 and len(got["records"]) == 2
    assert got["records"][0]["注册资本"] > got["records"][1]["注册资本"]
    assert got["_links"]["start"].startswith("/api/3/action/datastore_search?") and "offset=3" in got["_links"]["next"]
    text = ok(client.post(f"{API}/datastore_search", json={"resource_id": rid, "q": "杭州7号"}))
    assert [r["经营者名称"] for r in text["records"]] == ["杭州7号餐饮有限公司"]
    lists = ok(client.get(f"{API}/datastore_search", params={"resource_id": "mr_food_licence_notice", "limit": 1,
                                                              "records_format": "lists"}))
    assert isinstance(lists["records"][0], list) and lists["total"] == 30
    stale = ok(client.get(f"{API}/package_show", params={"id": "stale_grade"}))["resources"][0]["id"]
    refused = client.get(f"{API}/datastore_search", params={"resource_id": stale, "fields": "法定代表人"})
    assert refused.status_code == 409 and refused.json()["error"]["__type"] == "Validation Error"
    rows = ok(client.get(f"{API}/datastore_search", params={"resource_id": stale}))
    assert "法定代表人" not in json.dumps(rows, ensure_ascii=False)
    assert client.get(f"{API}/datastore_search", params={"resource_id": "ps_household"}).status_code == 404
    assert client.get(f"{API}/datastore_search").status_code == 409
    assert service.download_counts(session)["mr_food_licence_notice"] == 3  # every datastore read counted


def test_the_ckanapi_client_works_unmodified(server: str, catalogue, session: Session) -> None:  # type: ignore[no-untyped-def]
    ckanapi = pytest.importorskip("ckanapi")
    site = server.removesuffix(V2)  # the `server` fixture serves the whole app but names the Open311 root
    with ckanapi.RemoteCKAN(site) as ckan:
        names = ckan.action.package_list()
        assert names == sorted(v.code for v in service.open_datasets(session))
        assert "ps_household" not in names
        found = ckan.action.package_search(q="公示", fq="organization:330100-public_security", rows=10,
                                           sort="name asc", **{"facet.field": ["tags"]})
        assert [p["name"] for p in found["results"]] == ["mr_food_licence_notice"]
        assert found["facets"]["tags"] == {"食品": 1, "许可": 1}
        pkg = ckan.action.package_show(id="mr_food_licence_notice")
        assert pkg["title"] == service.get_open(session, "mr_food_licence_notice").name
        rid = next(r["id"] for r in pkg["resources"] if r.get("datastore_active"))
        rows = ckan.action.datastore_search(resource_id=rid, filters={"主体业态": "单位食堂"}, limit=100)
        assert rows["total"] == 10 and {r["主体业态"] for r in rows["records"]} == {"单位食堂"}
        orgs = ckan.action.organization_list(all_fields=True)
        assert {o["name"]: o["package_count"] for o in orgs} == {"330100-public_security": 2,
                                                                 "330106-agriculture": 1}
        assert ckan.action.status_show()["site_url"] == site
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id="ps_household")
        with pytest.raises(ckanapi.ValidationError):
            ckan.action.package_search(rows="many")
        with pytest.raises(ckanapi.NotAuthorized):
            ckan.action.package_create(name="x")
    get_only = ckanapi.RemoteCKAN(site, get_only=True)
    assert get_only.action.package_show(id="ag_project_notice")["num_resources"] == 3
    get_only.close()
