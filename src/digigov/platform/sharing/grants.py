"""Grants (授权): finding the active one, compiling it into the serving plan, applying it to rows, listing,
looking up and revoking.

`active_grant` finds a department's grant for a dataset (one query); `compile_grant` turns it into the serving
SELECT (granted columns only, each wrapped in its masking rule's SQL twin unless granted unmasked, the row filter
as bound parameters), cached by the grant's id and `updated_at` and everything else the plan depends on (the
dataset's layer, version and field grades, the masking key), so a revocation, an expiry, a changed grant or a
regraded field is seen on the next call. `apply_grant` is the Python twin for small row sets (change events).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.warehouse import ident, sql_literal, table_ref
from digigov.identity.actor import Actor
from digigov.identity.permissions import can, jurisdiction_prefix, require
from digigov.platform.sharing import filters
from digigov.platform.sharing.common import BULK_CHANNELS, UNMASKED_GRADE, aware, rank, text_value
from digigov.platform.sharing.model import Grant, ShareRequest
from digigov.platform.standards import masking, registry, scheme
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.model import Dataset, DatasetField


def revoke(session: Session, actor: Actor, grant_id: int, *, reason: str, now: datetime | None = None) -> Grant:
    """Withdraw a grant (the owner's steward or approver, or the covering data authority); effective on the
    next call."""
    grant = get_grant(session, actor, grant_id)
    require(actor, "sharing.revoke", grant)
    reason = text_value(reason, "reason")
    if not reason:
        raise InvalidInput("a revocation needs a reason", key="sharing_revoke_reason", field="reason")
    if grant.revoked_at is not None:
        raise Conflict(f"grant {grant_id} is already revoked", key="sharing_revoked")
    now = now or utcnow()
    grant.revoked_at, grant.revoked_by, grant.revoke_reason, grant.updated_at = now, actor.username, reason, now
    session.flush()
    audit.record(session, actor, "sharing.grant.revoke", "sharing_grant", grant.id, purpose=grant.purpose,
                 detail={"dataset": grant.dataset_code, "consumer": grant.consumer.code, "reason": reason})
    return grant


def grant_of(session: Session, req: ShareRequest) -> Grant | None:
    return session.scalar(select(Grant).where(Grant.request_id == req.id))


def get_grant(session: Session, actor: Actor, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id) if isinstance(grant_id, int) and 0 < grant_id < 2**31 else None
    if grant is None:
        raise NotFound(f"no sharing grant {grant_id}")
    if not can(actor, "sharing.view", grant):
        raise PermissionDenied(f"{actor.username} may not see sharing grant {grant_id}", action="sharing.view")
    return grant


def grants(session: Session, actor: Actor, *, side: str = "consumer") -> list[Grant]:
    """Grants the actor's department holds (`consumer`), has given (`owner`), or all it may see (`all`)."""
    stmt = select(Grant).order_by(Grant.id.desc())
    if side == "consumer":
        stmt = stmt.where(Grant.consumer_department_id == (actor.department_id or 0))
    elif side == "owner":
        stmt = stmt.where(Grant.owner_department_id == (actor.department_id or 0))
    elif side == "all":
        if not (actor.has("platform_admin", "auditor") or actor.is_data_authority):
            raise PermissionDenied(f"{actor.username} may not list every grant", action="sharing.view")
        if not actor.has("platform_admin", "auditor"):
            stmt = stmt.where(Grant.region_code.startswith(jurisdiction_prefix(actor.region_code, actor.region_level)))
    else:
        raise InvalidInput("side is consumer, owner or all", field="side")
    return [g for g in session.scalars(stmt).unique() if can(actor, "sharing.view", g)]


def is_active(grant: Grant, now: datetime | None = None) -> bool:
    return grant.revoked_at is None and aware(grant.expires_at) > aware(now or utcnow())


# ---- finding and compiling a grant ----------------------------------------------------------------

def _active(session: Session, department_id: int, dataset_code: str, channels: Sequence[str],
            now: datetime | None) -> Grant | None:
    moment = now or utcnow()
    return session.scalars(
        select(Grant).where(Grant.consumer_department_id == department_id, Grant.dataset_code == dataset_code,
                            Grant.revoked_at.is_(None), Grant.expires_at > moment, Grant.channel.in_(channels))
        .order_by(Grant.id.desc()).limit(1)).first()


def active_grant(session: Session, department_id: int, dataset_code: str, *, channel: str | None = None,
                 now: datetime | None = None) -> Grant | None:
    """The department's newest grant for the dataset that is neither revoked nor expired at `now`, on `channel`
    (None: any bulk channel, `api`, `batch` or `feed`; a `verify` grant is found only by asking for it)."""
    channels: Sequence[str] = BULK_CHANNELS if channel is None else (channel,)
    return _active(session, department_id, dataset_code, channels, now)


class GrantTerms(Protocol):
    """What a serving plan is compiled from: a `Grant`, or the same columns read without the ORM."""

    @property
    def id(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def dataset_code(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def fields(self) -> list[str]: ...
    @property
    def unmasked(self) -> list[str]: ...
    @property
    def row_filter(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class FieldSpec:
    column: str
    grade: str  # effective
    element_id: str | None


@dataclass(frozen=True)
class CompiledGrant:
    """A grant ready to serve: the columns, each one's masking rule (None: in clear), the SELECT list, the row
    filter as SQL with its parameters and as a Python predicate."""

    grant_id: int
    table: str | None  # None: the dataset has no data yet
    columns: tuple[str, ...]
    rules: dict[str, str | None]
    select_list: str  # the columns, masked in SQL (exports: every row passes through it)
    clear_list: str  # the same columns in clear, for a page masked in Python afterwards (`mask_row`)
    where: str
    params: tuple[Any, ...]
    needs_udf: bool
    key: str
    predicate: Callable[[Mapping[str, Any]], bool]

    @property
    def masked(self) -> list[str]:
        return [c for c in self.columns if self.rules[c] is not None]

    def mask_row(self, values: Sequence[Any]) -> list[Any]:
        """One row of `clear_list` (without `_record`) as served: each masked column through its rule's
        Python twin (the same result as the SQL twin, tested in standards)."""
        return [v if (rule := self.rules[c]) is None else masking.RULES[rule].python(v, self.key)
                for c, v in zip(self.columns, values, strict=True)]


def field_specs(rows: Sequence[Any]) -> tuple[FieldSpec, ...]:
    """FieldSpecs of rows with `column`, `grade`, `gb_level` and `element_id` (rows without a column skipped)."""
    specs = []
    for row in rows:
        if row.column is None:
            continue
        try:
            grade = scheme.effective_grade(row.grade, row.gb_level)
        except (KeyError, ValueError):
            grade = "L4"  # an unreadable grade is treated as the strictest
        specs.append(FieldSpec(row.column, grade, row.element_id))
    return tuple(specs)


def _specs(session: Session, dataset_id: int) -> tuple[str, int, tuple[FieldSpec, ...]]:
    """The dataset's layer, current version and fields, in one query."""
    rows = session.execute(
        select(Dataset.layer, Dataset.current_version, DatasetField.column, DatasetField.grade,
               DatasetField.gb_level, DatasetField.element_id)
        .join(DatasetField, DatasetField.dataset_id == Dataset.id, isouter=True)
        .where(Dataset.id == dataset_id).order_by(DatasetField.position)).all()
    if not rows:
        raise NotFound(f"dataset {dataset_id} not found", key="dataset_not_found", dataset=str(dataset_id))
    return str(rows[0].layer), int(rows[0].current_version or 0), field_specs(rows)


def _rule_for(spec: FieldSpec) -> str:
    """The masking rule of a field: its data element's, else `redact` (as the warehouse's serving SQL picks it)."""
    element = registry.elements().get(spec.element_id or "")
    return element.masking if element and element.masking else "redact"


_CACHE: dict[tuple[Any, ...], CompiledGrant] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 2048


def compile_grant(grant: GrantTerms, layer: str, version: int, specs: Sequence[FieldSpec]) -> CompiledGrant:
    """The grant as a serving plan, cached by (grant id, updated_at) and everything else the plan depends on."""
    key = warehouse.masking_key()
    cache_key = (grant.id, grant.updated_at, grant.dataset_code, grant.channel, tuple(grant.fields),
                 tuple(grant.unmasked), json.dumps(grant.row_filter, sort_keys=True), layer, version, tuple(specs), key)
    hit = _CACHE.get(cache_key)
    if hit is not None:
        return hit
    by_column = {s.column: s for s in specs}
    granted = set(grant.fields)
    columns: list[str] = []
    rules: dict[str, str | None] = {}
    for spec in specs:  # the dataset's order
        if spec.column not in granted:
            continue
        if grant.channel != "verify" and spec.grade == "L4":
            continue  # regraded to core since the grant: never served in bulk
        columns.append(spec.column)
        in_clear = spec.column in grant.unmasked or rank(spec.grade) <= rank(UNMASKED_GRADE)
        rules[spec.column] = None if in_clear else _rule_for(spec)
    exprs = ["t._record AS _record"]
    for column in columns:
        col = f"t.{ident(column)}"
        rule = rules[column]
        exprs.append(f"{col} AS {ident(column)}" if rule is None
                     else f"{masking.RULES[rule].sql(col, sql_literal(key))} AS {ident(column)}")
    conditions = [c for c in grant.row_filter if c.get("column") in by_column]
    params: list[Any]
    if len(conditions) != len(grant.row_filter):
        where, params = "FALSE", []  # a filter column is gone: serve nothing rather than too much
    else:
        where, params = filters.to_sql(conditions)
    compiled = CompiledGrant(
        grant_id=grant.id, table=table_ref(layer, f"{grant.dataset_code}__v{version}") if version else None,
        columns=tuple(columns), rules=rules, select_list=", ".join(exprs),
        clear_list=", ".join(["t._record AS _record", *(f"t.{ident(c)} AS {ident(c)}" for c in columns)]),
        where=where, params=tuple(params),
        needs_udf=any(r is not None and masking.RULES[r].needs_key for r in rules.values()), key=key,
        predicate=filters.predicate(conditions) if where != "FALSE" else (lambda _row: False),
    )
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[cache_key] = compiled
    return compiled


def compiled_for(session: Session, grant: Grant) -> CompiledGrant:
    layer, version, specs = _specs(session, grant.dataset_id)
    return compile_grant(grant, layer, version, specs)


def apply_grant(grant: Grant, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` (dicts of clear values by column) as the grant lets its holder see them: rows outside its filter
    dropped, non-granted fields dropped, masked fields masked (the Python twins of the serving SQL's rules).
    For small row sets such as change events; the grant must be attached to a session."""
    session = object_session(grant)
    if session is None:
        raise ValueError("apply_grant needs a grant loaded in a session")
    plan = compiled_for(session, grant)
    out = []
    for row in rows:
        if not plan.predicate(row):
            continue
        out.append({c: (row.get(c) if plan.rules[c] is None
                        else masking.RULES[plan.rules[c]].python(row.get(c), plan.key))  # type: ignore[index]
                    for c in plan.columns})
    return out


# ---- rate, quota, usage -----------------------------------------------------------------------------
