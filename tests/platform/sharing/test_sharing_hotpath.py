"""The serving hot path (`GET /api/v1/shared/{dataset}`) keeps every check while it got faster: the compiled grant
is cached, yet a revocation, an expiry, a narrowed grant and a field regraded to L4 are seen on the very next
request; the bearer token is read in one Core query, yet a revoked token, a disabled user and a removed role are
seen on the very next request; and a read costs a fixed, small number of store statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sharing_helpers import CONSUMER, STEWARD, grant_for, people
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from digigov.core.clock import utcnow
from digigov.identity.model import ApiToken, User, UserRole
from digigov.platform.sharing import grants as grants_module
from digigov.platform.sharing.model import Grant
from digigov.platform.warehouse.model import DatasetField

URL = "/api/v1/shared/hz_people"


def _page(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get(URL, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@contextmanager
def _statements(connection: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO", "BEGIN")) \
                and "pg_advisory_xact_lock" not in statement:  # the audit chain's lock on PostgreSQL
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", listen)


def test_grant_changes_are_seen_on_the_next_request(client: TestClient, session: Session, bearer: Any,
                                                     actor_of: Any) -> None:
    people(session)
    grant = grant_for(session, actor_of, "hz_people", ["phone", "region_code", "age"])
    session.commit()
    officer = bearer(CONSUMER)
    first = _page(client, officer)
    assert first["fields"] == ["phone", "region_code", "age"] and len(first["records"]) == 5
    assert _page(client, officer)["fields"] == first["fields"]  # served from the cached plan
    assert any(key[0] == grant.id for key in grants_module._CACHE)

    # narrowed in place (fewer fields, a row filter), as a change to the grant stamps updated_at
    session.execute(update(Grant).where(Grant.id == grant.id).values(
        fields=["phone", "region_code"], row_filter=[{"column": "region_code", "op": "=", "value": "330106"}],
        updated_at=utcnow()))
    session.commit()
    narrowed = _page(client, officer)
    assert narrowed["fields"] == ["phone", "region_code"]
    assert {r["region_code"] for r in narrowed["records"]} == {"330106"} and len(narrowed["records"]) == 3

    # narrowed without a new updated_at: the plan is keyed by the terms too, so this is seen as well
    session.execute(update(Grant).where(Grant.id == grant.id).values(fields=["region_code"]))
    session.commit()
    assert _page(client, officer)["fields"] == ["region_code"]

    # a field regraded to L4 (core) is never served in bulk, from the next request on
    session.execute(update(Grant).where(Grant.id == grant.id).values(fields=["phone", "region_code"],
                                                                     updated_at=utcnow()))
    session.execute(update(DatasetField).where(DatasetField.column == "phone").values(grade="L4", gb_level="core"))
    session.commit()
    assert _page(client, officer)["fields"] == ["region_code"]

    # expiry: a grant whose moment has passed serves nothing on the next request
    session.execute(update(Grant).where(Grant.id == grant.id).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    r = client.get(URL, headers=officer)
    assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
    session.execute(update(Grant).where(Grant.id == grant.id).values(expires_at=utcnow() + timedelta(days=1)))
    session.commit()
    assert client.get(URL, headers=officer).status_code == 200

    # revocation through the API: the very next read is refused
    r = client.post(f"/api/v1/sharing/grants/{grant.id}/revoke", headers=bearer(STEWARD), json={"reason": "用途结束"})
    assert r.status_code == 200, r.text
    assert client.get(URL, headers=officer).status_code == 403

    # a new, narrower grant is what the next read serves
    grant_for(session, actor_of, "hz_people", ["age"])
    session.commit()
    assert _page(client, officer)["fields"] == ["age"]


def test_token_changes_are_seen_on_the_next_request(client: TestClient, session: Session, bearer: Any,
                                                     actor_of: Any) -> None:
    people(session)
    grant_for(session, actor_of, "hz_people", ["region_code", "age"])
    session.commit()
    officer = bearer(CONSUMER)
    secret = officer["Authorization"].split()[1]
    _page(client, officer)
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:10]))
    assert token is not None
    session.refresh(token)
    assert token.last_used_at is not None  # the first use went through identity.resolve_token, which stamps it
    _page(client, officer)

    user = session.scalar(select(User).where(User.username == CONSUMER))
    assert user is not None
    roles = [r.role for r in user.role_rows]
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.commit()
    assert client.get(URL, headers=officer).status_code == 403  # no staff role: sharing.read is refused
    session.add_all([UserRole(user_id=user.id, role=role) for role in roles])
    session.commit()
    _page(client, officer)

    session.execute(update(User).where(User.id == user.id).values(active=False))
    session.commit()
    assert client.get(URL, headers=officer).status_code == 401
    session.execute(update(User).where(User.id == user.id).values(active=True))
    session.commit()
    _page(client, officer)

    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=utcnow()))
    session.commit()
    r = client.get(URL, headers=officer)
    assert r.status_code == 401 and r.headers.get("www-authenticate") == "Bearer"
    assert client.get(URL, headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_a_read_costs_a_fixed_number_of_statements(client: TestClient, session: Session, bearer: Any,
                                                   actor_of: Any, connection: Any) -> None:
    people(session)
    grant_for(session, actor_of, "hz_people", ["phone", "region_code", "age"], quota=1000)
    session.commit()
    officer = bearer(CONSUMER)
    _page(client, officer)  # the first use stamps the token's last_used_at through identity
    with _statements(connection) as seen:
        body = _page(client, officer)
    assert body["quota_remaining"] == 1000 - 10
    # token, grant + dataset + fields + today's usage, usage upsert, audit tail, audit insert
    assert len(seen) <= 5, "\n".join(seen)
    assert sum("sharing_usage" in s for s in seen) == 2  # read with the grant, then the upsert
