"""The catalogue's JSON routes through FastAPI's test client, with bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from catalog_helpers import Catalogue, build
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from digigov.core.errors import DigigovError
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.catalog.api import router

BASE = "/api/v1/catalog"


@pytest.fixture
def cat(session: Session, actor_of) -> Catalogue:  # type: ignore[no-untyped-def]
    return build(session, actor_of)


@pytest.fixture
def client(connection, session: Session, cat: Catalogue) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    session.commit()  # release the fixture's savepoint so the app's sessions see the catalogue
    app = FastAPI()
    app.include_router(router)
    app.state.session_factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                             expire_on_commit=False)
    app.state.settings = Settings()

    @app.exception_handler(DigigovError)
    async def _digigov_error(_request: Request, exc: DigigovError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.http_status)

    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth(session: Session):  # type: ignore[no-untyped-def]
    """auth('hz_civil_officer') -> headers with a fresh bearer token for that demo user."""

    def make(username: str) -> dict[str, str]:
        _, secret = identity.create_token(session, Actor.operator(), username)
        session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_anonymous_is_refused(client: TestClient) -> None:
    resp = client.get(f"{BASE}/resources")
    assert resp.status_code == 401 and resp.json()["error"] == "not_authenticated"


def test_search_returns_hits_and_facets(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"{BASE}/resources", params={"q": "社保"}, headers=auth("hz_civil_officer"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total"] == 3
    assert body["hits"][0]["resource"]["code"] == cat.social_insurance.code
    assert body["hits"][0]["name_html"] == "<mark>社保</mark>参保缴费信息"
    assert {f["value"]: f["count"] for f in body["facets"]["kind"]} == {"dataset": 2, "application": 1}
    filtered = client.get(f"{BASE}/resources", params={"q": "社保", "kind": "application", "limit": 5},
                          headers=auth("hz_civil_officer")).json()
    assert filtered["total"] == 1


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "true"}, {"kind": "spaceship"},
    {"region_code": "33"}, {"q": "x" * 201}, {"department_id": 2**40},
])
def test_search_rejects_bad_parameters(client: TestClient, auth, params) -> None:  # type: ignore[no-untyped-def]
    resp = client.get(f"{BASE}/resources", params=params, headers=auth("hz_civil_officer"))
    assert resp.status_code == 422


def test_resource_detail_dependencies_and_shelves(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    h = auth("xh_health_officer")
    resp = client.get(f"{BASE}/resources/{cat.licence.code}", headers=h)
    assert resp.status_code == 200 and resp.json()["owner"]["name"] == "浙江省市场监督管理局"
    assert resp.json()["kind_label"] == "数据" and resp.json()["requires_authority"] is True
    assert client.get(f"{BASE}/resources/{cat.licence.id}", headers=h).json()["code"] == cat.licence.code
    assert client.get(f"{BASE}/resources/NOPE-1", headers=h).status_code == 404
    deps = client.get(f"{BASE}/resources/{cat.ocr.code}/dependencies", headers=h).json()
    assert deps == {"resource": deps["resource"], "uses": [], "used_by": []}
    shelves = {s["kind"]: s["count"] for s in client.get(f"{BASE}/shelves", headers=h).json()}
    assert shelves == {"application": 4, "dataset": 4, "component": 1, "cloud_resource": 0}


def test_cart_request_review_provision_over_http(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    officer = auth("hz_civil_officer")
    r = client.post(f"{BASE}/cart/items", json={"resource": cat.population.code}, headers=officer)
    assert r.status_code == 201, r.text
    r = client.post(f"{BASE}/cart/items", json={"resource": cat.ocr.id}, headers=officer)
    assert r.status_code == 201
    assert client.post(f"{BASE}/cart/items", json={"resource": True}, headers=officer).status_code == 422
    assert client.delete(f"{BASE}/cart/items/{cat.ocr.code}", headers=officer).status_code == 204
    assert [i["resource"]["code"] for i in client.get(f"{BASE}/cart", headers=officer).json()["items"]] == [
        cat.population.code]

    r = client.post(f"{BASE}/requests", json={"purpose": "低保资格核查"}, headers=officer)
    assert r.status_code == 201, r.text
    req = r.json()
    item_id = req["items"][0]["id"]
    assert req["items"][0]["state"] == "owner_review" and req["items"][0]["state_label"] == "待数源部门审核"
    assert client.get(f"{BASE}/cart", headers=officer).json()["items"] == []
    assert [x["id"] for x in client.get(f"{BASE}/requests", headers=officer).json()] == [req["id"]]
    assert client.get(f"{BASE}/requests/{req['id']}", headers=officer).status_code == 200
    assert client.get(f"{BASE}/requests/{req['id']}", headers=auth("nb_emergency_steward")).status_code == 403
    assert client.get(f"{BASE}/requests/999999", headers=officer).status_code == 404

    owner = auth("hz_police_approver")
    assert [i["id"] for i in client.get(f"{BASE}/inbox", headers=owner).json()] == [item_id]
    decision = f"{BASE}/request-items/{item_id}/decision"
    assert client.post(decision, json={"approve": "yes"}, headers=owner).status_code == 422
    assert client.post(decision, json={"approve": False}, headers=owner).status_code == 422  # no reason
    assert client.post(decision, json={"approve": True}, headers=auth("hz_civil_steward")).status_code == 403
    r = client.post(decision, json={"approve": True, "comment": "同意"}, headers=owner)
    assert r.status_code == 200 and r.json()["state"] == "authority_review"
    r = client.post(decision, json={"approve": True}, headers=auth("hz_bigdata_approver"))
    assert r.json()["state"] == "granted"
    assert client.post(decision, json={"approve": True}, headers=owner).status_code == 409
    assert [i["id"] for i in client.get(f"{BASE}/inbox/to-provision", headers=owner).json()] == [item_id]
    r = client.post(f"{BASE}/request-items/{item_id}/provision", json={"note": "已开通接口"}, headers=owner)
    assert r.status_code == 200 and r.json()["state"] == "provisioned"
    assert client.get(f"{BASE}/inbox/to-provision", headers=owner).json() == []
    assert client.get(f"{BASE}/resources/{cat.population.code}", headers=owner).json()["reuse_count"] == 1


def test_submitting_an_empty_cart_is_a_conflict(client: TestClient, auth) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"{BASE}/requests", json={"purpose": "核查"}, headers=auth("hz_civil_officer"))
    assert r.status_code == 409 and r.json()["error"] == "conflict"  # valid input, wrong state
    r = client.post(f"{BASE}/requests", json={"purpose": "核查"}, headers=auth("auditor"))
    assert r.status_code == 403


def test_duplicate_check_over_http(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    h = auth("zj_market_officer")
    body = {"name": "基层治理综合平台",
            "functions": ["群众诉求统一受理登记", "诉求工单自动分拨", "网格员巡查轨迹管理", "城市部件普查",
                          "垃圾分类积分", "停车泊位共享"],
            "proposer_department": "330100-civil_affairs", "budget_wan": 600}
    r = client.post(f"{BASE}/duplicate-checks", json=body, headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["verdict"] == "reduce_budget" and out["verdict_label"] == "部分功能重复，核减预算"
    assert out["suggested_cut_wan"] == pytest.approx(200, abs=0.5)
    assert out["matches"][0]["code"] == cat.apps["appeals"].code and out["matches"][0]["overlaps"]
    assert [c["id"] for c in client.get(f"{BASE}/duplicate-checks", headers=h).json()] == [out["id"]]
    url = f"{BASE}/duplicate-checks"
    assert client.post(url, json={**body, "budget_wan": True}, headers=h).status_code == 422
    assert client.post(url, json={**body, "name": ""}, headers=h).status_code == 422
    bad_dept = client.post(url, json={**body, "proposer_department": "nowhere"}, headers=h)
    assert bad_dept.status_code == 404


def test_openapi_documents_errors(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert {"401", "403"} <= set(op["responses"]), (method, path)
