"""`digigov calendar ...` and `digigov bus ...` against a real SQLite store in a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from digigov.cli_calendar import bus_app, calendar_app
from digigov.core import bus
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import get_settings

runner = CliRunner()
app = typer.Typer()
app.add_typer(calendar_app, name="calendar")
app.add_typer(bus_app, name="bus")


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DIGIGOV_DATABASE_URL", raising=False)
    monkeypatch.setenv("DIGIGOV_BUS_URL", "memory")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    bus.reset_registry()
    yield tmp_path
    bus.reset_registry()
    get_settings.cache_clear()


def _json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_show_a_year_the_package_knows(var_dir: Path) -> None:
    info = _json("calendar", "show", "2026")
    assert info["coverage"] == "official" and info["warnings"] == [] and info["workdays"] == 248
    days = {d["date"]: d for d in info["days"]}
    assert days["2026-02-14"]["workday"] and days["2026-02-14"]["name"] == "Spring Festival"
    assert not days["2026-10-01"]["workday"] and days["2026-10-01"]["source"] == "official"
    table = runner.invoke(app, ["calendar", "show", "2026"])
    assert table.exit_code == 0 and "2026-02-14" in table.output and "official" in table.output


def test_import_then_set_a_year_nobody_had_entered(var_dir: Path) -> None:
    empty = runner.invoke(app, ["calendar", "show", "2027"])
    assert empty.exit_code == 0 and "no official schedule; weekends only" in empty.stderr
    assert _json("calendar", "show", "2027")["coverage"] == "weekends_only"
    schedule = var_dir / "2027.csv"
    schedule.write_text("date,kind,name\n2027-01-01,休,元旦\n2027-02-06..2027-02-12,休,春节\n2027-02-20,班,春节\n",
                        encoding="utf-8")
    done = runner.invoke(app, ["calendar", "import", str(schedule)])
    assert done.exit_code == 0, done.output
    assert "imported 9 days" in done.output and "2027 (admin)" in done.output
    set_ = runner.invoke(app, ["calendar", "set", "2027-02-21", "--workday", "--name", "春节"])
    assert set_.exit_code == 0, set_.output
    info = _json("calendar", "show", "2027")
    assert info["coverage"] == "admin" and info["warnings"] == []
    days = {d["date"]: (d["workday"], d["name"]) for d in info["days"]}
    assert days["2027-01-01"] == (False, "元旦") and days["2027-02-21"] == (True, "春节") and len(days) == 10
    assert runner.invoke(app, ["calendar", "unset", "2027-02-21"]).exit_code == 0
    assert len(_json("calendar", "show", "2027")["days"]) == 9
    engine = make_engine(get_settings().effective_database_url)
    with engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_record WHERE object_type = 'workday' ORDER BY seq"))
        assert [a for (a,) in actions] == ["calendar.import", "calendar.set_day", "calendar.unset_day"]
    engine.dispose()


def test_calendar_refuses_bad_input(var_dir: Path) -> None:
    assert runner.invoke(app, ["calendar", "set", "2027-02-30", "--holiday"]).exit_code == 2
    assert runner.invoke(app, ["calendar", "set", "2027-02-03"]).exit_code == 2  # --workday or --holiday
    bad = var_dir / "bad.yaml"
    bad.write_text("- {date: 2027-01-01, kind: perhaps, name: x}\n", encoding="utf-8")
    result = runner.invoke(app, ["calendar", "import", str(bad)])
    assert result.exit_code == 1 and "holiday or workday" in result.output
    assert runner.invoke(app, ["calendar", "show", "20270"]).exit_code == 2


def test_bus_status_drain_and_replay(var_dir: Path) -> None:
    seen: list[str] = []
    bus.subscribe("cli_log", "clitest.*", lambda _s, e: seen.append(e.key))
    assert runner.invoke(app, ["bus", "status"]).exit_code == 0  # creates the store
    engine = make_engine(get_settings().effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        for n in range(3):
            bus.publish(s, "clitest.happened", {"n": n}, key=f"cli-{n}")
    engine.dispose()
    info = _json("bus", "status")
    assert info["backend"] == "memory" and info["outbox_total"] >= 3
    assert [(c["durable"], c["lag"]) for c in info["consumers"]] == [("cli_log", 3)]
    drained = runner.invoke(app, ["bus", "drain"])
    assert drained.exit_code == 0 and "delivered" in drained.output  # to cli_log and the platform's own consumers
    assert seen == ["cli-0", "cli-1", "cli-2"]
    assert _consumer("cli_log")["lag"] == 0
    first = _consumer("cli_log")["offset"] - 2
    replayed = runner.invoke(app, ["bus", "replay", "cli_log", "--from-seq", str(first + 1)])
    assert replayed.exit_code == 0, replayed.output
    assert _consumer("cli_log")["lag"] == 2
    since = runner.invoke(app, ["bus", "replay", "cli_log", "--since", "2000-01-01T00:00:00"])
    assert since.exit_code == 0 and "offset now 0" in since.output
    assert runner.invoke(app, ["bus", "replay", "nobody", "--from-seq", "1"]).exit_code == 1
    assert runner.invoke(app, ["bus", "replay", "cli_log"]).exit_code == 2
    assert runner.invoke(app, ["bus", "replay", "cli_log", "--since", "yesterday"]).exit_code == 2
    table = runner.invoke(app, ["bus", "status"])
    assert table.exit_code == 0 and "cli_log" in table.output
    kept = runner.invoke(app, ["bus", "prune", "--older-than-days", "0"])  # cli_log was rewound to 0: all kept
    assert kept.exit_code == 0 and "pruned 0 events" in kept.output, kept.output
    assert runner.invoke(app, ["bus", "drain"]).exit_code == 0
    pruned = runner.invoke(app, ["bus", "prune", "--older-than-days", "0"])
    assert pruned.exit_code == 0 and _json("bus", "status")["outbox_total"] == 0, pruned.output


def _consumer(durable: str) -> dict[str, object]:
    return next(c for c in _json("bus", "status")["consumers"] if c["durable"] == durable)
