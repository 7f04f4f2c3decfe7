"""Fixtures of the sharing tests: the web app on the test's connection, its clients and bearer tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from sharing_helpers import make_app
from tests.web.conftest import bearer, client, login  # noqa: F401  (fixtures, resolved against the `app` below)


@pytest.fixture
def app(connection: object, tmp_path: Path) -> FastAPI:
    return make_app(connection, tmp_path)
