"""A flood of messages from one address is turned away before any envelope is read or verified."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import make_app

from digigov.platform.federation.model import FederationMessage


def test_an_address_over_its_rate_gets_429_and_nothing_is_logged(connection: object, session: Session,
                                                                 tmp_path: Path) -> None:
    app = make_app(connection, tmp_path, federation_rate_per_minute=1, federation_rate_burst=2)
    logged = session.scalar(select(func.count()).select_from(FederationMessage))
    with TestClient(app) as client:
        first = [client.post("/federation/v1/messages", content=b"{}").status_code for _ in range(2)]
        refused = client.post("/federation/v1/messages", content=b"{}")
    assert 429 not in first  # within the burst: answered on their merits (no identity here: 503)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"] == "too_many_requests"
    assert session.scalar(select(func.count()).select_from(FederationMessage)) == logged
