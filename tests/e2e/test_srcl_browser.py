"""In real Chromium, the risk-control cockpit to a red task and its evidence: on a server with the application's
demo for Huzhou (the months before today; the planted wage arrears of 织里镇 unpaid), the city centre's supervisor
opens the cockpit (map, trend and safety-code charts drawn), follows the red wage task from the red task list and
reads its evidence (the site's payroll against its supervised account: nothing paid); the town's official then
uploads the payslip voucher through the form, which closes the task."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.e2e.e2e_helpers import log_in, log_out

from digigov.apps import registry
from digigov.apps.rule_of_law.social_risk_closed_loop import demo, plugin
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo.people import roster
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.web.local_server import serve

SEED = 2021
USERS = ("huz_centre_supervisor", "huz_town_official")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The server's warehouse for the module (it overrides the per-test one: the server reads it throughout)."""
    wh = Warehouse(tmp_path_factory.mktemp("srcl-e2e-wh") / "warehouse.duckdb")
    set_warehouse(wh)
    yield wh
    set_warehouse(None)


@pytest.fixture(scope="module")
def srcl_server(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from digigov.web.app import create_app

    pm = registry.plugin_manager()
    if not pm.has_plugin("social_risk_closed_loop") and not pm.is_registered(plugin):
        pm.register(plugin, name="social_risk_closed_loop")
    registry.load()
    var_dir = tmp_path_factory.mktemp("srcl-e2e")
    settings = Settings(var_dir=var_dir, secret_key="e2e-secret", warehouse_path=str(warehouse.path))
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    op = Actor.operator()
    with unit_of_work(make_session_factory(engine)) as s:
        identity.seed_regions_and_departments(s, op)
        users = [u for u in roster(SEED) if u.username in USERS]  # only the two who act (hashing takes time)
        for u in users:
            identity.create_user(s, op, username=u.username, display_name=u.display_name, password=u.password,
                                 department=u.department, roles=u.roles)
        registry.sync(s, op)
        figures = demo.build(s, op, size="small", seed=SEED, data_dir=var_dir / "data")
    engine.dispose()
    assert figures["srcl_tasks"] >= 20 and figures["srcl_rule_errors"] == 0
    with serve(create_app(settings)) as url:
        yield {"url": url, "users": {u.username: u for u in users}}


def test_cockpit_to_a_red_task_and_its_evidence(srcl_server: dict[str, Any], page: Any) -> None:
    base = srcl_server["url"]
    log_in(page, srcl_server, "huz_centre_supervisor")
    page.goto(f"{base}/srcl")
    expect(page.locator("#srcl-map")).to_have_attribute("data-rendered", "1")
    expect(page.locator("#srcl-map")).to_have_attribute("data-towns", "72")
    expect(page.locator("#srcl-trend")).to_have_attribute("data-rendered", "1")
    expect(page.locator("#srcl-safety")).to_have_attribute("data-rendered", "1")
    red = page.locator("#srcl-red-tasks .srcl-task-item", has_text="未发放")
    expect(red).to_have_count(1)
    expect(red.locator(".badge")).to_have_text("红色")
    red.locator("a").click()
    expect(page).to_have_url(re.compile(r"/srcl/tasks/\d+$"))
    task_url = page.url
    expect(page.locator("#srcl-stage")).to_have_text("待签收")
    evidence = page.locator("#srcl-evidence tbody tr")
    expect(evidence).to_have_count(1)
    expect(evidence).to_contain_text("未发放")
    expect(evidence).to_contain_text("无代发流水")
    expect(page.locator("#srcl-evidence")).to_contain_text("审计")
    expect(page.locator("#payslip-form")).to_have_count(0)  # the centre does not upload the town's voucher
    log_out(page)

    log_in(page, srcl_server, "huz_town_official")
    page.goto(task_url)
    owed = page.locator("#srcl-evidence tbody tr td").nth(6).inner_text()  # 欠发工资_元
    page.fill("#payslip-form textarea[name=note]", "经核实，总包单位工程款未到位致欠薪，已督促全额补发")
    page.fill("#payslip-form input[name=amount]", owed)
    page.fill("#payslip-form input[name=paid_on]", "2025-06-25")
    page.set_input_files("#payslip-form input[name=voucher]",
                         files=[{"name": "工资发放表.pdf", "mimeType": "application/pdf", "buffer": b"%PDF signed"}])
    page.click("#payslip-form button[type=submit]")
    expect(page.locator("#srcl-stage")).to_have_text("已销号")
    expect(page.locator("#srcl-payslips")).to_contain_text("工资发放表.pdf")
