"""The pilot villages' files: deterministic for a seed, consistent with the province (the roster's secretaries
are the cadres behind the agriculture ledgers), every plant with a twin; the shipped rules are valid platform
rules whose parameters are numbers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.apps.grassroots_power_supervision.conftest import SEED, World

from digigov.apps.party_governance.grassroots_power_supervision import generator, shipped
from digigov.apps.party_governance.grassroots_power_supervision.datasets import DATASETS
from digigov.platform.rules import spec as specs


def test_same_seed_same_bytes(world: World, tmp_path: Path) -> None:
    again = generator.generate(world.data_dir, tmp_path / "again", seed=SEED)
    for code, path in world.made.files.items():
        assert again.files[code].read_bytes() == path.read_bytes(), code
    assert json.loads((tmp_path / "again" / "truth.json").read_text(encoding="utf-8")) == world.truth
    other = generator.generate(world.data_dir, tmp_path / "other", seed=SEED, size="medium")
    assert other.rows["gps_relief_payment"] > world.made.rows["gps_relief_payment"]


def test_files_match_their_datasets(world: World) -> None:
    for code, path in world.made.files.items():
        with path.open(encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert tuple(rows[0]) == DATASETS[code].headers
        assert len(rows) - 1 == world.made.rows[code] > 0


def test_the_roster_follows_the_ledgers(world: World) -> None:
    """Each ledger village's secretary in the roster is the cadre the agriculture ledger names."""
    people = {r["person_key"]: r for r in pq.read_table(world.data_dir / "truth" / "people.parquet").to_pylist()}
    projects = json.loads((world.data_dir / "ag_village_project.json").read_text(encoding="utf-8"))
    meta = pq.read_table(world.data_dir / "truth" / "ag_village_project.parquet").to_pylist()
    with world.made.files["gps_village_cadre"].open(encoding="utf-8") as f:
        roster = {(r["县区代码"], r["乡镇(街道)"], r["村(社区)"], r["公民身份号码"]) for r in csv.DictReader(f)}
    checked = 0
    for row, t in zip(projects, meta, strict=True):
        if t["official_key"] and not set(t["noise_fields"]) & {"所属村", "乡镇", "县区代码"}:
            key = (str(row["县区代码"]), row["乡镇"], row["所属村"], people[t["official_key"]]["citizen_id"])
            assert key in roster
            checked += 1
    assert checked >= 5


def test_every_plant_has_a_twin_in_a_pilot_village(world: World) -> None:
    plants = world.truth["plants"]
    villages = {tuple(v) for v in world.truth["villages"]}
    assert len(villages) == generator.TOWNS_PER_COUNTY * generator.VILLAGES_PER_TOWN * len(generator.PILOT_COUNTIES)
    for rule in {p["rule"] for p in plants}:
        kinds = {p["twin"] for p in plants if p["rule"] == rule}
        assert kinds == {True, False}, rule
    assert all(tuple(p["village"]) in villages for p in plants)
    assert [v.village for v in generator.pilot_villages(SEED)] == [v[2] for v in world.truth["villages"]]


def test_shipped_rules_are_platform_rules() -> None:
    for raw in shipped.rules():
        rule, _text = specs.parse(raw)
        assert rule.kind == "sql" and rule.enabled and rule.department == "column" and "{" not in (rule.sql or "")
    meta = shipped.meta()
    assert meta["gps.procurement_split"].params == {"threshold": 50000, "window_days": 30, "min_purchases": 2}
    assert "50000元" in meta["gps.procurement_split"].description
    with pytest.raises(ValueError):
        shipped._params({"code": "x", "params": {"threshold": "1; DROP TABLE x"}})
