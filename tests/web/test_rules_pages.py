"""The early-warning console pages and JSON API through HTTP: rules list and detail with a dry run, saving a new
version, running, the signal list with severity colours and evidence, and who may do what."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.core.warehouse import get_warehouse
from digigov.platform.rules import api as rules_api
from digigov.platform.rules.model import Signal
from digigov.web.pages import rules as rules_pages
from tests.web.conftest import Console

SQL = ("SELECT community, count(*) AS n, max(department_code) AS department_code FROM topic.web_complaints "
       "GROUP BY community HAVING count(*) >= 2 ORDER BY community")
RULE = {"code": "web.noise", "name": "噪音投诉多发", "kind": "sql", "severity": "red", "department": "column",
        "subject": "community", "title": "{community}：{n}起", "schedule": "0 3 * * *", "sql": SQL}


@pytest.fixture
def rules_app(app: FastAPI) -> FastAPI:
    """The app with the rules routes (registered here until web/app.py includes them)."""
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/rules" not in paths:
        app.include_router(rules_pages.router)
    if "/api/v1/rules" not in paths:
        app.include_router(rules_api.router)
    with get_warehouse().connect() as con:
        con.execute("CREATE TABLE topic.web_complaints (community VARCHAR, department_code VARCHAR)")
        con.execute("INSERT INTO topic.web_complaints VALUES ('翠苑一区', '330106-housing'), "
                    "('翠苑一区', '330106-housing'), ('文新社区', '330106-housing')")
    return app


@pytest.fixture
def api(rules_app: FastAPI, client: TestClient, bearer: Callable[[str], dict[str, str]]) -> Callable[..., object]:
    tokens: dict[str, dict[str, str]] = {}

    def call(user: str, method: str, path: str, **kw: object):
        if user not in tokens:
            tokens[user] = bearer(user)
        return client.request(method, "/api/v1" + path, headers=tokens[user], **kw)  # type: ignore[arg-type]

    return call


def text(spec: Mapping[str, object]) -> str:
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)


def test_api_save_dry_run_enable_run_and_signals(api: Callable[..., object], session: Session) -> None:
    r = api("admin", "POST", "/rules", json={"definition": text(RULE), "note": "首版"})
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["version"] == 1 and body["enabled"] is False and body["versions"][0]["note"] == "首版"
    dry = api("admin", "POST", "/rules/web.noise/dry-run").json()  # type: ignore[attr-defined]
    assert [s["subject_key"] for s in dry["signals"]] == ["翠苑一区"] and dry["signals"][0]["new"] is True
    assert api("admin", "POST", "/rules/web.noise/run").status_code == 409  # type: ignore[attr-defined]
    assert api("admin", "POST", "/rules/web.noise/enable").json()["enabled"] is True  # type: ignore[attr-defined]
    run = api("admin", "POST", "/rules/web.noise/run").json()  # type: ignore[attr-defined]
    assert (run["new_signals"], run["error"]) == (1, None)
    signals = api("xh_housing_officer", "GET", "/signals").json()  # type: ignore[attr-defined]
    assert [(s["severity"], s["title"], s["department"]) for s in signals] == [
        ("red", "翠苑一区：2起", "330106-housing")]
    one = api("xh_housing_officer", "GET", f"/signals/{signals[0]['id']}").json()  # type: ignore[attr-defined]
    assert one["evidence"][0]["community"] == "翠苑一区"
    assert api("hz_civil_officer", "GET", f"/signals/{signals[0]['id']}").status_code == 403  # type: ignore[attr-defined]
    assert api("admin", "GET", "/signals", params={"severity": "blue"}).json() == []  # type: ignore[attr-defined]
    detail = api("auditor", "GET", "/rules/web.noise").json()  # type: ignore[attr-defined]
    assert detail["runs"][0]["new_signals"] == 1 and detail["current"]["spec"]["sql"] == SQL


def test_api_refuses_bad_rules_with_409_and_officers_with_403(api: Callable[..., object]) -> None:
    bad = api("admin", "POST", "/rules", json={"definition": text({**RULE, "sql": "DROP TABLE topic.x"})})
    assert bad.status_code == 409 and "SELECT" in bad.json()["message"]  # type: ignore[attr-defined]
    assert api("admin", "POST", "/rules", json={"definition": "not: [a rule"}).status_code == 409  # type: ignore[attr-defined]
    assert api("hz_civil_officer", "POST", "/rules", json={"definition": text(RULE)}).status_code == 403  # type: ignore[attr-defined]
    assert api("admin", "GET", "/rules/nothing.here").status_code == 404  # type: ignore[attr-defined]
    dry = api("admin", "POST", "/rules/dry-run", json={"definition": text(RULE)})
    assert dry.status_code == 200 and dry.json()["row_count"] == 1  # type: ignore[attr-defined]


def test_console_list_dry_run_save_and_detail(rules_app: FastAPI, login: Callable[[str], Console],
                                              session: Session) -> None:
    admin = login("admin")
    page = admin.get("/rules")
    assert page.status_code == 200 and "预警规则" in page.text and 'href="/static/rules.css"' in page.text
    tried = admin.post_form("/rules", {"definition": text(RULE), "action": "dry_run"})
    assert tried.status_code == 200 and "试运行结果" in tried.text and "翠苑一区：2起" in tried.text
    assert session.scalar(select(func.count()).select_from(Signal)) == 0
    refused = admin.post_form("/rules", {"definition": text({**RULE, "sql": "DELETE FROM x"}), "action": "save"})
    assert refused.status_code == 422 and "SELECT" in refused.text
    saved = admin.post_form("/rules", {"definition": text(RULE), "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"] == "/rules/web.noise"
    admin.post_form("/rules/web.noise/enable")
    ran = admin.post_form("/rules/web.noise/run")
    assert ran.status_code == 303
    detail = admin.get("/rules/web.noise")
    assert "v1" in detail.text and "sev sev-red" in detail.text and "翠苑一区：2起" in detail.text
    edited = admin.post_form("/rules/web.noise", {"definition": text({**RULE, "severity": "blue"}), "action": "save"})
    assert edited.status_code == 303
    detail = admin.get("/rules/web.noise")
    assert "v2" in detail.text and "控制台编辑" in detail.text
    signals = admin.get("/signals")
    assert "sev sev-red" in signals.text and "翠苑一区" in signals.text and "2 行证据" not in signals.text
    assert "1 行证据" in signals.text


def test_console_officer_sees_but_cannot_edit(rules_app: FastAPI, login: Callable[[str], Console]) -> None:
    admin = login("admin")
    admin.post_form("/rules", {"definition": text(RULE), "action": "save"})
    officer = login("hz_civil_officer")
    page = officer.get("/rules/web.noise")
    assert page.status_code == 200 and 'name="definition"' not in page.text
    assert officer.post_form("/rules", {"definition": text(RULE), "action": "save"}).status_code == 403
    assert officer.post_form("/rules/web.noise/disable").status_code == 403
    assert officer.get("/signals").status_code == 200
