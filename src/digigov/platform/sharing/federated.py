"""Shared-data queries between federated instances (跨域协同共享): a department of one instance asks another
instance for a dataset and, once that instance's owner steward (and data authority) grant it, reads rows of it
under that grant, each step a signed federation message.

Receiving side (B, the owner's instance) — importing this module registers the handlers:

- `sharing.request`: a sharing request from a department of the sending instance. B represents that department
  locally (a department row with the sender's code, e.g. `330800-human_resources`, and the regions above it,
  created on first need from the names the message carries) and gives it a system user for the sending
  instance (`federation:<instance>:<department code>`, no password, inactive: it cannot sign in or hold a
  token). The representation is bound to the sending instance: a department that has local users, or that is
  already represented for another instance, is never taken over. The request then goes through
  `sharing.service.submit_request` like a local one (channel `api`) into the owner steward's inbox.
- `sharing.status`: the state of such a request (and the granted terms once granted).
- `sharing.query`: a page of the dataset under the grant issued to that remote department: B finds the grant
  (channel `api`, neither revoked nor expired) and serves it through `sharing.service.read`, so masking, the
  row filter, quota, rate, usage counting and the audit record are those of a local read, attributed to the
  remote department's system user. A refusal (no grant, revoked, expired, quota or rate) becomes the signed
  error answer with its reason code.

Sending side (A): `request_remote`, `request_status_remote` and `query_remote` send the message through
`federation.send` and return the parsed answer, or raise `RemoteRefused` (its `reason` is the peer's code).
The exchange is logged and audited in the caller's session: to keep that record after a refusal, catch the
error inside the unit of work (raising out of it rolls the session back).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.i18n import register as register_messages
from digigov.core.settings import Settings
from digigov.identity.actor import Actor
from digigov.identity.model import REGION_LEVELS, Department, Region, User
from digigov.identity.permissions import require
from digigov.platform.federation import service as federation
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant, ShareRequest

__all__ = ["KIND_QUERY", "KIND_REQUEST", "KIND_STATUS", "GrantExpired", "GrantMissing", "GrantRevoked",
           "RemotePage", "RemoteRefused", "RemoteRequest", "answer_query", "answer_request", "answer_status",
           "query_remote", "remote_actor", "request_remote", "request_status_remote", "system_username"]

KIND_REQUEST = "sharing.request"
KIND_STATUS = "sharing.status"
KIND_QUERY = "sharing.query"
CHANNEL = "api"  # what a remote department reads on
USER_PREFIX = "federation:"  # local usernames never contain ':' (identity.service.create_user)
REMOTE_ROLES = frozenset({"officer"})
DEPARTMENT_CODE = re.compile(r"^(\d{6})-([a-z][a-z0-9_]{0,31})$")
REGION_CODE = re.compile(r"^\d{6}$")
MAX_PAGE_OFFSET = 2**31 - 1
NO_PASSWORD = "!"  # noqa: S105 - not a hash of anything: no password verifies against it

register_messages({
    "error.sharing_remote_department": ("跨域部门编码 {code} 不是“行政区划代码-部门类别”形式",
                                        "The remote department code {code} is not <region code>-<kind>"),
    "error.sharing_remote_local": ("部门 {code} 是本实例的部门，不能代表其他实例",
                                   "Department {code} is a department of this instance; another instance "
                                   "cannot act for it"),
    "error.sharing_remote_taken": ("部门 {code} 已代表另一个实例", "Department {code} already stands for "
                                   "another instance here"),
    "error.sharing_remote_no_grant": ("{department}（{instance}）没有数据集 {dataset} 的接口共享授权",
                                      "{department} of {instance} has no API grant for dataset {dataset}"),
    "error.sharing_remote_revoked": ("数据集 {dataset} 的共享授权已于 {at} 撤销：{reason}",
                                     "The grant for dataset {dataset} was revoked at {at}: {reason}"),
    "error.sharing_remote_expired": ("数据集 {dataset} 的共享授权已于 {at} 到期",
                                     "The grant for dataset {dataset} expired at {at}"),
    "error.sharing_remote_refused": ("{instance} 拒绝了共享{what}：{reason}",
                                     "{instance} refused the sharing {what}: {reason}"),
    "error.sharing_remote_bad_answer": ("{instance} 的应答格式不正确：{field}",
                                        "The answer of {instance} is malformed: {field}"),
})


class GrantMissing(PermissionDenied):
    """The remote department holds no `api` grant for the dataset (never granted, or no such department)."""

    code = "grant_missing"


class GrantRevoked(PermissionDenied):
    code = "grant_revoked"


class GrantExpired(PermissionDenied):
    code = "grant_expired"


class RemoteRefused(federation.PeerRefused):
    """The peer refused a sharing message or answered with something unusable; `reason` is its code
    (`grant_missing`, `grant_revoked`, `grant_expired`, `too_many_requests`, `not_found`, `invalid`, ...) and
    `reply` the verified exchange."""

    def __init__(self, reply: federation.Reply, what: str) -> None:
        peer = reply.request.recipient
        super().__init__(f"{peer} refused the sharing {what}: {reply.reason}: {reply.message}".rstrip(": "),
                         key="sharing_remote_refused", instance=peer, what=what, reason=reply.message or reply.reason)
        self.reason = reply.reason
        self.status = reply.status
        self.reply = reply


# ---------------------------------------------------------------- the remote department, as B represents it


def system_username(peer: str, department_code: str) -> str:
    """The system user standing for `department_code` of instance `peer` (at most 64 characters)."""
    name = f"{USER_PREFIX}{peer}:{department_code}"
    if len(name) > 64:
        name = USER_PREFIX + hashlib.sha256(f"{peer}\n{department_code}".encode()).hexdigest()[:40]
    return name


def _parse_code(code: str) -> tuple[str, str]:
    match = DEPARTMENT_CODE.match(code or "")
    if match is None:
        raise InvalidInput(f"the remote department code {code[:64]!r} is not <region code>-<kind>",
                           key="sharing_remote_department", code=code[:64])
    return match.group(1), match.group(2)


def _ancestors(region: str) -> list[tuple[str, str]]:
    """(code, level) from the province down to `region` (GB/T 2260 codes nest by prefix)."""
    province, city = region[:2] + "0000", region[:4] + "00"
    chain = [(province, "province")]
    if city != province:
        chain.append((city, "city"))
    if region != city:
        chain.append((region, "county"))
    return chain


def _text_of(value: object, limit: int, fallback: str) -> str:
    if isinstance(value, str) and value.strip() and "\x00" not in value:
        return value.strip()[:limit]
    return fallback


def _ensure_regions(session: Session, region: str, named: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The region rows from the province down to `region`, made where missing (names from the message when it
    gives them, else the code). Existing rows are never changed. Returns the codes made."""
    made: list[str] = []
    parent: str | None = None
    for code, level in _ancestors(region):
        if session.get(Region, code) is None:
            given = named.get(code, {})
            session.add(Region(code=code, name=_text_of(given.get("name"), 64, code),
                               name_en=_text_of(given.get("name_en"), 128, code), level=level, parent_code=parent))
            session.flush()
            made.append(code)
        parent = code
    return made


