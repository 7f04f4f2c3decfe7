"""`digigov open311 keys create|list|revoke` against a real SQLite store in a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digigov.apps.digital_society.people_call_we_act import open311_keys
from digigov.cli_open311 import open311_app
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.errors import PermissionDenied
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


def _resolves(secret: str) -> bool:
    engine = make_engine(get_settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            open311_keys.resolve_key(s, secret)
        return True
    except PermissionDenied:
        return False
    finally:
        engine.dispose()


def test_keys_create_list_revoke(var_dir: Path) -> None:
    made = runner.invoke(open311_app, ["keys", "create", "xihu-grid"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith(open311_keys.KEY_PREFIX)
    assert _resolves(secret)

    listed = runner.invoke(open311_app, ["keys", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["prefix"], row["revoked_at"]) == ("xihu-grid", secret[:10], None)
    assert secret not in listed.stdout
    table = runner.invoke(open311_app, ["keys", "list"])
    assert table.exit_code == 0 and "xihu-grid" in table.stdout and secret not in table.stdout

    again = runner.invoke(open311_app, ["keys", "create", "xihu-grid"])
    assert again.exit_code == 1 and "exists" in again.output
    bad = runner.invoke(open311_app, ["keys", "create", "has space"])
    assert bad.exit_code == 1

    revoked = runner.invoke(open311_app, ["keys", "revoke", str(row["id"])])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert not _resolves(secret)
    assert json.loads(runner.invoke(open311_app, ["keys", "list", "--json", "--active"]).stdout) == []
    assert json.loads(runner.invoke(open311_app, ["keys", "list", "--json"]).stdout)[0]["revoked_at"]
    missing = runner.invoke(open311_app, ["keys", "revoke", "999"])
    assert missing.exit_code == 1 and "999" in missing.output
