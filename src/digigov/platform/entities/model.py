"""Entity linkage tables in the store (一人一档 / 一企一档): which datasets take part and how their columns map
to a person's or an enterprise's attributes, and the stewards' decisions that every re-link applies again.

The links and files themselves are warehouse tables (`entity.person_link`, `entity.person_file`,
`entity.enterprise_link`, `entity.enterprise_file`): they grow with the departments' data, so they live beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

KINDS = ("person", "enterprise")
PERSON_ATTRIBUTES = ("citizen_id", "name", "gender", "birth_date", "address", "mobile", "death_date")
ENTERPRISE_ATTRIBUTES = ("uscc", "name", "legal_representative", "address", "phone", "status")
DECISIONS = ("confirm", "split")


class EntitySource(Base):
    """A dataset that takes part in linking one kind of entity, with the column holding each attribute.

    `authoritative` lists the attributes this dataset is the authoritative source of (一数一源): a golden
    record takes those from it. `rank` orders sources for the other attributes (lower wins).
    """

    __tablename__ = "entity_source"
    __table_args__ = (UniqueConstraint("kind", "dataset_code", "role", name="uq_entity_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # person | enterprise
    dataset_code: Mapped[str] = mapped_column(String(60), index=True)
    role: Mapped[str] = mapped_column(String(40), default="")  # '' or what the entity is to the row (法定代表人)
    label: Mapped[str] = mapped_column(String(120), default="")  # the section's heading on a file page
    columns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # attribute -> column
    row_filter: Mapped[str] = mapped_column(Text, default="")  # SQL over the dataset's columns ('' = every row)
    authoritative: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rank: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntityDecision(Base):
    """A steward's decision on one record: `confirm` keeps it in `file_id` whatever the scores say; `split`
    keeps it out of `file_id` (it goes to its next best file or a file of its own). Re-linking applies every
    active decision again, so a decision survives `digigov entities link --full`; it finds its record by the
    fingerprint of the record's values, so a reload that renumbers rows keeps it too."""

    __tablename__ = "entity_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(12))  # confirm | split
    dataset_code: Mapped[str] = mapped_column(String(60))
    record: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(40), default="")
    fingerprint: Mapped[str] = mapped_column(String(32), index=True)  # md5 of the record's attributes
    file_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
