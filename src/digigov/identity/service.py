"""Identity use cases: seed regions and departments, users, logins with throttling, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from digigov.core.i18n import register
from digigov.identity.actor import Actor
from digigov.identity.model import ROLES, ApiToken, Department, LoginAttempt, Region, User, UserRole
from digigov.identity.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from digigov.identity.permissions import require
from digigov.identity.regions import (
    department_code,
    department_kinds,
    department_name,
    zhejiang_regions,
)

register({
    "error.no_department": ("没有部门 {code}", "No department {code}"),
    "error.no_user": ("没有用户 {username}", "No user {username}"),
    "error.password_short": ("密码至少需要 {min} 个字符", "The password needs at least {min} characters"),
    "error.username_format": ("用户名须为 1–64 个字母、数字、“_”或“.”",
                              "A username is 1-64 letters, digits, '_' or '.'"),
    "error.roles": ("请至少选择一个有效角色", "Choose at least one valid role"),
    "error.user_exists": ("用户 {username} 已存在", "User {username} exists"),
})

TOKEN_PREFIX = "dg_"  # noqa: S105 - a public marker, not a secret
MIN_PASSWORD = 10


# ---------------------------------------------------------------- regions and departments


def seed_regions_and_departments(session: Session, actor: Actor, kinds: Sequence[str] | None = None) -> int:
    """Create the Zhejiang region tree and one department of each kind in every region. Idempotent.

    Returns the number of departments created.
    """
    require(actor, "admin.departments")
    existing_regions = set(session.scalars(select(Region.code)))
    for r in zhejiang_regions():
        if r.code not in existing_regions:
            session.add(Region(code=r.code, name=r.name, name_en=r.name_en, level=r.level,
                               parent_code=r.parent_code))
    session.flush()
    existing = set(session.scalars(select(Department.code)))
    created = 0
    for region in zhejiang_regions():
        for kind in department_kinds():
            if kinds is not None and kind.kind not in kinds:
                continue
            code = department_code(region.code, kind.kind)
            if code in existing:
                continue
            session.add(Department(
                code=code, name=department_name(region, kind), name_en=f"{region.name_en} {kind.name_en}",
                kind=kind.kind, region_code=region.code, tier=region.level,
                is_data_authority=kind.is_data_authority,
            ))
            created += 1
    session.flush()
    if created:
        audit.record(session, actor, "department.seed", "department", "", detail={"created": created})
    return created


def get_department(session: Session, code_or_id: str | int) -> Department:
    """By id (an int, or ASCII digits) or by code such as 330100-public_security."""
    text_value = str(code_or_id)
    if isinstance(code_or_id, int) or (text_value.isascii() and text_value.isdigit()):
        dept = session.get(Department, int(code_or_id)) if 0 < int(code_or_id) < 2**31 else None
    else:
        dept = session.scalar(select(Department).where(Department.code == code_or_id))
    if dept is None:
        raise NotFound(f"no department {code_or_id}", key="no_department", code=str(code_or_id)[:64])
    return dept


def list_departments(session: Session, *, region_code: str | None = None, kind: str | None = None,
                     q: str | None = None, limit: int = 200, offset: int = 0) -> tuple[list[Department], int]:
    stmt = select(Department)
    if region_code:
        stmt = stmt.where(Department.region_code == region_code)
    if kind:
        stmt = stmt.where(Department.kind == kind)
    if q:
        stmt = stmt.where(Department.name.contains(q))
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(stmt.order_by(Department.region_code, Department.kind).limit(limit).offset(offset))
    return list(rows), total


def set_department_active(session: Session, actor: Actor, dept_id: int, active: bool) -> Department:
    require(actor, "admin.departments")
    dept = get_department(session, dept_id)
    dept.active = active
    audit.record(session, actor, "department.update", "department", dept.code, detail={"active": active})
    return dept


def list_regions(session: Session, level: str | None = None) -> list[Region]:
    stmt = select(Region).order_by(Region.code)
    if level:
        stmt = stmt.where(Region.level == level)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- users


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters", key="password_short",
                           min=MIN_PASSWORD)


def create_user(session: Session, actor: Actor, *, username: str, display_name: str, password: str,
                department: str | int, roles: Sequence[str]) -> User:
    require(actor, "admin.users")
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("username must be 1-64 letters, digits, '_' or '.'", key="username_format")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise InvalidInput(f"roles must be some of {', '.join(ROLES)}; got {', '.join(roles) or 'none'}",
                           key="roles")
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username} exists", key="user_exists", username=username)
    dept = get_department(session, department)
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password), department_id=dept.id)
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", username,
                 detail={"department": dept.code, "roles": sorted(set(roles))})
    return user


def get_user(session: Session, username_or_id: str | int) -> User:
    if isinstance(username_or_id, int):
        user = session.get(User, username_or_id)
    else:
        user = session.scalar(select(User).where(User.username == username_or_id))
    if user is None:
        raise NotFound(f"no user {username_or_id}", key="no_user", username=str(username_or_id)[:64])
    return user


def list_users(session: Session, actor: Actor, *, q: str | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[User], int]:
    require(actor, "admin.users")
    stmt = select(User)
    if q:
        stmt = stmt.where(User.username.contains(q) | User.display_name.contains(q))
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    return list(session.scalars(stmt.order_by(User.username).limit(limit).offset(offset))), total


def update_user(session: Session, actor: Actor, username: str, *, roles: Sequence[str] | None = None,
                active: bool | None = None, password: str | None = None) -> User:
    require(actor, "admin.users")
    user = get_user(session, username)
    changes: dict[str, object] = {}
    if roles is not None:
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise InvalidInput(f"roles must be some of {', '.join(ROLES)}", key="roles")
        user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
        changes["roles"] = sorted(set(roles))
    if active is not None:
        user.active = active
        changes["active"] = active
    if password is not None:
        _check_password(password)
        user.password_hash = hash_password(password)
        changes["password"] = "changed"  # noqa: S105 - records that it changed, never the value
    session.flush()
    audit.record(session, actor, "user.update", "user", username, detail=changes)
    return user


# ---------------------------------------------------------------- login


def _failures_since(session: Session, column: InstrumentedAttribute[str], value: str, since: datetime) -> int:
    stmt = (select(func.count()).select_from(LoginAttempt)
            .where(column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since))
    return int(session.scalar(stmt) or 0)


def authenticate(session: Session, username: str, password: str, *, address: str = "",
                 max_failures: int = 5, lock_seconds: int = 300) -> tuple[User | None, str]:
    """Check a password, throttled per account and per address.

    Returns (user, "ok"), (None, "failed") or (None, "throttled"). It never raises for a bad password,
    so the caller commits the recorded attempt and its audit record either way.
    """
    since = utcnow() - timedelta(seconds=lock_seconds)
    if (_failures_since(session, LoginAttempt.username, username, since) >= max_failures
            or (address and _failures_since(session, LoginAttempt.address, address, since) >= max_failures * 4)):
        audit.record(session, Actor(username=username, via="web"), "auth.login", "user", username,
                     result="denied", detail={"reason": "throttled", "address": address})
        return None, "throttled"
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password) and bool(user and user.active)
    session.add(LoginAttempt(username=username[:64], address=address[:64], succeeded=ok))
    if not ok or user is None:
        audit.record(session, Actor(username=username[:80], via="web"), "auth.login", "user", username[:80],
                     result="failed", detail={"address": address})
        return None, "failed"
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, Actor.from_user(user), "auth.login", "user", username, detail={"address": address})
    return user, "ok"


# ---------------------------------------------------------------- API tokens


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, actor: Actor, username: str, *, name: str = "api",
                 expires_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a bearer token for `username`; returns the row and the secret (shown once, never stored)."""
    user = get_user(session, username)
    require(actor, "token.create", user_target(user))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, name=name[:64] or "api", prefix=secret[:10], token_hash=_digest(secret),
                   expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None)
    session.add(tok)
    session.flush()
    audit.record(session, actor, "token.create", "api_token", tok.id, detail={"user": username, "name": name})
    return tok, secret


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    tok = session.get(ApiToken, token_id)
    if tok is None:
        raise NotFound(f"no token {token_id}")
    require(actor, "token.revoke", tok)
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
    audit.record(session, actor, "token.revoke", "api_token", tok.id, detail={"user": tok.user.username})
    return tok


def list_tokens(session: Session, actor: Actor, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    require(actor, "token.create", user_target(user))
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def resolve_token(session: Session, secret: str) -> User:
    """The active user a bearer token belongs to, or NotAuthenticated."""
    tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = utcnow()
    if tok is None or tok.revoked_at is not None or (tok.expires_at and tok.expires_at <= now):
        raise NotAuthenticated("invalid, expired or revoked token")
    if not tok.user.active:
        raise NotAuthenticated("the token's user is disabled")
    if tok.last_used_at is None or now - tok.last_used_at > timedelta(minutes=1):
        tok.last_used_at = now
    return tok.user


class user_target:  # noqa: N801 - a tiny adapter the permission rules read
    def __init__(self, user: User) -> None:
        self.user_id = user.id
        self.department_id = user.department_id
