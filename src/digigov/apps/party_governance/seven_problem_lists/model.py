"""The Seven Problem Lists' tables: a problem, the rectification tasks it is decomposed into (each a case in a
department's inbox), and the messages sent about it (escalations, reminders)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department
from digigov.platform.cases.model import Case

#: discovered → assigned → rectifying → closed (办结销号) → accepted (验收) → evaluated (评价) → reviewed (回头看);
#: a review that finds the problem again sends it back to rectifying (reopened).
STATES = ("discovered", "assigned", "rectifying", "closed", "accepted", "evaluated", "reviewed")


class Problem(Base):
    __tablename__ = "spl_problem"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    list_code: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")  # who found it: 省委第三巡视组, 审计厅 …
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    root_cause: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="discovered", index=True)
    colour: Mapped[str] = mapped_column(String(8), default="green", index=True)
    discovered_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acceptance_note: Mapped[str] = mapped_column(Text, default="")
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    score_self: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_department: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_public: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluation_note: Mapped[str] = mapped_column(Text, default="")
    review_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recurrence_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Department] = relationship(lazy="joined")

    @property
    def owner_department_kind(self) -> str:
        return self.owner.kind

    @property
    def score(self) -> float | None:
        scores = [s for s in (self.score_self, self.score_department, self.score_public) if s is not None]
        return round(sum(scores) / len(scores), 2) if scores else None


class ProblemTask(Base):
    """One rectification task: a case assigned to a department with the problem's deadline."""

    __tablename__ = "spl_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("spl_problem.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_item.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0, then 1 after the first recurrence …

    case: Mapped[Case] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")


class ProblemMessage(Base):
    """A message about a problem to a department's leaders (督办, 提醒, 回头看), as sent on the bus."""

    __tablename__ = "spl_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("spl_problem.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # escalation | reminder | review | reopen
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")
