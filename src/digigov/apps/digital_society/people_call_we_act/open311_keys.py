"""API keys for the Open311 GeoReport v2 API (`api_key` on POST requests).

A key names the partner system that holds it (a district app, a grid-management system, a third-party
reporting app); tickets it files are opened by the actor `open311:<name>`, so the audit log says which
partner filed what. The key is shown once when it is made; only its SHA-256 is stored, like the
platform's bearer tokens. Making, listing and revoking keys needs the `open311.keys` permission.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.digital_society.people_call_we_act.model import Open311Key
from digigov.audit.service import record
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.i18n import register
from digigov.identity.actor import Actor
from digigov.identity.permissions import require

KEY_PREFIX = "o311_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")
MAX_SECRET = 200

register({
    "error.open311_key_name": ("API 密钥名称只能由字母、数字、点、下划线和连字符组成（最多 48 个字符）",
                               "A key name is 1-48 letters, digits, dots, underscores or hyphens"),
    "error.open311_key_exists": ("已有名为 {name} 的有效 API 密钥", "An active key named {name} already exists"),
    "error.open311_key_not_found": ("没有编号为 {id} 的 API 密钥", "No API key {id}"),
    "error.open311_key_invalid": ("api_key 缺失、无效或已吊销", "The api_key is missing, invalid or revoked"),
})


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def actor_for(key: Open311Key) -> Actor:
    """Who files a ticket through this key: a citizen channel, named after the partner system."""
    return Actor(username=f"open311:{key.name}", via="citizen")


def create_key(session: Session, actor: Actor, name: str) -> tuple[Open311Key, str]:
    """Make a key for the partner system `name`; returns the row and the key (shown once, never stored)."""
    require(actor, "open311.keys")
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise InvalidInput(f"bad key name {name[:64]!r}", key="open311_key_name", field="name")
    taken = session.scalar(select(Open311Key.id).where(Open311Key.name == name, Open311Key.revoked_at.is_(None)))
    if taken is not None:
        raise Conflict(f"an active key named {name} exists", key="open311_key_exists", name=name)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key(name=name, prefix=secret[:10], digest=digest(secret), created_by=actor.username[:64],
                     created_at=utcnow())
    session.add(key)
    session.flush()
    record(session, actor, "open311.key.create", "open311_key", key.id, detail={"name": name, "prefix": key.prefix})
    return key, secret


def revoke_key(session: Session, actor: Actor, key_id: int) -> Open311Key:
    """Revoke a key: the next POST with it is refused (403). Revoking twice changes nothing."""
    require(actor, "open311.keys")
    key = session.get(Open311Key, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}", key="open311_key_not_found", id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(session, actor, "open311.key.revoke", "open311_key", key.id, detail={"name": key.name})
    return key


def list_keys(session: Session, actor: Actor, *, include_revoked: bool = True) -> list[Open311Key]:
    require(actor, "open311.keys")
    stmt = select(Open311Key).order_by(Open311Key.id)
    if not include_revoked:
        stmt = stmt.where(Open311Key.revoked_at.is_(None))
    return list(session.scalars(stmt))


def resolve_key(session: Session, secret: str | None) -> Open311Key:
    """The active key `secret` is, or PermissionDenied (the Open311 API answers 403)."""
    secret = (secret or "").strip()
    key = None
    if secret and len(secret) <= MAX_SECRET:
        key = session.scalar(select(Open311Key).where(Open311Key.digest == digest(secret)))
    if key is None or key.revoked_at is not None:
        raise PermissionDenied("invalid or revoked api_key", key="open311_key_invalid", action="open311.post")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = now
    return key
