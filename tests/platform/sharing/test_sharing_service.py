"""Sharing use cases on both stores: request, review (approve, narrow, refuse, the authority for L3), grant,
read, revoke, expiry, row filters, masking, L4, verification, usage and the audit of every step."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sharing_helpers import AUTHORITY, CONSUMER, STEWARD, grant_for, in_days, people
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.platform.sharing import service as sharing
from digigov.platform.standards import masking


def _audits(session: Session, action: str) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq)))


def test_request_approve_read_revoke_then_refused(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    officer = actor_of(CONSUMER)
    req = sharing.submit_request(session, officer, dataset="hz_people", purpose="养老补贴资格核对",
                                 legal_basis="《浙江省公共数据条例》第二十三条", fields=["region_code", "age", "phone"],
                                 channel="api", expires=in_days(30))
    assert req.state == "owner_review" and not req.needs_authority
    assert sharing.inbox(session, actor_of(STEWARD)) == [req]
    assert sharing.inbox(session, officer) == []
    with pytest.raises(PermissionDenied):
        sharing.read(session, officer, "hz_people")  # nothing granted yet
    with pytest.raises(PermissionDenied):
        sharing.decide(session, officer, req.id, approve=True)  # not the owner's steward
    sharing.decide(session, actor_of(STEWARD), req.id, approve=True, comment="同意")
    assert req.state == "granted"
    page = sharing.read(session, officer, "hz_people", limit=10)
    assert page.fields == ["phone", "region_code", "age"]
    assert page.masked == ["phone"]
    assert [r["phone"] for r in page.records][:2] == ["138****5678", "139****1111"]
    assert len(page.records) == 5 and set(page.records[0]) == {"_id", "phone", "region_code", "age"}
    grant = sharing.grant_of(session, req)
    assert grant is not None
    with pytest.raises(PermissionDenied):
        sharing.revoke(session, officer, grant.id, reason="x")  # the consumer cannot revoke
    with pytest.raises(InvalidInput):
        sharing.revoke(session, actor_of(STEWARD), grant.id, reason=" ")
    sharing.revoke(session, actor_of(STEWARD), grant.id, reason="用途已完成")
    with pytest.raises(PermissionDenied) as refused:
        sharing.read(session, officer, "hz_people")
    assert refused.value.key == "sharing_no_grant"
    with pytest.raises(Conflict):
        sharing.revoke(session, actor_of(STEWARD), grant.id, reason="again")
    actions = [a.action for a in session.scalars(select(AuditRecord).where(AuditRecord.action.startswith("sharing.")))]
    assert actions == ["sharing.request.submit", "sharing.request.decide", "sharing.grant.create", "sharing.read",
                       "sharing.grant.revoke"]


def test_expired_grant_is_refused(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    grant_for(session, actor_of, "hz_people", ["region_code"], expires=in_days(2))
    officer = actor_of(CONSUMER)
    assert sharing.read(session, officer, "hz_people").records
    later = utcnow() + timedelta(days=3)
    with pytest.raises(PermissionDenied):
        sharing.read(session, officer, "hz_people", now=later)
    assert sharing.active_grant(session, officer.department_id, "hz_people", now=later) is None
    with pytest.raises(InvalidInput):  # an expiry in the past is refused at submission
        sharing.submit_request(session, officer, dataset="hz_people", purpose="p", fields=["age"],
                               expires=in_days(-1))


def test_row_filter_serves_only_matching_rows(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    grant_for(session, actor_of, "hz_people", ["region_code", "age"],
              row_filter=[{"column": "region_code", "op": "prefix", "value": "330106"},
                          {"column": "age", "op": ">=", "value": 30}])
    page = sharing.read(session, actor_of(CONSUMER), "hz_people")
    assert [(r["region_code"], r["age"]) for r in page.records] == [("330106", 36), ("330106", 66)]
    with pytest.raises(InvalidInput):
        sharing.submit_request(session, actor_of(CONSUMER), dataset="hz_people", purpose="p", fields=["age"],
                               row_filter=[{"column": "nope", "op": "=", "value": "1"}], expires=in_days(3))
    with pytest.raises(InvalidInput):
        sharing.submit_request(session, actor_of(CONSUMER), dataset="hz_people", purpose="p", fields=["age"],
                               row_filter=[{"column": "age", "op": "LIKE", "value": "1"}], expires=in_days(3))


def test_masked_unless_granted_unmasked(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    grant_for(session, actor_of, "hz_people", ["name", "phone", "address"], unmasked=["phone"])
    page = sharing.read(session, actor_of(CONSUMER), "hz_people")
    assert page.masked == ["name", "address"]
    first = page.records[0]
    assert first["phone"] == "13812345678"  # asked for and agreed: in clear
    assert first["name"] == masking.mask("surname_only", "欧阳娜娜") == "欧阳**"
    assert first["address"] == "浙江省杭州市西湖区"


def test_l4_is_refused_at_request_and_only_verified(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    officer = actor_of(CONSUMER)
    with pytest.raises(InvalidInput) as refused:
        sharing.submit_request(session, officer, dataset="hz_people", purpose="p", fields=["id_number", "age"],
                               channel="batch", expires=in_days(3))
    assert refused.value.key == "sharing_l4_bulk" and "id_number" in refused.value.message
    grant_for(session, actor_of, "hz_people", ["id_number", "name"], channel="verify")
    with pytest.raises(PermissionDenied):
        sharing.read(session, officer, "hz_people")  # a verify grant serves no rows
    assert sharing.verify(session, officer, "hz_people", {"id_number": "330102198505052345", "name": "张伟"})
    assert not sharing.verify(session, officer, "hz_people", {"id_number": "330102198505052345", "name": "李娜"})
    with pytest.raises(InvalidInput):
        sharing.verify(session, officer, "hz_people", {"id_number": "330102198505052345"})  # every granted field
    records = _audits(session, "sharing.verify")
    assert [json.loads(r.detail)["match"] for r in records] == [True, False]
    assert all("330102198505052345" not in r.detail and "张伟" not in r.detail for r in records)


def test_l3_needs_the_data_authority(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    req = sharing.submit_request(session, actor_of(CONSUMER), dataset="hz_people", purpose="p",
                                 fields=["name", "age"], expires=in_days(10))
    assert req.needs_authority
    sharing.decide(session, actor_of(STEWARD), req.id, approve=True)
    assert req.state == "authority_review"
    assert sharing.inbox(session, actor_of(STEWARD)) == []
    assert sharing.inbox(session, actor_of(AUTHORITY)) == [req]
    assert sharing.inbox(session, actor_of("jh_bigdata_approver")) == []  # 金华's authority has no say
    with pytest.raises(PermissionDenied):
        sharing.decide(session, actor_of("jh_bigdata_approver"), req.id, approve=True)
    with pytest.raises(PermissionDenied):
        sharing.read(session, actor_of(CONSUMER), "hz_people")
    with pytest.raises(InvalidInput):
        sharing.decide(session, actor_of(AUTHORITY), req.id, approve=False)  # a refusal needs a reason
    sharing.decide(session, actor_of(AUTHORITY), req.id, approve=False, comment="用途不足以支持获取姓名")
    assert req.state == "refused" and sharing.grant_of(session, req) is None


def test_narrowing_removing_the_l3_field_skips_the_authority(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    req = sharing.submit_request(session, actor_of(CONSUMER), dataset="hz_people", purpose="p",
                                 fields=["name", "phone", "age", "region_code"], unmasked=["phone"],
                                 expires=in_days(60), quota_rows_per_day=1000, rate_per_minute=60)
    steward = actor_of(STEWARD)
    with pytest.raises(InvalidInput):
        sharing.decide(session, steward, req.id, approve=True, fields=["age", "address"])  # not requested
    with pytest.raises(InvalidInput):
        sharing.decide(session, steward, req.id, approve=True, quota_rows_per_day=5000)  # a higher quota
    with pytest.raises(InvalidInput):
        sharing.decide(session, steward, req.id, approve=True, expires=in_days(90))  # a later expiry
    sharing.decide(session, steward, req.id, approve=True, fields=["phone", "age", "region_code"], unmasked=[],
                   extra_filter=[{"column": "region_code", "op": "=", "value": "330106"}], expires=in_days(20),
                   quota_rows_per_day=100, rate_per_minute=10)
    assert req.state == "granted"  # no L3 field left: no authority review
    grant = sharing.grant_of(session, req)
    assert grant is not None
    assert grant.fields == ["phone", "age", "region_code"] and grant.unmasked == []
    assert grant.quota_rows_per_day == 100 and grant.rate_per_minute == 10
    page = sharing.read(session, actor_of(CONSUMER), "hz_people")
    assert {r["region_code"] for r in page.records} == {"330106"} and len(page.records) == 3
    assert all("*" in r["phone"] for r in page.records)
    decided = _audits(session, "sharing.request.decide")[-1]
    narrowed = json.loads(decided.detail)["narrowed"]
    assert set(narrowed) == {"fields", "unmasked", "row_filter", "expires_at", "quota_rows_per_day", "rate_per_minute"}


def test_every_read_is_audited_and_counted(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    grant = grant_for(session, actor_of, "hz_people", ["age", "phone"])
    officer = actor_of(CONSUMER)
    first = sharing.read(session, officer, "hz_people", limit=2)
    sharing.read(session, officer, "hz_people", limit=2, cursor=first.next_cursor)
    reads = _audits(session, "sharing.read")
    assert len(reads) == 2
    detail = json.loads(reads[0].detail)
    assert detail["grant"] == grant.id and detail["rows"] == 2 and detail["fields"] == ["phone", "age"]
    assert reads[0].purpose == "测试用途" and reads[0].actor == CONSUMER
    mine = sharing.usage(session, officer, scope="consumer")
    assert [(u.dataset, u.calls, u.rows) for u in mine] == [("hz_people", 2, 4)]
    assert [(u.consumer, u.calls) for u in sharing.usage(session, actor_of(STEWARD), scope="owner")] == \
        [("330100-civil_affairs", 2)]
    assert sharing.usage(session, actor_of(AUTHORITY), scope="all")[0].rows == 4
    assert sharing.usage(session, actor_of("jh_bigdata_approver"), scope="all") == []  # outside its region
    with pytest.raises(PermissionDenied):
        sharing.usage(session, officer, scope="all")


def test_quota_and_rate(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    officer = actor_of(CONSUMER)
    grant_for(session, actor_of, "hz_people", ["age"], quota=3)
    page = sharing.read(session, officer, "hz_people", limit=2)
    assert len(page.records) == 2 and page.quota_remaining == 1
    assert len(sharing.read(session, officer, "hz_people", limit=10, cursor=page.next_cursor).records) == 1
    with pytest.raises(sharing.RateLimited) as limited:
        sharing.read(session, officer, "hz_people")
    assert 0 < limited.value.retry_after <= 86400
    people(session, "hz_people_2")
    grant_for(session, actor_of, "hz_people_2", ["age"], rate=2)
    sharing.read(session, officer, "hz_people_2")
    sharing.read(session, officer, "hz_people_2")
    with pytest.raises(sharing.RateLimited) as limited:
        sharing.read(session, officer, "hz_people_2")
    assert limited.value.retry_after >= 1


def test_apply_grant_matches_the_serving_sql(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    from sharing_helpers import PEOPLE_COLS, PEOPLE_ROWS

    people(session)
    grant = grant_for(session, actor_of, "hz_people", ["name", "phone", "age"], unmasked=["phone"],
                      row_filter=[{"column": "region_code", "op": "in", "value": ["330106", "330108"]}])
    rows = [dict(zip([c.name for c in PEOPLE_COLS], r, strict=True)) for r in PEOPLE_ROWS]
    served = [{k: v for k, v in r.items() if k != "_id"} for r in sharing.read(session, actor_of(CONSUMER),
                                                                               "hz_people").records]
    assert sharing.apply_grant(grant, rows) == served
    assert len(served) == 4


def test_bad_requests_are_refused_clearly(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    officer = actor_of(CONSUMER)
    with pytest.raises(InvalidInput) as e:
        sharing.submit_request(session, officer, dataset="hz_people", purpose="p", fields=["nope"],
                               expires=in_days(3))
    assert e.value.key == "sharing_unknown_field"
    with pytest.raises(InvalidInput):
        sharing.submit_request(session, officer, dataset="hz_people", purpose=" ", fields=["age"], expires=in_days(3))
    with pytest.raises(InvalidInput):
        sharing.submit_request(session, officer, dataset="hz_people", purpose="p", fields=["age"],
                               unmasked=["phone"], expires=in_days(3))
    with pytest.raises(InvalidInput):  # its own department's data
        sharing.submit_request(session, actor_of(STEWARD), dataset="hz_people", purpose="p", fields=["age"],
                               expires=in_days(3))
    with pytest.raises(PermissionDenied):  # the authority's approver is no requester
        sharing.submit_request(session, actor_of(AUTHORITY), dataset="hz_people", purpose="p", fields=["age"],
                               expires=in_days(3))
