"""The pages of 跨省通办 on a demo store: the list in both directions, an application with its timeline, the
window form for an item, the statistics (also as JSON) and the catalogue, in Chinese and in English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.apps.cross_province_services.conftest import install_plugin
from tests.web.conftest import Console, login_client

from digigov.apps.digital_government.cross_province_services import demo
from digigov.apps.digital_government.cross_province_services.model import XpsApplication
from digigov.core.settings import Settings
from digigov.demo.people import DemoUser
from digigov.identity.actor import Actor
from digigov.web.app import create_app


@pytest.fixture
def app(connection: object, tmp_path: Path) -> FastAPI:
    install_plugin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                           expire_on_commit=False)
    return create_app(Settings(var_dir=tmp_path, secret_key="test", xps_city="330800"), session_factory=factory)


@pytest.fixture
def login(app: FastAPI, people: dict[str, DemoUser]) -> Callable[[str], Console]:
    return lambda username: login_client(app, username, people[username].password)


def test_the_demo_and_the_pages(app: FastAPI, session: Session, login: Callable[[str], Console]) -> None:
    figures = demo.build(session, Actor.operator(), seed=7)
    assert figures["cross_province_applications"] == 8
    session.commit()
    incoming = session.scalars(select(XpsApplication).where(XpsApplication.direction == "in")).all()
    assert len(incoming) == 3 and all(a.case_id and a.status == "accepted" for a in incoming)

    c = login("admin")
    page = c.get("/xps")
    assert page.status_code == 200 and "跨省通办" in page.text and incoming[0].ref in page.text
    assert c.get("/xps?direction=out&format=json").json()["total"] == 5
    detail = c.get(f"/xps/{incoming[0].id}")
    assert detail.status_code == 200 and "办理轨迹" in detail.text and "作出决定" in detail.text
    assert "********" in detail.text  # the ID number is masked on the page
    form = c.get("/xps/new?item=XPS-GJ-003")
    assert form.status_code == 200 and "异地转移接续申请表" in form.text and 'value="350700"' in form.text
    assert 'value="330800"' not in form.text  # not to this instance's own city
    stats = c.get("/xps/stats?format=json").json()
    assert stats["overall"]["total"] == 8 and stats["by_direction"]["out"]["done"] == 2
    assert "按时办结率" in c.get("/xps/stats").text
    english = c.get("/xps/items?lang=en")
    assert english.status_code == 200 and "Housing Provident Fund Centre" in english.text
    bad = c.post_form("/xps/new", {"item": "XPS-GJ-003", "target": "350700", "applicant_name": "张三",
                                   "id_number": "110105194912310021"})
    assert bad.status_code == 422 and "公民身份号码无效" in bad.text
