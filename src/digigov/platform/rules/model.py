"""Early-warning rules (预警规则) as data, their versions and runs, the signals (预警) they raise, and the
members of event-rule windows (kept in the store so a window survives a restart).

A rule's text lives in its versions: every save adds a `RuleVersion`; the rule points at its current one
(`current_version`), and a signal records the version that raised it. Signals dedupe on (rule, subject)
while open: a later hit on the same subject updates the open signal instead of adding one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime
from digigov.identity.model import Department

SEVERITIES = ("red", "orange", "yellow", "blue")  # 红 橙 黄 蓝, most urgent first
SIGNAL_STATES = ("open", "closed", "dismissed")
RULE_KINDS = ("sql", "event")


class Rule(Base):
    """One early-warning rule. The columns repeat what lists and filters need from the current version's spec."""

    __tablename__ = "rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(8))  # sql | event
    severity: Mapped[str] = mapped_column(String(8))  # one of SEVERITIES, or "column" (per result row)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    case_type: Mapped[str | None] = mapped_column(String(64))
    schedule: Mapped[str | None] = mapped_column(String(64))  # 5-field cron (Beijing time), sql rules
    app: Mapped[str | None] = mapped_column(String(80), index=True)  # the application that shipped it
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def region_code(self) -> str:
        return self.department.region_code if self.department is not None else ""


class RuleVersion(Base):
    """One saved text of a rule: never changed, never deleted."""

    __tablename__ = "rule_version"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rule.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validated spec
    text: Mapped[str] = mapped_column(Text)  # as written (YAML)
    source: Mapped[str] = mapped_column(String(16))  # console | app
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(300), default="")


class RuleRun(Base):
    """One run of a rule (manual, scheduled); not written for dry runs."""

    __tablename__ = "rule_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rule.id", ondelete="CASCADE"), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(16))  # manual | schedule | batch
    actor: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)  # result rows (hits)
    hits: Mapped[int] = mapped_column(Integer, default=0)  # subjects hit
    new_signals: Mapped[int] = mapped_column(Integer, default=0)
    updated_signals: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Signal(Base):
    """A warning (预警) about one subject, raised by a rule; a case of the rule's type answers it."""

    __tablename__ = "signal"
    __table_args__ = (Index("ix_signal_rule_subject", "rule_id", "subject_key", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rule.id", ondelete="CASCADE"), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    subject_key: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # one of SIGNAL_STATES
    title: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hit_count: Mapped[int] = mapped_column(Integer, default=1)  # runs (or windows) that hit this subject
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)  # rows behind the latest hit
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the first rows (capped)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)  # set when the case engine opens one
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule: Mapped[Rule] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")


class RuleWindowEvent(Base):
    """An event that matched an event rule with a window, kept until it falls out of the window."""

    __tablename__ = "rule_window_event"
    __table_args__ = (
        UniqueConstraint("rule_id", "event_seq"),
        Index("ix_rule_window_event_group", "rule_id", "group_key", "event_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rule.id", ondelete="CASCADE"))
    group_key: Mapped[str] = mapped_column(String(200))
    event_seq: Mapped[int] = mapped_column(BigInteger)  # the bus outbox (or stream) sequence
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
