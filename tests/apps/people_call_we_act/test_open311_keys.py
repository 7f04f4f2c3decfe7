"""Open311 API keys: made once and shown once, stored as a digest, revocable, permission-checked, audited."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.digital_society.people_call_we_act import open311_keys
from digigov.apps.digital_society.people_call_we_act.model import Open311Key
from digigov.audit.model import AuditRecord
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.identity.actor import Actor


def _audit(session: Session, action: str) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_a_key_is_shown_once_and_stored_as_its_digest(session: Session) -> None:
    key, secret = open311_keys.create_key(session, Actor.operator(), "xihu-grid")
    assert secret.startswith(open311_keys.KEY_PREFIX) and len(secret) > 40
    stored = session.get(Open311Key, key.id)
    assert stored is not None
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.digest, stored.prefix, stored.name) and stored.prefix == secret[:10]
    assert stored.created_by.startswith("cli:") and stored.active
    created = _audit(session, "open311.key.create")
    assert [r.object_id for r in created] == [str(key.id)]
    assert secret not in created[0].detail

    assert open311_keys.resolve_key(session, secret).id == key.id
    assert stored.last_used_at is not None


def test_wrong_missing_and_revoked_keys_are_refused(session: Session) -> None:
    key, secret = open311_keys.create_key(session, Actor.operator(), "partner.app_1")
    for bad in (None, "", "o311_not-a-key", secret + "x", "x" * 500):
        with pytest.raises(PermissionDenied):
            open311_keys.resolve_key(session, bad)
    open311_keys.revoke_key(session, Actor.operator(), key.id)
    open311_keys.revoke_key(session, Actor.operator(), key.id)  # twice changes nothing
    assert len(_audit(session, "open311.key.revoke")) == 1
    with pytest.raises(PermissionDenied):
        open311_keys.resolve_key(session, secret)
    with pytest.raises(NotFound):
        open311_keys.revoke_key(session, Actor.operator(), 999_999)


def test_names_are_checked_and_unique_among_active_keys(session: Session) -> None:
    for bad in ("", " ", "has space", "中文名", "-lead", "x" * 49):
        with pytest.raises(InvalidInput):
            open311_keys.create_key(session, Actor.operator(), bad)
    first, _ = open311_keys.create_key(session, Actor.operator(), "gongshu-app")
    with pytest.raises(Conflict):
        open311_keys.create_key(session, Actor.operator(), "gongshu-app")
    open311_keys.revoke_key(session, Actor.operator(), first.id)
    second, _ = open311_keys.create_key(session, Actor.operator(), "gongshu-app")  # a revoked name may be reused
    listed = open311_keys.list_keys(session, Actor.operator())
    assert [k.id for k in listed if k.name == "gongshu-app"] == [first.id, second.id]
    active = open311_keys.list_keys(session, Actor.operator(), include_revoked=False)
    assert first.id not in [k.id for k in active] and second.id in [k.id for k in active]


@pytest.mark.parametrize("username", ["hz_civil_officer", "auditor", "hz_police_steward"])
def test_only_platform_admins_manage_keys(session: Session, actor_of: Any, username: str) -> None:
    staff = actor_of(username)
    with pytest.raises(PermissionDenied):
        open311_keys.create_key(session, staff, "sneaky")
    key, _ = open311_keys.create_key(session, actor_of("admin"), "by-admin")
    with pytest.raises(PermissionDenied):
        open311_keys.revoke_key(session, staff, key.id)
    with pytest.raises(PermissionDenied):
        open311_keys.list_keys(session, staff)


def test_the_actor_of_a_key_names_the_partner() -> None:
    key = Open311Key(name="xihu-grid", prefix="o311_abcde", digest="0" * 64, created_by="cli:x")
    actor = open311_keys.actor_for(key)
    assert actor.username == "open311:xihu-grid" and actor.via == "citizen" and not actor.roles
