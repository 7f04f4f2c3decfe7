"""The Open311 GeoReport v2 API against the spec's examples (wiki.open311.org/GeoReport_v2): every
resource in JSON and in XML, the spec's example POST body, its error shapes, the 90-day window, the
lifecycle behind open/closed, public fields only; and the `georeport` client from PyPI, unmodified,
against a real server on a free local port."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digigov.apps import registry
from digigov.apps.digital_society.people_call_we_act import open311, open311_keys, service, taxonomy
from digigov.apps.digital_society.people_call_we_act.case_type import TYPE_CODE
from digigov.audit.model import AuditRecord
from digigov.core.clock import utcnow
from digigov.core.settings import Settings
from digigov.identity.actor import Actor
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case
from digigov.web.app import create_app
from digigov.web.local_server import serve

V2 = "/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
# The spec's example POST body, byte for byte but for the api_key (attribute[...] brackets unencoded).
SPEC_POST = ("api_key={key}&jurisdiction_id=city.gov&service_code=001&lat=37.76524078&long=-122.4212043"
             "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
             "&first_name=john&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street"
             "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
             "&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001")
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.fixture
def app(connection: object, tmp_path: Path) -> FastAPI:
    registry.load()  # registers the 民呼我为 case type
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                           expire_on_commit=False)
    app = create_app(Settings(var_dir=tmp_path, secret_key="test"), session_factory=factory)
    if f"{V2}/services.{{fmt}}" not in app.openapi()["paths"]:  # until the web app includes the apps' routers
        app.include_router(open311.router)
        app.openapi_schema = None
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    c = TestClient(app)  # no lifespan: no background worker in these tests
    yield c
    c.close()


@pytest.fixture
def api_key(session: Session) -> str:
    _, secret = open311_keys.create_key(session, Actor.operator(), "test-partner")
    session.commit()
    return secret


def xml_of(response: Any) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own server's answer


def json_of(response: Any) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def as_text(value: Any) -> str | None:
    """A JSON value as the spec's XML writes it (booleans true/false, null as an empty element)."""
    if value is None:
        return None
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def post(client: TestClient, key: str, fmt: str = "json", **fields: str | None) -> Any:
    body = {"api_key": key, "service_code": "road_damage", "lat": "30.2741", "long": "120.1551",
            "description": "文三路与学院路口路面塌陷一个大坑，电动车差点摔倒", **fields}
    return client.post(f"{V2}/requests.{fmt}", data={k: v for k, v in body.items() if v is not None})


def count_cases(session: Session) -> int:
    return session.scalar(select(func.count(Case.id)).where(Case.type_code == TYPE_CODE)) or 0


# ---------------------------------------------------------------- services


def test_service_list_in_json_and_xml_matches_the_spec(client: TestClient) -> None:
    data = json_of(client.get(f"{V2}/services.json"))
    assert [s["service_code"] for s in data] == [c.code for c in taxonomy.CATEGORIES]
    for row in data:
        assert list(row) == SERVICE_FIELDS
        assert isinstance(row["metadata"], bool) and row["type"] == "realtime"
    noise = next(s for s in data if s["service_code"] == "noise_construction")
    assert noise["service_name"] == "建筑施工噪声" and noise["metadata"] is True
    assert noise["group"] == taxonomy.KIND_NAMES["urban_management"] and "夜间施工" in noise["keywords"]
    assert next(s for s in data if s["service_code"] == "tax")["metadata"] is False

    root = xml_of(client.get(f"{V2}/services.xml"))
    assert root.tag == "services" and [e.tag for e in root] == ["service"] * len(data)
    for element, row in zip(root, data, strict=True):
        assert [c.tag for c in element] == SERVICE_FIELDS
        assert {c.tag: c.text for c in element} == {k: as_text(v) for k, v in row.items()}
    # the spec's sample URL form: ?jurisdiction_id=... is accepted for ours, 404 for another
    assert client.get(f"{V2}/services.xml?jurisdiction_id=hangzhou.gov.cn").status_code == 200
    other = client.get(f"{V2}/services.xml?jurisdiction_id=city.gov")
    assert other.status_code == 404 and xml_of(other).find("error/code").text == "404"  # type: ignore[union-attr]


