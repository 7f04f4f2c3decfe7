"""The sharing JSON API end to end with bearer tokens: request, narrow, approve, read, 429 with Retry-After,
exports, verification, revoke; every read audited."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sharing_helpers import AUTHORITY, CONSUMER, STEWARD, grant_for, in_days, people
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord


def _reads(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRecord)
                              .where(AuditRecord.action == "sharing.read")) or 0)


def test_request_narrow_approve_read_revoke(client: TestClient, session: Session, bearer) -> None:  # type: ignore[no-untyped-def]
    people(session)
    session.commit()
    officer, steward, authority = bearer(CONSUMER), bearer(STEWARD), bearer(AUTHORITY)
    r = client.post("/api/v1/sharing/requests", headers=officer, json={
        "dataset": "hz_people", "purpose": "低保资格核对", "legal_basis": "《社会救助暂行办法》",
        "fields": ["name", "phone", "region_code", "age"], "unmasked": ["phone"],
        "row_filter": [{"column": "region_code", "op": "prefix", "value": "3301"}],
        "channel": "api", "expires": in_days(30).isoformat(), "quota_rows_per_day": 100})
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["state"] == "owner_review" and req["needs_authority"]
    assert client.get("/api/v1/shared/hz_people", headers=officer).status_code == 403
    inbox = client.get("/api/v1/sharing/inbox", headers=steward).json()
    assert [i["id"] for i in inbox] == [req["id"]]
    # the steward narrows: no name (so no authority review), phone masked, Xihu only
    r = client.post(f"/api/v1/sharing/requests/{req['id']}/decision", headers=steward, json={
        "approve": True, "comment": "同意，仅限西湖区", "fields": ["phone", "region_code", "age"], "unmasked": [],
        "extra_filter": [{"column": "region_code", "op": "=", "value": "330106"}]})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "granted" and r.json()["grant_id"]
    assert client.get("/api/v1/sharing/inbox", headers=authority).json() == []
    before = _reads(session)
    page = client.get("/api/v1/shared/hz_people", headers=officer)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["fields"] == ["phone", "region_code", "age"] and body["masked"] == ["phone"]
    assert [rec["region_code"] for rec in body["records"]] == ["330106"] * 3
    assert body["records"][0]["phone"] == "138****5678" and body["quota_remaining"] == 97
    assert _reads(session) == before + 1
    grants = client.get("/api/v1/sharing/grants", headers=officer).json()
    assert len(grants) == 1 and grants[0]["active"]
    usage = client.get("/api/v1/sharing/usage", params={"scope": "owner"}, headers=steward).json()
    assert usage[0]["rows"] == 3 and usage[0]["calls"] == 1
    assert client.get("/api/v1/sharing/usage", params={"scope": "all"}, headers=officer).status_code == 403
    r = client.post(f"/api/v1/sharing/grants/{grants[0]['id']}/revoke", headers=officer, json={"reason": "x"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/sharing/grants/{grants[0]['id']}/revoke", headers=steward, json={"reason": "用途结束"})
    assert r.status_code == 200 and not r.json()["active"]
    refused = client.get("/api/v1/shared/hz_people", headers=officer)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


def test_l4_refused_over_http_and_verify(client: TestClient, session: Session, bearer, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    session.commit()
    officer = bearer(CONSUMER)
    r = client.post("/api/v1/sharing/requests", headers=officer, json={
        "dataset": "hz_people", "purpose": "p", "fields": ["id_number"], "channel": "batch",
        "expires": in_days(5).isoformat()})
    assert r.status_code == 422 and "id_number" in r.json()["message"]
    grant_for(session, actor_of, "hz_people", ["id_number", "name"], channel="verify")
    session.commit()
    url = "/api/v1/shared/hz_people/verify"
    yes = client.post(url, headers=officer, json={"id_number": "330106199001011234", "name": "欧阳娜娜"})
    assert yes.status_code == 200 and yes.json() == {"match": True}
    no = client.post(url, headers=officer, json={"id_number": "330106199001011234", "name": "欧阳"})
    assert no.json() == {"match": False}
    assert client.post(url, headers=officer, json={"name": "x"}).status_code == 422
    assert client.post(url, headers=officer, content=b"{").status_code == 400
    assert client.get("/api/v1/shared/hz_people", headers=officer).status_code == 403
    detail = session.scalars(select(AuditRecord.detail).where(AuditRecord.action == "sharing.verify")).all()
    assert len(detail) == 2 and all("欧阳" not in d for d in detail)


def test_rate_and_quota_answer_429_with_retry_after(client: TestClient, session: Session, bearer,  # type: ignore[no-untyped-def]
                                                     actor_of) -> None:
    people(session)
    grant_for(session, actor_of, "hz_people", ["age"], rate=2)
    people(session, "hz_people_q")
    grant_for(session, actor_of, "hz_people_q", ["age"], quota=4)
    session.commit()
    officer = bearer(CONSUMER)
    assert client.get("/api/v1/shared/hz_people", headers=officer).status_code == 200
    assert client.get("/api/v1/shared/hz_people", headers=officer).status_code == 200
    limited = client.get("/api/v1/shared/hz_people", headers=officer)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"] == "too_many_requests"
    first = client.get("/api/v1/shared/hz_people_q", headers=officer).json()
    assert len(first["records"]) == 4 and first["quota_remaining"] == 0
    over = client.get("/api/v1/shared/hz_people_q", params={"format": "csv"}, headers=officer)
    assert over.status_code == 429 and 0 < int(over.headers["Retry-After"]) <= 86400


def test_csv_export_is_masked_and_audited(client: TestClient, session: Session, bearer, actor_of) -> None:  # type: ignore[no-untyped-def]
    people(session)
    grant_for(session, actor_of, "hz_people", ["name", "address"], unmasked=["address"])
    session.commit()
    before = _reads(session)
    r = client.get("/api/v1/shared/hz_people", params={"format": "csv"}, headers=bearer(CONSUMER))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "name,address" and lines[1] == "欧阳**,浙江省杭州市西湖区文三路100号"
    assert "欧阳娜娜" not in r.text
    rec = session.scalars(select(AuditRecord).where(AuditRecord.action == "sharing.read")
                          .order_by(AuditRecord.seq.desc())).first()
    assert _reads(session) == before + 1 and rec is not None
    assert json.loads(rec.detail)["rows"] == 5 and json.loads(rec.detail)["channel"] == "csv"
