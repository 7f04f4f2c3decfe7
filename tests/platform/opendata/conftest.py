"""Fixtures of the open-data tests: the web app (with rate limits high enough not to get in the way) and,
borrowed from the web and Open311 tests, its clients and a real server on a free port."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from opendata_helpers import make_app
from tests.apps.people_call_we_act.test_open311_api import server  # noqa: F401  (uvicorn on a free port)
from tests.web.conftest import bearer, client  # noqa: F401  (fixtures, resolved against the `app` below)


@pytest.fixture
def app(connection: object, tmp_path: Path) -> FastAPI:
    return make_app(connection, tmp_path, open_rate_per_minute=1_000_000, open_rate_burst=1_000_000)
