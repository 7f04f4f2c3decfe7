"""The 民呼我为 application's own tables.

`open311_key`: the API keys that partner systems (a district's app, a street's grid system, a
third-party reporting app) send as `api_key` when they POST service requests through the Open311
GeoReport v2 API. Only the SHA-256 of a key is stored; the key itself is shown once, when it is made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from digigov.core.clock import utcnow
from digigov.core.db import Base, UTCDateTime


class Open311Key(Base):
    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)  # who holds it, e.g. "xihu-grid"
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to recognise a key in lists
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the key, hex
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None
