"""Logging in and out: success, failure, throttling, CSRF on the form, session rotation, safe `next`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.demo.people import DemoUser
from tests.web.conftest import csrf_of


def _login(client: TestClient, username: str, password: str, next_: str = "/") -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_},
        follow_redirects=False,
    )


def test_pages_redirect_anonymous_users_to_login(client: TestClient) -> None:
    r = client.get("/admin/users?q=x", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fadmin%2Fusers%3Fq%3Dx"


def test_api_answers_anonymous_users_with_json_401(client: TestClient) -> None:
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"


def test_login_success_rotates_the_session_and_follows_a_local_next(
    client: TestClient, people: dict[str, DemoUser]
) -> None:
    before = csrf_of(client.get("/login").text)
    r = _login(client, "hz_civil_officer", people["hz_civil_officer"].password, "/profile/tokens")
    assert r.status_code == 303
    assert r.headers["location"] == "/profile/tokens"
    page = client.get("/profile/tokens")
    assert page.status_code == 200
    assert "杭州市民政局" in page.text
    assert csrf_of(page.text) != before
    assert client.get("/api/v1/me").json()["username"] == "hz_civil_officer"


def test_login_ignores_a_next_that_leaves_the_site(client: TestClient, people: dict[str, DemoUser]) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client.cookies.clear()
        r = _login(client, "admin", people["admin"].password, target)
        assert r.status_code == 303
        assert r.headers["location"] == "/", target


def test_login_failure_is_shown_and_audited(client: TestClient, session: Session) -> None:
    r = _login(client, "admin", "wrong password!")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert client.get("/api/v1/me").status_code == 401
    rec = session.scalars(
        select(AuditRecord).where(AuditRecord.action == "auth.login").order_by(AuditRecord.seq.desc())
    ).first()
    assert rec is not None and rec.result == "failed" and rec.actor == "admin"


def test_login_is_throttled_after_repeated_failures(client: TestClient, people: dict[str, DemoUser]) -> None:
    for _ in range(5):
        assert _login(client, "hz_police_steward", "not the password").status_code == 401
    r = _login(client, "hz_police_steward", people["hz_police_steward"].password)
    assert r.status_code == 429
    assert "登录失败次数过多" in r.text
    # English as well
    token = csrf_of(client.get("/login?lang=en").text)
    r = client.post(
        "/login?lang=en", data={"username": "hz_police_steward", "password": "x", "csrf_token": token}
    )
    assert r.status_code == 429 and "Too many failed attempts" in r.text


def test_login_form_needs_its_csrf_token(client: TestClient, people: dict[str, DemoUser]) -> None:
    client.get("/login")
    r = client.post(
        "/login", data={"username": "admin", "password": people["admin"].password}, follow_redirects=False
    )
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session(login) -> None:  # type: ignore[no-untyped-def]
    c = login("admin")
    assert c.get("/api/v1/me").status_code == 200
    r = c.post_form("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/v1/me").status_code == 401
    assert "您已安全退出" in c.get("/login").text


def test_disabled_user_cannot_log_in(app: FastAPI, client: TestClient, login, people) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    assert admin.post_form("/admin/users/xh_health_officer", {"active": "false"}).status_code == 303
    assert _login(client, "xh_health_officer", people["xh_health_officer"].password).status_code == 401


def test_language_switch_sets_a_cookie_and_redirects_locally(client: TestClient) -> None:
    r = client.get("/lang/en?next=/login", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.cookies.get("lang") == "en"
    assert "Log in" in client.get("/login").text
    r = client.get("/lang/zh?next=https://evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/"
    assert "登录" in client.get("/login").text
