"""A flood of messages from one address is turned away before any envelope is read or verified."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digigov.core.settings import Settings
from digigov.platform.federation.model import FederationMessage
from digigov.web.app import create_app


def test_an_address_over_its_rate_gets_429_and_nothing_is_logged(connection: object, session: Session,
                                                                 tmp_path: Path) -> None:
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                           expire_on_commit=False)
    app = create_app(Settings(var_dir=tmp_path, secret_key="test", federation_rate_per_minute=1,
                              federation_rate_burst=2), session_factory=factory)
    logged = session.scalar(select(func.count()).select_from(FederationMessage))
    with TestClient(app) as client:
        first = [client.post("/federation/v1/messages", content=b"{}").status_code for _ in range(2)]
        refused = client.post("/federation/v1/messages", content=b"{}")
    assert 429 not in first  # within the burst: answered on their merits (no identity here: 503)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"] == "too_many_requests"
    assert session.scalar(select(func.count()).select_from(FederationMessage)) == logged
