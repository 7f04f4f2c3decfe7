"""`digigov rules`: add from YAML, list, show, dry run (writes nothing), enable, run, due."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from digigov.cli_rules import rules_app
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import get_settings
from digigov.core.warehouse import get_warehouse, set_warehouse
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.rules.model import Signal

runner = CliRunner()
pytestmark = pytest.mark.sqlite_only
app = typer.Typer()
app.add_typer(rules_app, name="rules")

RULE = """code: cli.noise
name: 噪音投诉多发
kind: sql
severity: yellow
department: 330106-housing
subject: community
title: "{community}：{n}起"
schedule: "*/10 * * * *"
sql: |
  SELECT community, count(*) AS n FROM topic.cli_complaints GROUP BY community HAVING count(*) >= 2
"""


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DIGIGOV_DATABASE_URL", raising=False)
    monkeypatch.delenv("DIGIGOV_WAREHOUSE_PATH", raising=False)
    get_settings.cache_clear()
    set_warehouse(None)
    engine = make_engine(get_settings().effective_database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as s:
        identity.seed_regions_and_departments(s, Actor.operator(), kinds=["housing", "big_data"])
    engine.dispose()
    with get_warehouse().connect() as con:
        con.execute("CREATE TABLE topic.cli_complaints AS SELECT * FROM (VALUES ('翠苑一区'), ('翠苑一区'), "
                    "('文新社区')) AS t(community)")
    yield tmp_path
    get_settings.cache_clear()


def signals() -> int:
    engine = make_engine(get_settings().effective_database_url)
    try:
        with make_session_factory(engine)() as s:
            return int(s.scalar(select(func.count()).select_from(Signal)) or 0)
    finally:
        engine.dispose()


def test_add_dry_run_enable_run_and_due(var_dir: Path) -> None:
    path = var_dir / "noise.yaml"
    path.write_text(RULE, encoding="utf-8")
    added = runner.invoke(app, ["rules", "add", str(path)])
    assert added.exit_code == 0, added.output
    assert "cli.noise: version 1 (disabled)" in added.output
    listed = json.loads(runner.invoke(app, ["rules", "list", "--json"]).output)
    assert [(r["code"], r["enabled"], r["version"]) for r in listed] == [("cli.noise", False, 1)]

    dry = runner.invoke(app, ["rules", "run", "cli.noise", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    out = json.loads(dry.output)
    assert [(s["subject"], s["title"], s["new"]) for s in out["signals"]] == [("翠苑一区", "翠苑一区：2起", True)]
    assert signals() == 0

    assert runner.invoke(app, ["rules", "run", "cli.noise"]).exit_code == 1  # disabled: refused
    assert "enabled" in runner.invoke(app, ["rules", "enable", "cli.noise"]).output
    ran = runner.invoke(app, ["rules", "run", "cli.noise", "--json"])
    assert ran.exit_code == 0 and json.loads(ran.output)["new_signals"] == 1
    assert signals() == 1

    path.write_text(RULE.replace("severity: yellow", "severity: red"), encoding="utf-8")
    assert "version 2" in runner.invoke(app, ["rules", "add", str(path), "--note", "升级为红色"]).output
    shown = json.loads(runner.invoke(app, ["rules", "show", "cli.noise", "--json"]).output)
    assert [v["version"] for v in shown["versions"]] == [2, 1] and shown["versions"][0]["note"] == "升级为红色"
    assert shown["runs"][0]["new_signals"] == 1

    due = runner.invoke(app, ["rules", "due", "--json"])
    assert due.exit_code == 0, due.output
    assert json.loads(due.output) in ([], [{"rule": "cli.noise", "rows": 1, "new_signals": 0, "updated_signals": 1,
                                           "error": None}])


def test_bad_rule_file_exits_1_with_the_reason(var_dir: Path) -> None:
    path = var_dir / "bad.yaml"
    path.write_text(RULE.replace("SELECT community", "DELETE FROM x; SELECT community"), encoding="utf-8")
    result = runner.invoke(app, ["rules", "add", str(path)])
    assert result.exit_code == 1
    assert "exactly one SQL statement" in result.output
