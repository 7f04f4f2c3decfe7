"""The IRS pages end to end: search, detail, cart (htmx), submit, approvals, provisioning, duplicate check."""

from __future__ import annotations

import re

from tests.web.conftest import Console


def test_home_shows_the_four_shelves_with_counts(login, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    html = c.get("/").text
    for label in ("应用", "数据", "组件", "云资源"):
        assert label in html
    assert "浙里养" in html and "常住人口基本信息" in html
    assert re.search(r'href="/search\?kind=dataset">\s*1 项', html)
    en = c.get("/?lang=en").text
    assert "Applications" in en and "Cloud resources" in en and 'lang="en"' in en


def test_search_highlights_and_facets(login, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    r = c.get("/search?q=人口")
    assert r.status_code == 200
    assert "<mark>人口</mark>" in r.text
    assert "/resources/" + catalogue["population"].code in r.text
    assert 'href="/search?q=%E4%BA%BA%E5%8F%A3&amp;kind=dataset"' in r.text  # facet link keeps the query
    r = c.get("/search?q=人口&kind=application")
    assert catalogue["population"].code not in r.text
    assert c.get("/search?kind=nonsense").status_code == 422
    r = c.get("/search?q=<script>alert(1)</script>")
    assert r.status_code == 200 and "<script>alert(1)" not in r.text


def test_resource_detail_shows_metadata_and_dependencies_both_ways(login, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    pop = catalogue["population"]
    html = c.get(f"/resources/{pop.code}").text
    assert "常住人口基本信息" in html and "杭州市公安局" in html and "户籍" in html and "daily" in html
    assert "浙里养" in html  # used by
    app_html = c.get(f"/resources/{catalogue['app'].code}").text
    assert "身份证识别组件" in app_html and "养老补贴在线申请" in app_html
    assert "加入购物车" in app_html
    assert c.get("/resources/NOPE-1").status_code == 404
    assert "Add to cart" in c.get(f"/resources/{pop.code}?lang=en").text


def test_cart_request_and_review_flow(login, catalogue) -> None:  # type: ignore[no-untyped-def]
    officer: Console = login("hz_civil_officer")
    pop, ocr = catalogue["population"], catalogue["ocr"]
    # htmx add: the button becomes "in cart" and the top bar's count is swapped out of band
    r = officer.post(f"/cart/items/{pop.code}", headers={"HX-Request": "true", "X-CSRF-Token": officer.csrf})
    assert r.status_code == 200
    assert (
        "已在购物车" in r.text and 'hx-swap-oob="true"' in r.text and '<span class="badge">1</span>' in r.text
    )
    # a plain form post works as well (no JavaScript)
    assert officer.post_form(f"/cart/items/{ocr.code}").status_code == 303
    cart = officer.get("/cart").text
    assert "杭州市公安局（2 项）" in cart
    # the purpose is required; then it submits once
    assert (
        "purpose" in officer.get(officer.post_form("/cart/submit", {"purpose": " "}).headers["location"]).text
    )
    r = officer.post_form(
        "/cart/submit", {"purpose": "养老补贴资格核验", "legal_basis": "《浙江省公共数据条例》"}
    )
    assert r.status_code == 303
    request_url = r.headers["location"]
    assert re.fullmatch(r"/requests/\d+", request_url)
    detail = officer.get(request_url).text
    assert "养老补贴资格核验" in detail and "待数源部门审核" in detail
    assert officer.post_form("/cart/submit", {"purpose": "again"}).headers["location"] == "/cart"

    # the owner department's steward reviews: a refusal needs a comment
    steward: Console = login("hz_police_steward")
    inbox = steward.get("/inbox").text
    assert "常住人口基本信息" in inbox and "养老补贴资格核验" in inbox
    items = re.findall(r"/inbox/(\d+)/decide", inbox)
    assert len(items) == 2
    pop_item, ocr_item = sorted(items, key=int)
    # someone outside the owner department cannot decide
    other: Console = login("xh_health_officer")
    assert other.post_form(f"/inbox/{ocr_item}/decide", {"decision": "approve"}).status_code == 403
    assert (
        "inbox.empty" not in other.get("/inbox").text and "没有等待您审批的事项" in other.get("/inbox").text
    )
    r = steward.post_form(f"/inbox/{ocr_item}/decide", {"decision": "refuse"})
    assert "拒绝时请填写理由" in steward.get(r.headers["location"]).text  # the service's error, in Chinese
    steward.post_form(f"/inbox/{ocr_item}/decide", {"decision": "refuse", "comment": "组件仅限本单位使用"})
    steward.post_form(f"/inbox/{pop_item}/decide", {"decision": "approve", "comment": "同意"})
    # the data authority (杭州市数据资源管理局) reviews the dataset next
    authority: Console = login("hz_bigdata_approver")
    assert "常住人口基本信息" in authority.get("/inbox").text
    assert authority.post_form(f"/inbox/{pop_item}/decide", {"decision": "approve"}).status_code == 303
    # the owner marks it provisioned
    to_provision = steward.get("/inbox").text
    assert f"/inbox/{pop_item}/provision" in to_provision
    assert steward.post_form(f"/inbox/{pop_item}/provision", {"note": "接口已开通"}).status_code == 303
    mine = officer.get("/requests").text
    assert "已开通" in mine and "已拒绝" in mine and "组件仅限本单位使用" in mine and "接口已开通" in mine
    en = officer.get("/requests?lang=en").text
    assert "Provisioned" in en and "Denied" in en
    # someone else cannot see the request; a decided item cannot be decided again
    assert other.get(request_url).status_code == 403
    r = steward.post_form(f"/inbox/{ocr_item}/decide", {"decision": "approve"})
    assert "该事项已处理（当前状态：已拒绝）" in steward.get(r.headers["location"]).text


def test_duplicate_check_shows_verdict_matches_and_history(login, catalogue) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    r = c.post_form(
        "/duplicate-check",
        {
            "name": "养老服务平台",
            "description": "为老年人提供养老服务",
            "functions": "养老机构信息查询\n居家养老服务预约\n养老补贴在线申请",
            "budget": "200",
        },
    )
    assert r.status_code == 200
    assert re.search(r'class="verdict verdict-(reject|reduce_budget|pass)"', r.text)
    assert "浙里养" in r.text and "养老机构信息查询" in r.text
    page = c.get("/duplicate-check").text
    assert "养老服务平台" in page  # in the history
    assert c.post_form("/duplicate-check", {"name": "x", "functions": "", "budget": "abc"}).status_code == 422
    assert login("auditor").get("/duplicate-check").status_code == 403