def test_discovery_names_the_georeport_endpoint(client: TestClient) -> None:
    data = json_of(client.get("/open311/discovery.json"))
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith(V2) and endpoint["formats"] == ["text/xml", "application/json"]
    assert client.get(endpoint["url"].removeprefix("http://testserver") + "/services.json").status_code == 200
    root = xml_of(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery" and root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]
    assert client.get("/open311/discovery.csv").status_code == 404


def test_service_definition_in_json_and_xml(client: TestClient) -> None:
    data = json_of(client.get(f"{V2}/services/elevator.json"))
    assert data["service_code"] == "elevator"
    trapped, lift = data["attributes"]
    assert list(trapped) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                             "description", "values"]
    assert (trapped["code"], trapped["datatype"], trapped["required"], trapped["order"]) == (
        "trapped", "singlevaluelist", True, 1)
    assert [v["key"] for v in trapped["values"]] == ["yes", "no"]
    assert (lift["code"], lift["datatype"], lift["required"], lift["order"]) == ("lift_id", "string", False, 2)

    root = xml_of(client.get(f"{V2}/services/elevator.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "elevator"
    attrs = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attrs] == ["trapped", "lift_id"]
    assert attrs[0].findtext("variable") == "true" and attrs[0].findtext("required") == "true"
    assert [(v.findtext("key"), v.findtext("name")) for v in attrs[0].findall("values/value")] == [
        (v["key"], v["name"]) for v in trapped["values"]]
    assert json_of(client.get(f"{V2}/services/tax.json")) == {"service_code": "tax", "attributes": []}

    missing = client.get(f"{V2}/services/033.json")
    assert missing.status_code == 404 and json_of(missing)[0]["code"] == 404
    error = xml_of(client.get(f"{V2}/services/033.xml"))
    assert error.tag == "errors" and [e.tag for e in error] == ["error"]
    assert "033" in (error.findtext("error/description") or "")
    unknown_format = client.get(f"{V2}/services.csv")
    assert unknown_format.status_code == 404 and xml_of(unknown_format).tag == "errors"


# ---------------------------------------------------------------- POST


def test_posting_needs_a_valid_api_key(client: TestClient, session: Session, api_key: str) -> None:
    before = count_cases(session)
    body = SPEC_POST.replace("city.gov", "hangzhou.gov.cn").replace("service_code=001", "service_code=road_damage")
    refused = client.post(f"{V2}/requests.json", content=body.format(key="xyz"), headers=FORM)
    assert refused.status_code == 403
    assert json_of(refused) == [{"code": 403, "description": refused.json()[0]["description"]}]
    assert refused.json()[0]["description"].startswith("Invalid api_key received -- can't proceed with create_request.")
    xml = client.post(f"{V2}/requests.xml", content=body.replace("api_key={key}&", ""), headers=FORM)
    assert xml.status_code == 403 and xml_of(xml).findtext("error/code") == "403"
    key = open311_keys.resolve_key(session, api_key)
    open311_keys.revoke_key(session, Actor.operator(), key.id)
    session.commit()
    assert client.post(f"{V2}/requests.json", content=body.format(key=api_key), headers=FORM).status_code == 403
    assert count_cases(session) == before
    denied = session.scalars(select(AuditRecord).where(AuditRecord.action == "open311.post")).all()
    assert len(denied) == 3 and {r.result for r in denied} == {"denied"}


def test_the_spec_example_post_creates_a_ticket(client: TestClient, session: Session, api_key: str) -> None:
    spec = SPEC_POST.format(key=api_key)
    wrong_place = client.post(f"{V2}/requests.json", content=spec, headers=FORM)
    assert wrong_place.status_code == 404 and "jurisdiction_id" in wrong_place.json()[0]["description"]
    ours = spec.replace("city.gov", "hangzhou.gov.cn")
    no_service = client.post(f"{V2}/requests.json", content=ours, headers=FORM)
    assert no_service.status_code == 404 and "service_code 001" in no_service.json()[0]["description"]
    # our service, a place in Hangzhou (拱墅区武林街道)
    ours = ours.replace("service_code=001", "service_code=road_damage").replace(
        "lat=37.76524078&long=-122.4212043", "lat=30.2741&long=120.1551")
    created = client.post(f"{V2}/requests.json", content=ours, headers=FORM)
    assert created.status_code == 200, created.text
    [item] = json_of(created)
    assert list(item) == ["service_request_id", "service_notice", "account_id"]
    assert item["service_request_id"].startswith("MH") and item["account_id"] == "123456" and item["service_notice"]

    case = session.scalar(select(Case).where(Case.number == item["service_request_id"]))
    assert case is not None
    assert (case.channel, case.created_by, case.category) == ("open311", "open311:test-partner", "road_damage")
    assert (case.citizen_name, case.citizen_phone, case.address) == ("john smith", "111111111", "1234 5th street")
    assert case.description == "A large sinkhole is destroying the street"
    assert case.data["open311"]["email"] == "smit333@sfgov.edu" and case.data["open311"]["device_id"] == "tt222111"
    assert case.data["open311"]["media_url"].startswith("http://farm3.static.flickr.com/")
    assert case.region_code == "330105"  # located from lat/long
    assert case.department is not None and case.department.code == "330105-transport"  # dispatched at once

    # the same request read back, JSON and XML; no personal field of the citizen anywhere
    got = client.get(f"{V2}/requests/{case.number}.json")
    [row] = json_of(got)
    assert list(row) == REQUEST_FIELDS
    assert (row["service_request_id"], row["status"], row["service_code"]) == (case.number, "open", "road_damage")
    assert (row["lat"], row["long"], row["address"]) == (30.2741, 120.1551, "1234 5th street")
    assert row["agency_responsible"] == case.department.name
    assert row["media_url"] == case.data["open311"]["media_url"]
    assert row["requested_datetime"].endswith("+08:00") and row["expected_datetime"].endswith("+08:00")
    for private in ("john", "smith", "111111111", "smit333", "tt222111", "123456"):
        assert private not in got.text
    root = xml_of(client.get(f"{V2}/requests/{case.number}.xml"))
    assert root.tag == "service_requests" and [e.tag for e in root] == ["request"]
    assert [c.tag for c in root[0]] == REQUEST_FIELDS
    assert {c.tag: c.text for c in root[0]} == {k: as_text(v) for k, v in row.items()}

    xml = client.post(f"{V2}/requests.xml", content=ours.replace("sinkhole", "pothole"), headers=FORM)
    request = xml_of(xml).find("request")
    assert request is not None and [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.findtext("service_request_id", "").startswith("MH")


def test_bad_posts_get_spec_errors_and_file_nothing(client: TestClient, session: Session, api_key: str) -> None:
    before = count_cases(session)
    cases_: list[tuple[dict[str, str | None], int, str]] = [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "pothole"}, 404, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "together"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "91"}, 400, "lat"),
        ({"long": "nan"}, 400, "long"),
        ({"service_code": "elevator"}, 400, "attribute[trapped]"),
        ({"service_code": "elevator", "attribute[trapped]": "maybe"}, 400, "attribute[trapped]"),
        ({"service_code": "wage_arrears", "attribute[workers]": "many"}, 400, "attribute[workers]"),
        ({"description": "坑" * 4001}, 400, "description"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id"),
    ]
    for fields, status, word in cases_:
        for fmt in ("json", "xml"):
            r = post(client, api_key, fmt, **fields)
            assert r.status_code == status, (fields, r.text)
            description = r.json()[0]["description"] if fmt == "json" else xml_of(r).findtext("error/description")
            assert word in (description or ""), (fields, description)
    upload = client.post(f"{V2}/requests.json", data={"api_key": api_key, "service_code": "road_damage"},
                         files={"photo": ("pit.jpg", b"\xff\xd8\xff", "image/jpeg")})
    assert upload.status_code == 400 and json_of(upload)[0]["code"] == 400  # media goes by media_url
    assert count_cases(session) == before
    # only an address, or only an address_id, is location enough; www. and case in jurisdiction_id are fine
    ok = post(client, api_key, lat=None, long=None, address_string="西湖区文三路478号",
              jurisdiction_id="WWW.hangzhou.gov.cn")
    assert ok.status_code == 200, ok.text
    assert post(client, api_key, lat=None, long=None, address_id="HZ-0001234").status_code == 200
    elevator = post(client, api_key, service_code="elevator", description="电梯停在两层之间",
                    **{"attribute[trapped]": "yes", "attribute[lift_id]": "31103301002013120001"})
    number = elevator.json()[0]["service_request_id"]
    nul = post(client, api_key, description="路面\x00塌陷\x1f了")
    assert nul.status_code == 200, nul.text
    nul_case = session.scalar(select(Case).where(Case.number == nul.json()[0]["service_request_id"]))
    assert nul_case is not None and nul_case.description == "路面塌陷了"
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None and case.data["open311"]["attributes"] == {"trapped": "yes",
                                                                      "lift_id": "31103301002013120001"}
    assert "是否有人被困：是" in case.description


