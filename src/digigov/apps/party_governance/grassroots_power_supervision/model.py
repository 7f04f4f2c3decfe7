"""The tables of 基层公权力大数据监督 (grassroots power supervision).

- `gps_warning`: one warning (预警) per signal a collision rule raised, with its own lifecycle: red until
  the rectification is verified on site by an official of the warning's town; verified in time it is
  cleared, verified after its deadline it turns yellow; the county discipline commission then closes it
  (销号, cleared), refuses the verification (back to red), dismisses it with a reason, or files a case (立案).
- `gps_warning_event`: the timeline of a warning (raised, notified, overdue, verified, refused, closed…).
- `gps_attachment`: the on-site evidence of a verification (photos, scans), with its SHA-256.
- `gps_notice`: the SMS-style notices sent to the responsible town and village leaders (each also published
  on the bus as `gps.notice`).
- `gps_post`: who holds which post where: town leaders, town discipline officials, village supervision
  liaison stations (村级监察工作联络站); the notices' recipients and the scope of verification.
- `gps_complaint`: a villager's complaint or suggestion (监督一点通), with its receipt code; the case engine
  holds the handling (a case of type `gps.complaint`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

COLOURS = ("red", "yellow", "cleared")  # 红 / 黄 (verified late) / 已销号 (cleared)
STATUSES = ("open", "verified", "closed", "dismissed")
POSTS = ("town_leader", "town_discipline", "liaison_head", "county_supervisor")


class GpsWarning(Base):
    __tablename__ = "gps_warning"
    __table_args__ = (UniqueConstraint("signal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signal_id: Mapped[int] = mapped_column(Integer)  # the platform signal (rules.model.Signal) it answers
    rule_code: Mapped[str] = mapped_column(String(80), index=True)
    matter: Mapped[str] = mapped_column(String(20), index=True)  # one of matters.MATTERS
    subject_key: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(8))
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the county
    town: Mapped[str] = mapped_column(String(60), default="", index=True)
    village: Mapped[str] = mapped_column(String(60), default="")
    colour: Mapped[str] = mapped_column(String(8), default="red", index=True)  # COLOURS
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # STATUSES
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # rectification deadline (working days)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the rows behind it (capped)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")  # SHA-256 of the evidence keys
    recurrence_of: Mapped[int | None] = mapped_column(Integer, default=None)  # an earlier warning, same subject
    rectification: Mapped[str] = mapped_column(Text, default="")  # what was put right (整改情况)
    verification: Mapped[str] = mapped_column(Text, default="")  # what the official found on site (核查情况)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    verified_by: Mapped[str] = mapped_column(String(80), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str] = mapped_column(String(80), default="")
    close_note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)  # 立案: the case filed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[GpsWarningEvent]] = relationship(
        back_populates="warning", order_by="GpsWarningEvent.id", cascade="all, delete-orphan")
    attachments: Mapped[list[GpsAttachment]] = relationship(
        back_populates="warning", order_by="GpsAttachment.id", cascade="all, delete-orphan")


class GpsWarningEvent(Base):
    __tablename__ = "gps_warning_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("gps_warning.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(20))  # raise, recur, notify, overdue, verify, refuse, close, ...
    colour: Mapped[str] = mapped_column(String(8), default="")  # the colour after the step
    note: Mapped[str] = mapped_column(Text, default="")

    warning: Mapped[GpsWarning] = relationship(back_populates="events")


class GpsAttachment(Base):
    __tablename__ = "gps_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("gps_warning.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    warning: Mapped[GpsWarning] = relationship(back_populates="attachments")


class GpsNotice(Base):
    __tablename__ = "gps_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("gps_warning.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # raised, overdue, refused, closed
    recipient_name: Mapped[str] = mapped_column(String(60))
    recipient_post: Mapped[str] = mapped_column(String(40))  # e.g. 乡镇党委书记, 村党组织书记
    recipient_phone: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)


class GpsPost(Base):
    __tablename__ = "gps_post"
    __table_args__ = (UniqueConstraint("region_code", "town", "village", "post", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    town: Mapped[str] = mapped_column(String(60))
    village: Mapped[str] = mapped_column(String(60), default="")  # '' for a town's or county's post
    post: Mapped[str] = mapped_column(String(24))  # POSTS
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), default="")
    username: Mapped[str] = mapped_column(String(64), default="", index=True)  # '' when it has no account


class GpsComplaint(Base):
    __tablename__ = "gps_complaint"
    __table_args__ = (UniqueConstraint("receipt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(16))  # the villager's receipt code (回执码)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    town: Mapped[str] = mapped_column(String(60))
    village: Mapped[str] = mapped_column(String(60), index=True)
    matter: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12), default="complaint")  # complaint | suggestion
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
