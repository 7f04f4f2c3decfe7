"""The tables of "一件事" integrated services (bundles).

- `bundle_definition`: a bundle as the designer saved it: its items (codes of the item catalogue), region, lead
  department kind, life-cycle stage and what it promises (steps, trips, time limit); draft, published or withdrawn.
- `bundle_application`: one application for a bundle: the applicant, the merged form's values (with where each
  prefilled value came from), the items as they were when it was submitted, the BPMN process state (SpiffWorkflow's
  serialised instance), the combined result and the applicant's rating (好差评, 1-5).
- `bundle_item_run`: one item of an application: the department handling it, the case in that department's inbox,
  its progress and outcome.
- `bundle_material`: the files the applicant uploaded, with their SHA-256 digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department

DEFINITION_STATES = ("draft", "published", "withdrawn")
APPLICATION_STATES = ("in_progress", "completed")
RESULTS = ("", "approved", "partial", "refused")
RUN_STATES = ("open", "in_progress", "returned", "done")
OUTCOMES = ("", "approved", "refused")


class BundleDefinition(Base):
    __tablename__ = "bundle_definition"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    audience: Mapped[str] = mapped_column(String(12))  # citizen | enterprise
    lifecycle: Mapped[str] = mapped_column(String(24))  # a stage of the audience's life cycle
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    lead_kind: Mapped[str] = mapped_column(String(40))  # the lead department's kind (牵头部门)
    description: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    trips: Mapped[int] = mapped_column(Integer, default=0)
    time_limit: Mapped[int] = mapped_column(Integer, default=1)  # working days
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # the number of times it was published
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(64))


class BundleApplication(Base):
    __tablename__ = "bundle_application"
    __table_args__ = (
        UniqueConstraint("receipt"),
        UniqueConstraint("token"),
        Index("ix_bundle_application_bundle", "bundle_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(32))  # the receipt code given to the applicant (受理编号)
    token: Mapped[str] = mapped_column(String(40))  # the applicant's handle on the status page
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle_definition.id"))
    bundle_code: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    channel: Mapped[str] = mapped_column(String(12), default="online")  # online | window
    applicant_name: Mapped[str] = mapped_column(String(80))
    applicant_id_number: Mapped[str] = mapped_column(String(18))
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    subjects: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # subject -> resident ID number
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # merged field key -> value
    prefilled: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # merged field key -> its source
    items: Mapped[list[str]] = mapped_column(JSON, default=list)  # the bundle's items when submitted
    time_limit: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="in_progress", index=True)
    result: Mapped[str] = mapped_column(String(12), default="")
    result_note: Mapped[str] = mapped_column(Text, default="")
    workflow: Mapped[str] = mapped_column(Text, default="")  # SpiffWorkflow state (JSON)
    submitted_by: Mapped[str] = mapped_column(String(64), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)  # 好差评: 1 (very poor) .. 5 (very good)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock: two departments finishing at once

    __mapper_args__ = {"version_id_col": version}

    bundle: Mapped[BundleDefinition] = relationship(lazy="joined")
    lead_department: Mapped[Department | None] = relationship(lazy="joined")
    runs: Mapped[list[BundleItemRun]] = relationship(back_populates="application", order_by="BundleItemRun.id",
                                                     cascade="all, delete-orphan")
    materials: Mapped[list[BundleMaterial]] = relationship(order_by="BundleMaterial.id",
                                                           cascade="all, delete-orphan")

    @property
    def department_ids(self) -> set[int]:
        """The departments involved (the lead department and those handling its items), as permission rules read."""
        return {d for d in (self.lead_department_id, *(r.department_id for r in self.runs)) if d}


class BundleItemRun(Base):
    __tablename__ = "bundle_item_run"
    __table_args__ = (UniqueConstraint("application_id", "item_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("bundle_application.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(60))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_item.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    outcome: Mapped[str] = mapped_column(String(12), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    certificate: Mapped[str] = mapped_column(String(80), default="")  # the result's number (证照编号)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[BundleApplication] = relationship(back_populates="runs")
    department: Mapped[Department] = relationship(lazy="joined")


class BundleMaterial(Base):
    __tablename__ = "bundle_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("bundle_application.id", ondelete="CASCADE"),
                                                index=True)
    material_key: Mapped[str] = mapped_column(String(80))  # subject.material of the merged materials
    name: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
