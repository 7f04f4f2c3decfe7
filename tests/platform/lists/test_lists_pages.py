"""The lists pages render for any signed-in user: counts by system and region, the trace of an application."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from tests.conftest import make_app
from tests.web.conftest import login_client

from digigov.demo import lists_demo
from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog


def test_lists_pages(session: Session, connection: Any, tmp_path: Any, people: Any) -> None:
    op = Actor.operator()
    app = catalog.create_resource(session, op, kind="application", name="浙江外卖在线", system="digital_government",
                                  owner_department="330000-market_regulation", functions=["商户核验"])
    lists_demo.build(session, op)
    session.flush()
    client = login_client(make_app(connection, tmp_path), "hz_civil_officer", people["hz_civil_officer"].password)
    index = client.get("/lists")
    assert index.status_code == 200 and 'data-system="digital_government"' in index.text
    assert "网络餐饮治理一件事" in index.text
    assert client.get(f"/lists/trace?app={app.id}", follow_redirects=False).headers["location"] == \
        f"/lists/applications/{app.id}"
    trace = client.get(f"/lists/applications/{app.id}")
    assert trace.status_code == 200
    assert "网络餐饮食品安全和骑手权益保障监管链条断裂" in trace.text and "网络餐饮全链条协同治理机制" in trace.text
    assert "群众和企业全生命周期“一件事”工作指南" in trace.text
    achievements = client.get("/lists/achievements?kind=institution")
    assert achievements.status_code == 200 and "DB33/T 2351-2021" in achievements.text
    assert client.get("/lists/applications/999999").status_code == 404
