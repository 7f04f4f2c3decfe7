"""The permission matrix over HTTP: each role (a demo user holding it) x each action of the JSON API,
refused with 403 or let through. The same table the permission module encodes, seen from outside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog
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
