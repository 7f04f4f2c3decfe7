"""The risk models on the departments' data: every warning the library raises is one the generator's truth expects
(recomputed in Python from the rows, independently of the SQL) with the same severity, and no other; the theft rate
planted red, orange, yellow and blue is graded so; the wage-arrears model fires on the unpaid, partly paid and late
sites and not on their paid twin or on a site paid in two instalments in time; each signal became one task,
dispatched to the county's social-governance centre for its town with a deadline by severity."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.apps.social_risk_closed_loop.conftest import World

from digigov.apps.rule_of_law.social_risk_closed_loop import library, service
from digigov.apps.rule_of_law.social_risk_closed_loop.case_type import SLA_WORKDAYS, TYPE_CODE
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclTask
from digigov.core import workdays
from digigov.platform.cases.model import Case
from digigov.platform.rules.model import Rule, Signal


def signals(s: Session) -> dict[str, Signal]:
    return {sig.subject_key: sig for sig in s.scalars(select(Signal).join(Rule, Rule.id == Signal.rule_id)
                                                      .where(Rule.app == "social_risk_closed_loop"))}


def test_every_model_runs_and_warns_exactly_where_the_rows_say(world: World, srcl: Session) -> None:
    assert world.swept.errors == {}
    assert {r.rule for r in world.swept.runs} == set(library.indicators())
    assert all(int(v["quarantined"]) == 0 for v in world.loads.values())
    expected = world.truth["expected"]
    got = signals(srcl)
    assert {k: v["severity"] for k, v in expected.items()} == {k: s.severity for k, s in got.items()}
    # every indicator of the library fired somewhere, and all four grades occur
    assert {v["indicator"] for v in expected.values()} == set(library.indicators())
    assert {v["severity"] for v in expected.values()} == set(library.SEVERITIES)
    for key, sig in got.items():  # the value behind the grade is the truth's, and the grade is the thresholds'
        if key.startswith("wage:"):
            continue
        ind = library.indicators()[expected[key]["indicator"]]
        assert sig.evidence[0]["value"] == pytest.approx(expected[key]["value"])
        assert library.grade(ind, float(sig.evidence[0]["value"])) == sig.severity


def test_theft_rate_graded_by_its_thresholds(world: World, srcl: Session) -> None:
    ind = library.indicators()["srcl.public_order.theft_rate"]
    latest = world.made.periods[-1]
    got = signals(srcl)
    for severity, town in world.truth["theft_planted"].items():
        sig = got[f"{ind.code}:{town}:{latest}"]
        value = float(sig.evidence[0]["value"])
        assert sig.severity == severity
        low = ind.thresholds[severity]
        higher = [ind.thresholds[s] for s in library.SEVERITIES if ind.thresholds[s] > low]
        assert low <= value < min(higher, default=float("inf"))
    # grading is a step function of the value at the bounds, in both directions
    assert [library.grade(ind, v) for v in (0.79, 0.8, 1.2, 1.79, 1.8, 2.5, 9.0)] == \
        [None, "blue", "yellow", "yellow", "orange", "red", "red"]
    lower = library.indicators()["srcl.disputes.resolution_rate"]
    assert [library.grade(lower, v) for v in (90.1, 90, 85, 75.5, 75, 60, 12)] == \
        [None, "blue", "yellow", "yellow", "orange", "red", "red"]


def test_thresholds_in_the_rule_sql_and_a_bad_ladder_is_refused() -> None:
    ind = library.indicators()["srcl.public_order.telecom_fraud"]
    sql = library.rule_sql(ind)
    assert "WHEN m.value >= 12 THEN 'red'" in sql and "WHERE m.value >= 3" in sql
    raw = {"code": "x.y", "domain": "public_order", "name": "x", "model": "SELECT 1", "worse": "higher",
           "thresholds": {"blue": 5, "yellow": 3, "orange": 8, "red": 12}}
    with pytest.raises(ValueError, match="blue to red"):
        library._indicator(raw)
    with pytest.raises(ValueError, match="Chinese"):
        library._indicator({**raw, "thresholds": {"blue": 1, "yellow": 2, "orange": 3, "red": 4},
                            "keywords": ["x' OR 1=1 --"]})
    softer = replace(ind, thresholds={"blue": 1, "yellow": 2, "orange": 3, "red": 4})
    assert library.grade(softer, 3) == "orange" and library.grade(ind, 3) == "blue"


def test_wage_model_fires_on_unpaid_partial_late_not_on_the_paid_twin(world: World, srcl: Session) -> None:
    w = world.truth["wages"]
    period = w["period"]
    got = signals(srcl)
    unpaid, partial, late = (got.get(f"wage:{w[k]}:{period}") for k in ("unpaid", "partial", "late"))
    assert unpaid is not None and unpaid.severity == "red"
    assert unpaid.evidence[0]["发放情况"] == "未发放" and unpaid.evidence[0]["代发流水"] == "无代发流水"
    assert float(unpaid.evidence[0]["欠发工资_元"]) == float(unpaid.evidence[0]["应发工资_元"]) == 120 * 7800
    assert partial is not None and partial.severity == "orange" and partial.evidence[0]["value"] == 60.0
    assert late is not None and late.severity == "yellow" and float(late.evidence[0]["欠发工资_元"]) == 0
    assert late.evidence[0]["最近代发日期"] > late.evidence[0]["约定发放日期"]
    assert f"wage:{w['paid_twin']}:{period}" not in got  # same size, same payroll, paid in full on time
    assert f"wage:{w['split_ok']}:{period}" not in got  # two transfers that add up before payday
    assert unpaid.department is not None and unpaid.department.code == "330502-petitions"


def test_each_signal_is_one_task_for_its_town(world: World, srcl: Session) -> None:
    got = signals(srcl)
    tasks = list(srcl.scalars(select(SrclTask).where(SrclTask.source == "warning")))
    assert len(tasks) == len(got) == len(world.swept.opened)
    assert {t.signal_id for t in tasks} == {s.id for s in got.values()}
    cal = workdays.load_calendar(srcl)
    for task in tasks:
        case = srcl.get(Case, task.case_id)
        expected = world.truth["expected"][srcl.get(Signal, task.signal_id).subject_key]  # type: ignore[union-attr]
        assert (task.town_code, task.period, task.severity) == (expected["town"], expected["period"],
                                                                expected["severity"])
        assert case is not None and case.type_code == TYPE_CODE and case.step == "accept"
        assert case.department is not None and case.department.code == f"{task.county_code}-petitions"
        assert case.street and case.due_at == task.due_at
        assert task.due_at == workdays.add_workdays(cal, task.raised_at, SLA_WORKDAYS[task.severity])
        assert case.colour == ("red" if task.severity in ("red", "orange") else "green")
    # a second run finds the same signals open: no new task
    again = service.sweep(srcl, service.SYSTEM)
    assert again.opened == [] and again.errors == {}


def test_the_bus_consumer_makes_one_task_per_signal(world: World, srcl: Session) -> None:
    """A signal raised by a scheduled run (not a sweep) reaches the application through `signal.raised`."""
    sig = next(s for k, s in signals(srcl).items() if k.startswith("srcl.public_transport"))
    srcl.execute(SrclTask.__table__.delete().where(SrclTask.signal_id == sig.id))  # type: ignore[attr-defined]
    event = SimpleNamespace(payload={"signal_id": sig.id, "rule_code": sig.rule.code})
    service.on_signal(srcl, event)
    service.on_signal(srcl, event)  # delivered twice: still one task
    tasks = list(srcl.scalars(select(SrclTask).where(SrclTask.signal_id == sig.id)))
    assert len(tasks) == 1 and tasks[0].indicator == sig.rule.code
    service.on_signal(srcl, SimpleNamespace(payload={"signal_id": sig.id, "rule_code": "gps.other_app"}))
    assert len(list(srcl.scalars(select(SrclTask).where(SrclTask.signal_id == sig.id)))) == 1
