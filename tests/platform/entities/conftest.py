"""The demo departments' data loaded and linked once per backend and module; each test gets a savepoint on that
store and its own copy of the linked warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import private_engine

from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.demo import department_data
from digigov.identity.actor import Actor
from digigov.platform.entities import service as entities


@dataclass
class Linked:
    connection: object
    warehouse: Path
    files: Path


@pytest.fixture(scope="module")
def linked(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Linked]:
    base = tmp_path_factory.mktemp("entities")
    with private_engine(backend, base) as engine:
        yield from _linked(engine, base)


def _linked(engine: Engine, base: Path) -> Iterator[Linked]:
    conn = engine.connect()
    trans = conn.begin()
    wh = Warehouse(base / "warehouse.duckdb", lock_timeout=10)
    set_warehouse(wh)
    try:
        s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        op = Actor.operator()
        department_data.load(s, op, size="small", seed=2021, directory=base / "files")
        entities.link(s, op, full=True)
        s.commit()  # releases the savepoint into the module's transaction (rolled back at the end)
        s.close()
        yield Linked(conn, base / "warehouse.duckdb", base / "files")
    finally:
        set_warehouse(None)
        trans.rollback()
        conn.close()


@pytest.fixture
def esession(linked: Linked, tmp_path: Path) -> Iterator[Session]:
    """A session on the linked store (rolled back after the test) and a private copy of the linked warehouse."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(linked.warehouse, copy)
    set_warehouse(Warehouse(copy, lock_timeout=10))
    nested = linked.connection.begin_nested()  # type: ignore[attr-defined]
    s = Session(bind=linked.connection, join_transaction_mode="create_savepoint",  # type: ignore[arg-type]
                expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        if nested.is_active:
            nested.rollback()
        set_warehouse(None)
