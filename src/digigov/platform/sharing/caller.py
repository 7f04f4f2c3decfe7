"""Who is calling the serving endpoints: a bearer token resolved in one store query, without the ORM.

`identity.resolve_token` loads the token, its user (with the department and its region joined) and the user's
roles as ORM objects, two queries and an identity map per call, about a third of a shared read's store time.
`actor_for_token` reads the same facts in one Core query: the token's revocation, expiry and last use, the user's
`active` flag, username, name and department, the department's name, kind, region, tier and authority flag, and
the user's roles. Nothing is cached between calls, so a revoked or expired token, a disabled user, a removed
role or a department change is seen on the very next request. Whenever the fast path is not plainly valid (no
such token, revoked, expired, user disabled) or the token's `last_used_at` is due for its once-a-minute refresh,
it hands over to `identity.resolve_token`, which stays the one authority on what a token means: it raises
`NotAuthenticated` or records the use.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Executable, bindparam, func, select
from sqlalchemy.orm import Session

from digigov.core.clock import utcnow
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import ApiToken, Department, User, UserRole

LAST_USED_REFRESH = timedelta(minutes=1)  # identity.resolve_token refreshes last_used_at after this long
_QUERY: list[Executable] = []


def _query() -> Executable:
    if not _QUERY:
        t, u, d, r = ApiToken.__table__.c, User.__table__.c, Department.__table__.c, UserRole.__table__.c
        roles = select(func.aggregate_strings(r.role, ",")).where(r.user_id == u.id).scalar_subquery()
        _QUERY.append(
            select(t.revoked_at, t.expires_at, t.last_used_at, u.id, u.active, u.username, u.display_name,
                   d.id.label("department_id"), d.name.label("department_name"), d.kind, d.region_code, d.tier,
                   d.is_data_authority, roles.label("roles"))
            .select_from(ApiToken.__table__.join(User.__table__, u.id == t.user_id)
                         .join(Department.__table__, d.id == u.department_id))
            .where(t.token_hash == bindparam("digest")))
    return _QUERY[0]


def _fast(session: Session, secret: str) -> Actor | None:
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    row: Any = session.connection().execute(_query(), {"digest": digest}).first()
    now = utcnow()
    if (row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now)
            or not row.active or row.last_used_at is None or now - row.last_used_at > LAST_USED_REFRESH):
        return None
    return Actor(username=row.username, roles=frozenset(filter(None, (row.roles or "").split(","))), user_id=row.id,
                 display_name=row.display_name, department_id=row.department_id,
                 department_name=row.department_name, department_kind=row.kind, region_code=row.region_code,
                 region_level=row.tier, is_data_authority=bool(row.is_data_authority), via="api")


def actor_for_token(session: Session, secret: str) -> Actor:
    """The Actor a bearer token stands for (as `Actor.from_user(identity.resolve_token(...), via="api")` gives
    it), or NotAuthenticated."""
    actor = _fast(session, secret)
    if actor is None:
        actor = Actor.from_user(identity.resolve_token(session, secret), via="api")
    return actor
