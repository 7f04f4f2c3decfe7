"""The pages on both backends: the cockpit (zh, en, JSON, a county), the task lists with their filters, a red wage
task with its evidence and the payslip upload through the form (which closes it), the grid worker's report through
the form, the safety codes with the veto enterprise's indicator lines, the library; the nav link and who sees what."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.social_risk_closed_loop.conftest import World
from tests.apps.social_risk_closed_loop.test_srcl_loop import wage_task
from tests.conftest import make_app
from tests.web.conftest import Console, login_client

from digigov.apps.rule_of_law.social_risk_closed_loop import library, service
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclTask
from digigov.core.warehouse import Warehouse
from digigov.demo.people import DemoUser
from digigov.platform.cases.model import Case


@pytest.fixture
def app(world: World, srcl: Session, warehouse: Warehouse, tmp_path: Path) -> FastAPI:
    """The web app on the package's connection and warehouse."""
    return make_app(world.connection, tmp_path, warehouse_path=str(warehouse.path))


@pytest.fixture
def login(app: FastAPI, people: dict[str, DemoUser]) -> Callable[[str], Console]:
    return lambda username: login_client(app, username, people[username].password)


def test_cockpit_zh_en_json_and_a_county(world: World, login: Callable[[str], Console]) -> None:
    boss = login("huz_centre_supervisor")
    page = boss.get("/srcl")
    assert page.status_code == 200
    assert "湖州社会治理风险闭环管控" in page.text and 'id="srcl-map"' in page.text and 'href="/srcl"' in page.text
    assert "风险闭环率" in page.text and "企业安全码分布" in page.text and "/srcl/static/srcl.js" in page.text
    data = boss.get("/srcl?format=json").json()
    assert data["kpis"]["raised"] == len(world.swept.opened) and data["kpis"]["rate"] == 0.0
    assert {c["code"] for c in data["counties"]} == {"330502", "330503", "330521", "330522", "330523"}
    assert len(data["towns"]) == 72 and sum(t["raised"] for t in data["towns"]) == data["kpis"]["raised"]
    assert data["trend"]["periods"] == world.made.periods
    assert sum(data["trend"]["raised"]) == data["kpis"]["raised"]
    assert data["safety"]["total"]["red"] >= 2 and data["safety"]["vetoed"] >= 1
    assert all(x["severity"] in ("red", "orange") for x in data["tasks"]) and data["tasks"]
    county = boss.get("/srcl?county=330502&format=json").json()
    assert {t["county"] for t in county["towns"]} == {"330502"} and county["kpis"]["raised"] < data["kpis"]["raised"]
    en = boss.get("/srcl?lang=en")
    assert "Huzhou social-governance risk control" in en.text and "Closure rate" in en.text
    assert boss.get("/srcl/static/srcl.js").status_code == 200 and boss.get("/srcl/static/x.py").status_code == 404
    other = login("hz_civil_officer")  # staff of another city see the cockpit, but none of Huzhou's tasks
    assert other.get("/srcl").status_code == 200
    assert other.get("/srcl/tasks?format=json").json()["total"] == 0


def test_task_lists_filter(world: World, login: Callable[[str], Console]) -> None:
    boss = login("huz_centre_supervisor")
    everything = boss.get("/srcl/tasks?format=json").json()
    assert everything["total"] == len(world.swept.opened)
    red = boss.get("/srcl/tasks?format=json&severity=red").json()
    assert red["total"] >= 1 and {t["severity"] for t in red["tasks"]} == {"red"}
    wage = boss.get(f"/srcl/tasks?format=json&indicator={service.WAGE}&county=330502").json()
    assert {t["county_code"] for t in wage["tasks"]} == {"330502"} and wage["total"] >= 3
    page = boss.get("/srcl/tasks?county=330502&status=open")
    assert page.status_code == 200 and 'id="srcl-tasks"' in page.text and "织里镇" in page.text
    assert boss.get("/srcl/tasks?county=999999").status_code == 422