# ---------------------------------------------------------------- the lifecycle behind open/closed


def _row(client: TestClient, number: str) -> dict[str, Any]:
    return client.get(f"{V2}/requests/{number}.json?extensions=true").json()[0]


def test_the_fine_grained_lifecycle_maps_onto_status_and_notes(client: TestClient, session: Session,
                                                                api_key: str) -> None:
    number = post(client, api_key, description="学院路人行道砖块松动，有人绊倒").json()[0]["service_request_id"]
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None and case.status == "assigned"
    row = _row(client, number)
    assert (row["status"], row["status_description"]) == ("open", "assigned")
    assert row["status_notes"].startswith(f"已派单至{case.department.name}，待签收 / assigned")  # type: ignore[union-attr]
    assert row["expected_datetime"] == case.due_at.astimezone(open311.LOCAL).isoformat(timespec="seconds")  # type: ignore[union-attr]

    officer = Actor(username="gs_transport_officer", roles=frozenset({"officer"}), department_id=case.department_id)
    cases.accept(session, officer, case.id)
    session.commit()
    assert _row(client, number)["status_notes"] == f"办理中（{case.department.name}） / in progress"  # type: ignore[union-attr]
    cases.respond(session, officer, case.id, "已于当天修复人行道，联系电话13812345678")
    session.commit()
    row = _row(client, number)
    assert (row["status"], row["status_description"]) == ("open", "verified")
    assert "答复 / reply: 已于当天修复人行道" in row["status_notes"]
    assert "13812345678" not in row["status_notes"] and "138****5678" in row["status_notes"]
    cases.rate(session, cases.citizen("open311"), case, "satisfied")
    session.commit()
    row = _row(client, number)
    assert (row["status"], row["status_description"]) == ("closed", "closed:done")
    assert row["status_notes"].startswith("已办结 / resolved")
    assert row["updated_datetime"] == case.closed_at.astimezone(open311.LOCAL).isoformat(timespec="seconds")  # type: ignore[union-attr]
    assert "status_description" not in client.get(f"{V2}/requests/{number}.json").json()[0]


