"""Sharing requests and their review (共享申请与审批): submit, narrow, approve or refuse, and the grant the final
approval makes; the requester's list and the reviewers' inbox.

A department officer asks for fields of another department's dataset for a stated purpose and legal basis,
optionally only some rows (a structured row filter), on a channel (`api`, `batch`, `feed`, or `verify` for
single-record checks), until a date, with an optional daily row quota and per-minute rate. The owner
department's steward approves, narrows (fewer fields, fewer unmasked fields, an added filter condition, an
earlier expiry, a lower quota or rate) or refuses with a reason; when an approved field is graded L3 or above,
the data authority (大数据局) covering the owner's region decides next, by the same rule as the catalogue's
authority review. An L4 field is never granted in bulk: a request naming one on a bulk channel is refused at
submission; L4 fields are only checked one record at a time on the `verify` channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor
from digigov.identity.permissions import can, jurisdiction_prefix, require
from digigov.platform.sharing import filters
from digigov.platform.sharing.common import (
    AUTHORITY_FROM,
    aware,
    dataset_of,
    expiry_of,
    field_grade,
    name_list,
    positive,
    rank,
    text_value,
)
from digigov.platform.sharing.model import CHANNELS, Grant, ShareRequest
from digigov.platform.warehouse.model import Dataset, DatasetField


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
    return any(rank(field_grade(by_column[f])) >= rank(AUTHORITY_FROM) for f in fields if f in by_column)


def submit_request(session: Session, actor: Actor, *, dataset: str, purpose: str, fields: Sequence[str],
                   channel: str = "api", expires: object, legal_basis: str = "", unmasked: Sequence[str] = (),
                   row_filter: Sequence[Mapping[str, Any]] | None = None, quota_rows_per_day: object = None,
                   rate_per_minute: object = None, now: datetime | None = None) -> ShareRequest:
    """A department's request for fields of another department's dataset; goes to the owner's steward."""
    require(actor, "sharing.request")
    if actor.department_id is None or actor.user_id is None:
        raise PermissionDenied("a sharing request is made by a signed-in user for a department",
                               action="sharing.request")
    ds = dataset_of(session, dataset)
    if ds.owner_department_id == actor.department_id:
        raise InvalidInput("your own department's dataset needs no sharing request", key="sharing_own_dataset")
    purpose = text_value(purpose, "purpose", required=True)
    legal_basis = text_value(legal_basis, "legal_basis")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    names = name_list(fields, "fields")
    if not names:
        raise InvalidInput("name at least one field", field="fields")
    _check_fields(ds, names, channel)
    clear = name_list(unmasked, "unmasked")
    if set(clear) - set(names):
        raise InvalidInput("unmasked fields must be among the requested fields", field="unmasked")
    conditions = filters.validate(list(row_filter or []), [f.column for f in ds.fields])
    now = now or utcnow()
    expires_at = expiry_of(expires)
    max_days = get_settings().sharing_max_grant_days
    if not aware(now) < expires_at <= aware(now) + timedelta(days=max_days + 1):
        raise InvalidInput(f"the expiry must be after today and within {max_days} days", key="sharing_expiry",
                           field="expires", days=max_days)
    req = ShareRequest(
        dataset_id=ds.id, dataset_code=ds.code, requester_id=actor.user_id,
        consumer_department_id=actor.department_id, owner_department_id=ds.owner_department_id,
        region_code=ds.owner.region_code, purpose=purpose, legal_basis=legal_basis, fields=names,
        unmasked=[c for c in names if c in clear], row_filter=conditions, channel=channel, expires_at=expires_at,
        quota_rows_per_day=positive(quota_rows_per_day, "quota_rows_per_day"),
        rate_per_minute=positive(rate_per_minute, "rate_per_minute"), approved={},
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
            "expires_at": aware(req.expires_at).isoformat(), "quota_rows_per_day": req.quota_rows_per_day,
            "rate_per_minute": req.rate_per_minute}


def _narrow(ds: Dataset, current: dict[str, Any], *, fields: Sequence[str] | None, unmasked: Sequence[str] | None,
            extra_filter: Sequence[Mapping[str, Any]] | None, expires: object, quota_rows_per_day: object,
            rate_per_minute: object) -> dict[str, Any]:
    out = dict(current)
    if fields is not None:
        names = name_list(fields, "fields")
        wider = [f for f in names if f not in current["fields"]]
        if wider or not names:
            raise InvalidInput(f"fields not requested: {', '.join(wider)}" if wider else "keep at least one field",
                               key="sharing_not_narrower", field="fields",
                               what=", ".join(wider) or "fields")
        out["fields"] = [f for f in current["fields"] if f in names]
    if unmasked is not None:
        clear = name_list(unmasked, "unmasked")
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
        number = positive(value, key)
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
    comment = text_value(comment, "comment")
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
        if datetime.fromisoformat(decided["expires_at"]) <= aware(now):
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
                         "expires_at": aware(grant.expires_at).isoformat(),
                         "quota_rows_per_day": grant.quota_rows_per_day, "rate_per_minute": grant.rate_per_minute})
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


