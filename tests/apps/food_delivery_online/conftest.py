"""The application's world on the backend under test, built once per backend: a store of its own (the shared
test store is never written to) and a warehouse of its own; each test runs in a transaction rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from tests.apps.food_delivery_online.fdo_world import World, build_world, install_plugin
from tests.conftest import fresh_database_url

from digigov.core.warehouse import set_warehouse


@pytest.fixture(scope="session")
def fdo_world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"fdo-{backend}")
    url, drop = fresh_database_url(backend, tmp)
    world = build_world(url, tmp)
    yield world
    world.engine.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture
def fdo_connection(fdo_world: World) -> Iterator[object]:
    install_plugin()
    set_warehouse(fdo_world.warehouse)
    conn = fdo_world.engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def fdo_session(fdo_connection: object) -> Iterator[Session]:
    s = Session(bind=fdo_connection, join_transaction_mode="create_savepoint", expire_on_commit=False)  # type: ignore[arg-type]
    yield s
    s.close()
