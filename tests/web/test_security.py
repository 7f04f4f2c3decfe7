"""Security headers and CSP on every response, CSRF on cookie sessions, no third-party or inline script."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from tests.web.conftest import Console

PAGES_FOR_ADMIN = [
    "/",
    "/search?q=数据",
    "/cart",
    "/requests",
    "/inbox",
    "/duplicate-check",
    "/admin/users",
    "/admin/departments",
    "/profile/tokens",
    "/login",
    "/docs",
    "/no-such-page",
]


def _check_headers(r) -> None:  # type: ignore[no-untyped-def]
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-request-id"]


def test_security_headers_on_pages_api_static_and_errors(client: TestClient, login) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    for url in [*PAGES_FOR_ADMIN, "/api/v1/me", "/static/app.css", "/healthz", "/metrics", "/openapi.json"]:
        _check_headers(admin.get(url))
    _check_headers(client.get("/api/v1/me"))  # 401
    _check_headers(client.get("/", follow_redirects=False))  # 303


def test_request_id_is_echoed_when_sane(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert (
        client.get("/healthz", headers={"X-Request-ID": "bad id;<x>"}).headers["x-request-id"] != "bad id;<x>"
    )


SCRIPT_OR_STYLE = re.compile(r"<(script|link)\b[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def assert_page_is_self_contained(html: str) -> None:
    """No third-party script or style, no inline script, no on* attributes, no inline style."""
    for match in SCRIPT_OR_STYLE.finditer(html):
        tag = match.group(0)
        url = re.search(r'(?:src|href)="([^"]*)"', tag)
        if url:
            assert not url.group(1).startswith(("http://", "https://", "//")), tag
        if tag.lower().startswith("<script"):
            assert url, f"inline script: {tag}"
    assert not re.search(r"https?://[^\"'\s]+\.(js|css)\b", html)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)
    assert "<style" not in html.lower()
    assert not re.search(r'\sstyle="', html)


def test_pages_reference_no_external_or_inline_script(login, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    for url in PAGES_FOR_ADMIN:
        for lang in ("zh", "en"):
            r = admin.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            assert_page_is_self_contained(r.text)
    auditor: Console = login("auditor")
    assert_page_is_self_contained(auditor.get("/audit").text)
    assert_page_is_self_contained(client.get("/login").text)


def test_htmx_is_version_2_and_configured_without_inline_styles(login) -> None:  # type: ignore[no-untyped-def]
    html = login("admin").get("/").text
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>' in html
    assert "/static/vendor/htmx.min.js" in html


def test_csrf_is_required_on_cookie_session_posts(login, session: Session) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    r = admin.post("/api/v1/tokens", json={"name": "x"})
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden"
    r = admin.post("/profile/tokens", data={"name": "x"}, follow_redirects=False)
    assert r.status_code == 403
    r = admin.post("/profile/tokens", data={"name": "x", "csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403
    refusal = session.scalars(select(AuditRecord).where(AuditRecord.action == "csrf")).all()
    assert len(refusal) >= 3 and all(rec.result == "denied" for rec in refusal)
    # with the token, by form field or header, it works
    assert admin.post_form("/profile/tokens", {"name": "ok"}).status_code == 200
    r = admin.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 201


def test_bearer_calls_need_no_csrf(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    headers = bearer("admin")
    r = client.post("/api/v1/tokens", json={"name": "from-api"}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["token"].startswith("dg_")


def test_session_cookie_is_httponly_and_lax(client: TestClient) -> None:
    r = client.get("/login")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_errors_are_json_for_api_and_html_for_pages(login) -> None:  # type: ignore[no-untyped-def]
    c: Console = login("hz_civil_officer")
    r = c.get("/api/v1/users")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = c.get("/admin/users")
    assert r.status_code == 403 and "text/html" in r.headers["content-type"] and "403" in r.text
    r = c.get("/admin/users", headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = c.get("/no-such-page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert c.get("/api/v1/nothing").json()["error"] == "http_404"
