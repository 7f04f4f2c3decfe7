import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.audit.model import AuditRecord
from digigov.core.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department, Region


def _audit_count(session: Session, action: str) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)))


def test_seeded_regions_and_departments(session: Session) -> None:
    assert session.scalar(select(func.count()).select_from(Region).where(Region.level == "county")) == 90
    # 102 regions x 24 kinds
    assert session.scalar(select(func.count()).select_from(Department)) == 102 * 26
    dept = identity.get_department(session, "330106-public_security")
    assert dept.name == "西湖区公安分局" and dept.tier == "county" and not dept.is_data_authority
    assert identity.get_department(session, "330000-big_data").is_data_authority
    assert identity.seed_regions_and_departments(session, Actor.operator()) == 0  # idempotent


def test_admin_creates_a_user_and_it_is_audited(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    before = _audit_count(session, "user.create")
    user = identity.create_user(session, actor_of("admin"), username="xh_officer2", display_name="测试",
                                password="long-enough-pw", department="330106-health", roles=["officer"])
    assert user.roles == {"officer"} and user.department.code == "330106-health"
    assert _audit_count(session, "user.create") == before + 1
    with pytest.raises(Conflict):
        identity.create_user(session, actor_of("admin"), username="xh_officer2", display_name="x",
                             password="long-enough-pw", department="330106-health", roles=["officer"])


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"password": "short"}, InvalidInput),
    ({"roles": ["emperor"]}, InvalidInput),
    ({"roles": []}, InvalidInput),
    ({"username": "bad name!"}, InvalidInput),
])
def test_bad_users_are_refused(session: Session, actor_of, kwargs, error) -> None:  # type: ignore[no-untyped-def]
    base = {"username": "okname", "display_name": "x", "password": "long-enough-pw",
            "department": "330106-health", "roles": ["officer"]}
    with pytest.raises(error):
        identity.create_user(session, actor_of("admin"), **{**base, **kwargs})


def test_only_admins_create_users(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        identity.create_user(session, actor_of("hz_police_steward"), username="sneaky", display_name="x",
                             password="long-enough-pw", department="330100-public_security", roles=["officer"])


def test_login_checks_password_and_throttles(session: Session, people) -> None:  # type: ignore[no-untyped-def]
    p = people["hz_civil_officer"]
    user, why = identity.authenticate(session, p.username, p.password, address="10.0.0.1")
    assert user is not None and why == "ok"
    for _ in range(5):
        assert identity.authenticate(session, p.username, "wrong", address="10.0.0.2") == (None, "failed")
    # the right password no longer helps while the account is locked
    assert identity.authenticate(session, p.username, p.password, address="10.0.0.3") == (None, "throttled")
    assert identity.authenticate(session, "nobody", "x")[1] == "failed"


def test_tokens_resolve_until_revoked(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    officer = actor_of("hz_civil_officer")
    tok, secret = identity.create_token(session, officer, "hz_civil_officer", name="script")
    assert secret.startswith("dg_") and tok.token_hash != secret
    assert identity.resolve_token(session, secret).username == "hz_civil_officer"
    with pytest.raises(PermissionDenied):
        identity.revoke_token(session, actor_of("hz_police_steward"), tok.id)
    identity.revoke_token(session, officer, tok.id)
    with pytest.raises(NotAuthenticated):
        identity.resolve_token(session, secret)
    with pytest.raises(NotAuthenticated):
        identity.resolve_token(session, "dg_made_up")


def test_officers_cannot_mint_tokens_for_others(session: Session, actor_of) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        identity.create_token(session, actor_of("hz_civil_officer"), "admin")


@pytest.mark.parametrize("ref", ["¹", "٣", "99999999999999999999", "0", "-1", "330100-nonexistent"])
def test_unknown_department_references_are_not_found(session: Session, ref: str) -> None:
    from digigov.core.errors import NotFound

    with pytest.raises(NotFound):
        identity.get_department(session, ref)
