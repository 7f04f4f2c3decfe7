"""Governed datasets in the warehouse: their fields, loads (归集) and lineage.

A dataset (数据集) is a department's table in the warehouse and a `dataset` resource in the IRS catalogue.
Its rows live in DuckDB, one table per version; this store says which version is current, what each
field holds (data element, detected types, grade), how each load went, and where derived data came from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department
from digigov.platform.catalog.model import Resource

LOAD_STATES = ("staged", "committed", "unchanged", "failed", "discarded")
LAYERS = ("clean", "entity", "topic")


class Dataset(Base):
    __tablename__ = "wh_dataset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # warehouse table stem, [a-z][a-z0-9_]*
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    layer: Mapped[str] = mapped_column(String(16), default="clean")  # one of LAYERS
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id"), unique=True)
    update_frequency: Mapped[str] = mapped_column(String(16), default="不定期")
    current_version: Mapped[int] = mapped_column(Integer, default=0)  # 0: nothing loaded yet
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    grade: Mapped[str] = mapped_column(String(4), default="L1")
    gb_level: Mapped[str] = mapped_column(String(16), default="general_1")
    quality_score: Mapped[float | None] = mapped_column(Float)
    tags: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    key_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    build_sql: Mapped[str] = mapped_column(Text, default="")  # derived datasets: the SELECT that builds them
    build_sources: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # source code -> version used
    last_load_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Department] = relationship(lazy="joined")
    resource: Mapped[Resource | None] = relationship(lazy="joined")
    fields: Mapped[list[DatasetField]] = relationship(
        back_populates="dataset", lazy="selectin", order_by="DatasetField.position", cascade="all, delete-orphan"
    )

    @property
    def department_id(self) -> int:
        """The owner, under the attribute name the permission rules read."""
        return self.owner_department_id

    @property
    def region_code(self) -> str:
        return self.owner.region_code


class DatasetField(Base):
    """One column of a dataset: the source header, its data element, what the scan found, its grade."""

    __tablename__ = "wh_field"
    __table_args__ = (UniqueConstraint("dataset_id", "column"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(128))  # the column name in the warehouse table
    header: Mapped[str] = mapped_column(String(256))  # the header in the department's file
    element_id: Mapped[str | None] = mapped_column(String(40))  # confirmed data element (数据元)
    mapping_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    detected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # type hits of the last scan
    grade: Mapped[str] = mapped_column(String(4), default="L1")  # effective grade
    detected_grade: Mapped[str] = mapped_column(String(4), default="L1")  # what the rules give
    gb_level: Mapped[str] = mapped_column(String(16), default="general_1")
    grade_override: Mapped[str | None] = mapped_column(String(4))  # steward's decision, kept across loads
    override_reason: Mapped[str] = mapped_column(Text, default="")
    override_by: Mapped[str | None] = mapped_column(String(64))
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    quality_score: Mapped[float | None] = mapped_column(Float)
    non_empty: Mapped[int] = mapped_column(Integer, default=0)

    dataset: Mapped[Dataset] = relationship(back_populates="fields")


class Load(Base):
    """One file handed in for a dataset, and its report: rows in = accepted + quarantined, always."""

    __tablename__ = "wh_load"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    version: Mapped[int | None] = mapped_column(Integer)  # the dataset version it made, when committed
    state: Mapped[str] = mapped_column(String(16), default="staged", index=True)  # one of LOAD_STATES
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    headers: Mapped[list[str]] = mapped_column(JSON, default=list)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # column -> suggested element
    mapping: Mapped[dict[str, str | None]] = mapped_column(JSON, default=dict)  # column -> element, as loaded
    rows_in: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # quarantine reason -> rows
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # timings, quality, classification
    error: Mapped[str] = mapped_column(Text, default="")
    loaded_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dataset: Mapped[Dataset] = relationship(lazy="joined")

    @property
    def department_id(self) -> int:
        return self.dataset.owner_department_id


class LineageEdge(Base):
    """Data flowed from a source dataset (and column) into a derived one; column "" means the whole table."""

    __tablename__ = "wh_lineage"
    __table_args__ = (UniqueConstraint("source_id", "source_column", "target_id", "target_column"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    source_column: Mapped[str] = mapped_column(String(128), default="")
    target_id: Mapped[int] = mapped_column(ForeignKey("wh_dataset.id", ondelete="CASCADE"), index=True)
    target_column: Mapped[str] = mapped_column(String(128), default="")
    transform: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
