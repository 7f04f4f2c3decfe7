"""Serving shared data (共享服务): a page of a shared dataset (`read`), a planned CSV/Parquet export (`export`) and
single-record verification (`verify`), each only through an active grant of the caller's department.

Each call reads everything it decides on in one store query (`serving_state`): the caller department's newest
active grant on the channel (revoked or expired grants are filtered in that very query, so a revocation or an
expiry is effective on the next call), the dataset's layer and current version, its fields and their grades (so a
field regraded to L4 stops being served at once), and the grant's usage counter for today (the quota). The grant's
columns are read without the ORM (no identity map, no joined departments). The serving plan is compiled once per
(grant id, `updated_at`, dataset version, field grades, masking key) and cached (`grants.compile_grant`). Then the
masked, filtered SELECT runs in DuckDB, and the call is counted (one upsert) and audited in the caller's
transaction: the record commits or rolls back with the usage it describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, and_, bindparam, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput, PermissionDenied
from digigov.core.settings import get_settings
from digigov.core.warehouse import ident
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.opendata.serving import json_value
from digigov.platform.sharing import filters, reader
from digigov.platform.sharing.common import READ_CHANNELS, beijing_day
from digigov.platform.sharing.grants import CompiledGrant, FieldSpec, compile_grant, field_specs
from digigov.platform.sharing.model import Grant, Usage
from digigov.platform.sharing.usage import count, remaining, take_rate
from digigov.platform.warehouse.model import Dataset, DatasetField


@dataclass(frozen=True)
class ServedGrant:
    """The columns of a grant that serving reads, as one row of the serving state query."""

    id: int
    updated_at: datetime
    granted_at: datetime
    dataset_id: int
    dataset_code: str
    channel: str
    purpose: str
    fields: list[str]
    unmasked: list[str]
    row_filter: list[dict[str, Any]]
    quota_rows_per_day: int | None
    rate_per_minute: int | None
    consumer_department_id: int
    owner_department_id: int


_GRANT_COLUMNS = ("id", "updated_at", "granted_at", "dataset_id", "dataset_code", "channel", "purpose", "fields",
                  "unmasked", "row_filter", "quota_rows_per_day", "rate_per_minute", "consumer_department_id",
                  "owner_department_id")


@dataclass(frozen=True)
class ServingState:
    grant: ServedGrant
    layer: str
    version: int
    specs: tuple[FieldSpec, ...]
    used: tuple[int, int]  # (calls, rows) counted today under the grant

    def plan(self) -> CompiledGrant:
        return compile_grant(self.grant, self.layer, self.version, self.specs)


_STATE: dict[tuple[str, ...], Executable] = {}


def _state_query(channels: tuple[str, ...]) -> Executable:
    """Grant + dataset + fields + today's usage in one SELECT (one row per field), built once per channel set."""
    stmt = _STATE.get(channels)
    if stmt is None:
        g, d, f, u = (Grant.__table__.c, Dataset.__table__.c, DatasetField.__table__.c, Usage.__table__.c)
        newest = (select(g.id)
                  .where(g.consumer_department_id == bindparam("department"), g.dataset_code == bindparam("code"),
                         g.revoked_at.is_(None), g.expires_at > bindparam("now"), g.channel.in_(channels))
                  .order_by(g.id.desc()).limit(1).scalar_subquery())
        stmt = (
            select(*(g[c] for c in _GRANT_COLUMNS), d.layer, d.current_version, f.column, f.grade, f.gb_level,
                   f.element_id, u.calls.label("used_calls"), u.rows.label("used_rows"))
            .select_from(Grant.__table__.join(Dataset.__table__, d.id == g.dataset_id)
                         .outerjoin(DatasetField.__table__, f.dataset_id == d.id)
                         .outerjoin(Usage.__table__, and_(u.grant_id == g.id, u.day == bindparam("day"))))
            .where(g.id == newest).order_by(f.position))
        _STATE[channels] = stmt
    return stmt


def serving_state(session: Session, department_id: int, code: str, channels: Sequence[str],
                  now: datetime) -> ServingState | None:
    """The department's newest active grant for `code` on one of `channels`, with what serving it needs, read in
    one query; None without one."""
    rows = session.connection().execute(_state_query(tuple(channels)), {
        "department": department_id, "code": code, "now": now, "day": beijing_day(now)}).all()
    if not rows:
        return None
    first = rows[0]
    grant = ServedGrant(*(first[i] for i in range(len(_GRANT_COLUMNS))))
    return ServingState(grant=grant, layer=str(first.layer), version=int(first.current_version or 0),
                        specs=field_specs(rows), used=(int(first.used_calls or 0), int(first.used_rows or 0)))


def _state_for(session: Session, actor: Actor, code: str, channels: Sequence[str], now: datetime) -> ServingState:
    require(actor, "sharing.read")
    state = serving_state(session, actor.department_id, code, channels, now) if actor.department_id else None
    if state is None:
        raise PermissionDenied(f"your department has no active grant for dataset {code} (never granted, revoked or "
                               f"expired)", key="sharing_no_grant", action="sharing.read", dataset=code)
    return state


@dataclass
class SharedPage:
    dataset: str
    grant_id: int
    fields: list[str]
    masked: list[str]
    records: list[dict[str, Any]]
    limit: int
    offset: int
    next_cursor: int | None
    quota_remaining: int | None


