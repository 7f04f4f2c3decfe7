"""The permission matrix over HTTP: each role (a demo user holding it) x each action of the JSON API,
refused with 403 or let through. The same table the permission module encodes, seen from outside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog
from digigov.platform.ingest import service as ingest
from digigov.platform.quality import service as quality
from tests.web.conftest import ROLE_USERS

# the demo user who holds each role (department in brackets)
ROLES = tuple(ROLE_USERS)


@dataclass(frozen=True)
class World:
    dataset: str  # 杭州市公安局's dataset code
    owner_item: int  # a request item waiting for the owner's review
    authority_item: int  # a request item waiting for the data authority


@pytest.fixture
def world(session: Session, actor_of: Callable[[str], Actor]) -> World:
    op = Actor.operator()
    ds = catalog.create_resource(session, op, kind="dataset", name="杭州市人口基础信息（测试）",
                                 owner_department="330100-public_security", description="户籍人口")
    other = catalog.create_resource(session, op, kind="dataset", name="杭州市流动人口（测试）",
                                    owner_department="330100-public_security")
    officer = actor_of("hz_civil_officer")
    catalog.cart_add(session, officer, ds.code)
    catalog.cart_add(session, officer, other.code)
    req = catalog.submit_cart(session, officer, purpose="低保资格核查")
    first, second = req.items
    catalog.decide(session, actor_of("hz_police_approver"), second.id, approve=True, comment="同意")
    session.commit()
    return World(ds.code, first.id, second.id)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any] | None
    allowed: frozenset[str]
    files: dict[str, Any] | None = None  # a multipart upload instead of a JSON body


def calls(w: World) -> dict[str, Call]:
    every = frozenset(ROLES)
    return {
        "search": Call("GET", "/api/v1/catalog/resources?q=人口", None, every),
        "view": Call("GET", f"/api/v1/catalog/resources/{w.dataset}", None, every),
        "cart.add": Call("POST", "/api/v1/catalog/cart/items", {"resource": w.dataset},
                         frozenset({"officer", "data_steward"})),
        "cart.submit": Call("POST", "/api/v1/catalog/requests", {"purpose": "核查"},
                            frozenset({"officer", "data_steward"})),
        "review.owner": Call("POST", f"/api/v1/catalog/request-items/{w.owner_item}/decision",
                             {"approve": True, "comment": "同意"}, frozenset({"data_steward"})),
        "review.authority": Call("POST", f"/api/v1/catalog/request-items/{w.authority_item}/decision",
                                 {"approve": True, "comment": "同意"}, frozenset({"approver"})),
        "duplicate_check": Call("POST", "/api/v1/catalog/duplicate-checks",
                                {"name": "某市智慧停车", "functions": ["停车诱导", "泊位查询"]},
                                frozenset(ROLES) - {"auditor"}),
        "users.list": Call("GET", "/api/v1/users", None, frozenset({"platform_admin"})),
        "users.create": Call("POST", "/api/v1/users",
                             {"username": "matrix_user", "display_name": "矩阵", "password": "long-enough-pw",
                              "department": "330106-health", "roles": ["officer"]},
                             frozenset({"platform_admin"})),
        "audit.read": Call("GET", "/api/v1/audit/records", None, frozenset({"auditor"})),
        "audit.verify": Call("POST", "/api/v1/audit/verify", None, frozenset({"auditor", "platform_admin"})),
    }


ACTIONS = ("search", "view", "cart.add", "cart.submit", "review.owner", "review.authority", "duplicate_check",
           "users.list", "users.create", "audit.read", "audit.verify")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_each_role_on_each_action(app: FastAPI, session: Session, world: World, role: str, action: str) -> None:
    call = calls(world)[action]
    _, secret = identity.create_token(session, Actor.operator(), ROLE_USERS[role], name="matrix")
    session.commit()
    with TestClient(app) as client:
        r = client.request(call.method, call.path, json=call.body, headers={"Authorization": f"Bearer {secret}"})
    if role in call.allowed:
        assert r.status_code not in (401, 403) and r.status_code < 500, (r.status_code, r.text)
    else:
        assert r.status_code == 403, (r.status_code, r.text)
        assert r.json()["error"] == "forbidden"


# ---------------------------------------------------------------- data governance (数据治理)

GOVERNED = "hz_matrix_people"
PEOPLE_CSV = "姓名,公民身份号码,性别\n张三,330106199008051234,男\n李四,33010619850312224X,女\n"


@dataclass(frozen=True)
class Governed:
    dataset: str  # 杭州市公安局's governed dataset, loaded once
    staged: int  # a load of it waiting for its mapping to be confirmed
    issue: int  # a quality work item of it


@pytest.fixture
def governed(session: Session, actor_of: Callable[[str], Actor], tmp_path: Path) -> Governed:
    steward = actor_of("hz_police_steward")
    ingest.ensure_dataset(session, steward, ingest.DatasetSpec(
        code=GOVERNED, name="杭州市人口（矩阵）", department="330100-public_security"))
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")
    ingest.ingest(session, steward, GOVERNED, path)  # one bad check digit: a quarantine work item
    staged = ingest.stage(session, steward, GOVERNED, path)
    issue = quality.list_issues(session, steward, dataset=GOVERNED)[0]
    session.commit()
    return Governed(GOVERNED, staged.id, issue.id)


def governance_calls(g: Governed) -> dict[str, Call]:
    every = frozenset(ROLES)
    owners = frozenset({"data_steward", "platform_admin"})  # the owner's steward (hz_police_steward), an admin
    rule = f"id: {g.dataset}.named\nname: 姓名不为空\nkind: completeness\ndataset: {g.dataset}\nfield: 姓名\n"
    return {
        "standards.terms": Call("GET", "/api/v1/standards/terms?q=数据", None, every),
        "standards.scheme": Call("GET", "/api/v1/standards/scheme", None, every),
        "datasets.list": Call("GET", "/api/v1/datasets", None, every),
        "dataset.view": Call("GET", f"/api/v1/datasets/{g.dataset}", None, every),
        "dataset.create": Call("POST", "/api/v1/datasets",
                               {"code": "hz_matrix_new", "name": "新数据集", "department": "330100-public_security"},
                               owners),
        "dataset.ingest": Call("POST", f"/api/v1/datasets/{g.dataset}/loads", None, owners,
                               files={"file": ("p.csv", PEOPLE_CSV.encode(), "text/csv")}),
        "load.commit": Call("POST", f"/api/v1/loads/{g.staged}/commit", {"mapping": {}}, owners),
        "load.discard": Call("POST", f"/api/v1/loads/{g.staged}/discard", None, owners),
        "dataset.rows": Call("GET", f"/api/v1/datasets/{g.dataset}/rows", None, frozenset({"data_steward"})),
        "dataset.rows_unmasked": Call("GET", f"/api/v1/datasets/{g.dataset}/rows?unmasked=true", None,
                                      frozenset({"data_steward"})),
        "dataset.classify": Call("PUT", f"/api/v1/datasets/{g.dataset}/fields/性别/grade",
                                 {"grade": "L1", "reason": "汇总用途"}, owners),
        "quality.rule.save": Call("POST", "/api/v1/quality/rules", {"dataset": g.dataset, "definition": rule}, owners),
        "quality.dry_run": Call("POST", "/api/v1/quality/dry-run", {"dataset": g.dataset, "definition": rule}, owners),
        # the owner's staff, an admin, and the data authority whose region covers the owner (杭州市数据资源管理局)
        "quality.issue.view": Call("GET", f"/api/v1/quality/issues/{g.issue}", None,
                                   frozenset({"data_steward", "platform_admin", "approver"})),
        "quality.issue.respond": Call("POST", f"/api/v1/quality/issues/{g.issue}/respond", {"response": "已更正"},
                                      frozenset({"data_steward"})),
    }


GOVERNANCE_ACTIONS = ("standards.terms", "standards.scheme", "datasets.list", "dataset.view", "dataset.create",
                      "dataset.ingest", "load.commit", "load.discard", "dataset.rows", "dataset.rows_unmasked",
                      "dataset.classify", "quality.rule.save", "quality.dry_run", "quality.issue.view",
                      "quality.issue.respond")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", GOVERNANCE_ACTIONS)
def test_each_role_on_each_governance_action(app: FastAPI, session: Session, governed: Governed, role: str,
                                             action: str) -> None:
    call = governance_calls(governed)[action]
    _, secret = identity.create_token(session, Actor.operator(), ROLE_USERS[role], name="matrix")
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as client:
        if call.files is not None:
            r = client.request(call.method, call.path, files=call.files, headers=headers)
        else:
            r = client.request(call.method, call.path, json=call.body, headers=headers)
    if role in call.allowed:
        assert r.status_code < 400, (r.status_code, r.text)  # each call is valid for the world it runs in
    else:
        assert r.status_code == 403, (r.status_code, r.text)
        assert r.json()["error"] == "forbidden"
