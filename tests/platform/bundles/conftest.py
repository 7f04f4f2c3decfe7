"""A store with the population and death registers loaded and linked once per backend for the package, and the shipped
bundles published; each test gets a savepoint on that store and its own copy of the warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bundles_helpers import load_registers
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import private_engine

from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.identity.actor import Actor
from digigov.platform.bundles import service


@dataclass
class World:
    connection: object
    warehouse: Path


@pytest.fixture(scope="package")
def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("bundles")
    with private_engine(backend, base) as engine:  # a store of its own: the open transaction locks nobody out
        yield from _world(engine, base)


def _world(engine: Engine, base: Path) -> Iterator[World]:
    conn = engine.connect()
    trans = conn.begin()
    set_warehouse(Warehouse(base / "warehouse.duckdb", lock_timeout=10))
    try:
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        load_registers(s, base / "files")
        service.install_shipped(s, Actor.operator())
        s.commit()
        s.close()
        yield World(conn, base / "warehouse.duckdb")
    finally:
        set_warehouse(None)
        trans.rollback()
        conn.close()


@pytest.fixture
def bsession(world: World, tmp_path: Path) -> Iterator[Session]:
    """A session on the world's store (rolled back after the test) and a private copy of its warehouse."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(world.warehouse, copy)
    set_warehouse(Warehouse(copy, lock_timeout=10))
    nested = world.connection.begin_nested()  # type: ignore[attr-defined]
    s = Session(bind=world.connection, join_transaction_mode="create_savepoint",  # type: ignore[arg-type]
                expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        if nested.is_active:
            nested.rollback()
        set_warehouse(None)
