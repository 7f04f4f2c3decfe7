"""The three lists (三张清单) and the achievements registry (三大成果).

A major demand (重大需求) is answered by cross-department scenarios (重大多跨场景), which drive reforms
(重大改革); scenarios and reforms are carried by applications in the IRS catalogue, and they produce
achievements: applications, theory (定义集, 理论文章) and institutions (法规, 规章, 标准, 指南). The links run
demand → scenario → reform; an entry may have several parents and children.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department

KINDS = ("demand", "scenario", "reform")  # in the order the links run
STATUSES = ("planned", "in_progress", "done", "suspended")
ACHIEVEMENT_KINDS = ("application", "theory", "institution")


class ListEntry(Base):
    """One entry of one of the three lists."""

    __tablename__ = "list_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)  # demand | scenario | reform
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    system: Mapped[str] = mapped_column(String(24), index=True)  # one of the five systems
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    started_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Department] = relationship(lazy="joined")


class ListLink(Base):
    """`parent` leads to `child`: a demand to a scenario, or a scenario to a reform."""

    __tablename__ = "list_link"
    __table_args__ = (UniqueConstraint("parent_id", "child_id", name="uq_list_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("list_entry.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("list_entry.id", ondelete="CASCADE"), index=True)


class EntryApplication(Base):
    """An application of the IRS catalogue that carries a scenario or a reform."""

    __tablename__ = "list_entry_application"
    __table_args__ = (UniqueConstraint("entry_id", "resource_id", name="uq_list_entry_application"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entry.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), index=True)


class Achievement(Base):
    """An achievement (成果): an application (then `resource_id` names it), a theory result or an institution."""

    __tablename__ = "list_achievement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)  # application | theory | institution
    category: Mapped[str] = mapped_column(String(40), default="")  # 地方性法规, 地方标准, 定义集, 应用 …
    title: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(80), default="")  # e.g. DB33/T 2350-2021
    issuer: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    system: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    region_code: Mapped[str] = mapped_column(String(6), default="330000", index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AchievementSource(Base):
    """The entry (a scenario or a reform) an achievement came out of."""

    __tablename__ = "list_achievement_source"
    __table_args__ = (UniqueConstraint("achievement_id", "entry_id", name="uq_list_achievement_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("list_achievement.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("list_entry.id", ondelete="CASCADE"), index=True)
