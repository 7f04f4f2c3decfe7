"""The pages on both backends: the warnings, a warning with its evidence, the on-site verification (a file
upload) and the closure through the forms, the cockpit at each level, zh and en, JSON; and 监督一点通 end to end:
a villager reports without logging in and keeps the receipt code, the liaison station takes it, posts progress
and answers, the villager reads the answer with the code and rates it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.grassroots_power_supervision.conftest import World
from tests.apps.grassroots_power_supervision.test_gps_lifecycle import jiande
from tests.conftest import make_app
from tests.web.conftest import Console, csrf_of, login_client

from digigov.apps.party_governance.grassroots_power_supervision import complaints
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsComplaint, GpsWarning
from digigov.core.warehouse import Warehouse
from digigov.demo.people import DemoUser
from digigov.platform.cases.model import Case


@pytest.fixture
def app(world: World, gps: Session, warehouse: Warehouse, tmp_path: Path) -> FastAPI:
    """The web app on the package's connection and warehouse (create_app points the process at its settings')."""
    return make_app(world.connection, tmp_path, warehouse_path=str(warehouse.path))


@pytest.fixture
def login(app: FastAPI, people: dict[str, DemoUser]) -> Callable[[str], Console]:
    return lambda username: login_client(app, username, people[username].password)


def test_warning_pages_verification_and_closure(gps: Session, login: Callable[[str], Console]) -> None:
    w = jiande(gps)
    boss = login("jd_discipline_supervisor")
    page = boss.get("/gps")
    assert page.status_code == 200 and "基层公权力大数据监督" in page.text and f"GPS-{w.id}" in page.text
    listed = boss.get("/gps?format=json").json()
    assert {x["region_code"] for x in listed["warnings"]} == {"330182"} and listed["total"] >= 5
    assert boss.get(f"/gps?colour=red&rule={w.rule_code}&format=json").json()["total"] >= 1
    detail = boss.get(f"/gps/warnings/{w.id}")
    assert detail.status_code == 200 and "碰撞证据" in detail.text and "132.0万元" in detail.text
    assert 'id="verify-form"' not in detail.text and 'id="dismiss-form"' in detail.text
    assert boss.get(f"/gps/warnings/{w.id}?format=json").json()["evidence"][0]["evidence_key"]
    assert "Evidence" in boss.get(f"/gps/warnings/{w.id}?lang=en").text

    town = login("jd_town_official")
    page = town.get(f"/gps/warnings/{w.id}")
    assert 'id="verify-form"' in page.text
    bad = town.post_form(f"/gps/warnings/{w.id}/verify", {"rectification": "已整改到位", "verification": "现场查看"})
    assert bad.status_code == 303
    assert "请上传现场核查的佐证材料" in town.get(f"/gps/warnings/{w.id}").text
    ok = town.post(f"/gps/warnings/{w.id}/verify", data={
        "csrf_token": town.csrf, "rectification": "暂停支付工程款，重新招标",
        "verification": "到村查看合同、招投标记录"},
        files={"attachment": ("现场.jpg", b"\xff\xd8 site", "image/jpeg")}, follow_redirects=False)
    assert ok.status_code == 303
    gps.refresh(w)
    assert (w.status, w.colour) in (("verified", "cleared"), ("verified", "yellow"))
    got = town.get(f"/gps/warnings/{w.id}/attachments/{w.attachments[0].id}")
    assert got.content == b"\xff\xd8 site" and got.headers["x-content-sha256"] == w.attachments[0].sha256
    assert boss.post_form(f"/gps/warnings/{w.id}/close", {"note": "整改到位"}).status_code == 303
    gps.refresh(w)
    assert (w.status, w.colour) == ("closed", "cleared")
    assert "已销号" in boss.get(f"/gps/warnings/{w.id}").text

    xiaoshan = gps.scalars(select(GpsWarning).where(GpsWarning.region_code == "330109")).first()
    assert xiaoshan is not None and boss.get(f"/gps/warnings/{xiaoshan.id}").status_code == 403


def test_cockpit_pages(login: Callable[[str], Console]) -> None:
    admin = login("admin")
    page = admin.get("/gps/cockpit")
    assert page.status_code == 200 and "驾驶舱" in page.text and "建德市" in page.text
    county = admin.get("/gps/cockpit?region=330182&format=json").json()
    assert county["level"] == "county" and county["rows"]
    town = county["rows"][0]["key"]
    assert admin.get(f"/gps/cockpit?region=330182&town={town}").status_code == 200
    assert "Cockpit" in admin.get("/gps/cockpit?region=330182&lang=en").text
    assert admin.get("/gps/cockpit?region=abc").status_code == 422
    outsider = login("hz_civil_officer")  # not a discipline commission: no warnings, no page
    assert outsider.get("/gps").status_code == 403


def test_a_villager_reports_the_station_answers(app: FastAPI, gps: Session,
                                                login: Callable[[str], Console]) -> None:
    villager = TestClient(app)
    form = villager.get("/gps/report")
    assert form.status_code == 200 and "监督一点通" in form.text
    stations = complaints.stations(gps)
    mine = next(s for s in stations if s.head == "姜丽华")  # the station jd_liaison_officer runs
    other = next(s for s in stations if s.region_code == "330182" and s.village != mine.village)
    token = csrf_of(form.text)
    bad = villager.post("/gps/report", data={"csrf_token": token, "village": "330182|无此镇|无此村", "matter": "asset",
                                             "text": "河道有人偷挖河沙"}, follow_redirects=False)
    assert bad.status_code == 422 and "尚未开通" in bad.text
    sent = villager.post("/gps/report", data={"csrf_token": token, "village": f"{mine.region_code}|{mine.town}|"
                                              f"{mine.village}", "matter": "asset", "kind": "complaint",
                                              "text": "晚上有人开挖掘机在村东溪滩偷挖河沙，拉沙车把村道压坏了。"},
                         follow_redirects=False)
    assert sent.status_code == 303
    code = re.search(r"/gps/receipt/([A-Z0-9]+)$", sent.headers["location"]).group(1)  # type: ignore[union-attr]
    receipt = villager.get(f"/gps/receipt/{code}")
    assert receipt.status_code == 200 and code in receipt.text and "待签收" in receipt.text
    assert villager.get("/gps/receipt/NOSUCHCODE").status_code == 404
    other_c = complaints.submit(gps, place=f"{other.region_code}|{other.town}|{other.village}", matter="seal",
                                text="用印登记不公开，希望公示。")
    gps.commit()

    station = login("jd_liaison_officer")
    inbox = station.get("/gps/station")
    assert inbox.status_code == 200 and "偷挖河沙" in inbox.text and "用印登记不公开" not in inbox.text
    c = gps.scalar(select(GpsComplaint).where(GpsComplaint.receipt == code))
    assert c is not None
    assert station.post_form(f"/gps/station/{other_c.id}/take").status_code == 303  # not this station's
    other_case = gps.get(Case, other_c.case_id)
    assert other_case is not None and other_case.status == "assigned"
    assert station.post_form(f"/gps/station/{c.id}/take").status_code == 303
    progress = station.post_form(f"/gps/station/{c.id}/progress", {"text": "已联系镇综合执法队，两天内夜间巡查。"})
    assert progress.status_code == 303
    assert villager.get(f"/gps/receipt/{code}").text.count("两天内夜间巡查") == 1
    answer = station.post_form(f"/gps/station/{c.id}/answer", {"text": "执法队查扣挖掘机一台，溪滩路口已装监控。"})
    assert answer.status_code == 303
    seen = villager.get(f"/gps/receipt/{code}")
    assert "查扣挖掘机" in seen.text and 'id="rating-form"' in seen.text
    rated = villager.post(f"/gps/receipt/{code}/rate", data={"csrf_token": csrf_of(seen.text),
                                                             "rating": "satisfied"}, follow_redirects=False)
    assert rated.status_code == 303
    done = villager.get(f"/gps/receipt/{code}?format=json").json()
    assert done["status"] == "closed" and done["rating"] == "satisfied" and "查扣挖掘机" in done["response"]
    assert "Follow your report" in villager.get(f"/gps/receipt/{code}?lang=en").text
