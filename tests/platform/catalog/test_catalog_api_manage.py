"""Registering and maintaining resources over the JSON API: POST /resources, PATCH /resources/{code},
POST /resources/{code}/dependencies, through the whole application (error handlers, refusal audit)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_helpers import Catalogue, build
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digigov.audit.model import AuditRecord
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.web.app import create_app

BASE = "/api/v1/catalog"
POLICE = "330100-public_security"  # hz_police_steward's department (杭州市公安局)


@pytest.fixture
def cat(session: Session, actor_of) -> Catalogue:  # type: ignore[no-untyped-def]
    return build(session, actor_of)


@pytest.fixture
def client(connection, session: Session, cat: Catalogue, tmp_path: Path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    session.commit()  # release the fixture's savepoint so the app's sessions see the catalogue
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    app = create_app(Settings(var_dir=tmp_path, secret_key="test"), session_factory=factory)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth(session: Session):  # type: ignore[no-untyped-def]
    """auth('hz_police_steward') -> headers with a fresh bearer token for that demo user."""

    def make(username: str) -> dict[str, str]:
        _, secret = identity.create_token(session, Actor.operator(), username, name="manage")
        session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


def _body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "dataset", "name": "机动车违法记录", "name_en": "Traffic violations",
        "description": "杭州市机动车交通违法记录，按日更新。", "owner_department": POLICE,
        "system": "digital_government", "status": "online", "tags": ["交通", "违法"],
        "attributes": {"update_frequency": "daily", "record_count": 120000, "grade": 3.0, "open": False,
                       "fields": ["车牌号", "违法时间"], "note": None},
        "budget_wan": 0,
    }
    body.update(over)
    return body


def _audit(session: Session, action: str, code: str) -> list[AuditRecord]:
    session.expire_all()
    stmt = select(AuditRecord).where(AuditRecord.action == action, AuditRecord.object_id == code)
    return list(session.scalars(stmt.order_by(AuditRecord.seq)))


def _search(client: TestClient, headers: dict[str, str], q: str) -> list[str]:
    r = client.get(f"{BASE}/resources", params={"q": q}, headers=headers)
    assert r.status_code == 200, r.text
    return [h["resource"]["code"] for h in r.json()["hits"]]


def _named(client: TestClient, headers: dict[str, str], name: str) -> list[str]:
    """Codes of the resources called exactly `name` (search also ranks partial matches)."""
    r = client.get(f"{BASE}/resources", params={"q": name, "limit": 100}, headers=headers)
    return [h["resource"]["code"] for h in r.json()["hits"] if h["resource"]["name"] == name]


# ---------------------------------------------------------------- register


def test_steward_registers_for_own_department_and_it_is_searchable_at_once(  # type: ignore[no-untyped-def]
    client: TestClient, auth, session: Session
) -> None:
    h = auth("hz_police_steward")
    r = client.post(f"{BASE}/resources", json=_body(), headers=h)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["code"].startswith("DAT-330100-") and out["owner"]["code"] == POLICE
    assert out["tier"] == "city" and out["region_code"] == "330100" and out["reuse_count"] == 0
    assert out["requires_authority"] is True  # a dataset's default
    assert out["attributes"]["fields"] == ["车牌号", "违法时间"] and out["attributes"]["note"] is None
    assert out["tags"] == ["交通", "违法"] and out["budget_wan"] == 0
    assert _search(client, auth("hz_civil_officer"), "机动车 交通违法")[0] == out["code"]
    assert _named(client, auth("hz_civil_officer"), "机动车违法记录") == [out["code"]]
    assert client.get(f"{BASE}/resources/{out['code']}", headers=h).json()["name"] == "机动车违法记录"
    [rec] = _audit(session, "catalog.resource.create", out["code"])
    assert rec.actor == "hz_police_steward" and json.loads(rec.detail)["owner"] == POLICE


def test_register_with_dependencies_counts_reuse(client: TestClient, auth, cat: Catalogue, session: Session) -> None:  # type: ignore[no-untyped-def]
    h = auth("hz_police_steward")
    body = _body(kind="application", name="警务通", functions=["人员核查", "车辆核查"], budget_wan=120.5,
                 depends_on=[cat.population.code, cat.ocr.id], requires_authority=False)
    r = client.post(f"{BASE}/resources", json=body, headers=h)
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert code.startswith("APP-330100-") and r.json()["functions"] == ["人员核查", "车辆核查"]
    deps = client.get(f"{BASE}/resources/{code}/dependencies", headers=h).json()
    assert {d["code"] for d in deps["uses"]} == {cat.population.code, cat.ocr.code}
    assert client.get(f"{BASE}/resources/{cat.ocr.code}", headers=h).json()["reuse_count"] == 1
    assert len(_audit(session, "catalog.dependency.add", code)) == 2


def test_steward_of_another_department_and_officer_are_refused(client: TestClient, auth, session: Session) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"{BASE}/resources", json=_body(owner_department="330100-civil_affairs"),
                    headers=auth("hz_police_steward"))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = client.post(f"{BASE}/resources", json=_body(owner_department="330100-civil_affairs"),
                    headers=auth("hz_civil_officer"))  # an officer of that very department
    assert r.status_code == 403
    assert client.post(f"{BASE}/resources", json=_body(), headers=auth("hz_police_approver")).status_code == 403
    assert client.post(f"{BASE}/resources", json=_body(), headers=auth("auditor")).status_code == 403
    assert client.post(f"{BASE}/resources", json=_body()).status_code == 401
    assert _named(client, auth("hz_civil_officer"), "机动车违法记录") == []
    session.expire_all()
    denied = session.scalars(select(AuditRecord).where(AuditRecord.result == "denied",
                                                       AuditRecord.action == "catalog.manage")).all()
    assert {d.actor for d in denied} >= {"hz_police_steward", "hz_civil_officer"}


def test_admin_registers_for_any_department(client: TestClient, auth, session: Session) -> None:  # type: ignore[no-untyped-def]
    h = auth("admin")
    r = client.post(f"{BASE}/resources", json=_body(kind="cloud_resource", name="宁波应急云主机",
                                                    owner_department="330200-emergency_management"), headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["code"].startswith("CLD-330200-") and r.json()["owner"]["name"] == "宁波市应急管理局"
    dept_id = identity.get_department(session, "330106-health").id
    r = client.post(f"{BASE}/resources", json=_body(kind="component", name="西湖区健康码组件",
                                                    owner_department=dept_id, system=None), headers=h)
    assert r.status_code == 201 and r.json()["tier"] == "county" and r.json()["system"] is None
    assert r.json()["requires_authority"] is False  # a component's default


@pytest.mark.parametrize("change", [
    {"kind": "spaceship"}, {"status": "deleted"}, {"system": "digital_weather"}, {"name": "  "}, {"name": ""},
    {"name": "x" * 201}, {"budget_wan": -1}, {"budget_wan": True}, {"budget_wan": "12"},
    {"requires_authority": "yes"}, {"tags": "交通"}, {"tags": ["x" * 65]}, {"owner_department": True},
    {"attributes": {"nested": {"a": 1}}}, {"attributes": {"list": [1, 2]}}, {"attributes": ["a"]},
    {"attributes": {f"k{i}": i for i in range(33)}}, {"attributes": {"": 1}},
    {"description": "bad\x00text"}, {"depends_on": "DAT-1"}, {"code": "APP-1"}, {"reuse_count": 9},
])
def test_invalid_bodies_are_422(client: TestClient, auth, change: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"{BASE}/resources", json=_body(**change), headers=auth("admin"))
    assert r.status_code == 422, (change, r.text)


def test_missing_required_fields_are_422(client: TestClient, auth) -> None:  # type: ignore[no-untyped-def]
    h = auth("admin")
    for field in ("kind", "name", "owner_department"):
        body = _body()
        del body[field]
        assert client.post(f"{BASE}/resources", json=body, headers=h).status_code == 422, field


def test_unknown_owner_or_dependency_is_404_and_nothing_is_kept(client: TestClient, auth) -> None:  # type: ignore[no-untyped-def]
    h = auth("admin")
    r = client.post(f"{BASE}/resources", json=_body(owner_department="330100-ministry_of_magic"), headers=h)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.post(f"{BASE}/resources", json=_body(owner_department=2**31 - 1), headers=h).status_code == 404
    r = client.post(f"{BASE}/resources", json=_body(depends_on=["CMP-999999-0001"]), headers=h)
    assert r.status_code == 404 and "CMP-999999-0001" in r.json()["message"]
    assert _named(client, h, "机动车违法记录") == []  # the failed requests left no resource behind


def test_upward_or_self_dependency_is_a_conflict(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    """The body is well formed; the catalogue's content (the kinds involved) refuses it: 409."""
    h = auth("hz_police_steward")
    app_code = cat.apps["elderly"].code
    r = client.post(f"{BASE}/resources", json=_body(kind="component", depends_on=[app_code]), headers=h)
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    assert "dependencies run application" in r.json()["message"]
    r = client.post(f"{BASE}/resources/{cat.ocr.code}/dependencies", json={"depends_on": app_code}, headers=h)
    assert r.status_code == 409
    r = client.post(f"{BASE}/resources/{cat.ocr.code}/dependencies", json={"depends_on": cat.ocr.code}, headers=h)
    assert r.status_code == 409
    doc = client.get("/openapi.json").json()["paths"]
    assert "409" in doc[f"{BASE}/resources"]["post"]["responses"]
    assert "409" in doc[f"{BASE}/resources/{{code}}/dependencies"]["post"]["responses"]


