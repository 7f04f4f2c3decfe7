"""Duplicate-construction check (应用查重) on known pairs, through the service and the pure algorithm."""

from __future__ import annotations

import pytest
from catalog_helpers import Catalogue, build
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core.errors import InvalidInput, PermissionDenied
from digigov.platform.catalog import duplicate as dup
from digigov.platform.catalog import service as catalog

# Restates 企业开办一网通办's six functions in other words and another order.
RESTATED = ["在线办理企业设立登记", "自动发放电子营业执照", "网上预约刻制公章", "推送银行开户信息",
            "申领税务发票和税控设备", "同步办理社保公积金登记"]
# Two of six functions are 民呼我为's; the rest are new.
THIRD = ["群众诉求统一受理登记", "诉求工单自动分拨", "网格员巡查轨迹管理", "城市部件普查", "垃圾分类积分",
         "停车泊位共享"]
UNRELATED = ["渔船北斗定位监控", "出海报备在线审批", "船员证书核验", "台风预警信息推送"]


@pytest.fixture
def cat(session: Session, actor_of) -> Catalogue:  # type: ignore[no-untyped-def]
    return build(session, actor_of)


def test_restated_functions_are_rejected(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    check = catalog.check_duplicates(session, actor_of("zj_market_officer"), name="企业开办便捷通",
                                      description="企业开办服务", functions=RESTATED, budget_wan=300)
    assert check.verdict == "reject" and check.score == 1.0
    best = check.matches[0]
    assert best["code"] == cat.apps["one_stop_business"].code and best["owner"] == "浙江省市场监督管理局"
    assert best["coverage"] == 1.0 and 0 < best["score"] <= 1
    pairs = {o["proposed"]: (o["existing"], o["similarity"]) for o in best["overlaps"]}
    assert pairs["自动发放电子营业执照"][0] == "电子营业执照自动发放"
    assert all(0.55 <= sim <= 1 for _, sim in pairs.values()) and len(pairs) == 6
    assert catalog.suggested_budget_cut(check) is None


def test_a_third_shared_cuts_the_budget(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    check = catalog.check_duplicates(session, actor_of("zj_market_officer"), name="基层治理综合平台",
                                      functions=THIRD, proposer_department="330100-civil_affairs",
                                      budget_wan=600)
    assert check.verdict == "reduce_budget"
    assert check.score == pytest.approx(2 / 6, abs=1e-3)
    assert [m["code"] for m in check.matches] == [cat.apps["appeals"].code]
    overlaps = {o["proposed"] for o in check.matches[0]["overlaps"]}
    assert overlaps == {"群众诉求统一受理登记", "诉求工单自动分拨"}
    assert catalog.suggested_budget_cut(check) == pytest.approx(200, abs=0.5)
    assert check.proposer_department_id is not None


def test_unrelated_proposal_passes(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    check = catalog.check_duplicates(session, actor_of("zj_market_officer"), name="渔船安全监管",
                                      functions=UNRELATED)
    assert check.verdict == "pass" and check.score == 0.0 and check.matches == []


def test_checks_are_saved_audited_and_listed(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    me = actor_of("zj_market_officer")
    first = catalog.check_duplicates(session, me, name="渔船安全监管", functions=UNRELATED)
    second = catalog.check_duplicates(session, me, name="企业开办便捷通", functions=RESTATED)
    dry = catalog.check_duplicates(session, me, name="试算", functions=RESTATED, save=False)
    assert dry.id is None and dry.verdict == "reject"
    assert [c.id for c in catalog.list_duplicate_checks(session, me)] == [second.id, first.id]
    audited = session.scalars(select(AuditRecord.object_id)
                              .where(AuditRecord.action == "catalog.duplicate_check")
                              .order_by(AuditRecord.seq)).all()
    assert audited[-2:] == [str(first.id), str(second.id)]


def test_description_stands_in_for_missing_functions(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    check = catalog.check_duplicates(session, actor_of("zj_market_officer"), name="养老服务",
                                     description="养老机构信息查询；居家养老服务预约。养老补贴在线申请",
                                     functions=[])
    assert check.functions == ["养老机构信息查询", "居家养老服务预约", "养老补贴在线申请"]
    assert check.verdict == "reject" and check.matches[0]["code"] == cat.apps["elderly"].code
    with pytest.raises(InvalidInput):
        catalog.check_duplicates(session, actor_of("zj_market_officer"), name="空", functions=[])


def test_only_staff_run_checks(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        catalog.check_duplicates(session, actor_of("auditor"), name="x", functions=UNRELATED)


def test_algorithm_lists_overlaps_with_scores() -> None:
    apps = [dup.ExistingApp("A", "河长制", "省水利厅", "河湖管理", ("河道巡查记录上报", "水质监测数据采集",
                                                                   "问题整改闭环督办")),
            dup.ExistingApp("B", "浙里养", "省民政厅", "", ("养老补贴在线申请",))]
    out = dup.check("智慧河湖", "河湖管理平台", ["上报河道巡查记录", "采集水质监测数据", "养老补贴在线申请",
                                         "无人机航拍"], apps, dup.Thresholds())
    assert out.verdict == "reduce_budget"  # best app covers 2/4 < 0.6; any app covers 3/4
    assert out.best_coverage == 0.5 and out.score == 0.75
    assert [m.code for m in out.matches] == ["A", "B"]
    assert out.matches[0].text_similarity > out.matches[1].text_similarity
    assert out.suggested_cut(100) == 75.0
    assert dup.check("x", "", [], apps, dup.Thresholds()).verdict == "pass"
