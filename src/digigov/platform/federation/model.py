"""Federation tables: this instance and its trusted peers, their public keys, seen nonces, the message log.

- `federation_instance`: one row for this instance (`is_self`) and one per peer whose trust anchor an
  admin imported; a peer is trusted until it is revoked or its anchor expires.
- `federation_key`: every Ed25519 public key an instance has used. Rotation retires a key, never deletes
  it, so old envelopes in the log still verify.
- `federation_nonce`: nonces of accepted envelopes, with the time they were seen, kept for twice the
  allowed clock skew (a replay inside that window is refused; an older one is refused as stale).
- `federation_message`: the message log, one row per envelope sent or received (accepted or refused, with
  the reason), chained by SHA-256 like the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

DIRECTIONS = ("in", "out")
RESULTS = ("accepted", "refused", "sent", "failed")  # in: accepted/refused; out: sent/failed (not delivered)
KEY_STATES = ("active", "retired")


class FederationInstance(Base):
    __tablename__ = "federation_instance"

    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. zj-quzhou
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(300))
    is_self: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # peers: from their anchor
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    anchor_sha256: Mapped[str] = mapped_column(String(64), default="")  # of the imported anchor file
    trusted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trusted_by: Mapped[str] = mapped_column(String(80), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str] = mapped_column(String(80), default="")
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    keys: Mapped[list[FederationKey]] = relationship(
        back_populates="instance", order_by="FederationKey.added_at", cascade="all, delete-orphan"
    )


class FederationKey(Base):
    __tablename__ = "federation_key"

    instance_id: Mapped[str] = mapped_column(
        ForeignKey("federation_instance.instance_id", ondelete="CASCADE"), primary_key=True
    )
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # SHA-256 of the raw key, 16 hex
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64
    status: Mapped[str] = mapped_column(String(16), default="active")  # KEY_STATES
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    instance: Mapped[FederationInstance] = relationship(back_populates="keys")


class FederationNonce(Base):
    __tablename__ = "federation_nonce"

    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class FederationMessage(Base):
    """One envelope sent or received. Every column but `hash` is hashed (see `log.HASHED_FIELDS`)."""

    __tablename__ = "federation_message"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), index=True)  # ISO 8601 UTC, hashed as text
    direction: Mapped[str] = mapped_column(String(3))  # DIRECTIONS
    peer: Mapped[str] = mapped_column(String(64), index=True)  # the other instance ("" when unknown)
    kind: Mapped[str] = mapped_column(String(64), default="")
    nonce: Mapped[str] = mapped_column(String(64), default="", index=True)
    in_reply_to: Mapped[str] = mapped_column(String(64), default="")
    department: Mapped[str] = mapped_column(String(64), default="")  # the sender department's code
    purpose: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(String(16))  # RESULTS
    reason: Mapped[str] = mapped_column(String(64), default="")  # refusal or error code
    status: Mapped[int] = mapped_column(Integer, default=0)  # HTTP status of the exchange (0: none)
    envelope: Mapped[str] = mapped_column(Text, default="")  # the envelope as JSON (raw text if malformed)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
