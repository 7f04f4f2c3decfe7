import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.errors import PermissionDenied
from digigov.identity.actor import Actor


def test_every_record_links_to_the_one_before(session: Session) -> None:
    op = Actor.operator()
    a = audit.record(session, op, "test.one", "thing", 1)
    b = audit.record(session, op, "test.two", "thing", 2, purpose="测试")
    assert b.seq == a.seq + 1
    assert b.prev_hash == a.hash
    assert audit.verify(session, op).ok


def test_verify_names_the_first_tampered_record(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    op = Actor.operator()
    recs = [audit.record(session, op, "test.step", "thing", i, detail={"n": i}) for i in range(5)]
    session.flush()
    target = recs[2].seq
    # a plain SQL edit, as an intruder with database access would make it
    session.execute(text("UPDATE audit_record SET purpose = 'forged' WHERE seq = :s"), {"s": target})
    session.expire_all()
    result = audit.verify(session, op)
    assert not result.ok
    assert result.first_bad_seq == target
    assert "hash" in result.reason


def test_verify_finds_a_deleted_record(session: Session) -> None:
    op = Actor.operator()
    seqs = [audit.record(session, op, "test.step", "thing", i).seq for i in range(3)]
    session.flush()
    session.execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": seqs[1]})
    session.expire_all()
    result = audit.verify(session, op)
    assert not result.ok and result.first_bad_seq == seqs[1]


def test_only_auditors_read_the_log(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        audit.search(session, actor_of("hz_police_steward"))
    rows, total = audit.search(session, actor_of("auditor"), action="user.create")
    assert total >= 10 and all(r.action == "user.create" for r in rows)
