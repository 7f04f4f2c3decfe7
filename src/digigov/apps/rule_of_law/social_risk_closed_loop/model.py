"""The tables of 湖州 社会治理风险闭环管控 (closed-loop social-governance risk control).

- `srcl_task`: one task of a town's warning task list (预警任务清单), from a risk model's signal or a grid worker's
  report. Its handling is a case of type `srcl.task` in the platform's closed loop (签收, 办理, 反馈, 核查, 销号); the
  task keeps what the lists and the cockpit need: domain, indicator, town, month, value, severity and the evidence.
- `srcl_grid_report`: a grid worker's report from the field (网格员上报): grid cell, domain, description, location,
  the names of the photos taken; it opens a task.
- `srcl_payslip`: a wage-payment voucher (工资发放凭证) uploaded against a wage-arrears task (the file itself is the
  case's evidence attachment); it is what closes the task.
- `srcl_post`: who holds which post where: town and street officials, grid workers and their grid cells, the
  centre's supervisors.
- `srcl_safety_run`, `srcl_safety_code`: each scoring run of the enterprise safety code (企业安全码) and every
  enterprise's result in it (score, vetoes, colour, the points of each indicator).
- `srcl_inspection`: the extra inspections (加密检查) scheduled for red and orange enterprises.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

SOURCES = ("warning", "report")  # 模型预警 / 网格上报
POSTS = ("town_official", "grid_worker", "centre_supervisor")
INSPECTION_STATES = ("planned", "done")


class SrclTask(Base):
    __tablename__ = "srcl_task"
    __table_args__ = (UniqueConstraint("case_id"), UniqueConstraint("signal_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer)  # the platform case (case_item.id) that runs its loop
    source: Mapped[str] = mapped_column(String(12), index=True)  # SOURCES
    signal_id: Mapped[int | None] = mapped_column(Integer, default=None)  # the platform signal (warning)
    report_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)  # the grid report
    indicator: Mapped[str] = mapped_column(String(80), index=True)  # the library indicator, or grid_report
    domain: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(8), index=True)  # red | orange | yellow | blue
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    town_code: Mapped[str] = mapped_column(String(9), index=True)
    period: Mapped[str] = mapped_column(String(7), default="", index=True)  # YYYY-MM the risk is about
    subject_key: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SrclGridReport(Base):
    __tablename__ = "srcl_grid_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(12), index=True)
    town_code: Mapped[str] = mapped_column(String(9), index=True)
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    domain: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(300))
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # the photos' file names
    reporter: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)


class SrclPayslip(Base):
    __tablename__ = "srcl_payslip"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("srcl_task.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(Integer)  # the case attachment holding the voucher
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # the wages the voucher shows paid (分)
    workers: Mapped[int] = mapped_column(Integer, default=0)
    paid_on: Mapped[date] = mapped_column(Date)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SrclPost(Base):
    __tablename__ = "srcl_post"
    __table_args__ = (UniqueConstraint("username", "post", "town_code", "grid_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    post: Mapped[str] = mapped_column(String(24))  # POSTS
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), default="")
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    town_code: Mapped[str] = mapped_column(String(9), default="", index=True)  # '' for a centre's post
    grid_code: Mapped[str] = mapped_column(String(12), default="")  # a grid worker's cell


class SrclSafetyRun(Base):
    __tablename__ = "srcl_safety_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)
    run_by: Mapped[str] = mapped_column(String(64))
    enterprises: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # colour -> enterprises
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # dataset -> owner, version, rows


class SrclSafetyCode(Base):
    __tablename__ = "srcl_safety_code"
    __table_args__ = (UniqueConstraint("run_id", "uscc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("srcl_safety_run.id", ondelete="CASCADE"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(60), default="")
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    town_code: Mapped[str] = mapped_column(String(9), index=True)
    score: Mapped[float] = mapped_column(Float)
    basic: Mapped[float] = mapped_column(Float)
    bonus: Mapped[float] = mapped_column(Float)
    deduction: Mapped[float] = mapped_column(Float)
    vetoes: Mapped[list[str]] = mapped_column(JSON, default=list)
    colour: Mapped[str] = mapped_column(String(8), index=True)  # green | yellow | orange | red
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)


class SrclInspection(Base):
    __tablename__ = "srcl_inspection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    enterprise: Mapped[str] = mapped_column(String(200))
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    town_code: Mapped[str] = mapped_column(String(9))
    colour: Mapped[str] = mapped_column(String(8))  # the colour that called for it
    run_id: Mapped[int] = mapped_column(Integer)
    department_code: Mapped[str] = mapped_column(String(64))  # the inspecting department
    due_on: Mapped[date] = mapped_column(Date, index=True)
    every_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="planned", index=True)  # INSPECTION_STATES
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done_by: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[str] = mapped_column(Text, default="")

    @property
    def region_code(self) -> str:
        """The county, for the permission rules (the inspecting bureau's region must cover it)."""
        return self.county_code
