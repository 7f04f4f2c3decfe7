"""In real Chromium, a red warning of 基层公权力大数据监督 from its evidence to its closure: on a server with the
small demo province's department data and the application's demo (the 建德 case: five village projects worth
¥1.32 million awarded to the company that pays the village secretary's pension insurance, still red and past its
deadline), the town's discipline official opens the red warning, reads the evidence rows, verifies the
rectification on site with a photo (late: it turns yellow); the county's supervisor closes it (green)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.e2e_helpers import log_in, log_out

from digigov.apps import registry
from digigov.apps.party_governance.grassroots_power_supervision import demo, plugin
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo import department_data
from digigov.demo.people import seed_users
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.web.local_server import serve

SEED = 2021


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The server's warehouse for the module (it overrides the per-test one: the server reads it throughout)."""
    wh = Warehouse(tmp_path_factory.mktemp("gps-e2e-wh") / "warehouse.duckdb")
    set_warehouse(wh)
    yield wh
    set_warehouse(None)


@pytest.fixture(scope="module")
def gps_server(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from digigov.web.app import create_app

    pm = registry.plugin_manager()
    if not pm.has_plugin("grassroots_power_supervision") and not pm.is_registered(plugin):
        pm.register(plugin, name="grassroots_power_supervision")
    registry.load()
    var_dir = tmp_path_factory.mktemp("gps-e2e")
    settings = Settings(var_dir=var_dir, secret_key="e2e-secret", warehouse_path=str(warehouse.path))
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    op = Actor.operator()
    with unit_of_work(make_session_factory(engine)) as s:
        identity.seed_regions_and_departments(s, op)
        users = seed_users(s, op, SEED)
        department_data.load(s, op, size="small", seed=SEED, directory=var_dir / "data")
        registry.sync(s, op)
        figures = demo.build(s, op, size="small", seed=SEED, data_dir=var_dir / "data")
    engine.dispose()
    assert figures["gps_warnings"] >= 10 and figures["gps_rule_errors"] == 0
    with serve(create_app(settings)) as url:
        yield {"url": url, "users": {u.username: u for u in users}}


def test_red_warning_evidence_verification_closure(gps_server: dict[str, Any], page: Any) -> None:
    base = gps_server["url"]
    log_in(page, gps_server, "jd_town_official")
    page.goto(f"{base}/gps?colour=red")
    row = page.locator("#gps-warnings tr", has_text="132.0万元")
    expect(row).to_have_count(1)
    expect(row.locator(".gps-colour")).to_have_text("红色")
    row.locator("a").click()
    expect(page).to_have_url(re.compile(r"/gps/warnings/\d+$"))
    warning_url = page.url
    expect(page.locator("#gps-head .gps-colour")).to_have_text("红色")
    evidence = page.locator("#gps-evidence tbody tr")
    expect(evidence).to_have_count(5)
    expect(page.locator("#gps-evidence")).to_contain_text("缴纳社会保险")
    expect(page.locator("#gps-notices")).to_contain_text("乡镇纪委书记")

    page.fill("#verify-form textarea[name=rectification]", "相关工程款暂停支付，工程重新履行公开招标程序")
    page.fill("#verify-form textarea[name=verification]", "到村查看工程合同、招投标记录和付款凭证")
    page.set_input_files("#verify-form input[name=attachment]",
                         files=[{"name": "现场核查.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8 site photo"}])
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#gps-status")).to_have_text("已核查待销号")
    expect(page.locator("#gps-head .gps-colour")).to_have_text("黄色")  # past its deadline: verified late
    expect(page.locator("#gps-timeline")).to_contain_text("逾期核查")
    expect(page.locator("#close-form")).to_have_count(0)  # the town verifies, the county closes
    log_out(page)

    log_in(page, gps_server, "jd_discipline_supervisor")
    page.goto(warning_url)
    expect(page.locator("main")).to_contain_text("现场核查.jpg")
    page.fill("#close-form textarea[name=note]", "整改到位，予以销号")
    page.click("#close-form button[type=submit]")
    expect(page.locator("#gps-status")).to_have_text("已销号")
    expect(page.locator("#gps-head .gps-colour")).to_have_text("绿色")
    expect(page.locator("#gps-timeline")).to_contain_text("整改到位，予以销号")
    page.goto(f"{base}/gps/cockpit?region=330182")
    expect(page.locator("#gps-tiles")).to_contain_text("已销号")
