"""The chain lock is per store: two stores in schemas of one PostgreSQL database (two federated instances,
parallel test workers) write their audit chains at the same time; one store's writers still queue."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.conftest import PG_ENV, fresh_database_url

from digigov.audit.service import record
from digigov.core.db import make_engine, make_session_factory
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_stores(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    made = []
    for _ in range(2):
        url, drop = fresh_database_url("postgres", tmp_path)
        engine = make_engine(url)
        upgrade(engine)
        made.append((engine, drop))
    yield [make_session_factory(e) for e, _ in made]
    for engine, drop in made:
        engine.dispose()
        drop()  # type: ignore[operator]


def test_a_held_chain_lock_does_not_stop_another_store(two_stores) -> None:  # type: ignore[no-untyped-def]
    first, second = two_stores
    with first() as holder:
        record(holder, Actor.operator(), "test.hold")  # holds the first store's chain lock until rollback
        with second() as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            rec = record(other, Actor.operator(), "test.other")  # would wait out the timeout if shared
            other.commit()
            assert rec.seq == 1
        with first() as same:
            same.execute(text("SET LOCAL lock_timeout = '300ms'"))
            with pytest.raises(Exception, match="lock timeout"):
                record(same, Actor.operator(), "test.queued")  # the same store's writers still queue
        holder.rollback()
