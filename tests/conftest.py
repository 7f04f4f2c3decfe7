"""Shared fixtures: a migrated store on SQLite (always) and PostgreSQL (when DIGIGOV_TEST_POSTGRES_URL
is set), seeded once per test session with the demo regions, departments and users; each test runs in a
transaction that is rolled back, so tests never see each other's writes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo.people import DemoUser, seed_users
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade

# Pseudonyms are keyed; tests use a fixed key instead of creating one under ./var.
os.environ.setdefault("DIGIGOV_MASKING_KEY", "test-masking-key")
os.environ.setdefault("DIGIGOV_WORKER_IN_PROCESS", "false")  # tests drive the worker with worker.tick

PG_ENV = "DIGIGOV_TEST_POSTGRES_URL"
_SEEDED: dict[int, list[DemoUser]] = {}


def backends() -> list[object]:
    out: list[object] = ["sqlite"]
    if os.environ.get(PG_ENV):
        out.append("postgres")
    else:
        out.append(pytest.param("postgres", marks=pytest.mark.skip(reason=f"{PG_ENV} not set")))
    return out


def _postgres_url_with_schema(schema: str) -> str:
    base = make_url(os.environ[PG_ENV])
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def fresh_database_url(backend: str, tmp_dir: os.PathLike[str] | str) -> tuple[str, object]:
    """A URL to an empty database of `backend` and a callable that drops it afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir}/digigov-test-{uuid.uuid4().hex[:8]}.db", lambda: None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(_postgres_url_with_schema("public"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return _postgres_url_with_schema(schema), drop


def seed_base(engine: Engine) -> list[DemoUser]:
    """Regions, departments and demo users: the ground every test stands on."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        op = Actor.operator()
        identity.seed_regions_and_departments(s, op)
        return seed_users(s, op)


@contextmanager
def private_engine(backend: str, tmp_dir: os.PathLike[str] | str) -> Iterator[Engine]:
    """A migrated, seeded store of its own on `backend`, for a fixture that keeps a transaction open across many
    tests (on SQLite an open write transaction on the shared store would lock every other test out of it)."""
    url, drop = fresh_database_url(backend, tmp_dir)
    eng = make_engine(url)
    try:
        upgrade(eng)
        _SEEDED[id(eng)] = seed_base(eng)
        yield eng
    finally:
        eng.dispose()
        drop()  # type: ignore[operator]


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url, drop = fresh_database_url(backend, tmp_path_factory.mktemp(backend))
    eng = make_engine(url)
    upgrade(eng)
    _SEEDED[id(eng)] = seed_base(eng)
    yield eng
    eng.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def session(connection: object) -> Iterator[Session]:
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)  # type: ignore[arg-type]
    yield s
    s.close()


@pytest.fixture(autouse=True)
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Each test gets a warehouse file of its own (created only when something connects)."""
    wh = Warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb", lock_timeout=10)
    set_warehouse(wh)
    yield wh
    set_warehouse(None)


@pytest.fixture
def people(engine: Engine) -> dict[str, DemoUser]:
    return {u.username: u for u in _SEEDED[id(engine)]}


@pytest.fixture
def actor_of(session: Session):
    """actor_of('hz_police_steward') -> that demo user's Actor."""

    def make(username: str) -> Actor:
        return Actor.from_user(identity.get_user(session, username))

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `sqlite_only` (e.g. the schemathesis fuzz run) are deselected on other backends."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.get_closest_marker("sqlite_only") and params.get("backend", "sqlite") != "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def make_app(connection: object, tmp_path: os.PathLike[str] | str, **settings: object) -> FastAPI:
    """The web app on the test's connection (rolled back afterwards) with the given settings."""
    from sqlalchemy.orm import sessionmaker

    from digigov.core.settings import Settings
    from digigov.web.app import create_app

    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",  # type: ignore[call-overload]
                           expire_on_commit=False)
    return create_app(Settings(var_dir=tmp_path, secret_key="test", **settings), session_factory=factory)
