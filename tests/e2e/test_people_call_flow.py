"""In real Chromium, the closed loop of 民呼我为: a citizen files a ticket on the public form (no login)
and keeps the tracking page; the ticket is classified, located and dispatched to 西湖区综合行政执法局;
that department's officer finds it in the inbox, signs for it and answers; the citizen rates the answer
不满意 on the tracking page and the ticket reopens, back in the officer's inbox."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.test_cart_flow import log_in

TEXT = ("西湖区文三路电子市场旁边的工地，每天晚上十一点以后还在施工打桩，噪音太大吵得睡不着，"
        "家里老人小孩都受不了，希望有关部门管一管。")


def test_citizen_files_officer_answers_unsatisfied_reopens(live_server: dict[str, Any], browser: Any) -> None:
    base = live_server["url"]
    citizen = browser.new_context(locale="zh-CN")
    page = citizen.new_page()
    page.goto(f"{base}/people-call/new")
    page.fill("textarea[name=text]", TEXT)
    page.fill("input[name=address]", "杭州市西湖区文三路")
    page.select_option("select[name=category]", "noise_construction")
    page.fill("input[name=phone]", "13857100001")
    page.click("#people-call-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/track/[A-Za-z0-9_-]+$"), timeout=60_000)
    track_url = page.url
    number = page.locator(".mono").first.inner_text()
    expect(page.locator("main")).to_contain_text("待签收")
    expect(page.locator("main")).to_contain_text("西湖区综合行政执法局")

    officer = browser.new_context(locale="zh-CN")
    staff = officer.new_page()
    log_in(staff, live_server, "xh_urban_officer")
    staff.goto(f"{base}/cases/inbox")
    staff.click(f"text={number}")
    expect(staff.locator("h1")).to_contain_text("施工")
    staff.fill("#respond-form textarea[name=response]", "已到现场核实，责令工地22时后停止高噪声作业，并安排夜间巡查。")
    staff.click("#respond-form button[type=submit]")
    expect(staff.locator(".case-head")).to_contain_text("待评价")

    page.goto(track_url)
    expect(page.locator(".reply")).to_contain_text("责令工地")
    page.check("input[name=rating][value=unsatisfied]")
    page.fill("textarea[name=comment]", "晚上还是在施工")
    page.click("#rating-form button[type=submit]")
    expect(page.locator("main")).to_contain_text("不满意重办")

    staff.goto(f"{base}/cases/inbox")
    expect(staff.locator("table.cases")).to_contain_text(number)
    staff.click(f"text={number}")
    expect(staff.locator(".case-head")).to_contain_text("不满意重办")
    expect(staff.locator(".timeline")).to_contain_text("晚上还是在施工")
    citizen.close()
    officer.close()
