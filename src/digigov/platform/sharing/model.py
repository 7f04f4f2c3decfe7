"""Sharing tables (共享): a department's request for another department's dataset, the grant an approved request
becomes, and the per-grant per-day usage counters.

A request (共享申请) names a dataset, a purpose and legal basis, the fields wanted (and which of them unmasked), an
optional row filter, a channel, an expiry and optional quota and rate. It is reviewed by the owner department's
steward (who may approve, narrow or refuse) and, when an approved field is graded L3, by the data authority
(大数据局) of the owner's region. An approved request makes one grant (授权); the grant is what serving reads.
Usage is counted per grant and day in the same transaction as each read (its audit record holds the detail).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department, User

CHANNELS = ("api", "batch", "feed", "verify")
REQUEST_STATES = ("owner_review", "authority_review", "granted", "refused")
FILTER_OPS = ("=", "in", ">=", "<=", "prefix")


class ShareRequest(Base):
    """One department's request for fields of another department's dataset, and its review trail."""

    __tablename__ = "sharing_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    dataset_code: Mapped[str] = mapped_column(String(60))
    requester_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))  # the owner's region: decides which authority
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    unmasked: Mapped[list[str]] = mapped_column(JSON, default=list)  # fields asked for in clear
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(8))  # one of CHANNELS
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quota_rows_per_day: Mapped[int | None] = mapped_column(Integer)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    # the terms as approved so far (the owner's narrowing, then the authority's)
    approved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    needs_authority: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="owner_review", index=True)
    owner_reviewer: Mapped[str | None] = mapped_column(String(64))
    owner_comment: Mapped[str] = mapped_column(Text, default="")
    owner_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authority_reviewer: Mapped[str | None] = mapped_column(String(64))
    authority_comment: Mapped[str] = mapped_column(Text, default="")
    authority_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    requester: Mapped[User] = relationship(lazy="joined")
    consumer: Mapped[Department] = relationship(lazy="joined", foreign_keys=[consumer_department_id])
    owner: Mapped[Department] = relationship(lazy="joined", foreign_keys=[owner_department_id])

    @property
    def department_id(self) -> int:
        """The owner, under the attribute name the permission rules read (its steward reviews)."""
        return self.owner_department_id


class Grant(Base):
    """What a consumer department may read of a dataset: fields (each masked or not), rows, channel, until when."""

    __tablename__ = "sharing_grant"
    __table_args__ = (Index("ix_sharing_grant_lookup", "consumer_department_id", "dataset_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_request.id", ondelete="CASCADE"), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    dataset_code: Mapped[str] = mapped_column(String(60))
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    purpose: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    unmasked: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quota_rows_per_day: Mapped[int | None] = mapped_column(Integer)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consumer: Mapped[Department] = relationship(lazy="joined", foreign_keys=[consumer_department_id])
    owner: Mapped[Department] = relationship(lazy="joined", foreign_keys=[owner_department_id])

    @property
    def department_id(self) -> int:
        return self.owner_department_id


class Usage(Base):
    """Calls and rows served under one grant on one day (Beijing time), counted in each read's transaction."""

    __tablename__ = "sharing_usage"

    grant_id: Mapped[int] = mapped_column(ForeignKey("sharing_grant.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)  # YYYY-MM-DD, UTC+8
    consumer_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    dataset_code: Mapped[str] = mapped_column(String(60))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
