"""The platform cockpit, the indicator pages and their JSON twins, and the indicators API, on the store of a
catalogue with the platform's indicators computed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.platform.catalog.model import Resource
from digigov.platform.indicators import api as indicators_api
from digigov.platform.indicators import service
from digigov.web.pages import cockpits

CODE = "platform.resources_registered"
DATA_BLOCK = re.compile(r'<script type="application/json" id="cockpit-data">(.*?)</script>', re.S)


@pytest.fixture
def computed(app: FastAPI, session: Session, catalogue: dict[str, object]) -> FastAPI:
    """The platform's indicators stored and computed; the cockpit routes included when the app lacks them."""
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/cockpit" not in paths:
        app.include_router(cockpits.router)
    if "/api/v1/indicators" not in paths:
        app.include_router(indicators_api.router)
    op = Actor.operator()
    service.sync_platform(session, op)
    for ind in service.list_indicators(session, op):
        service.compute(session, op, ind.code)
    session.commit()
    return app


def _resources(session: Session, prefix: str = "") -> int:
    stmt = select(func.count()).select_from(Resource)
    return int(session.scalar(stmt.where(Resource.region_code.like(prefix + "%")) if prefix else stmt) or 0)


def test_the_platform_cockpit_renders_tiles_map_and_its_data(computed: FastAPI, login: Callable[[str], Any],
                                                               session: Session) -> None:
    c = login("hz_civil_officer")
    page = c.get("/cockpit")
    assert page.status_code == 200
    html = page.text
    assert "平台运行驾驶舱" in html and "加载中…" in html
    assert html.count('class="kpi kpi-') == 4
    assert 'id="cockpit-map"' in html and "/static/cockpit.js" in html
    for tag in re.findall(r"<script[^>]*>", html):  # no inline script: only files and JSON data blocks
        assert "src=" in tag or 'type="application/json"' in tag, tag
    match = DATA_BLOCK.search(html)
    assert match is not None
    data = json.loads(match.group(1))
    tile = next(k for k in data["kpis"] if k["code"] == CODE)
    assert tile["value"] == _resources(session) and tile["unit"] == "件"
    assert tile["link"] == f"/indicators/{CODE}?region=330000"
    assert f'href="{tile["link"]}"' in html
    assert data["map"]["geojson"] == "/static/vendor/maps/zhejiang_counties.geojson"
    hz = {v["code"]: v for v in data["map"]["values"]}
    assert len(hz) == 90 and hz["330106"]["link"] == f"/indicators/{CODE}?region=330106"
    assert len(data["trends"]) == 3 and all(len(t["points"]) == 12 for t in data["trends"])


def test_the_json_twin_and_a_city(computed: FastAPI, login: Callable[[str], Any], session: Session) -> None:
    c = login("admin")
    r = c.get("/cockpit?region=330100", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["region"]["name"] == "杭州市"
    assert {x["code"] for x in data["regions"]} >= {"330000", "330100", "330106", "330200"}
    assert data["map"]["within"] == "330100" and len(data["map"]["values"]) == 13
    tile = next(k for k in data["kpis"] if k["code"] == CODE)
    assert tile["value"] == _resources(session, "3301")
    assert c.get("/cockpit?region=339999").status_code == 404
    assert c.get("/cockpit?region=33010x").status_code == 422
    english = c.get("/cockpit?lang=en")
    assert "Platform cockpit" in english.text and "Resources registered" in english.text


def test_the_warning_list_shows_what_the_caller_gives(computed: FastAPI, session: Session) -> None:
    from digigov.platform.indicators.spec import CockpitSpec

    spec = CockpitSpec(title="t", kpis=[CODE], warnings=[
        {"severity": "red", "title": "超期工单", "region": "330106", "link": "/cases?overdue=1"},
        {"severity": "purple", "title": "?", "region": ""}])
    data = service.cockpit_data(session, Actor.operator(), spec, "330000")
    assert [(w["severity"], w["region_name"], w["link"]) for w in data["warnings"]] == [
        ("red", "西湖区", "/cases?overdue=1"), ("blue", "", None)]


def test_indicator_pages_and_compute(computed: FastAPI, login: Callable[[str], Any]) -> None:
    admin = login("admin")
    listing = admin.get("/indicators")
    assert listing.status_code == 200 and listing.text.count("/indicators/platform.") >= 4
    rows = admin.get("/indicators", headers={"Accept": "application/json"}).json()
    assert {r["code"] for r in rows} >= {CODE, "platform.request_grant_rate"}
    page = admin.get(f"/indicators/{CODE}?region=330100")
    assert page.status_code == 200 and "西湖区" in page.text and "立即计算" in page.text
    detail = admin.get(f"/indicators/{CODE}", headers={"Accept": "application/json"}).json()
    assert detail["runs"][0]["state"] == "ok" and len(detail["by_region"]) == 11
    done = admin.post_form(f"/indicators/{CODE}/compute")
    assert done.status_code == 303
    assert len(admin.get(f"/indicators/{CODE}", headers={"Accept": "application/json"}).json()["runs"]) == 2
    officer = login("hz_civil_officer")
    assert "立即计算" not in officer.get(f"/indicators/{CODE}").text
    assert officer.post_form(f"/indicators/{CODE}/compute").status_code == 403
    assert admin.get("/indicators/platform.nothing").status_code == 404


def test_the_api(computed: FastAPI, client: Any, bearer: Callable[[str], dict[str, str]], session: Session) -> None:
    admin, officer = bearer("admin"), bearer("hz_civil_officer")
    listed = client.get("/api/v1/indicators?app=platform", headers=officer).json()
    assert len(listed) == 4
    one = client.get(f"/api/v1/indicators/{CODE}?region=330100", headers=officer).json()
    assert one["region_latest"]["value"] == _resources(session, "3301") and one["runs"]
    series = client.get(f"/api/v1/indicators/{CODE}/series?region=330000", headers=officer).json()
    assert series[-1]["value"] == _resources(session)
    regions = client.get(f"/api/v1/indicators/{CODE}/regions?level=city", headers=officer).json()
    assert sum(v or 0 for v in regions["values"].values()) <= _resources(session) and len(regions["values"]) == 11
    assert client.post(f"/api/v1/indicators/{CODE}/compute", headers=officer, json={}).status_code == 403
    ok = client.post(f"/api/v1/indicators/{CODE}/compute", headers=admin, json={"since": "2026-01-01"})
    assert ok.status_code == 200 and ok.json()["since"] == "2026-01-01"
    empty = client.post(f"/api/v1/indicators/{CODE}/compute", headers=admin,
                        json={"since": "2026-05-01", "until": "2026-01-01"})
    assert empty.status_code == 409
    assert client.get("/api/v1/indicators/no.such", headers=officer).status_code == 404
    assert client.get("/api/v1/indicators").status_code == 401
