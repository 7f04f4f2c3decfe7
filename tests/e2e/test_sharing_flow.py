"""In real Chromium: an officer of 杭州市民政局 opens a 杭州市公安局 dataset, requests three fields of its Xihu
rows through the form; the police data steward approves in the sharing inbox, narrowing the request by one
field; the officer then reads the dataset through the API with a bearer token and gets only the two granted
fields of the filtered rows."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from tests.e2e.e2e_helpers import log_in, log_out
from tests.platform.sharing.sharing_helpers import PEOPLE_COLS, PEOPLE_ROWS, make_dataset

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department

pytestmark = pytest.mark.e2e

CODE = "e2e_share_people"
PURPOSE = "西湖区高龄津贴发放核对"


def test_request_narrowed_approval_then_api_read(page: Any, live_server: dict[str, Any]) -> None:
    server = live_server
    engine = make_engine(server["settings"].effective_database_url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        if s.scalar(select(Department.id).where(Department.code == "330100-public_security")) is None:
            pytest.fail("the demo province has no 杭州市公安局")
        make_dataset(s, CODE, PEOPLE_COLS, PEOPLE_ROWS)

    log_in(page, server, "hz_civil_officer")
    page.goto(server["url"] + f"/datasets/{CODE}")
    page.click("a.btn-share")
    expect(page).to_have_url(re.compile(r"/sharing/request\?dataset="))
    page.fill("textarea[name=purpose]", PURPOSE)
    page.fill("textarea[name=legal_basis]", "《浙江省公共数据条例》")
    for field in ("phone", "region_code", "age"):
        page.check(f"tr[data-field={field}] input[name=fields]")
    page.select_option("select[name=filter_column]", "region_code")
    page.select_option("select[name=filter_op]", "prefix")
    page.fill("input[name=filter_value]", "330106")
    page.click("form.sharing-request button[type=submit]")
    expect(page).to_have_url(re.compile(r"/sharing/requests/\d+$"))
    expect(page.locator("h1 .chip")).to_have_text("待数源部门审核")
    log_out(page)

    log_in(page, server, "hz_police_steward")
    page.goto(server["url"] + "/sharing/inbox")
    item = page.locator("article.sharing-item").filter(has_text=PURPOSE).first
    expect(item).to_be_visible()
    item.locator("a.btn").click()
    page.uncheck("form.sharing-decide tr[data-field=phone] input[name=fields]")  # narrow: no phone numbers
    page.fill("form.sharing-decide input[name=comment]", "同意，不含手机号码")
    page.click("form.sharing-decide button[value=approve]")
    expect(page.locator("h1 .chip")).to_have_text("已授权")
    expect(page.locator(".granted-fields")).not_to_contain_text("phone")
    log_out(page)

    with unit_of_work(factory) as s:
        _, secret = identity.create_token(s, Actor.operator(), "hz_civil_officer", name="e2e-sharing")
    engine.dispose()
    got = httpx.get(server["url"] + f"/api/v1/shared/{CODE}", headers={"Authorization": f"Bearer {secret}"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["fields"] == ["region_code", "age"]
    assert [r["region_code"] for r in body["records"]] == ["330106"] * 3
    assert all(set(r) == {"_id", "region_code", "age"} for r in body["records"])
