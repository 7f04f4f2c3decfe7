"""Web fixtures: the app bound to the test's connection (rolled back after each test), logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from digigov.core.settings import Settings
from digigov.demo.people import DemoUser
from digigov.web.app import create_app

# The demo user who holds each role (department in the comment), for tests that go role by role.
ROLE_USERS = {
    "platform_admin": "admin",  # 浙江省大数据发展管理局
    "data_steward": "hz_police_steward",  # 杭州市公安局: owns the dataset below
    "officer": "hz_civil_officer",  # 杭州市民政局
    "approver": "hz_bigdata_approver",  # 杭州市数据资源管理局: the data authority for Hangzhou
    "auditor": "auditor",  # 浙江省纪委监委
}

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


@pytest.fixture
def app(connection: object, tmp_path: Path) -> FastAPI:
    factory = sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
        expire_on_commit=False,
    )
    return create_app(Settings(var_dir=tmp_path, secret_key="test"), session_factory=factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class Console(TestClient):
    """A TestClient logged in through the login form; `csrf` is its session's token."""

    csrf: str = ""
    username: str = ""

    def post_form(self, url: str, data: dict[str, object] | None = None, **kw: object):  # type: ignore[no-untyped-def]
        body = {"csrf_token": self.csrf, **(data or {})}
        return self.post(url, data=body, follow_redirects=False, **kw)  # type: ignore[arg-type]


def login_client(app: FastAPI, username: str, password: str) -> Console:
    c = Console(app)
    page = c.get("/login")
    assert page.status_code == 200
    r = c.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": "/profile/tokens",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    c.csrf = csrf_of(c.get("/profile/tokens").text)
    c.username = username
    return c


@pytest.fixture
def login(app: FastAPI, people: dict[str, DemoUser]) -> Iterator[Callable[[str], Console]]:
    """login('admin') -> a Console logged in as that demo user."""
    made: list[Console] = []

    def make(username: str) -> Console:
        c = login_client(app, username, people[username].password)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def bearer(session: Session) -> Callable[[str], dict[str, str]]:
    """bearer('admin') -> an Authorization header with a fresh token of that user."""
    from digigov.identity import service as identity
    from digigov.identity.actor import Actor

    def make(username: str) -> dict[str, str]:
        _, secret = identity.create_token(session, Actor.operator(), username, name="test")
        session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def catalogue(session: Session) -> dict[str, object]:
    """A few resources of each kind, with dependencies, created by the platform admin."""
    from digigov.identity.actor import Actor
    from digigov.platform.catalog import service as catalog

    op = Actor.operator()
    cloud = catalog.create_resource(
        session,
        op,
        kind="cloud_resource",
        name="政务云计算资源池",
        owner_department="330000-big_data",
        description="省级政务云虚拟机与存储。",
    )
    ocr = catalog.create_resource(
        session,
        op,
        kind="component",
        name="身份证识别组件",
        owner_department="330100-public_security",
        description="识别身份证照片中的文字。",
        functions=["身份证正反面识别", "人像比对"],
        depends_on=[cloud.code],
    )
    population = catalog.create_resource(
        session,
        op,
        kind="dataset",
        name="常住人口基本信息",
        owner_department="330100-public_security",
        description="杭州市常住人口的姓名、身份证号、户籍地址。",
        tags=["人口", "户籍"],
        system="digital_government",
        attributes={"fields": ["姓名", "身份证号"], "update": "daily"},
    )
    app = catalog.create_resource(
        session,
        op,
        kind="application",
        name="浙里养",
        owner_department="330100-civil_affairs",
        system="digital_society",
        description="养老服务一站式平台。",
        budget_wan=300,
        functions=["养老机构信息查询", "居家养老服务预约", "养老补贴在线申请", "老年人健康档案管理"],
        depends_on=[population.code, ocr.code],
    )
    session.commit()
    return {"cloud": cloud, "ocr": ocr, "population": population, "app": app}
