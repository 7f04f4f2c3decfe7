"""`digigov ingest` and `digigov datasets`, in process and as a real process killed mid-load."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from stdnum.cn import ric
from typer.testing import CliRunner

from digigov.cli import app
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import get_settings
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.warehouse.model import Dataset

runner = CliRunner()
HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "手机号码"]
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DIGIGOV_DATABASE_URL", raising=False)
    monkeypatch.delenv("DIGIGOV_WAREHOUSE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    set_warehouse(None)  # the warehouse of the settings, under var_dir, as the subprocesses see it
    engine = make_engine(get_settings().effective_database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as s:
        identity.seed_regions_and_departments(s, Actor.operator(), kinds=["public_security", "big_data"])
    engine.dispose()
    yield tmp_path
    get_settings.cache_clear()


def people_csv(path: Path, n: int, seed: int = 7, bad_every: int = 0) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for i in range(n):
            birth = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            body = f"330106{birth}{i % 1000:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if bad_every and i % bad_every == 0:
                number = number[:-1] + ("1" if number[-1] != "1" else "2")
            gender = "男" if int(body[16]) % 2 else "女"
            w.writerow([rng.choice("王李张刘陈杨") + rng.choice("伟芳娜敏静丽强磊"), number, gender,
                        f"{birth[:4]}-{birth[4:6]}-{birth[6:]}", f"138{rng.randint(0, 99_999_999):08d}"])
    return path


def test_ingest_prints_the_report_and_datasets_show_the_fields(var_dir: Path) -> None:
    path = people_csv(var_dir / "people.csv", 50, bad_every=10)
    result = runner.invoke(app, ["ingest", str(path), "--dataset", "xh_people", "--department",
                                 "330106-public_security", "--name", "西湖区人口"])
    assert result.exit_code == 0, result.output
    assert "rows in 50 = accepted 45 + quarantined 5" in result.output
    assert "公民身份号码:checksum" in result.output
    shown = runner.invoke(app, ["datasets", "show", "xh_people", "--json"])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.output)
    fields = {f["header"]: f for f in info["fields"]}
    assert fields["公民身份号码"]["element"] == "citizen_id" and fields["公民身份号码"]["grade"] == "L4"
    assert fields["手机号码"]["detected"][0]["element"] == "mobile"
    assert info["last_load"]["rows_in"] == 50 and info["grade"] == "L4"
    listed = runner.invoke(app, ["datasets", "list"])
    assert listed.exit_code == 0 and "xh_people" in listed.output


def test_a_refused_file_exits_non_zero_with_the_reason(var_dir: Path) -> None:
    empty = var_dir / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["ingest", str(empty), "--dataset", "xh_people", "--department",
                                 "330106-public_security"])
    assert result.exit_code == 1
    assert "empty" in result.output.lower()


def test_a_new_dataset_needs_its_department(var_dir: Path) -> None:
    path = people_csv(var_dir / "people.csv", 5)
    result = runner.invoke(app, ["ingest", str(path), "--dataset", "nobody"])
    assert result.exit_code == 2 and "--department" in result.output


def _state(var: Path) -> tuple[int, int, int | None]:
    """(current version, rows the store promises, rows the warehouse's current table holds)."""
    engine = make_engine(f"sqlite:///{var / 'digigov.db'}")
    with unit_of_work(make_session_factory(engine)) as s:
        ds = s.scalar(select(Dataset).where(Dataset.code == "xh_people"))
        version, rows = (ds.current_version, ds.row_count) if ds else (0, 0)
    engine.dispose()
    held = None
    if version:
        with Warehouse(var / "warehouse.duckdb").connect() as con:
            held = con.execute(f'SELECT count(*) FROM clean."xh_people__v{version}"').fetchone()[0]  # type: ignore[index]
    return version, rows, held


def test_a_load_killed_midway_leaves_the_previous_version_whole(var_dir: Path) -> None:
    small = people_csv(var_dir / "small.csv", 100)
    assert runner.invoke(app, ["ingest", str(small), "--dataset", "xh_people", "--department",
                               "330106-public_security"]).exit_code == 0
    big = people_csv(var_dir / "big.csv", 300_000, seed=8)
    env = {**os.environ, "DIGIGOV_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    outcomes = set()
    for delay in (0.8, 2.0, 3.5):
        proc = subprocess.Popen([sys.executable, "-m", "digigov.cli", "ingest", str(big), "--dataset", "xh_people"],
                                cwd=var_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        version, rows, held = _state(var_dir)
        assert held == rows, f"after a kill at {delay}s the store says {rows} rows, the warehouse holds {held}"
        assert (version, rows) in ((1, 100), (2, 300_000))
        outcomes.add(version)
    assert 1 in outcomes  # at least one kill landed mid-load
    done = subprocess.run([sys.executable, "-m", "digigov.cli", "ingest", str(big), "--dataset", "xh_people"],
                          cwd=var_dir, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    version, rows, held = _state(var_dir)
    assert rows == held == 300_000


def test_backup_and_restore_carry_the_warehouse(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = people_csv(var_dir / "people.csv", 30)
    assert runner.invoke(app, ["ingest", str(path), "--dataset", "xh_people", "--department",
                               "330106-public_security"]).exit_code == 0
    file = var_dir / "all.jsonl.gz"
    made = runner.invoke(app, ["backup", str(file)])
    assert made.exit_code == 0, made.output
    assert (var_dir / "all.warehouse.duckdb").exists() and "warehouse copied" in made.output

    elsewhere = var_dir / "other"
    monkeypatch.setenv("DIGIGOV_VAR_DIR", str(elsewhere))
    get_settings.cache_clear()
    restored = runner.invoke(app, ["restore", str(file)])
    assert restored.exit_code == 0, restored.output
    assert "warehouse restored" in restored.output
    assert _state(elsewhere) == (1, 30, 30)  # the store's current version and the warehouse agree
    again = runner.invoke(app, ["restore", str(file)])
    assert again.exit_code == 1 and "not empty" in again.output
