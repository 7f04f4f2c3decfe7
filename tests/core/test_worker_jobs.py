"""The worker runs the installed apps' periodic jobs each round, reports what they did, and one failing job
does not stop the others or the rest of the round."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from digigov import worker
from digigov.apps import registry
from digigov.apps.hookspecs import hookimpl


class _Jobs:
    def __init__(self) -> None:
        self.seen: list[datetime] = []

    @hookimpl
    def periodic_jobs(self) -> list[tuple[str, Any]]:
        def count(_factory: sessionmaker[Session], now: datetime) -> int:
            self.seen.append(now)
            return 3

        def broken(_factory: sessionmaker[Session], _now: datetime) -> int:
            raise RuntimeError("peer unreachable")

        return [("test.count", count), ("test.broken", broken)]


@pytest.fixture
def jobs() -> Iterator[_Jobs]:
    plugin = _Jobs()
    registry.plugin_manager().register(plugin, name="test-periodic-jobs")
    yield plugin
    registry.plugin_manager().unregister(plugin)


@pytest.fixture
def factory(connection: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def test_the_round_runs_each_job_and_isolates_a_failure(jobs: _Jobs, factory: sessionmaker[Session]) -> None:
    now = datetime.fromisoformat("2026-11-30T02:00:00+00:00")
    result = worker.tick(factory, now=now)
    assert result.jobs["test.count"] == 3 and jobs.seen == [now]
    assert "test.broken" not in result.jobs
    assert any(e.startswith("test.broken: peer unreachable") for e in result.errors)
    assert not [e for e in result.errors if not e.startswith("test.broken")]  # the rest of the round ran


def test_the_cross_province_app_resends_in_the_round() -> None:
    from digigov.apps.digital_government.cross_province_services import plugin

    pm = registry.plugin_manager()
    if not pm.is_registered(plugin):
        pm.register(plugin, name="cross_province_services-worker-test")
    assert "xps.retry" in dict(registry.periodic_jobs())
