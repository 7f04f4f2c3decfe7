"""The collision rules (数据碰撞) on the linked province: each fires on its planted case and not on its near-miss
twin; in the pilot villages they flag nothing else; the departments' own planted anomalies (a project awarded to
the cadre's employer, a contract with the cadre, a subsistence payment after death) are found; a threshold is a
parameter; every rule runs without error and gives the columns the warnings read."""

from __future__ import annotations

from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.grassroots_power_supervision.conftest import World

from digigov.apps.party_governance.grassroots_power_supervision import shipped
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsWarning
from digigov.core.warehouse import get_warehouse
from digigov.platform.rules import batch
from digigov.platform.rules import spec as specs


def _keys(warnings: list[GpsWarning], rule: str) -> dict[str, GpsWarning]:
    return {str(r.get("evidence_key")): w for w in warnings if w.rule_code == rule for r in w.evidence}


def test_every_rule_ran_without_error(world: World) -> None:
    assert world.swept.errors == {}
    assert {r.rule for r in world.swept.runs} == set(shipped.meta())
    assert len(world.swept.raised) >= 14


def test_each_plant_fires_and_its_twin_does_not(world: World, gps: Session) -> None:
    warnings = list(gps.scalars(select(GpsWarning)))
    plants = world.truth["plants"]
    assert {p["rule"] for p in plants} == set(shipped.meta())  # every rule has its plant
    for p in plants:
        hit = _keys(warnings, p["rule"])
        found = [k for k in p["keys"] if k in hit]
        if p["twin"]:
            assert found == [], f"{p['rule']} flagged its twin: {p['note']}"
        else:
            assert found == p["keys"], f"{p['rule']} missed {set(p['keys']) - set(found)}: {p['note']}"
            w = hit[p["keys"][0]]
            assert [w.region_code, w.town, w.village] == p["village"]
            assert w.colour == "red" and w.status == "open"


def test_the_jiande_case_is_one_warning_of_five_projects_and_132_wan(world: World, gps: Session) -> None:
    plant = next(p for p in world.truth["plants"] if p["rule"] == "gps.project_cadre_interest" and not p["twin"]
                 and len(p["keys"]) == 5)
    w = next(w for w in gps.scalars(select(GpsWarning).where(GpsWarning.rule_code == "gps.project_cadre_interest"))
             if {r["evidence_key"] for r in w.evidence} == set(plant["keys"]))
    assert w.evidence_count == 5
    assert sum(float(r["合同金额_元"]) for r in w.evidence) == 1_320_000
    assert "5个村级工程" in w.title and "132.0万元" in w.title
    assert all("缴纳社会保险" in r["关联关系"] for r in w.evidence)
    assert w.severity == "red" and w.region_code == "330182"


def test_nothing_else_is_flagged_in_the_pilot_villages(world: World, gps: Session) -> None:
    """Background records hit no rule: every evidence row in a pilot village is a planted one."""
    pilot = {tuple(v) for v in world.truth["villages"]}
    planted = {(p["rule"], k) for p in world.truth["plants"] if not p["twin"] for k in p["keys"]}
    extra = [(w.rule_code, r["evidence_key"]) for w in gps.scalars(select(GpsWarning))
             if (w.region_code, w.town, w.village) in pilot for r in w.evidence
             if (w.rule_code, r["evidence_key"]) not in planted]
    assert extra == []


def _truth(world: World, dataset: str, anomaly: str) -> list[dict[str, Any]]:
    rows = pq.read_table(world.data_dir / "truth" / f"{dataset}.parquet").to_pylist()
    return [r for r in rows if r["anomaly"] == anomaly and r["duplicate_of"] is None]


def _clean(dataset: str, columns: str, records: list[int]) -> list[tuple[Any, ...]]:
    with get_warehouse().connect() as con:
        return con.execute(f'SELECT _record, {columns} FROM clean."{dataset}" WHERE _record IN '  # noqa: S608
                           f"({', '.join(str(int(r)) for r in records) or 'NULL'}) ORDER BY _record").fetchall()


def test_the_departments_planted_anomalies_are_found(world: World, gps: Session) -> None:
    warnings = list(gps.scalars(select(GpsWarning)))
    employer = _truth(world, "ag_village_project", "cadre_employer")
    own = _truth(world, "ag_village_contract", "cadre_self")
    dead = _truth(world, "ca_subsistence", "after_death")
    assert len(employer) == len(own) == len(dead) == 1  # what seed 2023 plants in a small province
    projects = _clean("ag_village_project", '"项目编号"', [r["record"] for r in employer])
    assert projects and projects[0][1] in _keys(warnings, "gps.project_cadre_interest")
    contracts = _clean("ag_village_contract", '"合同编号"', [r["record"] for r in own])
    assert contracts and contracts[0][1] in _keys(warnings, "gps.contract_cadre_self")
    paid = _clean("ca_subsistence", '"户主姓名", "发放日期"', [r["record"] for r in dead])
    after = [r for w in warnings if w.rule_code == "gps.relief_after_death" for r in w.evidence
             if r["数据来源"].startswith("最低生活保障")]
    assert [(r["领取人"], r["发放日期"]) for r in after] == [(paid[0][1], paid[0][2])]


def _run(code: str, **params: float) -> list[dict[str, Any]]:
    raw = next(r for r in shipped._rules_file()["rules"] if r["code"] == code)
    text = shipped._render(raw["sql"], {**shipped._rules_file()["parts"], **shipped._params(raw), **params})
    result = batch.evaluate_sql({code: specs.check_sql(code, text)})[code]
    assert result.error is None
    return result.rows


@pytest.mark.parametrize(("code", "param", "value"), [("gps.labour_same_payee", "min_sheets", 4),
                                                       ("gps.lease_below_market", "ratio", 0.75),
                                                       ("gps.contract_payment_overdue", "overdue_days", 45)])
def test_a_threshold_is_a_parameter(world: World, code: str, param: str, value: float) -> None:
    """With the threshold moved past the twin, the twin is flagged too: the parameter reaches the SQL."""
    twins = {k for p in world.truth["plants"] if p["rule"] == code and p["twin"] for k in p["keys"]}
    assert not twins & {r["evidence_key"] for r in _run(code)}
    assert twins & {r["evidence_key"] for r in _run(code, **{param: value})}


def test_rows_carry_what_the_warnings_read(world: World) -> None:
    for code in shipped.meta():
        for row in _run(code)[:3]:
            assert {"subject", "department_code", "region_code", "town", "village", "evidence_key"} <= set(row)
            assert row["department_code"] == f"{row['region_code']}-discipline"
