"""In real Chromium: a citizen applies for 新生儿出生一件事 on the portal (who it is about, then the merged form with
what public security's grant prefills, the materials checklist), gets a receipt and a status page; public security
decides its item on its application page, the other departments through the service; the citizen sees the combined
result and rates the service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session
from tests.e2e.e2e_helpers import log_in, log_out
from tests.platform.bundles.bundles_helpers import FATHER, MOTHER, grant, load_registers

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo.people import roster
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.migrations.runner import upgrade
from digigov.platform.bundles import service
from digigov.platform.bundles.model import BundleApplication
from digigov.web.local_server import serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bundles_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from digigov.web.app import create_app

    tmp = tmp_path_factory.mktemp("bundles-e2e")
    url = f"sqlite:///{tmp}/digigov.db"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    warehouse = tmp / "warehouse.duckdb"
    set_warehouse(Warehouse(warehouse, lock_timeout=10))
    # the departments, and only the demo users this test signs in as or needs for the grant (hashing every demo
    # user's password would take longer than the test)
    users = [u for u in roster() if u.username in ("xh_police_officer", "zj_police_steward", "zj_bigdata_approver")]
    with unit_of_work(factory) as s:
        op = Actor.operator()
        identity.seed_regions_and_departments(s, op)
        for u in users:
            identity.create_user(s, op, username=u.username, display_name=u.display_name, password=u.password,
                                 department=u.department, roles=u.roles)
        load_registers(s, tmp / "files")
        service.install_shipped(s, Actor.operator())
        grant(s, "xh_police_officer")  # public security may prefill from the population register
    settings = Settings(var_dir=tmp, secret_key="e2e-secret", database_url=url, warehouse_path=str(warehouse))
    with serve(create_app(settings), lifespan="off") as base:
        yield {"url": base, "users": {u.username: u for u in users}, "factory": factory, "warehouse": warehouse}
    engine.dispose()


def test_a_citizen_applies_for_a_newborn_and_sees_the_combined_result(page: Any,
                                                                      bundles_server: dict[str, Any]) -> None:
    base = bundles_server["url"]
    # the server runs in this process: its warehouse is this module's (the per-test one would be empty)
    set_warehouse(Warehouse(bundles_server["warehouse"], lock_timeout=10))
    page.goto(base + "/bundles")
    page.click("text=新生儿出生一件事")
    expect(page).to_have_url(re.compile(r"/bundles/newborn$"))
    expect(page.locator("h1")).to_contain_text("新生儿出生一件事")
    page.fill("input[name=applicant_name]", FATHER.name)
    page.fill("input[name=id_applicant]", FATHER.citizen_id)
    page.fill("input[name=id_mother]", MOTHER.citizen_id)
    page.fill("input[name=id_father]", FATHER.citizen_id)
    page.click("#identify-form button[type=submit]")
    # step 2: the merged form, with what public security's grant prefills
    expect(page.locator("h1")).to_contain_text("一表申请")
    expect(page.locator(".flash-success")).to_contain_text("身份核验通过")
    address = page.locator(".prefilled[data-key='applicant.address']")
    expect(address).to_contain_text(FATHER.address)
    expect(address).to_contain_text("西湖区公安分局共享授权")
    expect(page.locator("[name='f:applicant.address']")).to_have_count(0)
    page.fill("[name='f:newborn.person_name']", "陈子墨")
    page.select_option("[name='f:newborn.gender']", "男")
    page.fill("[name='f:newborn.birth_date']", "2026-11-20")
    page.fill("[name='f:health.birth_certificate:birth_time']", "08:42")
    page.fill("[name='f:health.birth_certificate:birth_hospital']", "浙江大学医学院附属妇产科医院")
    page.fill("[name='f:public_security.birth_registration:ethnicity']", "汉族")
    page.select_option("[name='f:public_security.birth_registration:relation_to_head']", "子")
    page.select_option("[name='f:human_resources.social_security_card:card_bank']", "杭州银行")
    uploads = page.locator("input[type=file]")
    assert uploads.count() >= 3
    for i in range(uploads.count()):
        uploads.nth(i).set_input_files({"name": f"scan-{i}.pdf", "mimeType": "application/pdf",
                                        "buffer": b"%PDF-1.4 scan"})
    page.click("#bundle-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/bundles/status/[A-Za-z0-9_-]+\?new=1$"))
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"YJS\d{8}[0-9A-F]{6}", receipt)
    expect(page.locator("#items tbody tr")).to_have_count(4)
    expect(page.locator("#bundle-state")).to_have_text("办理中")
    status_url = page.url.split("?")[0]

    # public security decides its item on its application page
    factory = bundles_server["factory"]
    with factory() as s:
        app = s.query(BundleApplication).filter(BundleApplication.receipt == receipt).one()
        app_id = app.id
    log_in(page, bundles_server, "xh_police_officer")
    page.goto(f"{base}/bundles/applications/{app_id}")
    form = page.locator("form.decide-form[data-item='public_security.birth_registration']")
    form.locator("[name=certificate]").fill("330106202611200015")
    form.locator("[name=note]").fill("已登记，户口簿邮寄到家。")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    log_out(page)
    # the other departments answer through the service, as their own systems would
    with unit_of_work(factory) as s:
        app = s.get(BundleApplication, app_id)
        assert app is not None and app.status == "in_progress"
        for run in app.runs:
            if run.status != "done":
                officer = _officer_of(s, run.department_id)
                service.decide_item(s, officer, run.id, outcome="approved", note="准予。",
                                    certificate=f"N{run.id:04d}")

    page.goto(status_url)
    expect(page.locator("#bundle-state")).to_have_text("已办结")
    result = page.locator("#combined-result")
    expect(result).to_contain_text("全部准予")
    expect(result).to_contain_text("公民身份号码：330106202611200015")
    page.check("#rating-form input[name=rating][value='5']")
    page.fill("#rating-form textarea[name=comment]", "一次申请，四件事都办好了。")
    page.click("#rating-form button[type=submit]")
    expect(page.locator("#my-rating")).to_contain_text("★★★★★")
    page.goto(base + "/bundles/ratings")
    expect(page.locator("[data-bundle='newborn'] .avg-rating")).to_contain_text("5.0")


def _officer_of(session: Session, department_id: int) -> Actor:
    """An officer of the department, as its own system would act for it."""
    dept = session.get(Department, department_id)
    assert dept is not None
    return Actor(username=f"officer@{dept.code}", roles=frozenset({"officer"}), department_id=dept.id,
                 department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                 region_level=dept.tier)
