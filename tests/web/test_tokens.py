"""API tokens: create (shown once) -> use -> revoke -> 401, through the page and the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import Console


def test_token_page_create_use_revoke(client: TestClient, login) -> None:  # type: ignore[no-untyped-def]
    me: Console = login("hz_civil_officer")
    r = me.post_form("/profile/tokens", {"name": "脚本", "expires_days": "30"})
    assert r.status_code == 200
    secret = re.search(r'<code id="new-token">(dg_[^<]+)</code>', r.text).group(1)  # type: ignore[union-attr]
    listing = me.get("/profile/tokens").text
    assert "脚本" in listing and secret not in listing  # shown once
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "hz_civil_officer"
    token_id = next(
        t["id"] for t in client.get("/api/v1/tokens", headers=headers).json() if t["name"] == "脚本"
    )
    assert me.post_form(f"/profile/tokens/{token_id}/revoke").status_code == 303
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"
    assert "已吊销" in me.get("/profile/tokens").text


def test_token_api_create_use_revoke(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    first = bearer("zj_market_officer")
    r = client.post("/api/v1/tokens", headers=first, json={"name": "ci", "expires_days": 7})
    assert r.status_code == 201
    made = r.json()
    assert made["active"] and made["expires_at"] and made["token"].startswith(made["prefix"])
    second = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/me", headers=second).status_code == 200
    r = client.delete(f"/api/v1/tokens/{made['id']}", headers=first)
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=second).status_code == 401
    assert client.delete("/api/v1/tokens/999999", headers=first).status_code == 404


def test_tokens_reject_booleans_and_bad_bounds(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer("zj_market_officer")
    assert client.post("/api/v1/tokens", headers=h, json={"expires_days": True}).status_code == 422
    assert client.post("/api/v1/tokens", headers=h, json={"expires_days": 0}).status_code == 422
    assert client.post("/api/v1/tokens", headers=h, json={"name": ""}).status_code == 422
    assert client.post("/api/v1/tokens", headers=h, json={"name": "x" * 65}).status_code == 422
    assert client.delete("/api/v1/tokens/99999999999999999999", headers=h).status_code == 422
    r = client.post(
        "/api/v1/tokens",
        headers=h,
        content=b"{not json",
    )
    assert r.status_code in (400, 422)


def test_cannot_revoke_another_users_token(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    mine = client.post("/api/v1/tokens", headers=bearer("hz_civil_officer"), json={"name": "a"}).json()
    r = client.delete(f"/api/v1/tokens/{mine['id']}", headers=bearer("xh_health_officer"))
    assert r.status_code == 403
