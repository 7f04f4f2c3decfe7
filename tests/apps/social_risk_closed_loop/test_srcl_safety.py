"""The enterprise safety code: the planted enterprises get the colours stated for them (one of each colour; an
otherwise green enterprise turned red by its single veto; 85 exactly on the green bound and 84.5 just under it), the
scoring's arithmetic per indicator kind, and extra inspections scheduled for red and orange enterprises only, the
next one scheduled when one is recorded done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.social_risk_closed_loop.conftest import AS_OF, World, user

from digigov.apps.rule_of_law.social_risk_closed_loop import generator, safety_code, safety_service
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclInspection, SrclSafetyCode
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.identity import service as identity
from digigov.identity.actor import Actor


def latest(s: Session, uscc: str) -> SrclSafetyCode:
    row = s.scalar(select(SrclSafetyCode).where(SrclSafetyCode.uscc == uscc).order_by(SrclSafetyCode.id.desc()))
    assert row is not None
    return row


def test_planted_enterprises_get_their_colours(world: World, srcl: Session) -> None:
    planted = world.truth["safety"]
    got = {key: latest(srcl, p["uscc"]) for key, p in planted.items()}
    assert {key: row.colour for key, row in got.items()} == {key: p["colour"] for key, p in planted.items()}
    assert {p["colour"] for p in planted.values()} == set(safety_code.COLOURS)
    assert got["green"].score == got["veto"].score == 110.0 and got["green"].vetoes == []
    assert got["veto"].vetoes == ["V01"]  # one veto turns an otherwise green code red
    assert got["boundary_green"].score == 85.0 and got["boundary_yellow"].score == 84.5
    assert (got["yellow"].score, got["orange"].score, got["red"].score) == (80.0, 64.0, 44.0)
    assert got["orange"].deduction == 10 and got["red"].deduction == 10 and got["green"].bonus == 10


def test_scoring_by_indicator_kind() -> None:
    d = safety_code.definition()
    assert [len(d.group(g)) for g in safety_code.GROUPS] == [15, 4, 3, 4]
    full = dict(generator.GOOD)
    assert safety_code.score(full).score == 100 and safety_code.score(full).colour == "green"
    assert safety_code.score({**full, "B06": "50"}).basic == 95  # percent: 10 × 50%
    assert safety_code.score({**full, "N01": "9"}).deduction == 15  # count: 5 each, at most 15
    assert safety_code.score({**full, "P01": "一级"}).bonus == 6
    missing = {k: v for k, v in full.items() if k != "B07"}
    assert safety_code.score(missing).missing == ["B07"] and safety_code.score(missing).basic == 94
    assert safety_code.score({**full, "V04": "是"}).colour == "red"
    assert [safety_code.colour_of(s) for s in (85, 84.99, 70, 69.99, 60, 59.99, 0)] == \
        ["green", "yellow", "yellow", "orange", "orange", "red", "red"]
    assert safety_code.inspection_plan("red") is not None and safety_code.inspection_plan("yellow") is None


def test_extra_inspections_for_red_and_orange_only(world: World, srcl: Session) -> None:
    run = safety_service.latest_run(srcl)
    assert run is not None and sum(run.counts.values()) == run.enterprises
    colours = {r.uscc: r.colour for r in srcl.scalars(select(SrclSafetyCode).where(SrclSafetyCode.run_id == run.id))}
    planned = list(srcl.scalars(select(SrclInspection).where(SrclInspection.status == "planned")))
    assert {i.uscc for i in planned} == {u for u, c in colours.items() if c in ("red", "orange")}
    for i in planned:
        plan = safety_code.inspection_plan(colours[i.uscc])
        assert plan is not None and i.due_on == AS_OF + timedelta(days=plan.first_within_days)
        assert i.department_code == f"{i.county_code}-emergency_management"
    # a second run schedules nothing twice
    safety_service.run(srcl, Actor.operator(), as_of=AS_OF)
    assert len(list(srcl.scalars(select(SrclInspection).where(SrclInspection.status == "planned")))) == len(planned)


def test_recording_an_inspection_schedules_the_next(world: World, srcl: Session) -> None:
    veto = world.truth["safety"]["veto"]["uscc"]
    insp = srcl.scalar(select(SrclInspection).where(SrclInspection.uscc == veto))
    assert insp is not None and insp.colour == "red" and insp.every_days == 30
    dept = identity.get_department(srcl, insp.department_code)
    inspector = Actor(username="wx_safety_inspector", roles=frozenset({"officer"}), department_id=dept.id,
                      department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                      region_level=dept.tier)
    with pytest.raises(PermissionDenied):  # not the emergency-management bureau
        safety_service.record_inspection(srcl, user(srcl, "huz_town_official"), insp.id, result="现场检查")
    with pytest.raises(InvalidInput):
        safety_service.record_inspection(srcl, inspector, insp.id, result="")
    safety_service.record_inspection(srcl, inspector, insp.id, result="现场检查：事故隐患已整改，责令完善安全管理制度")
    assert insp.status == "done" and insp.done_by == "wx_safety_inspector"
    nxt = srcl.scalar(select(SrclInspection).where(SrclInspection.uscc == veto, SrclInspection.status == "planned"))
    assert nxt is not None and nxt.every_days == 30
    with pytest.raises(Conflict):
        safety_service.record_inspection(srcl, inspector, insp.id, result="再次记录")
