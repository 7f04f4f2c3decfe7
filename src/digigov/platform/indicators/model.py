"""Indicators (指标) in the store: the definition (its spec as JSON, versioned), every computation (a run, with
its window and per-period province totals), and the values per region and period.

A value is stored at the region its SQL reported (a county, a city-level department's city, the province);
roll-up to city and province happens when it is read. Recomputing a period replaces its values; the runs
keep what each computation found, so the history of a number that changed stays visible.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

RUN_STATES = ("running", "ok", "failed")


class Indicator(Base):
    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    app: Mapped[str] = mapped_column(String(80), index=True)  # "platform" or the shipping app's id
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # the current IndicatorSpec as JSON
    version: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndicatorRun(Base):
    """One computation of an indicator over a window of periods [since, until)."""

    __tablename__ = "indicator_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    spec_version: Mapped[int] = mapped_column(Integer, default=1)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="running")  # one of RUN_STATES
    rows: Mapped[int] = mapped_column(Integer, default=0)  # rows the SQL returned
    written: Mapped[int] = mapped_column(Integer, default=0)  # (region, period) values written
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # period -> province value found
    error: Mapped[str] = mapped_column(Text, default="")
    triggered_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IndicatorValue(Base):
    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "region_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    period: Mapped[date] = mapped_column(Date, index=True)  # the period's first day (Beijing calendar)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_run.id", ondelete="SET NULL"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
