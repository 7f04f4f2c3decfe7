"""Rate, quota and usage of grants: the per-minute token bucket, the rows (or calls) left of today's quota, the
per-grant per-day usage counter each read adds to in its own transaction, and the usage report the consumer, the
owner and the data authority read (from the counters, never from the audit log's JSON).

The counter's upsert is built once per dialect and executed on the session's connection (no ORM flush, no
statement to build per call); the quota reads the counter through the serving state query (`serving`), so a
read costs no extra query for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Insert, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput
from digigov.core.ratelimit import TokenBucket
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import jurisdiction_prefix, require
from digigov.platform.sharing.common import RateLimited, aware, beijing_day, seconds_to_next_day
from digigov.platform.sharing.model import Usage


class Metered(Protocol):
    """The grant columns rate, quota and counting read: a `Grant` or a serving state's grant."""

    @property
    def id(self) -> int: ...
    @property
    def granted_at(self) -> datetime: ...
    @property
    def rate_per_minute(self) -> int | None: ...
    @property
    def quota_rows_per_day(self) -> int | None: ...
    @property
    def consumer_department_id(self) -> int: ...
    @property
    def owner_department_id(self) -> int: ...
    @property
    def dataset_code(self) -> str: ...


_BUCKETS: dict[tuple[int, str, int], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def take_rate(grant: Metered) -> None:
    """Take one call from the grant's per-minute bucket; RateLimited when it is empty."""
    if not grant.rate_per_minute:
        return
    key = (grant.id, aware(grant.granted_at).isoformat(), int(grant.rate_per_minute))
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(key)
        if bucket is None:
            if len(_BUCKETS) > 10_000:
                _BUCKETS.clear()
            bucket = _BUCKETS[key] = TokenBucket(int(grant.rate_per_minute), int(grant.rate_per_minute))
    wait = bucket.take("grant")
    if wait:
        raise RateLimited(f"grant {grant.id} allows {grant.rate_per_minute} requests a minute; retry in {wait} s",
                          wait)


def used_today(session: Session, grant_id: int, now: datetime) -> tuple[int, int]:
    """(calls, rows) counted today under the grant."""
    row = session.execute(select(Usage.calls, Usage.rows).where(Usage.grant_id == grant_id,
                                                                Usage.day == beijing_day(now))).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def remaining(grant: Metered, used: tuple[int, int], now: datetime, *, by_calls: bool = False) -> int | None:
    """Rows (or, for verification, calls) the grant may still use today given today's `used` (calls, rows);
    None without a quota; RateLimited when none are left."""
    if not grant.quota_rows_per_day:
        return None
    calls, rows = used
    left = int(grant.quota_rows_per_day) - (calls if by_calls else rows)
    if left <= 0:
        wait = seconds_to_next_day(now)
        raise RateLimited(f"grant {grant.id}'s quota of {grant.quota_rows_per_day} a day is used up; "
                          f"retry in {wait} s", wait)
    return left


_UPSERTS: dict[str, Insert] = {}


def _upsert(dialect: str) -> Insert:
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        insert = pg_insert(Usage) if dialect == "postgresql" else sqlite_insert(Usage)
        table = Usage.__table__
        stmt = _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=["grant_id", "day"],
            set_={"calls": table.c.calls + 1, "rows": table.c.rows + insert.excluded.rows,
                  "last_at": insert.excluded.last_at})
    return stmt


def count(session: Session, grant: Metered, rows: int, now: datetime) -> None:
    """Add one call and `rows` rows to the grant's counter for today (an upsert: no lost update on PostgreSQL)."""
    conn = session.connection()
    conn.execute(_upsert(conn.dialect.name), {
        "grant_id": grant.id, "day": beijing_day(now), "consumer_department_id": grant.consumer_department_id,
        "owner_department_id": grant.owner_department_id, "dataset_code": grant.dataset_code, "calls": 1,
        "rows": rows, "last_at": now})


@dataclass(frozen=True)
class UsageRow:
    day: str
    dataset: str
    consumer: str
    consumer_name: str
    owner: str
    owner_name: str
    calls: int
    rows: int


def usage(session: Session, actor: Actor, *, scope: str = "consumer", days: int = 30,
          now: datetime | None = None) -> list[UsageRow]:
    """Calls and rows per day, dataset, consumer and owner: `consumer` (what the actor's department read),
    `owner` (who read the actor's department's data), `all` (the data authority's KPI over its region)."""
    since = beijing_day((now or utcnow()) - timedelta(days=max(1, min(int(days), 366)) - 1))
    consumer, owner = Department.__table__.alias("c"), Department.__table__.alias("o")
    stmt = (select(Usage.day, Usage.dataset_code, consumer.c.code, consumer.c.name, owner.c.code, owner.c.name,
                   func.sum(Usage.calls), func.sum(Usage.rows))
            .join(consumer, consumer.c.id == Usage.consumer_department_id)
            .join(owner, owner.c.id == Usage.owner_department_id)
            .where(Usage.day >= since)
            .group_by(Usage.day, Usage.dataset_code, consumer.c.code, consumer.c.name, owner.c.code, owner.c.name)
            .order_by(Usage.day.desc(), Usage.dataset_code, consumer.c.code))
    if scope == "consumer":
        stmt = stmt.where(Usage.consumer_department_id == (actor.department_id or 0))
    elif scope == "owner":
        stmt = stmt.where(Usage.owner_department_id == (actor.department_id or 0))
    elif scope == "all":
        require(actor, "sharing.usage")
        if not actor.has("platform_admin", "auditor"):
            stmt = stmt.where(owner.c.region_code.startswith(jurisdiction_prefix(actor.region_code,
                                                                                actor.region_level)))
    else:
        raise InvalidInput("scope is consumer, owner or all", field="scope")
    return [UsageRow(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6] or 0), int(r[7] or 0))
            for r in session.execute(stmt)]
