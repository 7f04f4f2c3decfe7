"""The `digigov` command against a real SQLite store in a temporary folder."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from digigov.cli import app
from digigov.core.db import make_engine
from digigov.core.settings import get_settings

runner = CliRunner()


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DIGIGOV_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str) -> "object":
    result = runner.invoke(app, list(args))
    return result


def _seed_departments() -> None:
    from digigov.core.db import make_session_factory, unit_of_work
    from digigov.identity import service as identity
    from digigov.identity.actor import Actor

    engine = make_engine(get_settings().effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        identity.seed_regions_and_departments(s, Actor.operator(), kinds=["civil_affairs", "big_data"])
    engine.dispose()


def test_db_upgrade_creates_the_store(var_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (var_dir / "digigov.db").exists()
    assert "revision" in result.output


def test_users_tokens_and_audit_verify(var_dir: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    _seed_departments()
    result = runner.invoke(app, ["users", "create", "hz_officer", "-d", "330100-civil_affairs", "-r", "officer",
                                 "--name", "张伟", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    assert "杭州市民政局" in result.output
    bad = runner.invoke(app, ["users", "create", "x", "-d", "330100-civil_affairs", "-r", "king",
                              "--password", "a-long-password"])
    assert bad.exit_code == 1 and "roles" in bad.output

    token = runner.invoke(app, ["tokens", "create", "hz_officer", "--name", "etl"])
    assert token.exit_code == 0, token.output
    assert "dg_" in token.output

    listed = runner.invoke(app, ["users", "list", "--json"])
    assert '"hz_officer"' in listed.output

    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output

    engine = make_engine(get_settings().effective_database_url)
    with engine.begin() as conn:
        seq = conn.execute(text("SELECT seq FROM audit_record WHERE action = 'user.create'")).scalar_one()
        conn.execute(text("UPDATE audit_record SET actor = 'someone-else' WHERE seq = :s"), {"s": seq})
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"record {seq}" in broken.output


def test_demo_builds_the_province_and_is_idempotent(var_dir: Path) -> None:
    first = runner.invoke(app, ["demo", "--scale", "small", "--no-serve", "--port", "8123"])
    assert first.exit_code == 0, first.output
    assert "demo province ready" in first.output
    assert "admin" in first.output and "http://127.0.0.1:8123/" in first.output
    second = runner.invoke(app, ["demo", "--scale", "small", "--no-serve"])
    assert second.exit_code == 0, second.output
    engine = make_engine(get_settings().effective_database_url)
    with engine.connect() as conn:
        apps = conn.execute(text("SELECT count(*) FROM catalog_resource WHERE kind = 'application'")).scalar_one()
        counties = conn.execute(text("SELECT count(*) FROM region WHERE level = 'county'")).scalar_one()
    engine.dispose()
    assert apps == 120 and counties == 90
    assert runner.invoke(app, ["demo", "--scale", "huge", "--no-serve"]).exit_code == 2


def test_backup_then_restore_into_an_empty_store(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    _seed_departments()
    file = var_dir / "store.jsonl.gz"
    made = runner.invoke(app, ["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output and file.exists()

    again = runner.invoke(app, ["restore", str(file)])  # the same, non-empty store
    assert again.exit_code == 1 and "not empty" in again.output

    elsewhere = var_dir / "other"
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(elsewhere))
    get_settings.cache_clear()
    restored = runner.invoke(app, ["restore", str(file)])
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output
    engine = make_engine(get_settings().effective_database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM department")).scalar_one() == 102 * 2
    engine.dispose()
