"""Quality rules kept in the store, and the problem-data work items (问题数据 → 整改 → 复核) they raise.

Shipped element-level rules come from `quality/data/default_rules.yaml`; a steward's own rules
(dataset-level or element-level) are stored here as YAML text with a version, so they stay data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.platform.warehouse.model import Dataset

ISSUE_STATES = ("open", "resubmitted", "closed")


class QualityRule(Base):
    __tablename__ = "quality_rule"
    __table_args__ = (UniqueConstraint("rule_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    definition: Mapped[str] = mapped_column(Text)  # the rule as YAML
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    dataset: Mapped[Dataset | None] = relationship(lazy="joined")


class QualityIssue(Base):
    """Problem data sent back to the source department: one item per dataset and problem (rule or reason)."""

    __tablename__ = "quality_issue"
    __table_args__ = (UniqueConstraint("dataset_id", "problem"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # the source department
    problem: Mapped[str] = mapped_column(String(200))  # "rule:<rule_id>:<column>" or "quarantine:<reason>"
    kind: Mapped[str] = mapped_column(String(16))  # rule | quarantine
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(8), default="medium")
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # one of ISSUE_STATES
    rows: Mapped[int] = mapped_column(Integer, default=0)  # rows affected at the last check
    first_load_id: Mapped[int | None] = mapped_column(ForeignKey("wh_load.id"))
    last_load_id: Mapped[int | None] = mapped_column(ForeignKey("wh_load.id"))
    sample_records: Mapped[str] = mapped_column(Text, default="")  # comma-separated source record numbers
    response: Mapped[str] = mapped_column(Text, default="")  # the department's account of its fix
    responded_by: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dataset: Mapped[Dataset] = relationship(lazy="joined")
