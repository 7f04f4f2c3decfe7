"""`digigov federation init|show|rotate-key|anchor export|anchor import|peers|revoke|ping|log` and the
federation log in `digigov audit verify`, on two real SQLite stores in temporary folders (two instances)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digigov.cli import app
from digigov.core.settings import get_settings
from digigov.platform.federation import keys

runner = CliRunner()
Use = Callable[[str], Path]


@pytest.fixture
def use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Use]:
    """use("quzhou") points the command at that instance's folder (its store and its key files)."""
    monkeypatch.delenv("DIGIGOV_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    def switch(name: str) -> Path:
        var_dir = tmp_path / name
        monkeypatch.setenv("DIGIGOV_VAR_DIR", str(var_dir))
        get_settings.cache_clear()
        return var_dir

    yield switch
    get_settings.cache_clear()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())  # Rich wraps long lines


def test_two_instances_trust_each_other_through_anchor_files(use: Use, tmp_path: Path) -> None:
    quzhou = use("quzhou")
    assert "not initialised" in run("federation", "show", code=1)
    out = run("federation", "init", "--id", "zj-quzhou", "--name", "衢州市公共数据平台", "--url", "http://127.0.0.1:1")
    assert "zj-quzhou" in out
    shown = json.loads(runner.invoke(app, ["federation", "show", "--json"]).stdout)
    [key] = shown["keys"]
    assert (shown["instance_id"], key["status"]) == ("zj-quzhou", "active")
    key_file = keys.key_path(quzhou / "federation", key["key_id"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    run("federation", "anchor", "export", "quzhou.json", "--valid-days", "30")
    assert keys.read_anchor((tmp_path / "quzhou.json").read_bytes()).active_key.key_id == key["key_id"]
    assert run("federation", "init", "--id", "zj-lishui", "--name", "x", "--url", "http://x.invalid", code=1)

    use("nanping")
    run("federation", "init", "--id", "fj-nanping", "--name", "南平市公共数据平台", "--url", "http://127.0.0.1:2")
    run("federation", "anchor", "export", "nanping.json")
    assert json.loads(runner.invoke(app, ["federation", "peers", "--json"]).stdout) == []
    assert "now trusting zj-quzhou" in run("federation", "anchor", "import", "quzhou.json")
    run("federation", "anchor", "import", "quzhou.json")  # the same key again: a refresh
    [peer] = json.loads(runner.invoke(app, ["federation", "peers", "--json"]).stdout)
    assert (peer["instance_id"], peer["active_key"], peer["revoked_at"]) == ("zj-quzhou", key["key_id"], None)
    assert "zj-quzhou" in run("federation", "peers")
    assert "own anchor" in run("federation", "anchor", "import", "nanping.json", code=1)
    tampered = json.loads((tmp_path / "quzhou.json").read_text())
    tampered["base_url"] = "https://attacker.invalid"
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    assert "self-signature" in run("federation", "anchor", "import", "tampered.json", code=1)
    assert "cannot read" in run("federation", "anchor", "import", "missing.json", code=1)

    use("quzhou")  # quzhou rotates its key: nanping must accept the change explicitly
    assert "new key" in run("federation", "rotate-key")
    run("federation", "anchor", "import", "nanping.json")
    run("federation", "anchor", "export", "quzhou-2.json")
    use("nanping")
    assert "--replace" in run("federation", "anchor", "import", "quzhou-2.json", code=1)
    run("federation", "anchor", "import", "quzhou-2.json", "--replace")
    [peer] = json.loads(runner.invoke(app, ["federation", "peers", "--json"]).stdout)
    assert peer["active_key"] != key["key_id"] and peer["keys"] == 2
    assert "revoked" in run("federation", "revoke", "zj-quzhou", "--reason", "演练")
    [peer] = json.loads(runner.invoke(app, ["federation", "peers", "--json"]).stdout)
    assert peer["revoked_at"] and peer["revoke_reason"] == "演练"
    assert "ah-huangshan" in run("federation", "revoke", "ah-huangshan", code=1)


def test_ping_log_and_audit_verify(use: Use, tmp_path: Path) -> None:
    use("nanping")
    run("federation", "init", "--id", "fj-nanping", "--name", "南平", "--url", "http://127.0.0.1:2")
    run("federation", "anchor", "export", "nanping.json")
    use("quzhou")
    run("federation", "init", "--id", "zj-quzhou", "--name", "衢州", "--url", "http://127.0.0.1:1")
    run("federation", "anchor", "import", "nanping.json")
    _seed_departments()
    run("users", "create", "qz_officer", "-d", "330800-public_security", "-r", "officer", "--password",
        "a-long-password")
    # nanping's base URL points at a closed port: the ping fails, and the attempt is logged and audited
    assert "unreachable" in run("federation", "ping", "fj-nanping", "--as", "qz_officer", code=1)
    [row] = json.loads(runner.invoke(app, ["federation", "log", "--json"]).stdout)
    assert (row["direction"], row["result"], row["reason"], row["peer"]) == ("out", "failed", "unreachable",
                                                                             "fj-nanping")
    assert row["envelope"]["header"]["department"] == "330800-public_security"
    table = run("federation", "log")
    assert "fj-" in table and "failed" in table  # a narrow terminal wraps the cells
    assert "no user" in run("federation", "ping", "fj-nanping", "--as", "nobody", code=1).lower()
    out = run("audit", "verify")
    assert "federation message log intact: 1 rows verified" in out and "audit chain intact" in out


def _seed_departments() -> None:
    from digigov.core.db import make_engine, make_session_factory, unit_of_work
    from digigov.identity import service as identity
    from digigov.identity.actor import Actor

    engine = make_engine(get_settings().effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        identity.seed_regions_and_departments(s, Actor.operator(), kinds=["public_security"])
    engine.dispose()
