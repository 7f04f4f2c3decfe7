"""The 跨省通办 (cross-province services) application's own tables.

One `xps_application` row per application on each side it touches: at the origin window (`direction`
"out") and at the competent city (`direction` "in"); both carry the same global `ref`. The origin row
follows the application from submission to completion; the competent row links to the case opened there.

- `xps_material`: the files of an application (the applicant's materials, and the result document if the
  competent city returned one), with their SHA-256 digests.
- `xps_event`: the timeline of an application as this side knows it (its own steps and those the other
  side reported).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

DIRECTIONS = ("out", "in")
# origin side: submitted -> sent (or send_failed -> sent on retry) -> accepted -> in_progress -> result_returned
# -> completed; competent side: accepted -> in_progress -> result_returned (result sent) / result_failed
STATUSES = (
    "submitted",
    "send_failed",
    "sent",
    "accepted",
    "in_progress",
    "result_pending",  # competent side: decided, the result not yet delivered
    "result_returned",
    "result_failed",
    "completed",
    "refused",  # the competent city refused the package itself (bad digest, item not offered there)
)
RESULTS = ("", "approved", "refused")
ROLES = ("applicant", "result")


class XpsApplication(Base):
    __tablename__ = "xps_application"
    __table_args__ = (UniqueConstraint("ref", "direction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(48), index=True)  # e.g. XPS-330800-20260302-3F9A1C
    direction: Mapped[str] = mapped_column(String(3), index=True)  # DIRECTIONS
    item_code: Mapped[str] = mapped_column(String(32), index=True)
    origin_city: Mapped[str] = mapped_column(String(6), index=True)  # division code, e.g. 330800
    target_city: Mapped[str] = mapped_column(String(6), index=True)
    peer: Mapped[str] = mapped_column(String(64), default="")  # the other side's federation instance id
    applicant_name: Mapped[str] = mapped_column(String(80))
    applicant_id_number: Mapped[str] = mapped_column(String(18))
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16), default="window")  # window / online
    status: Mapped[str] = mapped_column(String(20), index=True)  # STATUSES
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)  # competent side: the case opened
    department: Mapped[str] = mapped_column(String(64), default="")  # competent department code
    submitted_by: Mapped[str] = mapped_column(String(80), default="")  # the window clerk (or the citizen)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)  # legal time limit at the target
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    result: Mapped[str] = mapped_column(String(16), default="")  # RESULTS
    result_note: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # send attempts (application or result)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    materials: Mapped[list[XpsMaterial]] = relationship(
        back_populates="application", order_by="XpsMaterial.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[XpsEvent]] = relationship(
        back_populates="application", order_by="XpsEvent.id", cascade="all, delete-orphan"
    )


class XpsMaterial(Base):
    __tablename__ = "xps_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("xps_application.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="applicant")  # ROLES
    name: Mapped[str] = mapped_column(String(120))  # the required material it answers, e.g. 居民身份证
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    application: Mapped[XpsApplication] = relationship(back_populates="materials")


class XpsEvent(Base):
    __tablename__ = "xps_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("xps_application.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    side: Mapped[str] = mapped_column(String(10))  # origin / competent
    step: Mapped[str] = mapped_column(String(32))  # submitted, sent, send_failed, accepted, ..., completed
    actor: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[XpsApplication] = relationship(back_populates="events")
