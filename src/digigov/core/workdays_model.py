"""Admin overrides of the official working-day calendar (工作日调整), one row per date.

The chinese_calendar package holds the State Council's schedule for the years it knows; a row here
wins over it for its date, and for a year the package does not know yet (the next year's schedule is
published each November) the rows entered by an administrator are the schedule.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime


class WorkdayOverride(Base):
    __tablename__ = "workday_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)  # day.year, to find a year's entries cheaply
    workday: Mapped[bool] = mapped_column(Boolean)  # True: an adjusted working day (调休上班); False: a holiday
    name: Mapped[str] = mapped_column(String(100), default="")  # e.g. 春节 / Spring Festival
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
