"""Data sharing use cases (共享): request, review (approve, narrow, refuse), grant, revoke, serve, verify, usage.

A department officer asks for fields of another department's dataset for a stated purpose and legal basis,
optionally only some rows (a structured row filter), on a channel (`api`, `batch`, `feed`, or `verify` for
single-record checks), until a date, with an optional daily row quota and per-minute rate. The owner
department's steward approves, narrows (fewer fields, fewer unmasked fields, an added filter condition, an
earlier expiry, a lower quota or rate) or refuses with a reason; when an approved field is graded L3 or above,
the data authority (大数据局) covering the owner's region decides next, by the same rule as the catalogue's
authority review. An L4 field is never granted in bulk: a request naming one on a bulk channel is refused at
submission; L4 fields are only checked one record at a time on the `verify` channel, which answers match or
no match and never a value.

Serving reads only through a grant: `active_grant` finds it (one query), `compile_grant` turns it into the
serving SELECT (granted columns only, each wrapped in its masking rule's SQL twin unless granted unmasked, the
row filter as bound parameters), cached by the grant's id and `updated_at` and the dataset's version and field
grades. Revocation and expiry take effect on the next call. Every read, verification and decision is audited in
the caller's transaction, and each read adds its calls and rows to the grant's usage counter for the day in
the same transaction (the quota reads that counter; the usage pages and the authority's KPI read it too, so they
never scan the audit log's JSON).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, DigigovError, InvalidInput, NotFound, PermissionDenied
from digigov.core.i18n import register
from digigov.core.settings import get_settings
from digigov.core.warehouse import ident, sql_literal, table_ref
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import can, jurisdiction_prefix, require
from digigov.platform.opendata.ratelimit import TokenBucket
from digigov.platform.opendata.serving import json_value
from digigov.platform.sharing import filters, reader
from digigov.platform.sharing.model import CHANNELS, Grant, ShareRequest, Usage
from digigov.platform.standards import masking, registry, scheme, sqlfuncs
from digigov.platform.warehouse import governance
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.model import Dataset, DatasetField

BULK_CHANNELS = ("api", "batch", "feed")
READ_CHANNELS = ("api", "batch")  # GET /api/v1/shared/{dataset} serves grants of these channels
UNMASKED_GRADE = "L1"  # a field graded above this is served masked unless the grant names it unmasked
AUTHORITY_FROM = "L3"  # a grant with a field at or above this grade also needs the data authority
BEIJING = timezone(timedelta(hours=8), "CST")
MAX_TEXT = 2000

register({
    "error.sharing_l4_bulk": ("{fields} 为第4级（核心）数据，不能批量共享，只能通过核验（verify）渠道逐条核验",
                              "{fields}: grade 4 (core) data is never shared in bulk; only single-record "
                              "verification (channel verify) is possible"),
    "error.sharing_no_grant": ("本部门没有数据集 {dataset} 的有效共享授权（未授权、已撤销或已过期）",
                               "Your department has no active grant for dataset {dataset} "
                               "(never granted, revoked or expired)"),
    "error.sharing_unknown_field": ("数据集没有字段：{fields}", "The dataset has no field: {fields}"),
    "error.sharing_unknown_column": ("数据集没有字段 {column}", "The dataset has no column {column}"),
    "error.sharing_bad_filter": ("行过滤条件有误", "The row filter is not valid"),
    "error.sharing_not_narrower": ("审批只能收窄申请：{what}", "A review can only narrow the request: {what}"),
    "error.sharing_own_dataset": ("本部门的数据集无需申请共享",
                                  "Your own department's dataset needs no sharing request"),
    "error.sharing_refusal_reason": ("不同意时请填写理由", "A refusal needs a reason"),
    "error.sharing_revoke_reason": ("撤销授权时请填写理由", "A revocation needs a reason"),
    "error.sharing_expiry": ("到期日应在今天之后、{days} 天以内",
                             "The expiry must be after today and within {days} days"),
    "error.sharing_verify_fields": ("核验须提供授权的全部字段：{fields}",
                                    "A verification names every granted field: {fields}"),
    "error.sharing_nothing_to_decide": ("该申请已是“{state}”状态，无需审批",
                                        "The request is {state}; nothing to decide"),
    "error.sharing_too_many": ("请求过于频繁或超出每日配额，请 {wait} 秒后再试",
                               "Too many requests or the daily quota is used up; retry in {wait} s"),
    "error.sharing_revoked": ("该授权已撤销", "The grant is already revoked"),
})


class RateLimited(DigigovError):
    """The grant's per-minute rate or daily row quota is used up; `retry_after` seconds until it is not."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, retry_after: int, **detail: object) -> None:
        super().__init__(message, key="sharing_too_many", wait=retry_after, **detail)
        self.retry_after = max(1, int(retry_after))


