"""The three lists: entries, the links demand → scenario → reform, applications and achievements, the trace of an
application back to its demand and forward to its reform and achievements, counts, and the demo seed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core.errors import InvalidInput, PermissionDenied
from digigov.demo import lists_demo
from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog
from digigov.platform.lists import service as lists

OP = Actor.operator()


def _app(session: Session, name: str, system: str = "digital_government", owner: str = "330000-market_regulation"):
    return catalog.create_resource(session, OP, kind="application", name=name, owner_department=owner, system=system,
                                   description=name, functions=["监测", "预警"])


def _chain(session: Session, tag: str, system: str = "digital_government") -> dict[str, Any]:
    demand = lists.create_entry(session, OP, kind="demand", title=f"{tag}需求", system=system,
                                owner="330000-market_regulation")
    scenario = lists.create_entry(session, OP, kind="scenario", title=f"{tag}场景", system=system,
                                  owner="330000-market_regulation", status="in_progress")
    reform = lists.create_entry(session, OP, kind="reform", title=f"{tag}改革", system=system,
                                owner="330100-civil_affairs", due_on=dt.date(2022, 6, 30))
    lists.link(session, OP, demand.id, scenario.id)
    lists.link(session, OP, scenario.id, reform.id)
    return {"demand": demand, "scenario": scenario, "reform": reform}


def test_trace_from_application_to_demand_reform_and_achievements(session: Session) -> None:
    app = _app(session, "网络餐饮治理应用")
    other_app = _app(session, "无关应用")
    chain = _chain(session, "外卖")
    unrelated = _chain(session, "其他")
    # a second scenario answering the same demand is not the application's
    sibling = lists.create_entry(session, OP, kind="scenario", title="同需求的另一场景", system="digital_government",
                                 owner="330000-market_regulation")
    lists.link(session, OP, chain["demand"].id, sibling.id)
    lists.attach_application(session, OP, chain["scenario"].id, app.id)
    lists.attach_application(session, OP, unrelated["scenario"].id, other_app.id)
    lists.record_achievement(session, OP, kind="application", title=app.name, resource_id=app.id,
                             produced_by=[chain["scenario"].id])
    rule = lists.record_achievement(session, OP, kind="institution", category="地方标准", title="网络餐饮治理规范",
                                    reference="DB33/T 9999-2021", produced_by=[chain["reform"].id])
    lists.record_achievement(session, OP, kind="theory", title="无关定义集", produced_by=[unrelated["reform"].id])

    trace = lists.trace_application(session, OP, app.id)
    assert [e.id for e in trace.demands] == [chain["demand"].id]
    assert [e.id for e in trace.scenarios] == [chain["scenario"].id]
    assert [e.id for e in trace.reforms] == [chain["reform"].id]
    assert {a.title for a in trace.achievements} == {app.name, rule.title}
    assert [a.id for a in trace.applications] == [app.id]
    assert (chain["demand"].id, chain["scenario"].id) in trace.links

    _entry, around = lists.trace_entry(session, OP, chain["demand"].id)
    assert {e.id for e in around.scenarios} == {chain["scenario"].id, sibling.id}
    assert app.id in {a.id for a in around.applications}


def test_links_run_one_way_only(session: Session) -> None:
    chain = _chain(session, "方向")
    with pytest.raises(InvalidInput):
        lists.link(session, OP, chain["reform"].id, chain["demand"].id)
    with pytest.raises(InvalidInput):
        lists.link(session, OP, chain["demand"].id, chain["reform"].id)
    with pytest.raises(InvalidInput):
        lists.record_achievement(session, OP, kind="theory", title="x", produced_by=[chain["demand"].id])
    with pytest.raises(InvalidInput):
        lists.record_achievement(session, OP, kind="application", title="x", produced_by=[chain["scenario"].id])


def test_only_the_reform_office_manages_and_every_change_is_audited(session: Session, actor_of: Any) -> None:
    with pytest.raises(PermissionDenied):
        lists.create_entry(session, actor_of("hz_civil_officer"), kind="demand", title="t", system="rule_of_law",
                           owner="330100-civil_affairs")
    entry = lists.create_entry(session, OP, kind="demand", title="审计需求", system="rule_of_law",
                               owner="330100-civil_affairs")
    assert entry.region_code == "330100" and entry.code.startswith("XQ-330100-")
    assert session.scalars(select(AuditRecord).where(AuditRecord.action == "lists.entry.create",
                                                     AuditRecord.object_id == entry.code)).first() is not None
    assert lists.entries(session, actor_of("hz_civil_officer"), kind="demand")  # everyone reads


def test_counts_by_system_and_region(session: Session) -> None:
    before = lists.counts(session, OP)
    chain = _chain(session, "计数", system="rule_of_law")
    lists.record_achievement(session, OP, kind="institution", title="条例", produced_by=[chain["reform"].id])
    after = lists.counts(session, OP)
    for kind in ("demand", "scenario", "reform"):
        assert after.by_system["rule_of_law"][kind] == before.by_system["rule_of_law"][kind] + 1
    assert after.by_system["rule_of_law"]["achievement_institution"] == \
        before.by_system["rule_of_law"]["achievement_institution"] + 1
    assert after.by_region["330100"]["reform"] == before.by_region.get("330100", {}).get("reform", 0) + 1
    assert after.totals["demand"] == before.totals["demand"] + 1


def test_demo_seed_traces_the_press_release(session: Session) -> None:
    names = ("浙江公平在线", "浙江外卖在线", "七张问题清单", "基层公权力大数据监督", "浙里人才管家", "民呼我为",
             "危化品全链条安全风险智控", "社会治理风险闭环管控", "四省边际政务服务跨省通办", "全民安心医保城市")
    apps = {n: _app(session, n) for n in names}
    made = lists_demo.build(session, OP)
    assert made["demand"] == made["scenario"] == made["reform"] == 10
    assert lists_demo.build(session, OP) == {}  # idempotent
    trace = lists.trace_application(session, OP, apps["浙江公平在线"].id)
    assert [d.title for d in trace.demands] == ["平台经济垄断和不正当竞争行为发现难、取证难"]
    assert "浙江省数字经济促进条例" in {a.title for a in trace.achievements}
    regs = {a.title: a for a in lists.achievements(session, OP, kind="institution")}
    assert regs["数字化改革 术语定义"].reference == "DB33/T 2350-2021"
    assert regs["浙江省数字经济促进条例"].issued_on == dt.date(2021, 3, 1)
    assert len(lists.achievements(session, OP, kind="theory")) == 5
