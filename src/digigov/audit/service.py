"""Write audit records in the caller's transaction; verify the chain.

`record` appends to the chain inside the session it is given, so the record commits or rolls back with
the change it describes. Sequence numbers are the primary key, so two writers can never both extend the
same tail: on PostgreSQL a transaction-level advisory lock serialises them, on SQLite the write lock does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core.clock import iso, utcnow
from digigov.core.db import chain_lock, is_postgres
from digigov.identity.actor import Actor
from digigov.identity.permissions import require

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x6469_6769  # "digi"
_COLUMNS = tuple(c.key for c in AuditRecord.__table__.columns)
HASHED_FIELDS = (
    "seq", "at", "actor", "actor_department", "action", "object_type", "object_id", "purpose", "result",
    "detail", "prev_hash",
)


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def compute_hash(rec: Any) -> str:
    """SHA-256 of a record's hashed fields (an AuditRecord or a row with the same names)."""
    payload = canonical_json({f: getattr(rec, f) for f in HASHED_FIELDS})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: object = "",
    *,
    purpose: str = "",
    result: str = "ok",
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the chain in `session`'s transaction and return it (a plain object: the row is
    written with one INSERT, not through the session's unit of work, which is on every request's path)."""
    if is_postgres(session):
        chain_lock(session, _PG_LOCK_KEY)
    last = session.execute(  # autoflushes the session's pending changes first, as the record follows them
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    rec = AuditRecord(
        seq=seq,
        at=iso(utcnow()),
        actor=actor.username,
        actor_department=actor.department_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        purpose=purpose,
        result=result,
        detail=canonical_json(detail or {}),
        prev_hash=prev,
    )
    rec.hash = compute_hash(rec)
    session.execute(insert(AuditRecord).values({f: getattr(rec, f) for f in _COLUMNS}))
    return rec


def record_denied(session: Session, actor: Actor, action: str, object_type: str = "", object_id: object = "",
                  reason: str = "") -> None:
    """Write a refusal in its own transaction, so it survives the rollback of the refused request."""
    bind = session.get_bind()
    with Session(bind=bind) as own:
        record(own, actor, action, object_type, object_id, result="denied", detail={"reason": reason})
        own.commit()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(session: Session, actor: Actor, *, batch: int = 5000,
           progress: Any = None) -> VerifyResult:
    """Walk the chain in order and name the first record that does not verify.

    `progress`, when given, is called with the number of records checked so far.
    """
    require(actor, "audit.verify")
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for rec in _iter_records(session, batch):
        if rec.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"record {expected_seq} is missing")
        if rec.prev_hash != prev:
            return VerifyResult(False, checked, rec.seq, "link to the previous record is broken")
        if compute_hash(rec) != rec.hash:
            return VerifyResult(False, checked, rec.seq, "content does not match its hash")
        prev = rec.hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % batch == 0:
            progress(checked)
    if progress is not None:
        progress(checked)
    return VerifyResult(True, checked)


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


def _iter_records(session: Session, batch: int) -> Iterator[Any]:
    """The chain in order, as plain rows in batches: nothing enters (or leaves) the session's identity map."""
    columns = [AuditRecord.__table__.c[name] for name in ("hash", *HASHED_FIELDS)]
    after = 0
    while True:
        rows = session.execute(
            select(*columns).where(AuditRecord.seq > after).order_by(AuditRecord.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def search(
    session: Session,
    actor: Actor,
    *,
    actor_name: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    result: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditRecord], int]:
    """Records newest first, filtered; auditors only."""
    require(actor, "audit.read")
    q = select(AuditRecord)
    if actor_name:
        q = q.where(AuditRecord.actor == actor_name)
    if action:
        q = q.where(AuditRecord.action.startswith(action))
    if object_type:
        q = q.where(AuditRecord.object_type == object_type)
    if result:
        q = q.where(AuditRecord.result == result)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(q.order_by(AuditRecord.seq.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
