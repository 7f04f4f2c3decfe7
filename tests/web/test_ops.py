"""/healthz, /readyz, /metrics and the self-hosted /docs."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import Console


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_store_and_migrations(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    assert body["store"] == "ok"
    assert body["revision"] == body["head"]


def test_metrics_count_requests_by_route_template(client: TestClient, login) -> None:  # type: ignore[no-untyped-def]
    admin: Console = login("admin")
    admin.get("/api/v1/users/does-not-matter")  # 405: still counted, under its template
    assert admin.get("/api/v1/departments?region_code=330100").status_code == 200
    text = client.get("/metrics").text
    assert 'digigov_http_requests_total{method="GET",route="/api/v1/departments",status="200"}' in text
    assert "digigov_http_request_duration_seconds_bucket" in text
    users = re.search(r"^digigov_users (\S+)$", text, re.M)
    assert users and float(users.group(1)) >= 15
    assert re.search(r"^digigov_catalog_resources \S+$", text, re.M)
    audit = re.search(r"^digigov_audit_records (\S+)$", text, re.M)
    assert audit and float(audit.group(1)) > 0


def test_docs_use_only_local_assets(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "http://" not in html and "https://" not in html
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in srcs
    assert "/static/vendor/swagger-ui/swagger-ui.css" in srcs
    assert all(s.startswith("/") for s in srcs)
    assert "<script>" not in html  # no inline initializer: the CSP forbids it
    assert client.get("/static/swagger-init.js").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_openapi_documents_the_json_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/regions",
        "/api/v1/departments",
        "/api/v1/users",
        "/api/v1/users/{username}",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/audit/records",
        "/api/v1/audit/verify",
    ):
        assert path in paths, path
    assert not any(p in paths for p in ("/login", "/", "/search", "/docs", "/metrics"))
    for path, ops in paths.items():
        if path.startswith(("/api/v1/me", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit")):
            for op in ops.values():
                assert {"401", "403", "422"} <= set(op["responses"]), (path, op["responses"].keys())


def test_readyz_is_unavailable_until_the_store_is_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from digigov.core.settings import Settings
    from digigov.web.app import create_app

    with TestClient(create_app(Settings(var_dir=tmp_path, secret_key="t"))) as c:
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["migrations"] == "behind" and r.json()["revision"] is None
        assert c.get("/healthz").status_code == 200


def test_one_json_access_log_line_per_request(client: TestClient, login, caplog) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    admin: Console = login("admin")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="digigov.access"):
        r = admin.get("/api/v1/me", headers={"X-Request-ID": "req-42"})
        client.get("/nowhere")
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "digigov.access"]
    assert len(lines) == 2
    me, missing = lines
    assert me["request_id"] == "req-42" == r.headers["x-request-id"]
    assert (me["method"], me["path"], me["status"], me["actor"]) == ("GET", "/api/v1/me", 200, "admin")
    assert me["ms"] >= 0 and me["route"] == "/api/v1/me"
    assert missing["status"] == 404 and missing["actor"] is None and missing["route"] == "<unmatched>"
