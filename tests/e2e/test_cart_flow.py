"""In real Chromium: an officer finds two datasets of two Hangzhou departments in the IRS catalogue, puts
both in the cart, submits once; each owner approves in its inbox, then the city's data authority
(杭州市数据资源管理局) does; the officer sees both items granted."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.e2e_helpers import log_in, log_out

POPULATION = "杭州市人口基础信息"  # owned by 杭州市公安局
SOCIAL_INSURANCE = "杭州市社保参保信息"  # owned by 杭州市人力资源和社会保障局
PURPOSE = "西湖区流行病学调查：核对辖区常住人口与参保状态"


def approve_in_inbox(page: Any, server: dict[str, Any], name: str, comment: str) -> None:
    """Approve the item for `name` of this test's request (other demo requests may ask for it too)."""
    page.goto(server["url"] + "/inbox")
    item = page.locator("article.inbox-item").filter(has_text=name).filter(has_text=PURPOSE).first
    expect(item).to_be_visible()
    item.locator("input[name=comment]").fill(comment)
    item.locator("button[value=approve]").click()
    expect(page).to_have_url(re.compile(r"/inbox"))


def test_cart_request_is_approved_by_each_owner_and_the_authority(page: Any, live_server: dict[str, Any]) -> None:
    server = live_server
    log_in(page, server, "xh_health_officer")

    for name in (POPULATION, SOCIAL_INSURANCE):
        page.fill("form.topsearch input[name=q]", name)
        page.press("form.topsearch input[name=q]", "Enter")
        expect(page).to_have_url(re.compile(r"/search\?"))
        hit = page.locator("article.hit").filter(has_text=name).first
        expect(hit.locator("mark").first).to_be_visible()  # the matched words are highlighted
        hit.locator("button.btn-cart").click()
        expect(hit.locator(".btn-done")).to_be_visible()  # swapped in place by htmx

    page.goto(server["url"] + "/cart")
    expect(page.get_by_text(POPULATION).first).to_be_visible()
    expect(page.get_by_text(SOCIAL_INSURANCE).first).to_be_visible()
    page.fill("textarea[name=purpose]", PURPOSE)
    page.fill("textarea[name=legal_basis]", "《中华人民共和国传染病防治法》第十二条")
    page.click("form[action='/cart/submit'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    request_url = page.url
    rows = page.locator("table tr").filter(has_text=POPULATION)
    expect(rows.first).to_contain_text("待数源部门审核")
    log_out(page)

    # each owner department approves its own item
    log_in(page, server, "hz_police_approver")
    approve_in_inbox(page, server, POPULATION, "同意，限疫情防控使用")
    log_out(page)
    log_in(page, server, "hz_hrss_steward")
    approve_in_inbox(page, server, SOCIAL_INSURANCE, "同意")
    log_out(page)

    # datasets also need the data authority of the owners' region
    log_in(page, server, "hz_bigdata_approver")
    approve_in_inbox(page, server, POPULATION, "同意")
    approve_in_inbox(page, server, SOCIAL_INSURANCE, "同意")
    log_out(page)

    log_in(page, server, "xh_health_officer")
    page.goto(request_url)
    for name in (POPULATION, SOCIAL_INSURANCE):
        expect(page.locator("table tr").filter(has_text=name).first).to_contain_text("已同意")


def test_a_department_cannot_see_another_ones_inbox_items(page: Any, live_server: dict[str, Any]) -> None:
    log_in(page, live_server, "nb_emergency_steward")
    page.goto(live_server["url"] + "/inbox")
    expect(page.locator("article.inbox-item").filter(has_text=POPULATION)).to_have_count(0)
    page.goto(live_server["url"] + "/audit")
    expect(page.locator("body")).to_contain_text("403")
