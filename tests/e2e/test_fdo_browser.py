"""In real Chromium: the provincial market-regulation officer opens 浙江外卖在线's cockpit on the small demo world
(registries loaded, the platforms' data verified), reads the platforms' health ranking and the kitchens by county,
follows a merchant at risk to its evidence (findings, the licence and the registry record behind them), and from
there the case the risk became."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.apps.food_delivery_online.fdo_world import build_world
from tests.e2e.e2e_helpers import log_in

from digigov.core.settings import Settings
from digigov.web.local_server import serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fdo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from digigov.web.app import create_app

    tmp = tmp_path_factory.mktemp("fdo-e2e")
    url = f"sqlite:///{tmp}/digigov.db"
    world = build_world(url, tmp)
    world.engine.dispose()
    settings = Settings(var_dir=tmp, secret_key="e2e-secret", database_url=url,
                        warehouse_path=str(world.warehouse.path))
    with serve(create_app(settings), lifespan="auto") as base:
        yield {"url": base, "users": world.users}


def test_cockpit_to_a_merchants_evidence(page: Any, fdo_server: dict[str, Any]) -> None:
    log_in(page, fdo_server, "zj_market_officer")
    page.click("nav.subnav a[href='/fdo']")
    expect(page).to_have_url(re.compile(r"/fdo$"))
    expect(page.locator("h1")).to_contain_text("浙江外卖在线")
    rows = page.locator("#health tr.health-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("鲜达外卖")
    expect(rows.last).to_contain_text("浙里送")
    assert page.locator("#kitchens tr.county-row").count() > 5
    first = page.locator("#top a.merchant-link").first
    shop = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/fdo/merchants/\d+$"))
    expect(page.locator("h1")).to_contain_text(shop)
    expect(page.locator("#verdict")).to_have_text("存在风险")
    expect(page.locator("#findings tr.finding").first).to_be_visible()
    expect(page.locator("#licence")).to_contain_text("食品经营许可证")
    expect(page.locator("#photo-text")).not_to_be_empty()
    page.locator("#case-link").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.locator("body")).to_contain_text("WM")  # the case number of 浙江外卖在线's risks
