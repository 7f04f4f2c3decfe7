"""Cases (工单) and what hangs off them: the history of every transition, attachments (evidence, photos),
links between cases, and the workflow state of the BPMN process that runs each case.

The workflow state (SpiffWorkflow's serialised instance, without the process definition, which is kept
once per process in `case_process`) is stored with the case and written in the same transaction as the
transition, so a restart between any two steps resumes exactly where the case stood.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department


class CaseProcess(Base):
    """A BPMN process definition as SpiffWorkflow parsed it, stored once per (process, file digest)."""

    __tablename__ = "case_process"
    __table_args__ = (UniqueConstraint("process_id", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the BPMN file
    spec: Mapped[str] = mapped_column(Text)  # the serialised process spec (JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    __tablename__ = "case_item"
    __table_args__ = (
        UniqueConstraint("number"),
        UniqueConstraint("citizen_token"),
        Index("ix_case_item_open", "type_code", "status", "department_id"),
        Index("ix_case_item_subject", "type_code", "subject_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))  # human case number, e.g. MH20261128000123
    type_code: Mapped[str] = mapped_column(String(80), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="web")  # web, hotline, letter, mailbox, open311, signal
    status: Mapped[str] = mapped_column(String(20), default="intake", index=True)
    step: Mapped[str | None] = mapped_column(String(60))  # the waiting BPMN user task, None when closed
    resolution: Mapped[str | None] = mapped_column(String(20))  # closed: done, rejected, merged, expired
    severity: Mapped[str | None] = mapped_column(String(8))  # red/orange/yellow/blue when a signal opened it
    colour: Mapped[str] = mapped_column(String(8), default="green", index=True)  # green, red, yellow
    was_red: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 督办 level, 0 = none
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # dispatcher
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)  # assigned
    region_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    street: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    subject_key: Mapped[str | None] = mapped_column(String(200))  # what the case is about, for dedup
    signal_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the case type's own fields
    citizen_name: Mapped[str] = mapped_column(String(60), default="")
    citizen_phone: Mapped[str] = mapped_column(String(30), default="")
    citizen_token: Mapped[str] = mapped_column(String(40))  # the citizen's handle on the case (status, rating)
    response: Mapped[str] = mapped_column(Text, default="")  # the department's answer to the citizen
    rating: Mapped[str | None] = mapped_column(String(24))  # satisfied, basically_satisfied, unsatisfied
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    first_contact: Mapped[bool] = mapped_column(Boolean, default=False)  # resolved at first contact
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id"))
    process_ref: Mapped[int | None] = mapped_column(ForeignKey("case_process.id"))
    workflow: Mapped[str] = mapped_column(Text, default="")  # SpiffWorkflow state without the spec (JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock
    created_by: Mapped[str] = mapped_column(String(64), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # the overall deadline
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the waiting step's deadline
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id], lazy="joined")
    owner_department: Mapped[Department | None] = relationship(foreign_keys=[owner_department_id], lazy="joined")

    @property
    def owner_department_kind(self) -> str | None:
        return self.owner_department.kind if self.owner_department else None

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


class CaseEvent(Base):
    """One line of a case's history: a transition, a comment, a reminder, an escalation."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    actor_department: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(40))  # open, triage, assign, accept, return, respond, ...
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to the citizen
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseAttachment(Base):
    """A file on a case: verification evidence (核查材料), photos, the department's reply document."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="evidence")  # evidence, photo, reply
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseLink(Base):
    """Two related cases: `duplicate` (merged into the other) or `related`."""

    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("case_id", "other_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("case_item.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="related")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseCounter(Base):
    """Per type and day, the last case number issued (numbers are unique and gap-free per day)."""

    __tablename__ = "case_counter"

    prefix_day: Mapped[str] = mapped_column(String(24), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
