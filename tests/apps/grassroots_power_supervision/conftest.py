"""The grassroots-supervision tests' province, built once per backend for the whole package: the departments'
data of seed 2023 (its agriculture ledgers hold one planted `cadre_employer` and one `cadre_self`, its
subsistence roster one payment after death), the application's files for the pilot villages, entity linkage,
the posts, and one run of the collision rules. All of it in a transaction rolled back at the end; each test runs
in a savepoint of its own on the same connection (`gps`), so tests never see each other's decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import private_engine

from digigov.apps import registry
from digigov.apps.party_governance.grassroots_power_supervision import demo, generator, loading, plugin, service
from digigov.core.clock import utcnow
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo import department_data
from digigov.identity.actor import Actor

SEED = 2023
OP = Actor.operator()


def install_plugin() -> None:
    """The app as its entry point installs it (an installation made before the entry point was added does not
    list it yet)."""
    pm = registry.plugin_manager()
    if not pm.has_plugin("grassroots_power_supervision") and not pm.is_registered(plugin):
        pm.register(plugin, name="grassroots_power_supervision")
    registry.load()


@dataclass
class World:
    connection: Any
    data_dir: Path
    made: generator.Generated
    swept: service.SweepResult
    swept_at: datetime

    @property
    def truth(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.made.directory / "truth.json").read_text(encoding="utf-8"))
        return data


@pytest.fixture(scope="package")
def warehouse(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One warehouse per backend for the package (it overrides the per-test one)."""
    wh = Warehouse(tmp_path_factory.mktemp(f"gps-wh-{backend}") / "warehouse.duckdb")
    set_warehouse(wh)
    yield wh
    set_warehouse(None)


@pytest.fixture(scope="package")
def world(backend: str, warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    install_plugin()
    data_dir = tmp_path_factory.mktemp("gps-data")
    with private_engine(backend, data_dir) as engine:  # a store of its own: the open transaction locks nobody out
        yield from _world(engine, data_dir)


def _world(engine: Engine, data_dir: Path) -> Iterator[World]:
    conn = engine.connect()
    trans = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:  # a failed build must still roll back, or its open transaction blocks dropping the test schema
        department_data.load(session, OP, size="small", seed=SEED, directory=data_dir)
        registry.sync(session, OP)
        made = generator.generate(data_dir, data_dir / "grassroots_supervision", seed=SEED)
        loading.load(session, OP, made.files)
        loading.link(session, OP)
        assert loading.point_views(session) == []
        demo.ensure_posts(session, SEED)
        at = utcnow() - timedelta(days=3)
        swept = service.sweep(session, OP, now=at)
        session.commit()
        yield World(conn, data_dir, made, swept, at)
    finally:
        session.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def gps(world: World) -> Iterator[Session]:
    """A session in a savepoint of the package's transaction, rolled back after the test."""
    nested = world.connection.begin_nested()
    s = Session(bind=world.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield s
    s.close()
    if nested.is_active:
        nested.rollback()
