"""Catalogue use cases: resources, dependencies, cart -> request -> reviews -> provisioning, audit."""

from __future__ import annotations

import pytest
from catalog_helpers import Catalogue, admin, build
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.audit.model import AuditRecord
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.platform.catalog import service as catalog


@pytest.fixture
def cat(session: Session, actor_of) -> Catalogue:  # type: ignore[no-untyped-def]
    return build(session, actor_of)


def _actions(session: Session, after: int) -> list[tuple[str, str, str]]:
    rows = session.execute(select(AuditRecord.action, AuditRecord.object_id, AuditRecord.purpose)
                           .where(AuditRecord.seq > after).order_by(AuditRecord.seq)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _last_seq(session: Session) -> int:
    return session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1)) or 0


# ---------------------------------------------------------------- resources


def test_create_resource_fills_code_owner_region_and_defaults(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    steward = actor_of("hz_police_steward")
    before = _last_seq(session)
    ds = catalog.create_resource(session, steward, kind="dataset", name="机动车登记信息",
                                 owner_department="330100-public_security", tags=["车辆"])
    cmp_ = catalog.create_resource(session, steward, kind="component", name="车牌识别",
                                   owner_department="330100-public_security")
    assert ds.code.startswith("DAT-330100-") and cmp_.code.startswith("CMP-330100-")
    assert ds.region_code == "330100" and ds.tier == "city" and ds.owner.name == "杭州市公安局"
    assert ds.requires_authority is True and cmp_.requires_authority is False
    assert "机动车" in ds.search_text.split() and "公安局" in ds.search_text.split()
    assert [a for a, *_ in _actions(session, before)] == ["catalog.resource.create"] * 2
    nxt = catalog.create_resource(session, steward, kind="dataset", name="驾驶人信息",
                                  owner_department="330100-public_security")
    assert int(nxt.code[-4:]) == int(ds.code[-4:]) + 1


def test_only_the_owner_steward_or_admin_manages(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        catalog.create_resource(session, actor_of("hz_civil_steward"), kind="dataset", name="x",
                                owner_department="330100-public_security")
    with pytest.raises(PermissionDenied):
        catalog.create_resource(session, actor_of("hz_police_approver"), kind="dataset", name="x",
                                owner_department="330100-public_security")
    with pytest.raises(InvalidInput):
        catalog.create_resource(session, admin(actor_of), kind="spaceship", name="x",
                                owner_department="330100-public_security")
    with pytest.raises(InvalidInput):
        catalog.create_resource(session, admin(actor_of), kind="dataset", name="  ",
                                owner_department="330100-public_security")
    with pytest.raises(NotFound):
        catalog.create_resource(session, admin(actor_of), kind="dataset", name="x",
                                owner_department="nowhere")


def test_duplicate_code_conflicts(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    a = admin(actor_of)
    catalog.create_resource(session, a, kind="dataset", name="x", owner_department="330100-public_security",
                            code="DAT-TEST-1")
    with pytest.raises(Conflict):
        catalog.create_resource(session, a, kind="dataset", name="y",
                                owner_department="330100-public_security", code="DAT-TEST-1")


def test_update_resource_keeps_search_text_in_step(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    steward = actor_of("hz_police_steward")
    catalog.update_resource(session, steward, cat.population.code, description="包含流动人口居住登记。",
                            status="building")
    assert "流动人口" in cat.population.search_text.split() and cat.population.status == "building"
    hits = catalog.search(session, steward, "流动人口").hits
    assert [h.resource.code for h in hits] == [cat.population.code]
    with pytest.raises(InvalidInput):
        catalog.update_resource(session, steward, cat.population.code, code="HACK")
    with pytest.raises(PermissionDenied):
        catalog.update_resource(session, actor_of("hz_civil_steward"), cat.population.code, name="x")


def test_get_resource_by_code_or_id(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    officer = actor_of("xh_health_officer")
    assert catalog.get_resource(session, officer, cat.ocr.code) is cat.ocr
    assert catalog.get_resource(session, officer, cat.ocr.id) is cat.ocr
    assert catalog.get_resource(session, officer, str(cat.ocr.id)) is cat.ocr
    with pytest.raises(NotFound):
        catalog.get_resource(session, officer, "APP-000000-9999")


def test_dependencies_and_reuse_count(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    a = admin(actor_of)
    app = catalog.create_resource(session, a, kind="application", name="流动人口服务",
                                  owner_department="330100-public_security",
                                  depends_on=[cat.population.code, cat.ocr.id])
    assert {r.code for r in catalog.dependencies(session, app)} == {cat.population.code, cat.ocr.code}
    assert [r.code for r in catalog.dependents(session, cat.ocr)] == [app.code]
    assert cat.ocr.reuse_count == 1 and cat.population.reuse_count == 1
    catalog.add_dependency(session, a, app.code, cat.ocr.code)  # idempotent
    assert cat.ocr.reuse_count == 1
    catalog.add_dependency(session, a, cat.population.code, cat.ocr.code)
    assert cat.ocr.reuse_count == 2
    with pytest.raises(InvalidInput):  # a component cannot use an application
        catalog.add_dependency(session, a, cat.ocr.code, app.code)
    with pytest.raises(InvalidInput):
        catalog.add_dependency(session, a, app.code, app.code)
    with pytest.raises(PermissionDenied):
        catalog.add_dependency(session, actor_of("hz_civil_steward"), app.code, cat.licence.code)


def test_shelf_counts(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    counts = catalog.shelf_counts(session, actor_of("hz_civil_officer"))
    assert counts == {"application": 4, "dataset": 4, "component": 1, "cloud_resource": 0}


# ---------------------------------------------------------------- cart and requests


def _submit(session: Session, actor_of, *resources) -> tuple:  # type: ignore[no-untyped-def]
    officer = actor_of("hz_civil_officer")
    for r in resources:
        catalog.cart_add(session, officer, r.code)
    request = catalog.submit_cart(session, officer, purpose="低保资格核查", legal_basis="社会救助暂行办法")
    return officer, request


def test_cart_is_idempotent_and_kept_until_submitted(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    officer = actor_of("hz_civil_officer")
    first = catalog.cart_add(session, officer, cat.population.code)
    assert catalog.cart_add(session, officer, cat.population.id).id == first.id
    catalog.cart_add(session, officer, cat.ocr.code)
    codes = [i.resource.code for i in catalog.cart_items(session, officer)]
    assert codes == [cat.population.code, cat.ocr.code]
    catalog.cart_remove(session, officer, cat.ocr.code)
    assert [i.resource.code for i in catalog.cart_items(session, officer)] == [cat.population.code]
    with pytest.raises(NotFound):
        catalog.cart_remove(session, officer, cat.ocr.code)
    with pytest.raises(PermissionDenied):  # an auditor does not shop
        catalog.cart_add(session, actor_of("auditor"), cat.ocr.code)


def test_submit_needs_a_purpose_and_a_cart(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    officer = actor_of("hz_civil_officer")
    with pytest.raises(Conflict):  # an empty cart is a state, not bad input
        catalog.submit_cart(session, officer, purpose="核查")
    catalog.cart_add(session, officer, cat.ocr.code)
    with pytest.raises(InvalidInput):
        catalog.submit_cart(session, officer, purpose="   ")


def test_retired_resources_cannot_be_requested(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    catalog.update_resource(session, admin(actor_of), cat.ocr.code, status="retired")
    with pytest.raises(Conflict):
        catalog.cart_add(session, actor_of("hz_civil_officer"), cat.ocr.code)


def test_full_route_owner_then_authority_then_provisioned(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    start = _last_seq(session)
    officer, req = _submit(session, actor_of, cat.population)
    assert catalog.cart_items(session, officer) == []
    (item,) = req.items
    assert item.state == "owner_review" and item.needs_authority and item.region_code == "330100"
    assert [r.id for r in catalog.my_requests(session, officer)] == [req.id]

    owner = actor_of("hz_police_approver")
    assert [i.id for i in catalog.inbox(session, owner)] == [item.id]
    assert catalog.get_request(session, owner, req.id) is req
    catalog.decide(session, owner, item.id, approve=True, comment="同意")
    assert item.state == "authority_review" and item.owner_reviewer == "hz_police_approver"
    assert catalog.inbox(session, owner) == []

    authority = actor_of("hz_bigdata_approver")
    assert [i.id for i in catalog.inbox(session, authority)] == [item.id]
    catalog.decide(session, authority, item.id, approve=True)
    assert item.state == "granted" and item.authority_reviewer == "hz_bigdata_approver"
    with pytest.raises(Conflict):
        catalog.decide(session, authority, item.id, approve=True)

    assert [i.id for i in catalog.provisionable(session, owner)] == [item.id]
    assert catalog.provisionable(session, authority) == []
    catalog.provision(session, owner, item.id, note="接口已开通")
    assert catalog.provisionable(session, owner) == []
    assert item.state == "provisioned" and item.provisioned_at is not None
    session.refresh(cat.population)
    assert cat.population.reuse_count == 1
    with pytest.raises(Conflict):
        catalog.provision(session, owner, item.id)

    actions = _actions(session, start)
    assert [a for a, *_ in actions] == [
        "catalog.cart.add", "catalog.request.submit", "catalog.item.decide", "catalog.item.decide",
        "catalog.item.provision",
    ]
    assert all(p == "低保资格核查" for a, _, p in actions if a != "catalog.cart.add")
    assert audit.verify(session, actor_of("auditor")).ok


def test_refusal_needs_a_reason(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    _, req = _submit(session, actor_of, cat.population)
    (item,) = req.items
    owner = actor_of("hz_police_approver")
    with pytest.raises(InvalidInput):
        catalog.decide(session, owner, item.id, approve=False, comment=" ")
    catalog.decide(session, owner, item.id, approve=False, comment="用途与所申请字段不符")
    assert item.state == "denied" and item.owner_comment == "用途与所申请字段不符"
    with pytest.raises(Conflict):
        catalog.provision(session, owner, item.id)


def test_item_without_authority_goes_straight_to_granted(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    _, req = _submit(session, actor_of, cat.ocr, cat.social_insurance)
    by_code = {i.resource.code: i for i in req.items}
    ocr_item, social_item = by_code[cat.ocr.code], by_code[cat.social_insurance.code]
    assert social_item.owner.name == "杭州市人力资源和社会保障局"  # each item routes to its own owner
    catalog.decide(session, actor_of("hz_police_approver"), ocr_item.id, approve=True)
    assert ocr_item.state == "granted"
    assert [i.id for i in catalog.inbox(session, actor_of("hz_hrss_steward"))] == [social_item.id]


def test_reviewer_of_another_department_is_refused(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    _, req = _submit(session, actor_of, cat.population)
    (item,) = req.items
    other = actor_of("hz_civil_steward")  # approver, but of 民政局
    assert catalog.inbox(session, other) == []
    with pytest.raises(PermissionDenied):
        catalog.decide(session, other, item.id, approve=True)
    with pytest.raises(PermissionDenied):  # the authority cannot skip the owner's review
        catalog.decide(session, actor_of("hz_bigdata_approver"), item.id, approve=True)
    with pytest.raises(PermissionDenied):
        catalog.get_request(session, actor_of("nb_emergency_steward"), req.id)
    with pytest.raises(NotFound):
        catalog.decide(session, other, 10**9, approve=True)


def test_data_authority_reviews_only_its_region(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    _, req = _submit(session, actor_of, cat.population)
    (item,) = req.items
    catalog.decide(session, actor_of("hz_police_approver"), item.id, approve=True)
    jinhua = actor_of("jh_bigdata_approver")  # 金华市数据资源管理局: not Hangzhou's authority
    assert catalog.inbox(session, jinhua) == []
    with pytest.raises(PermissionDenied):
        catalog.decide(session, jinhua, item.id, approve=True)
    province = actor_of("zj_bigdata_approver")  # the province covers Hangzhou
    assert [i.id for i in catalog.inbox(session, province)] == [item.id]
    assert catalog.get_request(session, province, req.id) is req
    catalog.decide(session, province, item.id, approve=False, comment="超出最小必要范围")
    assert item.state == "denied" and item.authority_comment == "超出最小必要范围"


def test_audit_is_written_in_the_same_transaction(session: Session, actor_of, cat: Catalogue) -> None:  # type: ignore[no-untyped-def]
    _, req = _submit(session, actor_of, cat.population)
    (item,) = req.items
    before = _last_seq(session)
    savepoint = session.begin_nested()
    catalog.decide(session, actor_of("hz_police_approver"), item.id, approve=True)
    assert [a for a, *_ in _actions(session, before)] == ["catalog.item.decide"]
    savepoint.rollback()
    assert _actions(session, before) == []
    session.refresh(item)
    assert item.state == "owner_review"
