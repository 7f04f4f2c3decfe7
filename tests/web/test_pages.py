"""Every console page renders for the right role, in Chinese and English, and is refused to the wrong one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Console
from tests.web.test_security import assert_page_is_self_contained

# page -> (a role that may see it, a user who may not, or None when every logged-in user may)
PAGES: dict[str, tuple[str, str | None]] = {
    "/": ("hz_civil_officer", None),
    "/search?q=人口": ("hz_civil_officer", None),
    "/search?kind=dataset&tier=city": ("auditor", None),
    "/resources/{population}": ("xh_health_officer", None),
    "/cart": ("hz_civil_officer", None),
    "/requests": ("hz_civil_officer", None),
    "/requests/{request}": ("hz_civil_officer", "xh_health_officer"),
    "/inbox": ("hz_police_steward", None),
    "/duplicate-check": ("zj_market_officer", "auditor"),
    "/admin/users": ("admin", "hz_police_steward"),
    "/admin/departments": ("admin", "auditor"),
    "/audit": ("auditor", "admin"),
    "/profile/tokens": ("hz_civil_officer", None),
}
TITLES = {
    "zh": "浙江省一体化智能化公共数据平台",
    "en": "Zhejiang Integrated Intelligent Public Data Platform",
}


@pytest.fixture
def urls(login, catalogue) -> dict[str, str]:  # type: ignore[no-untyped-def]
    officer: Console = login("hz_civil_officer")
    officer.post_form(f"/cart/items/{catalogue['population'].code}")
    location = officer.post_form("/cart/submit", {"purpose": "核验"}).headers["location"]
    values = {"population": catalogue["population"].code, "request": location.rsplit("/", 1)[1]}
    return {page: page.format(**values) for page in PAGES}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_for_its_role(login, urls: dict[str, str], lang: str) -> None:  # type: ignore[no-untyped-def]
    for page, (allowed, _) in PAGES.items():
        c: Console = login(allowed)
        url = urls[page]
        r = c.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
        assert r.status_code == 200, (page, allowed, r.status_code)
        assert TITLES[lang] in r.text, page
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in r.text
        assert_page_is_self_contained(r.text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_are_refused_to_the_wrong_role(login, urls: dict[str, str], lang: str) -> None:  # type: ignore[no-untyped-def]
    for page, (_, denied) in PAGES.items():
        if denied is None:
            continue
        c: Console = login(denied)
        r = c.get(urls[page] + ("&" if "?" in urls[page] else "?") + f"lang={lang}")
        assert r.status_code == 403, (page, denied)
        assert ("您没有权限" if lang == "zh" else "You may not") in r.text


def test_pages_redirect_anonymous_visitors_to_login(client: TestClient, urls: dict[str, str]) -> None:
    for url in urls.values():
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303, url
        assert r.headers["location"].startswith("/login?next=%2F")


def test_language_cookie_applies_to_every_page(login, urls: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    r = c.get("/lang/en?next=/cart", follow_redirects=True)
    assert r.status_code == 200 and "Cart" in r.text and TITLES["en"] in r.text
    assert 'href="/lang/zh?next=%2Fcart"' in r.text
