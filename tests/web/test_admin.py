"""Platform administration through the pages and the JSON API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Console, login_client


def test_admin_creates_a_user_who_can_then_log_in(app, login) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "新建用户" in page.text
    options = admin.get("/admin/department-options?region_code=330100")
    assert options.status_code == 200 and "杭州市公安局" in options.text
    dept_id = admin.get("/api/v1/departments?region_code=330100&kind=public_security").json()["items"][0][
        "id"
    ]
    r = admin.post_form(
        "/admin/users",
        {
            "username": "hz_new_officer",
            "display_name": "新同事",
            "password": "a-long-password",
            "department": dept_id,
            "roles": ["officer", "approver"],
        },
    )
    assert r.status_code == 303
    listing = admin.get(r.headers["location"])
    assert "hz_new_officer" in listing.text and "新同事" in listing.text and "已创建" in listing.text
    newcomer = login_client(app, "hz_new_officer", "a-long-password")
    me = newcomer.get("/api/v1/me").json()
    assert me["roles"] == ["approver", "officer"]
    assert me["department"]["code"] == "330100-public_security"


def test_bad_user_input_is_reported_on_the_page(login) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    r = admin.post_form(
        "/admin/users", {"username": "shortpw", "password": "short", "department": 1, "roles": ["officer"]}
    )
    assert r.status_code == 303
    assert "密码至少需要 10 个字符" in admin.get("/admin/users").text
    r = admin.post_form(
        "/admin/users",
        {"username": "admin", "password": "a-long-password", "department": 1, "roles": ["officer"]},
    )
    assert "用户 admin 已存在" in admin.get(r.headers["location"]).text


def test_admin_resets_a_password_and_disables_a_user(app, login, people) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    assert (
        admin.post_form("/admin/users/hz_civil_officer", {"password": "brand-new-password"}).status_code
        == 303
    )
    login_client(app, "hz_civil_officer", "brand-new-password")
    assert admin.post_form("/admin/users/hz_civil_officer", {"active": "false"}).status_code == 303
    user = admin.get("/api/v1/users?q=hz_civil_officer").json()["items"][0]
    assert user["active"] is False


def test_admin_pages_are_refused_to_other_roles(login) -> None:  # type: ignore[no-untyped-def]
    officer: Console = login("hz_civil_officer")
    for url in ("/admin/users", "/admin/departments", "/admin/department-options"):
        assert officer.get(url).status_code == 403, url
    assert (
        officer.post_form(
            "/admin/users",
            {"username": "x", "password": "a-long-password", "department": 1, "roles": ["officer"]},
        ).status_code
        == 403
    )
    assert officer.post_form("/admin/departments/1", {"active": "false"}).status_code == 403


def test_departments_page_filters_and_toggles(login) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    r = admin.get("/admin/departments?region_code=330100&kind=public_security")
    assert r.status_code == 200 and "杭州市公安局" in r.text and "宁波" not in r.text.split("<tbody>")[1]
    en = admin.get("/admin/departments?region_code=330100&lang=en")
    assert en.status_code == 200 and "Departments" in en.text
    dept = admin.get("/api/v1/departments?region_code=330100&kind=public_security").json()["items"][0]
    r = admin.post_form(
        f"/admin/departments/{dept['id']}",
        {"active": "false", "back": "/admin/departments?region_code=330100"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/departments?region_code=330100"
    again = admin.get("/api/v1/departments?region_code=330100&kind=public_security").json()["items"][0]
    assert again["active"] is False


def test_users_api(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("admin")
    r = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "api_user",
            "display_name": "接口用户",
            "password": "a-long-password",
            "department": "330000-big_data",
            "roles": ["officer"],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["department"]["code"] == "330000-big_data"
    assert (
        client.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "api_user",
                "password": "a-long-password",
                "department": "330000-big_data",
                "roles": ["officer"],
            },
        ).status_code
        == 409
    )
    r = client.patch("/api/v1/users/api_user", headers=admin, json={"roles": ["auditor"], "active": False})
    assert r.status_code == 200 and r.json()["roles"] == ["auditor"] and r.json()["active"] is False
    assert client.patch("/api/v1/users/nobody", headers=admin, json={"active": True}).status_code == 404
    assert (
        client.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "x",
                "password": "a-long-password",
                "department": "330000-big_data",
                "roles": ["king"],
            },
        ).status_code
        == 422
    )
    page = client.get("/api/v1/users?limit=5&offset=0", headers=admin).json()
    assert page["total"] >= 16 and len(page["items"]) == 5
    assert client.get("/api/v1/users", headers=bearer("auditor")).status_code == 403


def test_regions_departments_and_me(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer("xh_health_officer")
    me = client.get("/api/v1/me", headers=h).json()
    assert me["username"] == "xh_health_officer" and me["via"] == "api"
    assert me["department"]["region_code"] == "330106"
    cities = client.get("/api/v1/regions?level=city", headers=h).json()
    assert len(cities) == 11 and {c["code"] for c in cities} >= {"330100", "330200"}
    deps = client.get("/api/v1/departments?region_code=330106&q=卫生", headers=h).json()
    assert deps["total"] == 1
    assert client.get("/api/v1/departments?limit=0", headers=h).status_code == 422
    assert client.get("/api/v1/departments?limit=true", headers=h).status_code == 422