# ---------------------------------------------------------------- dependencies


def test_add_dependency_returns_the_updated_list_and_is_idempotent(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    h = auth("hz_police_steward")
    url = f"{BASE}/resources/{cat.population.code}/dependencies"
    r = client.post(url, json={"depends_on": cat.ocr.code}, headers=h)
    assert r.status_code == 200, r.text
    assert [d["code"] for d in r.json()["uses"]] == [cat.ocr.code]
    assert client.post(url, json={"depends_on": cat.ocr.id}, headers=h).json()["uses"] == r.json()["uses"]
    assert client.get(f"{BASE}/resources/{cat.ocr.code}", headers=h).json()["reuse_count"] == 1
    assert client.post(url, json={"depends_on": "CMP-999999-0001"}, headers=h).status_code == 404
    assert client.post(f"{BASE}/resources/NOPE-1/dependencies", json={"depends_on": cat.ocr.code},
                       headers=h).status_code == 404
    assert client.post(url, json={"depends_on": True}, headers=h).status_code == 422
    assert client.post(url, json={"depends_on": cat.ocr.code}, headers=auth("hz_civil_steward")).status_code == 403


def test_a_dependency_cycle_is_a_conflict(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    h = auth("admin")
    a, b = cat.population.code, cat.social_insurance.code  # two datasets: same rank, either way round
    assert client.post(f"{BASE}/resources/{a}/dependencies", json={"depends_on": b}, headers=h).status_code == 200
    r = client.post(f"{BASE}/resources/{b}/dependencies", json={"depends_on": a}, headers=h)
    assert r.status_code == 409


# ---------------------------------------------------------------- update


def test_patch_changes_name_and_the_search_index_follows(  # type: ignore[no-untyped-def]
    client: TestClient, auth, cat: Catalogue, session: Session
) -> None:
    h = auth("hz_police_steward")
    code = cat.population.code
    assert _search(client, h, "常住人口基本信息")[0] == code
    r = client.patch(f"{BASE}/resources/{code}", json={"name": "户籍人口信息库", "tags": ["人口", "户籍", "出生"]},
                     headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "户籍人口信息库" and r.json()["tags"] == ["人口", "户籍", "出生"]
    assert r.json()["description"] == cat.population.description  # fields not sent stay as they were
    assert _search(client, h, "户籍人口信息库")[0] == code
    assert _named(client, h, "户籍人口信息库") == [code] and _named(client, h, "常住人口基本信息") == []
    [rec] = _audit(session, "catalog.resource.update", code)
    assert rec.actor == "hz_police_steward" and json.loads(rec.detail)["changed"] == ["name", "tags"]


def test_patch_nullable_and_non_nullable_fields(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    h = auth("hz_police_steward")
    url = f"{BASE}/resources/{cat.population.code}"
    r = client.patch(url, json={"system": None, "budget_wan": None, "status": "retired",
                                "requires_authority": False, "attributes": {"grade": 2}}, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["system"] is None and out["status"] == "retired" and out["requires_authority"] is False
    assert out["attributes"] == {"grade": 2}
    for bad in ({"name": None}, {"status": None}, {"tags": None}, {"kind": "component"}, {"code": "X"},
                {"status": "gone"}, {"depends_on": []}, {"budget_wan": -3}):
        assert client.patch(url, json=bad, headers=h).status_code == 422, bad
    assert client.patch(url, json={}, headers=h).status_code == 200  # nothing sent, nothing changed


def test_patch_permissions_and_missing_resource(client: TestClient, auth, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    url = f"{BASE}/resources/{cat.population.code}"
    assert client.patch(url, json={"name": "改名"}, headers=auth("hz_civil_steward")).status_code == 403
    assert client.patch(url, json={"name": "改名"}, headers=auth("hz_police_approver")).status_code == 403
    r = client.patch(url, json={"owner_department": "330100-civil_affairs"}, headers=auth("hz_police_steward"))
    assert r.status_code == 403  # a steward cannot give a resource away
    r = client.patch(url, json={"owner_department": "330100-civil_affairs"}, headers=auth("admin"))
    assert r.status_code == 200 and r.json()["owner"]["code"] == "330100-civil_affairs"
    assert client.patch(url, json={"owner_department": "nowhere"}, headers=auth("admin")).status_code == 404
    assert client.patch(f"{BASE}/resources/NOPE-1", json={"name": "x"}, headers=auth("admin")).status_code == 404


def test_every_write_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method, ok in ((f"{BASE}/resources", "post", "201"), (f"{BASE}/resources/{{code}}", "patch", "200"),
                             (f"{BASE}/resources/{{code}}/dependencies", "post", "200")):
        assert set(paths[path][method]["responses"]) == {ok, "400", "401", "403", "404", "409", "422"}


def test_an_update_that_changes_nothing_writes_nothing(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from digigov.audit.model import AuditRecord
    from digigov.platform.catalog import service as catalog_service

    steward = actor_of("hz_police_steward")
    r = catalog_service.create_resource(session, steward, kind="dataset", name="无变化测试",
                                        owner_department="330100-public_security")

    def updates() -> int:
        stmt = select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "catalog.resource.update", AuditRecord.object_id == r.code)
        return int(session.scalar(stmt) or 0)

    catalog_service.update_resource(session, steward, r.code, name="无变化测试", owner_department=r.owner.code)
    assert updates() == 0
    catalog_service.update_resource(session, steward, r.code, name="有变化测试", description="新描述")
    assert updates() == 1
    rec = session.scalars(select(AuditRecord).where(AuditRecord.object_id == r.code)
                          .order_by(AuditRecord.seq.desc())).first()
    assert rec is not None and '"changed":["description","name"]' in rec.detail