def _regions_named(info: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    regions = info.get("regions")
    if isinstance(regions, list):
        for r in regions[:3]:
            if isinstance(r, Mapping) and isinstance(r.get("code"), str) and REGION_CODE.match(r["code"]) \
                    and r.get("level", "city") in REGION_LEVELS:
                out[r["code"]] = r
    return out


def _bound(session: Session, peer: str, code: str) -> tuple[Department | None, User | None]:
    """The local department with `code` and its system user for `peer` (None, None: not represented yet).
    PermissionDenied when the department is this instance's own (it has local users); Conflict when it
    stands for another instance."""
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        return None, None
    local = session.scalar(select(User.id).where(User.department_id == dept.id,
                                                 ~User.username.startswith(USER_PREFIX)).limit(1))
    if local is not None:
        raise PermissionDenied(f"department {code} is a department of this instance; another instance cannot "
                               "act for it", key="sharing_remote_local", code=code)
    mine = system_username(peer, code)
    users = list(session.scalars(select(User).where(User.department_id == dept.id,
                                                    User.username.startswith(USER_PREFIX))))
    if any(u.username != mine for u in users):
        raise Conflict(f"department {code} already stands for another instance here", key="sharing_remote_taken",
                       code=code)
    return dept, (users[0] if users else None)


def _represent(message: federation.Inbound, info: Mapping[str, Any]) -> tuple[Department, User]:
    """The local department and system user for the sender's department, made on first need (audited)."""
    session, peer, code = message.session, message.sender, message.department
    region, kind = _parse_code(code)
    dept, user = _bound(session, peer, code)
    if dept is not None and user is not None:
        return dept, user
    made_regions: list[str] = []
    made_department = dept is None
    if dept is None:
        if session.scalar(select(Department.id).where(Department.region_code == region,
                                                      Department.kind == kind)) is not None:
            raise Conflict(f"region {region} already has a department of kind {kind} under another code",
                           key="sharing_remote_taken", code=code)
        made_regions = _ensure_regions(session, region, _regions_named(info))
        level = session.get(Region, region)
        dept = Department(code=code, name=_text_of(info.get("name"), 128, code),
                          name_en=_text_of(info.get("name_en"), 160, code), kind=kind, region_code=region,
                          tier=level.level if level is not None else "city", is_data_authority=False, active=True)
        session.add(dept)
        session.flush()
    user = User(username=system_username(peer, code), display_name=f"{peer} 跨域系统用户"[:64],
                password_hash=NO_PASSWORD, department_id=dept.id, active=False)
    session.add(user)
    session.flush()
    audit.record(session, message.actor, "sharing.remote_party.create", "department", code,
                 detail={"peer": peer, "user": user.username, "department_created": made_department,
                         "regions_created": made_regions})
    return dept, user


def remote_actor(dept: Department, user: User) -> Actor:
    """Who acts here for a remote department: its system user, as an officer of its local representation."""
    return Actor(username=user.username, roles=REMOTE_ROLES, user_id=user.id, display_name=user.display_name,
                 department_id=dept.id, department_name=dept.name, department_kind=dept.kind,
                 region_code=dept.region_code, region_level=dept.tier, is_data_authority=False, via="federation")


def _existing_actor(message: federation.Inbound, dataset: str) -> Actor:
    """The actor of an already represented remote department; GrantMissing when there is none."""
    try:
        _parse_code(message.department)
        dept, user = _bound(message.session, message.sender, message.department)
    except (InvalidInput, PermissionDenied, Conflict):
        dept, user = None, None
    if dept is None or user is None:
        raise GrantMissing(f"{message.department} of {message.sender} has no API grant for dataset {dataset}",
                           key="sharing_remote_no_grant", department=message.department[:64],
                           instance=message.sender, dataset=dataset)
    return remote_actor(dept, user)


# ---------------------------------------------------------------- body checks


def _str(body: Mapping[str, Any], name: str, *, required: bool = False, limit: int = 2000) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{name} must be text of at most {limit} characters", field=name)
    if required and not value.strip():
        raise InvalidInput(f"{name} is required", field=name)
    return value


def _int(body: Mapping[str, Any], name: str, default: int | None, *, low: int = 0) -> int | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_PAGE_OFFSET:
        raise InvalidInput(f"{name} must be a whole number from {low}", field=name)
    return value


def _list(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{name} must be a list", field=name)
    return value


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


# ---------------------------------------------------------------- handlers (B)


@federation.handler(KIND_REQUEST)
def answer_request(message: federation.Inbound) -> dict[str, Any]:
    """A sharing request from a department of the sender instance, into the owner steward's inbox here."""
    body = message.body
    dataset = _str(body, "dataset", required=True, limit=60)
    channel = _str(body, "channel") or CHANNEL
    if channel != CHANNEL:
        raise InvalidInput(f"a remote department reads on channel {CHANNEL} only", field="channel")
    info = body.get("department_info") or {}
    if not isinstance(info, Mapping):
        raise InvalidInput("department_info must be an object", field="department_info")
    dept, user = _represent(message, info)
    req = sharing.submit_request(
        message.session, remote_actor(dept, user), dataset=dataset,
        purpose=_str(body, "purpose") or message.purpose, legal_basis=_str(body, "legal_basis"),
        fields=_list(body, "fields"), unmasked=_list(body, "unmasked"), row_filter=_list(body, "row_filter"),
        channel=CHANNEL, expires=body.get("expires"), quota_rows_per_day=body.get("quota_rows_per_day"),
        rate_per_minute=body.get("rate_per_minute"))
    return _request_answer(message.session, req)


def _request_answer(session: Session, req: ShareRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"request": req.id, "state": req.state, "dataset": req.dataset_code,
                           "owner": req.owner.code, "owner_name": req.owner.name, "consumer": req.consumer.code,
                           "needs_authority": bool(req.needs_authority), "submitted_at": _iso(req.submitted_at)}
    if req.state == "refused":
        out["comment"] = req.authority_comment or req.owner_comment
    grant = sharing.grant_of(session, req)
    if grant is not None:
        out["grant"] = {"id": grant.id, "fields": list(grant.fields), "unmasked": list(grant.unmasked),
                        "row_filter": list(grant.row_filter), "channel": grant.channel,
                        "expires_at": _iso(grant.expires_at), "quota_rows_per_day": grant.quota_rows_per_day,
                        "rate_per_minute": grant.rate_per_minute, "revoked_at": _iso(grant.revoked_at),
                        "active": sharing.is_active(grant)}
    return out


@federation.handler(KIND_STATUS)
def answer_status(message: federation.Inbound) -> dict[str, Any]:
    """The state of a request the sender's department made here (not found for anyone else's)."""
    request_id = _int(message.body, "request", None, low=1)
    req = message.session.get(ShareRequest, request_id) if request_id is not None else None
    actor = None
    if req is not None:
        try:
            actor = _existing_actor(message, req.dataset_code)
        except GrantMissing:
            actor = None
    if req is None or actor is None or req.consumer_department_id != actor.department_id:
        raise NotFound(f"no sharing request {request_id} of {message.department}")
    return _request_answer(message.session, req)


def _refuse_missing_grant(session: Session, actor: Actor, message: federation.Inbound, dataset: str) -> None:
    """Name why the remote department has no active `api` grant: revoked, expired, or never granted."""
    now = utcnow()
    if sharing.active_grant(session, actor.department_id or 0, dataset, channel=CHANNEL, now=now) is not None:
        return
    latest = session.scalars(select(Grant).where(Grant.consumer_department_id == actor.department_id,
                                                 Grant.dataset_code == dataset, Grant.channel == CHANNEL)
                             .order_by(Grant.id.desc()).limit(1)).first()
    if latest is not None and latest.revoked_at is not None:
        raise GrantRevoked(f"the grant for dataset {dataset} was revoked at {_iso(latest.revoked_at)}: "
                           f"{latest.revoke_reason}", key="sharing_remote_revoked", dataset=dataset,
                           at=(_iso(latest.revoked_at) or "")[:19], reason=latest.revoke_reason)
    if latest is not None:
        raise GrantExpired(f"the grant for dataset {dataset} expired at {_iso(latest.expires_at)}",
                           key="sharing_remote_expired", dataset=dataset, at=(_iso(latest.expires_at) or "")[:19])
    raise GrantMissing(f"{message.department} of {message.sender} has no API grant for dataset {dataset}",
                       key="sharing_remote_no_grant", department=message.department[:64], instance=message.sender,
                       dataset=dataset)


@federation.handler(KIND_QUERY)
def answer_query(message: federation.Inbound) -> dict[str, Any]:
    """A page of a dataset under the grant issued here to the sender's department, served by the local read
    path (masking, row filter, quota, rate, usage and audit as for a local read)."""
    body = message.body
    dataset = _str(body, "dataset", required=True, limit=60)
    limit = _int(body, "limit", 100, low=1) or 100
    offset = _int(body, "offset", 0) or 0
    cursor = _int(body, "cursor", None)
    actor = _existing_actor(message, dataset)
    _refuse_missing_grant(message.session, actor, message, dataset)
    page = sharing.read(message.session, actor, dataset, limit=limit, offset=offset, cursor=cursor)
    return {"dataset": page.dataset, "grant": page.grant_id, "fields": page.fields, "masked": page.masked,
            "records": page.records, "limit": page.limit, "offset": page.offset, "next_cursor": page.next_cursor,
            "quota_remaining": page.quota_remaining}


# ---------------------------------------------------------------- sending side (A)


@dataclass(frozen=True)
class RemoteRequest:
    """The peer's answer to a request or a status question."""

    peer: str
    request_id: int
    state: str
    dataset: str
    owner: str
    owner_name: str
    needs_authority: bool
    grant: dict[str, Any] | None
    body: dict[str, Any]


@dataclass(frozen=True)
class RemotePage:
    """A page the peer served under its grant."""

    peer: str
    dataset: str
    grant_id: int
    fields: list[str]
    masked: list[str]
    records: list[dict[str, Any]]
    limit: int
    offset: int
    next_cursor: int | None
    quota_remaining: int | None


def _bad(peer: str, field: str) -> federation.PeerRefused:
    return federation.PeerRefused(f"the answer of {peer} is malformed: {field}", key="sharing_remote_bad_answer",
                                  instance=peer, field=field)


def _department_info(session: Session, actor: Actor) -> dict[str, Any]:
    """What the peer needs to represent the actor's department: its names and its regions' names."""
    dept = session.get(Department, actor.department_id) if actor.department_id is not None else None
    if dept is None:
        return {}
    regions: list[dict[str, str]] = []
    code: str | None = dept.region_code
    while code is not None and len(regions) < 3:
        region = session.get(Region, code)
        if region is None:
            break
        regions.append({"code": region.code, "name": region.name, "name_en": region.name_en, "level": region.level})
        code = region.parent_code
    return {"name": dept.name, "name_en": dept.name_en, "regions": regions[::-1]}


def _expires(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _exchange(session: Session, actor: Actor, peer_id: str, kind: str, body: dict[str, Any], purpose: str,
              what: str, settings: Settings | None) -> federation.Reply:
    reply = federation.send(session, actor, peer_id, kind, body, purpose, settings=settings)
    if not reply.ok:
        raise RemoteRefused(reply, what)
    return reply


def _remote_request(peer: str, body: dict[str, Any]) -> RemoteRequest:
    request_id, state = body.get("request"), body.get("state")
    if isinstance(request_id, bool) or not isinstance(request_id, int) or not isinstance(state, str):
        raise _bad(peer, "request")
    grant = body.get("grant")
    return RemoteRequest(peer=peer, request_id=request_id, state=state, dataset=str(body.get("dataset", "")),
                         owner=str(body.get("owner", "")), owner_name=str(body.get("owner_name", "")),
                         needs_authority=bool(body.get("needs_authority")),
                         grant=grant if isinstance(grant, dict) else None, body=body)


def request_remote(session: Session, actor: Actor, peer_id: str, dataset: str, *, fields: Sequence[str],
                   purpose: str, expires: date | datetime | str, legal_basis: str = "", unmasked: Sequence[str] = (),
                   row_filter: Sequence[Mapping[str, Any]] = (), quota_rows_per_day: int | None = None,
                   rate_per_minute: int | None = None, settings: Settings | None = None) -> RemoteRequest:
    """Ask instance `peer_id` for fields of its dataset, for the actor's department; the request waits there
    for the owner's steward. RemoteRefused when the peer does not accept it (unknown dataset or field, an L4
    field, a bad expiry...)."""
    require(actor, "sharing.request")
    body = {"dataset": dataset, "fields": list(fields), "purpose": purpose, "legal_basis": legal_basis,
            "unmasked": list(unmasked), "row_filter": [dict(c) for c in row_filter], "channel": CHANNEL,
            "expires": _expires(expires), "quota_rows_per_day": quota_rows_per_day,
            "rate_per_minute": rate_per_minute, "department_info": _department_info(session, actor)}
    reply = _exchange(session, actor, peer_id, KIND_REQUEST, body, purpose, "request", settings)
    answer = _remote_request(peer_id, reply.body)
    audit.record(session, actor, "sharing.remote.request", "sharing_request", f"{peer_id}/{answer.request_id}",
                 purpose=purpose, detail={"peer": peer_id, "dataset": dataset, "fields": list(fields),
                                          "state": answer.state, "nonce": reply.request.nonce})
    return answer


def request_status_remote(session: Session, actor: Actor, peer_id: str, request_id: int, *,
                          purpose: str = "查询跨域共享申请状态", settings: Settings | None = None) -> RemoteRequest:
    """The state of a request the actor's department made at `peer_id` (with the grant's terms once granted)."""
    require(actor, "sharing.request")
    reply = _exchange(session, actor, peer_id, KIND_STATUS, {"request": request_id}, purpose, "status", settings)
    return _remote_request(peer_id, reply.body)


def query_remote(session: Session, actor: Actor, peer_id: str, dataset: str, limit: int = 100, offset: int = 0, *,
                 cursor: int | None = None, purpose: str = "", settings: Settings | None = None) -> RemotePage:
    """A page of `peer_id`'s dataset under the grant it issued to the actor's department (granted fields only,
    masked as granted, rows of the grant's filter). RemoteRefused with `reason` `grant_missing`,
    `grant_revoked`, `grant_expired` or `too_many_requests` when the peer refuses. Audited here too."""
    require(actor, "sharing.read")
    body: dict[str, Any] = {"dataset": dataset, "limit": limit, "offset": offset}
    if cursor is not None:
        body["cursor"] = cursor
    reply = _exchange(session, actor, peer_id, KIND_QUERY, body, purpose or f"按授权查询共享数据 {dataset}", "query",
                      settings)
    b = reply.body
    records, fields, masked = b.get("records"), b.get("fields"), b.get("masked")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _bad(peer_id, "records")
    if not isinstance(fields, list) or not isinstance(masked, list):
        raise _bad(peer_id, "fields")
    grant = b.get("grant")
    page = RemotePage(peer=peer_id, dataset=str(b.get("dataset", dataset)),
                      grant_id=grant if isinstance(grant, int) else 0, fields=[str(f) for f in fields],
                      masked=[str(f) for f in masked], records=records,
                      limit=int(b.get("limit") or limit), offset=int(b.get("offset") or 0),
                      next_cursor=b.get("next_cursor") if isinstance(b.get("next_cursor"), int) else None,
                      quota_remaining=b.get("quota_remaining") if isinstance(b.get("quota_remaining"), int) else None)
    audit.record(session, actor, "sharing.remote.read", "dataset", f"{peer_id}/{dataset}",
                 purpose=reply.request.purpose,
                 detail={"peer": peer_id, "grant": page.grant_id, "fields": page.fields, "masked": page.masked,
                         "rows": len(page.records), "offset": page.offset, "nonce": reply.request.nonce})
    return page