# ---------------------------------------------------------------- GET requests: filters, window, tokens


def numbers(response: Any) -> list[str]:
    return [x["service_request_id"] for x in response.json()]


def _file(session: Session, category: str, text: str, *, days_ago: float = 0, phone: str = "") -> Case:
    intake = service.submit(session, cases.citizen("web"), text=text, category=category, address="西湖区文三路",
                            phone=phone, now=utcnow() - timedelta(days=days_ago))
    session.commit()
    return intake.case


def test_get_requests_filters_and_the_90_day_window(client: TestClient, session: Session) -> None:
    old = _file(session, "garbage", "文三路垃圾桶满溢好几天没人清运", days_ago=100)
    garbage = _file(session, "garbage", "学院路垃圾房臭气熏天，垃圾堆到路上", days_ago=10)
    parking = _file(session, "illegal_parking", "小区门口消防通道被违停车辆堵死", days_ago=1)

    listed = client.get(f"{V2}/requests.json")
    assert listed.status_code == 200
    assert parking.number in numbers(listed) and garbage.number in numbers(listed)
    assert old.number not in numbers(listed)  # default: the last 90 days
    assert numbers(client.get(f"{V2}/requests.json?service_code=garbage")) == [garbage.number]
    assert numbers(client.get(f"{V2}/requests.json?service_code=garbage,illegal_parking")) == [
        parking.number, garbage.number]
    assert numbers(client.get(f"{V2}/requests.json?status=closed&service_code=garbage")) == []
    assert numbers(client.get(f"{V2}/requests.json?status=open,closed&service_code=garbage")) == [garbage.number]
    # service_request_id overrides every other argument, the window included
    ids = client.get(f"{V2}/requests.json?service_request_id={old.number},{parking.number}&status=closed")
    assert sorted(numbers(ids)) == sorted([old.number, parking.number])
    start = (utcnow() - timedelta(days=105)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert numbers(client.get(f"{V2}/requests.json", params={"start_date": start, "end_date": end})) == [old.number]
    assert old.number in numbers(client.get(f"{V2}/requests.json", params={"start_date": start}))
    local = (utcnow() + timedelta(hours=8) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert numbers(client.get(f"{V2}/requests.json", params={"start_date": local, "service_code": "illegal_parking"})
                   ) == [parking.number]

    too_long = client.get(f"{V2}/requests.xml", params={"start_date": "2026-01-01T00:00:00Z",
                                                        "end_date": "2026-06-01T00:00:00Z"})
    assert too_long.status_code == 400 and "90 days" in (xml_of(too_long).findtext("error/description") or "")
    for bad in ({"start_date": "yesterday"}, {"status": "pending"}, {"end_date": "2026-13-01"},
                {"start_date": "9999-12-31T23:59:59Z"}, {"end_date": "0001-01-01"}):
        r = client.get(f"{V2}/requests.json", params=bad)
        assert r.status_code == 400 and json_of(r)[0]["code"] == 400, bad
    assert client.get(f"{V2}/requests.json?jurisdiction_id=sfgov.org").status_code == 404

    root = xml_of(client.get(f"{V2}/requests.xml?service_code=garbage,illegal_parking"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [parking.number, garbage.number]
    assert client.get(f"{V2}/requests/MH19990101000001.json").status_code == 404
    assert xml_of(client.get(f"{V2}/requests/nothing.xml")).findtext("error/code") == "404"


def test_descriptions_are_published_with_personal_numbers_masked(client: TestClient, session: Session) -> None:
    case = _file(session, "wage_arrears", "包工头拖欠工资三个月，我电话13912345678，身份证330106199001011234，"
                                          "邮箱 zhangsan@example.com，座机0571-88886666", phone="13912345678")
    text = client.get(f"{V2}/requests/{case.number}.json").text
    for secret in ("13912345678", "330106199001011234", "zhangsan@example.com", "88886666"):
        assert secret not in text
    row = json.loads(text)[0]
    assert "139****5678" in row["description"] and "330106********1234" in row["description"]
    odd = _file(session, "garbage", "垃圾桶\x01满了\x0b没人管\ufffe")  # control characters from some channel
    request = xml_of(client.get(f"{V2}/requests/{odd.number}.xml")).find("request")
    assert request is not None and request.findtext("description") == "垃圾桶满了没人管"


def test_token_resolves_to_the_request(client: TestClient, session: Session) -> None:
    case = _file(session, "streetlight", "文三路路灯不亮一个星期了")
    assert json_of(client.get(f"{V2}/tokens/{case.citizen_token}.json")) == [
        {"service_request_id": case.number, "token": case.citizen_token}]
    root = xml_of(client.get(f"{V2}/tokens/{case.citizen_token}.xml"))
    assert (root.tag, root.findtext("request/service_request_id"), root.findtext("request/token")) == (
        "service_requests", case.number, case.citizen_token)
    missing = client.get(f"{V2}/tokens/not-a-token.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


# ---------------------------------------------------------------- an unmodified Open311 client


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app on a free port of this machine, served by uvicorn in a thread."""
    with serve(app) as url:
        yield f"{url}{V2}"


def test_the_georeport_client_works_unmodified(server: str, session: Session, api_key: str) -> None:
    georeport = pytest.importorskip("georeport")  # PyPI `georeport`: reads only, so POST goes through requests
    import requests

    posted = requests.post(f"{server}/requests.json", timeout=30, data={
        "api_key": api_key, "jurisdiction_id": "hangzhou.gov.cn", "service_code": "noise_construction",
        "lat": "30.2741", "long": "120.1551", "description": "工地夜里两点还在打桩，吵得没法睡觉",
        "attribute[time_of_day]": "night"})
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["service_request_id"]

    for fmt in ("json", "xml"):
        client = georeport.GeoReport(server, jurisdiction="hangzhou.gov.cn", output_format=fmt)
        services = client.get_service_list()
        assert [s["service_code"] for s in services] == [c.code for c in taxonomy.CATEGORIES]
        definition = client.get_service_definition("noise_construction")
        attributes = definition["attributes"] if fmt == "json" else [definition["attributes"]["attribute"]]
        assert attributes[0]["code"] == "time_of_day"
        listed = client.get_service_requests(service_code="noise_construction", status="open")
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one element is not a list
        assert [r["service_request_id"] for r in listed] == [number]
        one = client.get_service_request(number)
        assert (one["service_request_id"], one["status"], one["service_code"]) == (
            number, "open", "noise_construction")
        assert "夜间" in one["description"]