def read(session: Session, actor: Actor, code: str, *, limit: int = 100, offset: int = 0, cursor: int | None = None,
         now: datetime | None = None) -> SharedPage:
    """A page of a shared dataset under the caller department's grant: granted fields only, masked unless granted
    in clear, rows of the grant's filter only, within its rate and daily quota. Counted and audited."""
    now = now or utcnow()
    state = _state_for(session, actor, code, READ_CHANNELS, now)
    grant = state.grant
    take_rate(grant)
    plan = state.plan()
    left = remaining(grant, state.used, now)
    limit = max(1, min(int(limit), get_settings().sharing_max_page_rows))
    if left is not None:
        limit = min(limit, left)
    offset = max(0, int(offset))
    rows: list[tuple[Any, ...]] = []
    if plan.table is not None and plan.columns:
        where, params = plan.where, list(plan.params)
        if cursor is not None:
            where, params = f"({where}) AND t._record > ?", [*params, int(cursor)]
        # a page is masked in Python: DuckDB rebuilds the masking expressions on every run (3-4 ms a call,
        # however few rows); exports stream every row through the SQL twins instead
        sql = (f"SELECT {plan.clear_list} FROM {plan.table} AS t WHERE {where} "  # noqa: S608
               f"ORDER BY t._record LIMIT {limit} OFFSET {0 if cursor is not None else offset}")
        with reader.connect() as con:
            rows = con.execute(sql, params).fetchall()
    records = [{"_id": r[0], **{c: json_value(v) for c, v in zip(plan.columns, plan.mask_row(r[1:]), strict=True)}}
               for r in rows]
    count(session, grant, len(records), now)
    audit.record(session, actor, "sharing.read", "dataset", code, purpose=grant.purpose,
                 detail={"grant": grant.id, "channel": "api", "fields": list(plan.columns), "masked": plan.masked,
                         "rows": len(records), "offset": offset, "cursor": cursor})
    return SharedPage(dataset=code, grant_id=grant.id, fields=list(plan.columns), masked=plan.masked,
                      records=records, limit=limit, offset=offset,
                      next_cursor=int(rows[-1][0]) if len(rows) == limit and rows else None,
                      quota_remaining=None if left is None else left - len(records))


@dataclass(frozen=True)
class ExportPlan:
    """Everything a streamed export needs, fixed before the response starts (no store access after)."""

    dataset: str
    columns: tuple[str, ...]
    select_list: str
    table: str | None
    where: str
    params: tuple[Any, ...]
    needs_udf: bool
    rows: int


def export(session: Session, actor: Actor, code: str, fmt: str, *, now: datetime | None = None) -> ExportPlan:
    """Plan a CSV or Parquet export under the grant (at most the rows left of today's quota); counted and audited
    before the first byte is sent."""
    now = now or utcnow()
    state = _state_for(session, actor, code, READ_CHANNELS, now)
    grant = state.grant
    take_rate(grant)
    plan = state.plan()
    left = remaining(grant, state.used, now)
    total = 0
    if plan.table is not None and plan.columns:
        cap = f" LIMIT {int(left)}" if left is not None else ""
        with reader.connect() as con:
            got = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {plan.table} AS t "  # noqa: S608
                              f"WHERE {plan.where}{cap})", list(plan.params)).fetchone()
        total = int(got[0]) if got else 0
    count(session, grant, total, now)
    audit.record(session, actor, "sharing.read", "dataset", code, purpose=grant.purpose,
                 detail={"grant": grant.id, "channel": fmt, "fields": list(plan.columns), "masked": plan.masked,
                         "rows": total})
    return ExportPlan(dataset=code, columns=plan.columns, select_list=plan.select_list, table=plan.table,
                      where=plan.where, params=plan.params, needs_udf=plan.needs_udf,
                      rows=total if plan.columns else 0)


def verify(session: Session, actor: Actor, code: str, values: Mapping[str, Any], *,
           now: datetime | None = None) -> bool:
    """Single-record verification (核验) under a `verify` grant: whether a row within the grant's filter holds
    exactly these values in every granted field. Answers match or no match only; the values are not audited."""
    now = now or utcnow()
    state = _state_for(session, actor, code, ("verify",), now)
    grant = state.grant
    if not isinstance(values, Mapping) or set(values) != set(grant.fields):
        raise InvalidInput(f"a verification names every granted field: {', '.join(grant.fields)}",
                           key="sharing_verify_fields", fields=", ".join(grant.fields))
    for name, value in values.items():
        if not (isinstance(value, str) and len(value) <= 200) and not filters._is_number(value):
            raise InvalidInput(f"{name}: a value is a text of at most 200 characters or a number", field=name)
    take_rate(grant)
    remaining(grant, state.used, now, by_calls=True)
    plan = state.plan()
    match = False
    if plan.table is not None and set(plan.columns) == set(grant.fields):
        where, params = plan.where, list(plan.params)
        for name in grant.fields:
            where += f" AND CAST(t.{ident(name)} AS VARCHAR) = ?"
            params.append(filters.text_of(values[name]))
        with reader.connect() as con:
            match = con.execute(f"SELECT 1 FROM {plan.table} AS t WHERE {where} LIMIT 1",  # noqa: S608
                                params).fetchone() is not None
    count(session, grant, 0, now)
    audit.record(session, actor, "sharing.verify", "dataset", code, purpose=grant.purpose,
                 detail={"grant": grant.id, "channel": "verify", "fields": sorted(grant.fields), "match": match})
    return match
