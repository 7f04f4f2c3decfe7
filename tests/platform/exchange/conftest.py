"""Fixtures of the change-feed tests: the web app on the test's connection and warehouse, its client and
bearer tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from tests.platform.sharing.sharing_helpers import make_app
from tests.web.conftest import bearer, client  # noqa: F401  (fixtures, resolved against the `app` below)

from digigov.core.warehouse import get_warehouse


@pytest.fixture
def app(connection: object, tmp_path: Path) -> FastAPI:
    return make_app(connection, tmp_path, warehouse_path=str(get_warehouse().path))  # the loads' warehouse
