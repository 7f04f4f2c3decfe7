"""The risk-control tests' Huzhou, built once per backend for the whole package: the departments' files of seed 7 for
the three months before 2025-06-20 (small), handed over through ingestion, the shipped rules stored, the posts, one
run of the risk models (a day ago) and one safety-code run. All of it in a transaction rolled back at the end; each
test runs in a savepoint of its own on the same connection (`srcl`), so tests never see each other's decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import private_engine

from digigov.apps import registry
from digigov.apps.rule_of_law.social_risk_closed_loop import (
    demo,
    generator,
    loading,
    plugin,
    safety_service,
    service,
)
from digigov.core.clock import utcnow
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.identity import service as identity
from digigov.identity.actor import Actor

SEED = 7
AS_OF = date(2025, 6, 20)
OP = Actor.operator()


def install_plugin() -> None:
    """The app as its entry point installs it (an installation made before the entry point was added does not list
    it yet)."""
    pm = registry.plugin_manager()
    if not pm.has_plugin("social_risk_closed_loop") and not pm.is_registered(plugin):
        pm.register(plugin, name="social_risk_closed_loop")
    registry.load()


def user(s: Session, username: str) -> Actor:
    return Actor.from_user(identity.get_user(s, username))


@dataclass
class World:
    connection: Any
    made: generator.Generated
    swept: service.SweepResult
    swept_at: datetime
    loads: dict[str, dict[str, int | str]]

    @property
    def truth(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.made.directory / "truth.json").read_text(encoding="utf-8"))
        return data


@pytest.fixture(scope="package")
def warehouse(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One warehouse per backend for the package (it overrides the per-test one)."""
    wh = Warehouse(tmp_path_factory.mktemp(f"srcl-wh-{backend}") / "warehouse.duckdb")
    set_warehouse(wh)
    yield wh
    set_warehouse(None)


@pytest.fixture(scope="package")
def world(backend: str, warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    install_plugin()
    data_dir = tmp_path_factory.mktemp("srcl-data")
    with private_engine(backend, data_dir) as engine:  # a store of its own: the open transaction locks nobody out
        yield from _world(engine, data_dir)


def _world(engine: Engine, data_dir: Path) -> Iterator[World]:
    conn = engine.connect()
    trans = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:  # a failed build must still roll back, or its open transaction blocks dropping the test schema
        registry.sync(session, OP)
        made = generator.generate(Path(data_dir), seed=SEED, as_of=AS_OF, size="small")
        loads = loading.load(session, OP, made.files)
        assert loading.point_views(session) == []
        demo.ensure_posts(session, SEED)
        at = utcnow() - timedelta(days=1)
        swept = service.sweep(session, OP, now=at)
        safety_service.run(session, OP, as_of=AS_OF, now=at)
        session.commit()
        yield World(conn, made, swept, at, loads)
    finally:
        session.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def srcl(world: World) -> Iterator[Session]:
    """A session in a savepoint of the package's transaction, rolled back after the test."""
    nested = world.connection.begin_nested()
    s = Session(bind=world.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield s
    s.close()
    if nested.is_active:
        nested.rollback()
