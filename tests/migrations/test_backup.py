"""Backup and restore: what comes back is what went out, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.conftest import fresh_database_url, seed_base

from digigov.audit import service as audit
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.errors import Conflict, InvalidInput
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.backup import backup, restore, verify_file
from digigov.migrations.models import metadata
from digigov.migrations.runner import upgrade
from digigov.platform.catalog import service as catalog


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in metadata.sorted_tables}


def _fresh(backend: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    url, drop = fresh_database_url(backend, tmp_path)
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture
def source(backend: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A store of its own with the base seed (the shared test store is never written to)."""
    for eng in _fresh(backend, tmp_path / "source"):
        seed_base(eng)
        yield eng


@pytest.fixture
def target(backend: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from _fresh(backend, tmp_path / "target")


def test_round_trip_keeps_every_row_and_the_audit_chain(source: Engine, target: Engine, tmp_path: Path) -> None:
    with unit_of_work(make_session_factory(source)) as s:
        r = catalog.create_resource(s, Actor.operator(), kind="component", name="备份测试组件",
                                    owner_department="330000-big_data", attributes={"version": "1.0", "n": 3})
        code = r.code
    file = tmp_path / "store.jsonl.gz"
    counts = backup(source, file)
    assert counts == _counts(source) and counts["user_account"] >= 15
    assert verify_file(file)["counts"] == counts

    assert restore(target, file) == counts
    assert _counts(target) == counts
    with unit_of_work(make_session_factory(target)) as s:
        assert audit.verify(s, Actor.operator()).ok
        back = catalog.get_resource(s, Actor.operator(), code)
        assert back.attributes == {"version": "1.0", "n": 3} and back.created_at.tzinfo is not None
        assert catalog.search(s, Actor.operator(), "备份测试").total >= 1  # the search index came back too
        # new rows get fresh ids after a restore (sequences moved past the restored ones)
        identity.create_user(s, Actor.operator(), username="after_restore", display_name="x",
                             password="long-enough-pw", department="330106-health", roles=["officer"])
    with pytest.raises(Conflict):  # a second restore would mix two stores
        restore(target, file)


def test_a_damaged_backup_is_refused_and_nothing_is_loaded(source: Engine, target: Engine, tmp_path: Path) -> None:
    file = tmp_path / "store.jsonl.gz"
    backup(source, file)
    with gzip.open(file, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines[5] = lines[5].replace("浙江", "江浙", 1) if "浙江" in lines[5] else lines[5] + " "
    bad = tmp_path / "bad.jsonl.gz"
    with gzip.open(bad, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput, match="damaged"):
        restore(target, bad)
    truncated = tmp_path / "cut.jsonl.gz"
    with gzip.open(truncated, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[:-1]) + "\n")
    with pytest.raises(InvalidInput, match="incomplete"):
        restore(target, truncated)
    assert sum(_counts(target).values()) == 0
