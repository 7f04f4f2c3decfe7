"""The federation message log: every envelope sent or received, chained by SHA-256 (like the audit log).

Rows are appended in the caller's transaction, so an exchange and its log rows commit together. On
PostgreSQL a transaction-level advisory lock of its own serialises writers; on SQLite the write lock does.
`verify` walks the chain (sequence, link, content hash) and re-checks the signature of every envelope that
was accepted or sent against the key that signed it: keys are retired, never deleted, so old rows verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from digigov.audit.service import GENESIS, VerifyResult, canonical_json
from digigov.core.clock import iso, utcnow
from digigov.core.db import chain_lock
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.federation import keys
from digigov.platform.federation.envelope import Envelope, Refusal, parse, signature_ok
from digigov.platform.federation.model import FederationKey, FederationMessage

LOG_NAME = "federation message log"
_PG_LOCK_KEY = 0x6665_6465  # "fede"
HASHED_FIELDS = ("seq", "at", "direction", "peer", "kind", "nonce", "in_reply_to", "department", "purpose",
                 "result", "reason", "status", "envelope", "prev_hash")
MAX_RAW = 64 * 1024
_TABLE = cast(Table, FederationMessage.__table__)  # of a malformed message's text kept in the log
_TAIL = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)  # built once
_INSERT = _TABLE.insert()


@dataclass(frozen=True)
class Entry:
    """One envelope to log; `envelope` is its canonical JSON (or the raw text of a malformed message)."""

    direction: str  # in, out
    peer: str
    result: str  # accepted, refused, sent, failed
    status: int
    envelope: str
    kind: str = ""
    nonce: str = ""
    in_reply_to: str = ""
    department: str = ""
    purpose: str = ""
    reason: str = ""

    @classmethod
    def of(cls, direction: str, env: Envelope, result: str, status: int, reason: str = "") -> Entry:
        h = env.header
        return cls(direction, h["recipient"] if direction == "out" else h["sender"], result, status, env.text(),
                   h["kind"], h["nonce"], h["in_reply_to"], h["department"], h["purpose"], reason)

    @classmethod
    def raw(cls, direction: str, peer: str, data: bytes, result: str, status: int, reason: str) -> Entry:
        """A message that is not an envelope: its text (bounded) is what the log keeps."""
        return cls(direction, peer[:64], result, status, data[:MAX_RAW].decode("utf-8", "replace"), reason=reason)


_ENTRY_FIELDS = tuple(f.name for f in fields(Entry))


def digest(values: Mapping[str, Any]) -> str:
    """SHA-256 of a log row's hashed fields."""
    return hashlib.sha256(canonical_json({f: values[f] for f in HASHED_FIELDS}).encode("utf-8")).hexdigest()


def append(session: Session, entries: Sequence[Entry]) -> list[int]:
    """Append `entries` in order to the chain in `session`'s transaction; their sequence numbers."""
    conn = session.connection()  # Core statements: this runs twice per exchange
    if conn.dialect.name == "postgresql":
        chain_lock(conn, _PG_LOCK_KEY)
    last = conn.execute(_TAIL).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    at = iso(utcnow())
    rows: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        row = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
        row.update(seq=seq, at=at, prev_hash=prev)
        row["hash"] = prev = digest(row)
        rows.append(row)
    conn.execute(_INSERT, rows)
    return [r["seq"] for r in rows]


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(FederationMessage)) or 0)


def recent(session: Session, actor: Actor, *, limit: int = 50, peer: str | None = None) -> list[FederationMessage]:
    """The newest rows first (platform admins and auditors)."""
    require(actor, "federation.view")
    stmt = select(FederationMessage).order_by(FederationMessage.seq.desc()).limit(limit)
    if peer:
        stmt = stmt.where(FederationMessage.peer == peer)
    return list(session.scalars(stmt))


def verify(session: Session, actor: Actor, *, batch: int = 5000) -> VerifyResult:
    """Walk the log in order and name the first row that does not verify (its chain or its signature)."""
    require(actor, "audit.verify")
    public = {(k.instance_id, k.key_id): k.public_key for k in session.scalars(select(FederationKey))}
    loaded: dict[tuple[str, str], Any] = {}
    prev, checked = GENESIS, 0
    for row in _rows(session, batch):
        problem = _chain_problem(row, checked + 1, prev) or _signature_problem(row, public, loaded)
        if problem:
            return VerifyResult(False, checked, checked + 1, problem)
        prev, checked = row.hash, checked + 1
    return VerifyResult(True, checked)


def _chain_problem(row: Any, expected_seq: int, prev: str) -> str:
    if row.seq != expected_seq:
        return f"row {expected_seq} is missing"
    if row.prev_hash != prev:
        return "link to the previous row is broken"
    if digest(row._mapping) != row.hash:
        return "content does not match its hash"
    return ""


def _signature_problem(row: Any, public: dict[tuple[str, str], str], loaded: dict[tuple[str, str], Any]) -> str:
    """Envelopes this instance accepted or sent must still verify with the key that signed them."""
    if row.result == "refused":
        return ""
    try:
        env = parse(row.envelope)
    except Refusal:
        return "the logged envelope is not an envelope"
    ref = (env.sender, env.sender_key)
    if ref not in loaded:
        if ref not in public:
            return f"signed by key {env.sender_key} of {env.sender}, which this store does not know"
        loaded[ref] = keys.load_public(public[ref])
    if not signature_ok(env, loaded[ref]):
        return "the logged envelope's signature does not verify"
    return ""


def _rows(session: Session, batch: int) -> Iterator[Any]:
    columns = [FederationMessage.__table__.c[name] for name in ("hash", *HASHED_FIELDS)]
    after = 0
    while rows := session.execute(
        select(*columns).where(FederationMessage.seq > after).order_by(FederationMessage.seq).limit(batch)
    ).all():
        yield from rows
        after = rows[-1].seq


def as_json(row: FederationMessage) -> dict[str, Any]:
    """A log row for the CLI's --json output: the envelope decoded when it is JSON."""
    try:
        env: Any = json.loads(row.envelope)
    except ValueError:
        env = row.envelope
    return {"seq": row.seq, "at": row.at, "direction": row.direction, "peer": row.peer, "kind": row.kind,
            "nonce": row.nonce, "in_reply_to": row.in_reply_to, "department": row.department,
            "purpose": row.purpose, "result": row.result, "reason": row.reason, "status": row.status,
            "envelope": env, "hash": row.hash}
