"""Browser tests: a real server (uvicorn in a thread) on a real SQLite store with the small demo
province, driven by Playwright in Debian's Chromium. CI (which sets DIGIGOV_TEST_CHROMIUM) fails when the
browser is missing; elsewhere the tests skip with a reason."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.web.local_server import serve

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def chromium_path() -> str:
    path = os.environ.get("DIGIGOV_TEST_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        if os.environ.get("DIGIGOV_TEST_CHROMIUM"):
            pytest.fail(f"DIGIGOV_TEST_CHROMIUM is set but {path} does not exist")
        pytest.skip(f"no Chromium at {path}; set DIGIGOV_TEST_CHROMIUM")
    return path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from digigov.demo.builder import build
    from digigov.web.app import create_app

    var_dir = tmp_path_factory.mktemp("e2e")
    settings = Settings(var_dir=var_dir, secret_key="e2e-secret")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as s:
        report = build(s, Actor.operator(), scale="small", seed=2021)
    engine.dispose()
    with serve(create_app(settings), lifespan="auto") as url:
        yield {"url": url, "users": {u.username: u for u in report.users}, "settings": settings}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