def test_red_wage_task_evidence_and_the_payslip_form(world: World, srcl: Session,
                                                     login: Callable[[str], Console]) -> None:
    task = wage_task(srcl, world, "unpaid")
    boss = login("huz_centre_supervisor")
    page = boss.get(f"/srcl/tasks/{task.id}")
    assert page.status_code == 200 and "预警证据" in page.text and "无代发流水" in page.text and "未发放" in page.text
    assert 'id="payslip-form"' not in page.text  # the centre does not upload the town's voucher
    detail = boss.get(f"/srcl/tasks/{task.id}?format=json").json()
    assert detail["severity"] == "red" and detail["evidence"][0]["发放情况"] == "未发放"
    official = login("huz_town_official")
    page = official.get(f"/srcl/tasks/{task.id}")
    assert 'id="payslip-form"' in page.text and "936000.00" in page.text
    short = official.post(f"/srcl/tasks/{task.id}/payslip", data={
        "csrf_token": official.csrf, "note": "经核实，总包单位资金未到位", "amount": "1000", "paid_on": "2025-06-25"},
        files={"voucher": ("工资表.pdf", b"%PDF signed", "application/pdf")}, follow_redirects=False)
    assert short.status_code == 303
    assert "不足应补发的 936000.00 元" in official.get(f"/srcl/tasks/{task.id}").text
    ok = official.post(f"/srcl/tasks/{task.id}/payslip", data={
        "csrf_token": official.csrf, "note": "经核实，总包单位资金未到位，已补发", "amount": "936,000.00",
        "paid_on": "2025-06-25", "workers": "120"},
        files={"voucher": ("工资表.pdf", b"%PDF signed", "application/pdf")}, follow_redirects=False)
    assert ok.status_code == 303
    page = official.get(f"/srcl/tasks/{task.id}")
    assert 'id="srcl-stage">已销号' in page.text and "工资表.pdf" in page.text
    link = re.search(r'href="(/srcl/tasks/\d+/attachments/\d+)"', page.text)
    assert link is not None and official.get(link.group(1)).content == b"%PDF signed"
    assert login("hz_civil_officer").get(f"/srcl/tasks/{task.id}").status_code == 403


def test_grid_report_form(world: World, srcl: Session, login: Callable[[str], Console]) -> None:
    grid = login("huz_grid_worker")
    form = grid.get("/srcl/report")
    assert form.status_code == 200 and "织里镇第1网格" in form.text
    cell = re.search(r'<option value="(\d{12})">', form.text)
    assert cell is not None
    r = grid.post("/srcl/report", data={"csrf_token": grid.csrf, "grid": cell.group(1), "domain": "fire_safety",
                                        "severity": "orange", "description": "出租房楼梯口堆放电动车和杂物",
                                        "location": "大河路东侧3幢", "photo_names": "楼道.jpg，电动车.jpg",
                                        "lon": "120.262", "lat": "30.832"},
                  files={"photos": ("现场.jpg", b"\xff\xd8 jpeg", "image/jpeg")}, follow_redirects=False)
    assert r.status_code == 303 and re.match(r"/srcl/tasks/\d+$", r.headers["location"])
    task = srcl.scalar(select(SrclTask).where(SrclTask.source == "report").order_by(SrclTask.id.desc()))
    assert task is not None and task.domain == "fire_safety" and task.severity == "orange"
    page = grid.get(r.headers["location"])
    assert "出租房楼梯口堆放电动车和杂物" in page.text and "楼道.jpg、电动车.jpg、现场.jpg" in page.text
    case = srcl.get(Case, task.case_id)
    assert case is not None and case.lon == pytest.approx(120.262)
    assert login("huz_centre_supervisor").get("/srcl/report").status_code == 403  # an approver reports nothing


def test_safety_and_library_pages(world: World, login: Callable[[str], Console]) -> None:
    boss = login("huz_centre_supervisor")
    page = boss.get("/srcl/safety")
    assert page.status_code == 200 and "加密检查计划" in page.text and "一票否决企业" in page.text
    data = boss.get("/srcl/safety?format=json&colour=red").json()
    veto = world.truth["safety"]["veto"]["uscc"]
    assert veto in {c["uscc"] for c in data["codes"]} and {c["colour"] for c in data["codes"]} == {"red"}
    ent = boss.get(f"/srcl/safety/{veto}")
    assert ent.status_code == 200 and 'id="srcl-vetoes">V01' in ent.text and "srcl-hit" in ent.text
    assert boss.get(f"/srcl/safety/{veto}?format=json").json()["score"] == 110.0
    lib = boss.get("/srcl/library")
    assert lib.status_code == 200 and all(i.name in lib.text for i in library.indicators().values())
    assert len(boss.get("/srcl/library?format=json").json()["indicators"]) == len(library.indicators())
