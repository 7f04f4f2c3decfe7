"""The pages of 浙江外卖在线 on the demo world, on SQLite and PostgreSQL: the cockpit with the health index and the
kitchens by county (and as JSON), the findings list and its filters, a merchant's evidence (an audited read), the
verification button for the provincial bureau only, in Chinese and in English."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.apps.food_delivery_online.fdo_world import World
from tests.web.conftest import Console, login_client

from digigov.apps.digital_government.food_delivery_online import service
from digigov.apps.digital_government.food_delivery_online.model import FdoListing
from digigov.audit.model import AuditRecord
from digigov.core.settings import Settings
from digigov.web.app import create_app


@pytest.fixture
def app(fdo_connection: object, fdo_world: World, tmp_path: Path) -> FastAPI:
    factory = sessionmaker(bind=fdo_connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                           expire_on_commit=False)
    return create_app(Settings(var_dir=tmp_path, secret_key="test", warehouse_path=str(fdo_world.warehouse.path)),
                      session_factory=factory)


@pytest.fixture
def login(app: FastAPI, fdo_world: World) -> Iterator[Callable[[str], Console]]:
    made: list[Console] = []

    def make(username: str) -> Console:
        c = login_client(app, username, fdo_world.users[username].password)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def test_the_cockpit(login: Callable[[str], Console], fdo_session: Session) -> None:
    run = service.latest_run(fdo_session)
    assert run is not None
    c = login("zj_market_officer")
    page = c.get("/fdo")
    assert page.status_code == 200
    text = page.text
    for label in ("浙江外卖在线", "平台健康指数", "阳光厨房覆盖（按县区）", "合理配送时间区间", "重点风险商户",
                  "重新核验", "鲜达外卖", "浙里送"):
        assert label in text, label
    platforms = re.findall(r'class="health-row" data-platform="([a-z]+)"', text)
    assert platforms == ["xianda", "chengzi", "zhelisong"]
    counties = re.findall(r'class="county-row" data-county="(\d{6})"', text)
    assert counties == [c["county_code"] for c in run.figures["kitchens"]["by_county"]] and counties
    assert run.figures["kitchens"]["by_county"][0]["county_name"] in text
    assert 'href="/fdo" class="active"' in text  # the console's nav link
    data = c.get("/fdo?format=json").json()
    assert [h["platform"] for h in data["health"]] == ["xianda", "chengzi", "zhelisong"]
    assert data["run"]["listings"] == run.listings and data["weights"]["merchants"] == 0.3
    english = c.get("/fdo?lang=en")
    assert english.status_code == 200 and "Platform health index" in english.text and "Xianda Delivery" in english.text


def test_findings_and_a_merchants_evidence(login: Callable[[str], Console], fdo_session: Session) -> None:
    c = login("xh_market_officer")  # a county officer may look, not run
    findings = c.get("/fdo/findings?kind=holder_deregistered")
    assert findings.status_code == 200 and "持证主体已注销或吊销" in findings.text and "重新核验" not in findings.text
    listed = c.get("/fdo/findings?kind=holder_deregistered&format=json").json()
    assert listed["total"] > 0 and {f["kind"] for f in listed["findings"]} == {"holder_deregistered"}
    first = listed["findings"][0]
    page = c.get(f"/fdo/merchants/{first['listing_id']}")
    assert page.status_code == 200
    row = fdo_session.get(FdoListing, first["listing_id"])
    assert row is not None
    for text in ("存在风险", row.shop_name, row.evidence["licence"]["number"], "企业登记信息", "证照照片识别文本"):
        assert text in page.text, text
    assert re.search(r"<span class=\"bad\">(注销|吊销)</span>", page.text)
    reads = fdo_session.scalars(select(AuditRecord).where(AuditRecord.action == "fdo.listing.read",
                                                          AuditRecord.object_id == str(row.id))).all()
    assert reads and reads[-1].actor == "xh_market_officer"
    as_json = c.get(f"/fdo/merchants/{row.id}?format=json").json()
    assert as_json["kinds"] == row.kinds and as_json["findings"][0]["reason"]
    assert c.get("/fdo/merchants/999999").status_code == 404
    rider = c.get("/fdo/findings?subject=rider&format=json").json()["findings"][0]
    assert rider["evidence"]["citizen_id"].count("*") == 8  # masked
    refused = c.post_form("/fdo/run")
    assert refused.status_code in (403, 303) and service.latest_run(fdo_session).id == row.run_id  # type: ignore[union-attr]


def test_the_provincial_bureau_runs_a_round(login: Callable[[str], Console], fdo_session: Session) -> None:
    before = service.latest_run(fdo_session)
    assert before is not None
    c = login("zj_market_officer")
    done = c.post_form("/fdo/run")
    assert done.status_code == 303 and done.headers["location"] == "/fdo"
    after = service.latest_run(fdo_session)
    assert after is not None and after.id > before.id and after.listings == before.listings
    assert "核验完成" in c.get("/fdo").text
    audit = fdo_session.scalars(select(AuditRecord).where(AuditRecord.action == "fdo.run")).all()
    assert audit[-1].actor == "zj_market_officer" and json.loads(audit[-1].detail)["listings"] == after.listings


def test_nobody_outside_sees_it(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as anonymous:
        r = anonymous.get("/fdo", follow_redirects=False)
        assert r.status_code in (303, 401) and "平台健康指数" not in r.text
