"""The audit log: auditors read and verify it; anyone else is refused, and the refusal is logged."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from tests.web.conftest import Console


def test_auditor_sees_the_log_filters_it_and_verifies_the_chain(login) -> None:  # type: ignore[no-untyped-def]
    auditor: Console = login("auditor")
    r = auditor.get("/audit")
    assert r.status_code == 200 and "审计日志" in r.text and "auth.login" in r.text
    r = auditor.get("/audit?action=auth.&result=ok&lang=en")
    assert r.status_code == 200 and "Audit log" in r.text and "user.create" not in r.text
    r = auditor.post("/audit/verify", headers={"HX-Request": "true", "X-CSRF-Token": auditor.csrf})
    assert r.status_code == 200 and "哈希链完整" in r.text and "跨域消息日志完整" in r.text


def test_others_are_refused_and_the_refusal_is_logged(login, session: Session) -> None:  # type: ignore[no-untyped-def]
    for username in ("admin", "hz_civil_officer"):
        c: Console = login(username)
        assert c.get("/audit").status_code == 403
        rec = session.scalars(
            select(AuditRecord).where(AuditRecord.actor == username, AuditRecord.action == "audit.read")
        ).first()
        assert rec is not None and rec.result == "denied" and rec.object_id == "/audit"
    officer: Console = login("hz_civil_officer")
    assert officer.post_form("/audit/verify").status_code == 403


def test_audit_api(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    h = bearer("auditor")
    page = client.get("/api/v1/audit/records?action=user.&limit=3", headers=h).json()
    assert page["total"] >= 15 and len(page["items"]) == 3
    seqs = [i["seq"] for i in page["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert client.get("/api/v1/audit/records?result=maybe", headers=h).status_code == 422
    r = client.post("/api/v1/audit/verify", headers=h)
    assert r.status_code == 200 and r.json()["ok"] is True and r.json()["checked"] > 0
    assert client.get("/api/v1/audit/records", headers=bearer("admin")).status_code == 403
    assert client.post("/api/v1/audit/verify", headers=bearer("admin")).status_code == 200
    assert client.post("/api/v1/audit/verify", headers=bearer("hz_civil_officer")).status_code == 403
