"""The 浙江外卖在线 application's own tables: one row per verification run, the verdict of every listing in the
run (with the evidence it rests on), the findings (listings, riders, platforms, accidents fed back) and each
platform's health index. A run is kept whole: the cockpit shows the latest, earlier runs stay for comparison."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime

VERDICTS = ("compliant", "non_compliant")
SUBJECTS = ("listing", "rider", "platform", "accident")


class FdoRun(Base):
    __tablename__ = "fdo_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    as_of: Mapped[str] = mapped_column(String(10))  # the latest capture date of the listings (YYYY-MM-DD)
    run_by: Mapped[str] = mapped_column(String(80))
    listings: Mapped[int] = mapped_column(Integer, default=0)
    compliant: Mapped[int] = mapped_column(Integer, default=0)
    non_compliant: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    cases_opened: Mapped[int] = mapped_column(Integer, default=0)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the cockpit's figures
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # dataset -> {owner, version, rows}


class FdoListing(Base):
    __tablename__ = "fdo_listing"
    __table_args__ = (UniqueConstraint("run_id", "platform", "shop_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fdo_run.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16), index=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    shop_name: Mapped[str] = mapped_column(String(200))
    operator_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    county_code: Mapped[str] = mapped_column(String(6), default="", index=True)
    category: Mapped[str] = mapped_column(String(40), default="")
    displayed: Mapped[str] = mapped_column(String(64), default="")  # 公示证照编号 as shown
    number_used: Mapped[str] = mapped_column(String(32), default="")  # the number the checks used
    daily_orders: Mapped[int] = mapped_column(Integer, default=0)
    verdict: Mapped[str] = mapped_column(String(16), index=True)  # VERDICTS
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # finding kinds, most serious first
    kitchen_required: Mapped[bool] = mapped_column(Boolean, default=False)
    kitchen_connected: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # listing, licence, enterprise, kitchen
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)


class FdoFinding(Base):
    __tablename__ = "fdo_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fdo_run.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(12))  # SUBJECTS
    subject_key: Mapped[str] = mapped_column(String(80))  # platform:shop_id, platform:rider_no, platform, accident no
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("fdo_listing.id", ondelete="CASCADE"), default=None)
    platform: Mapped[str] = mapped_column(String(16), index=True)
    county_code: Mapped[str] = mapped_column(String(6), default="", index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)


class FdoPlatformScore(Base):
    __tablename__ = "fdo_platform_score"
    __table_args__ = (UniqueConstraint("run_id", "platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fdo_run.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    health_index: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # component -> 0..1
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the counts behind the components