# ---- small helpers --------------------------------------------------------------------------------

def _text(value: object, field: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    value = value.strip()
    if "\x00" in value or len(value) > MAX_TEXT:
        raise InvalidInput(f"{field} must be at most {MAX_TEXT} characters", field=field)
    if required and not value:
        raise InvalidInput(f"{field} is required", field=field)
    return value


def _positive(value: object, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{field} must be a positive whole number", field=field)
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a positive whole number", field=field) from None
    if not 0 < number < 2**31:
        raise InvalidInput(f"{field} must be a positive whole number", field=field)
    return number


def _names(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInput(f"{field} is a list of field names", field=field)
    out: list[str] = []
    for v in value:
        if not isinstance(v, str) or not v or len(v) > 128:
            raise InvalidInput(f"{field} is a list of field names", field=field)
        if v not in out:
            out.append(v)
    return out


def beijing_day(moment: datetime) -> str:
    """The day (UTC+8) a moment falls on, as YYYY-MM-DD: usage and quotas count per Beijing day."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).date().isoformat()


def seconds_to_next_day(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(BEIJING)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), BEIJING)
    return max(1, math.ceil((midnight - local).total_seconds()))


def expiry_of(value: object) -> datetime:
    """An expiry as the UTC moment it takes effect: a date means the end of that day in Beijing time."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput("expires must be a date (YYYY-MM-DD)", field="expires") from None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time(0), BEIJING).astimezone(UTC)
    raise InvalidInput("expires must be a date (YYYY-MM-DD)", field="expires")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def field_grade(fld: DatasetField) -> str:
    """A field's effective grade: the stricter of its grade and its national level's ("就高从严")."""
    try:
        return scheme.effective_grade(fld.grade, fld.gb_level)
    except (KeyError, ValueError):
        return "L4"  # an unreadable grade is treated as the strictest


def _rank(grade: str) -> int:
    return scheme.grade_rank(grade)


def _dataset(session: Session, code: str) -> Dataset:
    if not isinstance(code, str) or not code or len(code) > 60 or "\x00" in code:
        raise NotFound(f"dataset {str(code)[:60]} not found", key="dataset_not_found", dataset=str(code)[:60])
    return governance.find_dataset(session, code)


# ---- requests and review --------------------------------------------------------------------------

def _check_fields(ds: Dataset, fields: Sequence[str], channel: str) -> dict[str, DatasetField]:
    by_column = {f.column: f for f in ds.fields}
    unknown = [f for f in fields if f not in by_column]
    if unknown:
        raise InvalidInput(f"the dataset {ds.code} has no field {', '.join(unknown)}", key="sharing_unknown_field",
                           field="fields", fields=", ".join(unknown))
    if channel != "verify":
        core = [f for f in fields if field_grade(by_column[f]) == "L4"]
        if core:
            raise InvalidInput(f"{', '.join(core)}: grade 4 (core) data is never shared in bulk; only "
                               f"single-record verification (channel verify) is possible",
                               key="sharing_l4_bulk", field="fields", fields=", ".join(core))
    return {f: by_column[f] for f in fields}


def _needs_authority(ds: Dataset, fields: Sequence[str]) -> bool:
    by_column = {f.column: f for f in ds.fields}
    return any(_rank(field_grade(by_column[f])) >= _rank(AUTHORITY_FROM) for f in fields if f in by_column)


def submit_request(session: Session, actor: Actor, *, dataset: str, purpose: str, fields: Sequence[str],
                   channel: str = "api", expires: object, legal_basis: str = "", unmasked: Sequence[str] = (),
                   row_filter: Sequence[Mapping[str, Any]] | None = None, quota_rows_per_day: object = None,
                   rate_per_minute: object = None, now: datetime | None = None) -> ShareRequest:
    """A department's request for fields of another department's dataset; goes to the owner's steward."""
    require(actor, "sharing.request")
    if actor.department_id is None or actor.user_id is None:
        raise PermissionDenied("a sharing request is made by a signed-in user for a department",
                               action="sharing.request")
    ds = _dataset(session, dataset)
    if ds.owner_department_id == actor.department_id:
        raise InvalidInput("your own department's dataset needs no sharing request", key="sharing_own_dataset")
    purpose = _text(purpose, "purpose", required=True)
    legal_basis = _text(legal_basis, "legal_basis")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    names = _names(fields, "fields")
    if not names:
        raise InvalidInput("name at least one field", field="fields")
    _check_fields(ds, names, channel)
    clear = _names(unmasked, "unmasked")
    if set(clear) - set(names):
        raise InvalidInput("unmasked fields must be among the requested fields", field="unmasked")
    conditions = filters.validate(list(row_filter or []), [f.column for f in ds.fields])
    now = now or utcnow()
    expires_at = expiry_of(expires)
    max_days = get_settings().sharing_max_grant_days
    if not _aware(now) < expires_at <= _aware(now) + timedelta(days=max_days + 1):
        raise InvalidInput(f"the expiry must be after today and within {max_days} days", key="sharing_expiry",
                           field="expires", days=max_days)
    req = ShareRequest(
        dataset_id=ds.id, dataset_code=ds.code, requester_id=actor.user_id,
        consumer_department_id=actor.department_id, owner_department_id=ds.owner_department_id,
        region_code=ds.owner.region_code, purpose=purpose, legal_basis=legal_basis, fields=names,
        unmasked=[c for c in names if c in clear], row_filter=conditions, channel=channel, expires_at=expires_at,
        quota_rows_per_day=_positive(quota_rows_per_day, "quota_rows_per_day"),
        rate_per_minute=_positive(rate_per_minute, "rate_per_minute"), approved={},
        needs_authority=_needs_authority(ds, names), state="owner_review", submitted_at=now,
    )
    session.add(req)
    session.flush()
    audit.record(session, actor, "sharing.request.submit", "sharing_request", req.id, purpose=purpose,
                 detail={"dataset": ds.code, "owner": ds.owner.code, "fields": names, "unmasked": req.unmasked,
                         "row_filter": conditions, "channel": channel, "expires_at": expires_at.isoformat(),
                         "quota_rows_per_day": req.quota_rows_per_day, "rate_per_minute": req.rate_per_minute,
                         "legal_basis": legal_basis, "needs_authority": req.needs_authority})
    return req


def terms(req: ShareRequest) -> dict[str, Any]:
    """The terms as they stand: the last reviewer's (narrowed) terms, else the request's own."""
    if req.approved:
        return dict(req.approved)
    return {"fields": list(req.fields), "unmasked": list(req.unmasked), "row_filter": list(req.row_filter),
            "expires_at": _aware(req.expires_at).isoformat(), "quota_rows_per_day": req.quota_rows_per_day,
            "rate_per_minute": req.rate_per_minute}


def _narrow(ds: Dataset, current: dict[str, Any], *, fields: Sequence[str] | None, unmasked: Sequence[str] | None,
            extra_filter: Sequence[Mapping[str, Any]] | None, expires: object, quota_rows_per_day: object,
            rate_per_minute: object) -> dict[str, Any]:
    out = dict(current)
    if fields is not None:
        names = _names(fields, "fields")
        wider = [f for f in names if f not in current["fields"]]
        if wider or not names:
            raise InvalidInput(f"fields not requested: {', '.join(wider)}" if wider else "keep at least one field",
                               key="sharing_not_narrower", field="fields",
                               what=", ".join(wider) or "fields")
        out["fields"] = [f for f in current["fields"] if f in names]
    if unmasked is not None:
        clear = _names(unmasked, "unmasked")
        wider = [f for f in clear if f not in current["unmasked"]]
        if wider:
            raise InvalidInput(f"unmasked fields not requested unmasked: {', '.join(wider)}",
                               key="sharing_not_narrower", field="unmasked", what=", ".join(wider))
        out["unmasked"] = clear
    out["unmasked"] = [f for f in out["fields"] if f in out["unmasked"]]
    if extra_filter:
        out["row_filter"] = [*current["row_filter"],
                             *filters.validate(list(extra_filter), [f.column for f in ds.fields])]
    if expires not in (None, ""):
        moment = expiry_of(expires)
        if moment > datetime.fromisoformat(current["expires_at"]):
            raise InvalidInput("the expiry can only be brought forward", key="sharing_not_narrower",
                               field="expires", what="expires")
        out["expires_at"] = moment.isoformat()
    for key, value in (("quota_rows_per_day", quota_rows_per_day), ("rate_per_minute", rate_per_minute)):
        number = _positive(value, key)
        if number is not None:
            if current[key] is not None and number > current[key]:
                raise InvalidInput(f"{key} can only be lowered", key="sharing_not_narrower", field=key, what=key)
            out[key] = number
    return out


def decide(session: Session, actor: Actor, request_id: int, *, approve: bool, comment: str = "",
           fields: Sequence[str] | None = None, unmasked: Sequence[str] | None = None,
           extra_filter: Sequence[Mapping[str, Any]] | None = None, expires: object = None,
           quota_rows_per_day: object = None, rate_per_minute: object = None,
           now: datetime | None = None) -> ShareRequest:
    """Approve (possibly narrowing) or refuse a request at its current stage: the owner's steward, then the data
    authority when an approved field is graded L3 or above. The final approval makes the grant."""
    req = _find_request(session, request_id)
    comment = _text(comment, "comment")
    if req.state == "owner_review":
        require(actor, "sharing.review", req)
    elif req.state == "authority_review":
        require(actor, "sharing.review_authority", req)
    else:
        raise Conflict(f"request {request_id} is {req.state}; nothing to decide", key="sharing_nothing_to_decide",
                       state=req.state)
    if not approve and not comment:
        raise InvalidInput("a refusal needs a reason in the comment", key="sharing_refusal_reason", field="comment")
    ds = session.get(Dataset, req.dataset_id)
    if ds is None:
        raise NotFound(f"dataset {req.dataset_code} not found", key="dataset_not_found", dataset=req.dataset_code)
    now = now or utcnow()
    before = req.state
    current = terms(req)
    decided = _narrow(ds, current, fields=fields, unmasked=unmasked, extra_filter=extra_filter, expires=expires,
                      quota_rows_per_day=quota_rows_per_day, rate_per_minute=rate_per_minute) if approve else current
    if approve:
        _check_fields(ds, decided["fields"], req.channel)  # grades may have risen since the request
        if datetime.fromisoformat(decided["expires_at"]) <= _aware(now):
            raise InvalidInput("the request has expired; it can only be refused", key="sharing_expiry",
                               field="expires", days=get_settings().sharing_max_grant_days)
    if before == "owner_review":
        req.owner_reviewer, req.owner_comment, req.owner_decided_at = actor.username, comment, now
        req.needs_authority = approve and _needs_authority(ds, decided["fields"])
        req.state = ("authority_review" if req.needs_authority else "granted") if approve else "refused"
    else:
        req.authority_reviewer, req.authority_comment, req.authority_decided_at = actor.username, comment, now
        req.state = "granted" if approve else "refused"
    if approve:
        req.approved = decided
    narrowed = {k: decided[k] for k in decided if decided[k] != current.get(k)} if approve else {}
    session.flush()
    audit.record(session, actor, "sharing.request.decide", "sharing_request", req.id, purpose=req.purpose,
                 detail={"dataset": req.dataset_code, "stage": before, "approve": bool(approve), "from": before,
                         "to": req.state, "comment": comment, "narrowed": narrowed})
    if req.state == "granted":
        _make_grant(session, actor, req, ds, now)
    return req


def _make_grant(session: Session, actor: Actor, req: ShareRequest, ds: Dataset, now: datetime) -> Grant:
    t = req.approved
    grant = Grant(
        request_id=req.id, dataset_id=ds.id, dataset_code=ds.code, consumer_department_id=req.consumer_department_id,
        owner_department_id=req.owner_department_id, region_code=req.region_code, purpose=req.purpose,
        fields=list(t["fields"]), unmasked=list(t["unmasked"]), row_filter=list(t["row_filter"]),
        channel=req.channel, expires_at=datetime.fromisoformat(t["expires_at"]),
        quota_rows_per_day=t["quota_rows_per_day"], rate_per_minute=t["rate_per_minute"],
        granted_by=actor.username, granted_at=now, updated_at=now, revoke_reason="",
    )
    session.add(grant)
    session.flush()
    audit.record(session, actor, "sharing.grant.create", "sharing_grant", grant.id, purpose=req.purpose,
                 detail={"request": req.id, "dataset": ds.code, "consumer": req.consumer.code, "fields": grant.fields,
                         "unmasked": grant.unmasked, "row_filter": grant.row_filter, "channel": grant.channel,
                         "expires_at": _aware(grant.expires_at).isoformat(),
                         "quota_rows_per_day": grant.quota_rows_per_day, "rate_per_minute": grant.rate_per_minute})
    return grant


def revoke(session: Session, actor: Actor, grant_id: int, *, reason: str, now: datetime | None = None) -> Grant:
    """Withdraw a grant (the owner's steward or approver, or the covering data authority); effective on the
    next call."""
    grant = get_grant(session, actor, grant_id)
    require(actor, "sharing.revoke", grant)
    reason = _text(reason, "reason")
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


def _find_request(session: Session, request_id: int) -> ShareRequest:
    req = session.get(ShareRequest, request_id) if isinstance(request_id, int) and 0 < request_id < 2**31 else None
    if req is None:
        raise NotFound(f"no sharing request {request_id}")
    return req


def get_request(session: Session, actor: Actor, request_id: int) -> ShareRequest:
    req = _find_request(session, request_id)
    if not can(actor, "sharing.view", req):
        raise PermissionDenied(f"{actor.username} may not see sharing request {request_id}", action="sharing.view")
    return req


def grant_of(session: Session, req: ShareRequest) -> Grant | None:
    return session.scalar(select(Grant).where(Grant.request_id == req.id))


def get_grant(session: Session, actor: Actor, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id) if isinstance(grant_id, int) and 0 < grant_id < 2**31 else None
    if grant is None:
        raise NotFound(f"no sharing grant {grant_id}")
    if not can(actor, "sharing.view", grant):
        raise PermissionDenied(f"{actor.username} may not see sharing grant {grant_id}", action="sharing.view")
    return grant


def my_requests(session: Session, actor: Actor) -> list[ShareRequest]:
    """The requests of the actor's department, newest first."""
    if actor.department_id is None:
        return []
    return list(session.scalars(select(ShareRequest)
                                .where(ShareRequest.consumer_department_id == actor.department_id)
                                .order_by(ShareRequest.id.desc())).unique())


def inbox(session: Session, actor: Actor) -> list[ShareRequest]:
    """Requests waiting for this actor: owner reviews of its department, authority reviews it covers."""
    waiting: list[ColumnElement[bool]] = []
    if actor.department_id is not None:
        waiting.append((ShareRequest.state == "owner_review")
                       & (ShareRequest.owner_department_id == actor.department_id))
    if actor.is_data_authority and actor.region_code:
        prefix = jurisdiction_prefix(actor.region_code, actor.region_level)
        waiting.append((ShareRequest.state == "authority_review") & ShareRequest.region_code.startswith(prefix))
    if not waiting:
        return []
    rows = session.scalars(select(ShareRequest).where(or_(*waiting)).order_by(ShareRequest.id)).unique()
    return [r for r in rows if can(actor, "sharing.review" if r.state == "owner_review"
                                   else "sharing.review_authority", r)]


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
    return grant.revoked_at is None and _aware(grant.expires_at) > _aware(now or utcnow())


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
    select_list: str
    where: str
    params: tuple[Any, ...]
    needs_udf: bool
    key: str
    predicate: Callable[[Mapping[str, Any]], bool]

    @property
    def masked(self) -> list[str]:
        return [c for c in self.columns if self.rules[c] is not None]


def _specs(session: Session, dataset_id: int) -> tuple[str, int, tuple[FieldSpec, ...]]:
    """The dataset's layer, current version and fields, in one query."""
    rows = session.execute(
        select(Dataset.layer, Dataset.current_version, DatasetField.column, DatasetField.grade,
               DatasetField.gb_level, DatasetField.element_id)
        .join(DatasetField, DatasetField.dataset_id == Dataset.id, isouter=True)
        .where(Dataset.id == dataset_id).order_by(DatasetField.position)).all()
    if not rows:
        raise NotFound(f"dataset {dataset_id} not found", key="dataset_not_found", dataset=str(dataset_id))
    specs = []
    for row in rows:
        if row.column is None:
            continue
        try:
            grade = scheme.effective_grade(row.grade, row.gb_level)
        except (KeyError, ValueError):
            grade = "L4"
        specs.append(FieldSpec(row.column, grade, row.element_id))
    return str(rows[0].layer), int(rows[0].current_version or 0), tuple(specs)


def _rule_for(spec: FieldSpec) -> str:
    """The masking rule of a field: its data element's, else `redact` (as the warehouse's serving SQL picks it)."""
    element = registry.elements().get(spec.element_id or "")
    return element.masking if element and element.masking else "redact"


_CACHE: dict[tuple[Any, ...], CompiledGrant] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 2048


def compile_grant(grant: Grant, layer: str, version: int, specs: Sequence[FieldSpec]) -> CompiledGrant:
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
        in_clear = spec.column in grant.unmasked or _rank(spec.grade) <= _rank(UNMASKED_GRADE)
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
        columns=tuple(columns), rules=rules, select_list=", ".join(exprs), where=where, params=tuple(params),
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

_BUCKETS: dict[tuple[int, str, int], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def _take_rate(grant: Grant) -> None:
    if not grant.rate_per_minute:
        return
    key = (grant.id, _aware(grant.granted_at).isoformat(), int(grant.rate_per_minute))
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


def _used_today(session: Session, grant: Grant, now: datetime) -> tuple[int, int]:
    row = session.execute(select(Usage.calls, Usage.rows).where(Usage.grant_id == grant.id,
                                                                Usage.day == beijing_day(now))).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _remaining(session: Session, grant: Grant, now: datetime, *, by_calls: bool = False) -> int | None:
    """Rows (or, for verification, calls) the grant may still use today; RateLimited when none."""
    if not grant.quota_rows_per_day:
        return None
    calls, rows = _used_today(session, grant, now)
    left = int(grant.quota_rows_per_day) - (calls if by_calls else rows)
    if left <= 0:
        wait = seconds_to_next_day(now)
        raise RateLimited(f"grant {grant.id}'s quota of {grant.quota_rows_per_day} a day is used up; "
                          f"retry in {wait} s", wait)
    return left


def _count(session: Session, grant: Grant, rows: int, now: datetime) -> None:
    """Add one call and `rows` rows to the grant's counter for today (an upsert: no lost update on PostgreSQL)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Usage).values(grant_id=grant.id, day=beijing_day(now),
                                consumer_department_id=grant.consumer_department_id,
                                owner_department_id=grant.owner_department_id, dataset_code=grant.dataset_code,
                                calls=1, rows=rows, last_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["grant_id", "day"],
                                      set_={"calls": Usage.calls + 1, "rows": Usage.rows + rows, "last_at": now})
    session.execute(stmt)


# ---- serving --------------------------------------------------------------------------------------

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


def _grant_for_read(session: Session, actor: Actor, code: str, channels: Sequence[str],
                    now: datetime) -> Grant:
    require(actor, "sharing.read")
    grant = _active(session, actor.department_id or 0, code, channels, now) if actor.department_id else None
    if grant is None:
        raise PermissionDenied(f"your department has no active grant for dataset {code} (never granted, revoked or "
                               f"expired)", key="sharing_no_grant", action="sharing.read", dataset=code)
    return grant


def read(session: Session, actor: Actor, code: str, *, limit: int = 100, offset: int = 0, cursor: int | None = None,
         now: datetime | None = None) -> SharedPage:
    """A page of a shared dataset under the caller department's grant: granted fields only, masked unless granted
    in clear, rows of the grant's filter only, within its rate and daily quota. Counted and audited."""
    now = now or utcnow()
    grant = _grant_for_read(session, actor, code, READ_CHANNELS, now)
    _take_rate(grant)
    plan = compiled_for(session, grant)
    left = _remaining(session, grant, now)
    limit = max(1, min(int(limit), get_settings().sharing_max_page_rows))
    if left is not None:
        limit = min(limit, left)
    offset = max(0, int(offset))
    rows: list[tuple[Any, ...]] = []
    if plan.table is not None and plan.columns:
        where, params = plan.where, list(plan.params)
        if cursor is not None:
            where, params = f"({where}) AND t._record > ?", [*params, int(cursor)]
        sql = (f"SELECT {plan.select_list} FROM {plan.table} AS t WHERE {where} "  # noqa: S608
               f"ORDER BY t._record LIMIT {limit} OFFSET {0 if cursor is not None else offset}")
        with reader.connect() as con:
            if plan.needs_udf:
                sqlfuncs.register(con)
            rows = con.execute(sql, params).fetchall()
    records = [{"_id": r[0], **{c: json_value(v) for c, v in zip(plan.columns, r[1:], strict=True)}} for r in rows]
    _count(session, grant, len(records), now)
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
    grant = _grant_for_read(session, actor, code, READ_CHANNELS, now)
    _take_rate(grant)
    plan = compiled_for(session, grant)
    left = _remaining(session, grant, now)
    total = 0
    if plan.table is not None and plan.columns:
        cap = f" LIMIT {int(left)}" if left is not None else ""
        with reader.connect() as con:
            got = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {plan.table} AS t "  # noqa: S608
                              f"WHERE {plan.where}{cap})", list(plan.params)).fetchone()
        total = int(got[0]) if got else 0
    _count(session, grant, total, now)
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
    grant = _grant_for_read(session, actor, code, ("verify",), now)
    if not isinstance(values, Mapping) or set(values) != set(grant.fields):
        raise InvalidInput(f"a verification names every granted field: {', '.join(grant.fields)}",
                           key="sharing_verify_fields", fields=", ".join(grant.fields))
    for name, value in values.items():
        if not (isinstance(value, str) and len(value) <= 200) and not filters._is_number(value):
            raise InvalidInput(f"{name}: a value is a text of at most 200 characters or a number", field=name)
    _take_rate(grant)
    _remaining(session, grant, now, by_calls=True)
    layer, version, specs = _specs(session, grant.dataset_id)
    plan = compile_grant(grant, layer, version, specs)
    match = False
    if plan.table is not None and set(plan.columns) == set(grant.fields):
        where, params = plan.where, list(plan.params)
        for name in grant.fields:
            where += f" AND CAST(t.{ident(name)} AS VARCHAR) = ?"
            params.append(filters.text_of(values[name]))
        with reader.connect() as con:
            match = con.execute(f"SELECT 1 FROM {plan.table} AS t WHERE {where} LIMIT 1",  # noqa: S608
                                params).fetchone() is not None
    _count(session, grant, 0, now)
    audit.record(session, actor, "sharing.verify", "dataset", code, purpose=grant.purpose,
                 detail={"grant": grant.id, "channel": "verify", "fields": sorted(grant.fields), "match": match})
    return match


# ---- usage ----------------------------------------------------------------------------------------

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
