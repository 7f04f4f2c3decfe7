"""A problem through all seven states, with a reopen when the follow-up review finds it again; colours from the
task cases; escalation messages; analysis figures; the quarterly report in HTML and PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.seven_problem_lists import analysis, demo, report, service
from digigov.apps.party_governance.seven_problem_lists.model import ProblemMessage
from digigov.core.errors import Conflict, PermissionDenied
from digigov.platform.cases import service as cases

T0 = dt.datetime(2026, 7, 6, 2, 0, tzinfo=dt.UTC)


def _keeper(session: Session, list_code: str = "party_building") -> Any:
    return demo._actor(session, service._keeper(session, list_code, "330106").code, "keeper")


def _handler(session: Session, code: str) -> Any:
    return demo._actor(session, code, f"h-{code}")


def _rectify(session: Session, keeper: Any, task: Any, at: dt.datetime) -> None:
    demo._rectify(session, keeper, _handler(session, task.department.code), task.case_id, at)


def test_all_seven_states_and_a_reopen_on_recurrence(session: Session) -> None:
    keeper = _keeper(session)
    p = service.report_problem(session, keeper, list_code="party_building", title="社区党组织组织生活不规范",
                               region_code="330106", source="区委组织部", due_on=dt.date(2026, 8, 31), now=T0)
    assert p.state == "discovered" and p.owner.code == "330106-reform_office"
    tasks = service.decompose(session, keeper, p.id, [
        service.TaskSpec("330106-civil_affairs", "督促按期开展组织生活"),
        service.TaskSpec("330106-housing", "物业党支部整改")], root_cause="weak_execution", now=T0)
    assert p.state == "assigned" and len(tasks) == 2
    assert {t.case.department.code for t in tasks} == {"330106-civil_affairs", "330106-housing"}
    assert all(t.case.owner_department_id == p.owner_department_id for t in tasks)
    cases.accept(session, _handler(session, "330106-civil_affairs"), tasks[0].case_id, now=T0)
    service.sync(session, p, T0)
    assert p.state == "rectifying"
    with pytest.raises(Conflict):
        service.accept(session, keeper, p.id, passed=True, note="x", now=T0)
    on_time = dt.datetime(2026, 8, 20, 2, 0, tzinfo=dt.UTC)
    _rectify(session, keeper, tasks[0], on_time)
    service.sync(session, p, on_time)
    assert p.state == "rectifying"  # one task is still open
    _rectify(session, keeper, tasks[1], on_time)
    service.sync(session, p, on_time)
    assert p.state == "closed" and p.colour == "green"
    service.accept(session, keeper, p.id, passed=True, note="现场核查整改到位", now=on_time + dt.timedelta(days=2))
    assert p.state == "accepted" and p.review_due_on == dt.date(2026, 11, 22)
    service.evaluate(session, keeper, p.id, self_score=4.5, department_score=4, public_score=3.5, now=on_time)
    assert p.state == "evaluated" and p.score == 4.0
    review_at = on_time + dt.timedelta(days=95)
    service.review(session, keeper, p.id, recurred=True, note="回头看发现问题反弹", now=review_at)
    assert p.state == "rectifying" and p.recurrence_count == 1 and p.closed_at is None
    assert all(t.case.status == "reopened" and t.round == 1 for t in service.tasks(session, p))
    kinds = [m.kind for m in service.messages(session, p)]
    assert kinds.count("reopen") == 2
    for t in service.tasks(session, p):
        _rectify(session, keeper, t, review_at + dt.timedelta(days=10))
    service.sync(session, p, review_at + dt.timedelta(days=10))
    assert p.state == "closed"
    service.accept(session, keeper, p.id, passed=True, note="复查通过", now=review_at + dt.timedelta(days=12))
    service.review(session, keeper, p.id, recurred=False, note="未再反弹", now=review_at + dt.timedelta(days=120))
    assert p.state == "reviewed"


def test_late_rectification_turns_red_then_yellow_and_is_escalated(session: Session) -> None:
    keeper = _keeper(session, "work_safety")
    p = service.report_problem(session, keeper, list_code="work_safety", title="电动自行车违规充电",
                               region_code="330106", due_on=dt.date(2026, 7, 31), now=T0)
    (task,) = service.decompose(session, keeper, p.id, [service.TaskSpec("330106-housing", "增设充电设施")],
                                root_cause="capacity", now=T0)
    late = dt.datetime(2026, 8, 10, 2, 0, tzinfo=dt.UTC)
    from digigov.platform.cases import supervision

    supervision.scan(session, now=late)
    service.sync(session, p, late)
    assert p.colour == "red"
    assert service.escalate_overdue(session, late) == 1
    assert service.escalate_overdue(session, late + dt.timedelta(hours=2)) == 0  # once a day
    msg = session.scalars(select(ProblemMessage).where(ProblemMessage.problem_id == p.id)).one()
    assert msg.kind == "escalation" and "督办" in msg.text and msg.department.code == "330106-housing"
    assert task.case.escalation_level >= 1
    with pytest.raises(Conflict):  # a red task is not verified without evidence
        cases.respond(session, _handler(session, "330106-housing"), task.case_id, "已整改", now=late)
        cases.verify(session, keeper, task.case_id, passed=True, now=late)


def test_only_the_keeper_manages(session: Session, actor_of: Any) -> None:
    with pytest.raises(PermissionDenied):
        service.report_problem(session, actor_of("hz_civil_officer"), list_code="inspection", title="x",
                               region_code="330106", now=T0)


def test_analysis_and_quarterly_report(session: Session) -> None:
    made = demo.build(session, demo._actor(session, "330000-reform_office", "op"), now=T0 + dt.timedelta(days=150))
    assert made and demo.build(session, demo._actor(session, "330000-reform_office", "op")) == {}
    keeper = _keeper(session)
    a = analysis.analyse(session, keeper)
    assert a.problems == len(demo.PROBLEMS)
    assert set(a.by_list) == {"inspection", "environment", "audit", "work_safety", "petitions", "media",
                              "party_building"}
    assert a.recurred == 1 and a.recurrence_rate is not None
    assert a.on_time_rate is not None and 0 < a.on_time_rate < 1  # late and on-time rectifications both exist
    assert a.average_days is not None and a.average_days > 0
    quarter = analysis.quarter_of((T0 + dt.timedelta(days=60)).date())
    q = analysis.analyse(session, keeper, quarter=quarter)
    assert 0 < q.problems <= a.problems
    pdf = report.pdf(q, f"七张问题清单 {quarter} 季度分析报告")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    svgs = [report.svg(c) for c in report.charts(q)]
    assert all(s.startswith("<svg") for s in svgs) and "按清单分类" in svgs[0]
    assert report.findings(a)


def test_quarter_bounds() -> None:
    assert analysis.quarter_bounds("2026Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert analysis.quarter_bounds("2026Q1") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert analysis.quarter_of(dt.date(2026, 8, 15)) == "2026Q3"
