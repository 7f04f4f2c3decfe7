"""SQLite's "database is locked" when a request's snapshot went stale: the request runs again and succeeds.

The route below reads (the transaction takes its snapshot), lets another connection commit a write, then
writes itself: on SQLite in WAL mode that write fails at once, whatever the busy timeout. This is what a
login met while the in-process worker drained a backlog."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from digigov.core.db import make_engine, make_session_factory
from digigov.core.http import DB
from digigov.core.settings import Settings
from digigov.web.app import create_app
from digigov.web.busy_retry import BusyRetryMiddleware

pytestmark = pytest.mark.sqlite_only


def _app(tmp_path: Path, interfere: int) -> tuple[object, dict[str, int], object]:
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, n INTEGER)"))
        c.execute(text("INSERT INTO probe VALUES (1, 0), (2, 0)"))
    app = create_app(Settings(var_dir=tmp_path, secret_key="busy"), session_factory=make_session_factory(engine))
    calls = {"n": 0}

    def write_from_elsewhere() -> None:
        with engine.connect() as other:  # a second connection, as the worker's would be
            other.execute(text("UPDATE probe SET n = n + 1 WHERE id = 2"))
            other.commit()

    @app.post("/probe")  # type: ignore[misc]
    def probe(session: DB, body: dict[str, int]) -> dict[str, int]:
        calls["n"] += 1
        session.execute(text("SELECT n FROM probe WHERE id = 1")).one()
        if calls["n"] <= interfere:
            write_from_elsewhere()
        session.execute(text("UPDATE probe SET n = n + :by WHERE id = 1"), {"by": body["by"]})
        return {"attempt": calls["n"]}

    return app, calls, engine


def _middleware(app: object) -> BusyRetryMiddleware:
    stack = app.middleware_stack or app.build_middleware_stack()  # type: ignore[attr-defined]
    while not isinstance(stack, BusyRetryMiddleware):
        stack = stack.app
    return stack


def test_a_request_whose_snapshot_went_stale_runs_again(tmp_path: Path) -> None:
    app, calls, engine = _app(tmp_path, interfere=2)
    client = TestClient(app)
    r = client.post("/probe", json={"by": 5})
    assert r.status_code == 200, r.text
    assert r.json() == {"attempt": 3} and calls["n"] == 3  # two stale snapshots, then it went through
    with engine.connect() as c:  # type: ignore[attr-defined]
        assert c.execute(text("SELECT id, n FROM probe ORDER BY id")).all() == [(1, 5), (2, 2)]  # applied once
    assert _middleware(app).retried == 2


def test_it_gives_up_after_its_attempts_and_changes_nothing(tmp_path: Path) -> None:
    app, calls, engine = _app(tmp_path, interfere=99)
    client = TestClient(app, raise_server_exceptions=True)
    with pytest.raises(OperationalError, match="database is locked"):
        client.post("/probe", json={"by": 5})
    assert calls["n"] == 4
    with engine.connect() as c:  # type: ignore[attr-defined]
        assert c.execute(text("SELECT n FROM probe WHERE id = 1")).scalar() == 0
