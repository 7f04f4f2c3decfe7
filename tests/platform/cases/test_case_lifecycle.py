"""The closed loop end to end, with every branch: return, verification failure, unsatisfied rating,
follow-up review, merge, rejection, escalation; every transition audited in the same transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from case_helpers import T0, TYPE
from sqlalchemy import func, select

from digigov.audit.model import AuditRecord
from digigov.core.bus_model import OutboxEvent
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.platform.cases import queries, service
from digigov.platform.cases.model import Case, CaseEvent


def _open(session, actor, **kw):  # type: ignore[no-untyped-def]
    args = {"title": "楼下饭店油烟噪音扰民", "region_code": "330106", "now": T0} | kw
    return service.open_case(session, actor, TYPE.code, **args)


def test_full_loop_green(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    dispatcher = actor_of("hz_hotline_dispatcher")
    officer = actor_of("xh_urban_officer")
    case = _open(session, service.citizen())
    assert case.status == "intake" and case.step == "triage" and case.number.startswith("T20260929")
    service.triage(session, dispatcher, case.id, category="noise", now=T0)
    assert case.status == "triaged"
    service.assign(session, dispatcher, case.id, "330106-urban_management", now=T0)
    assert case.status == "assigned" and case.department.code == "330106-urban_management"
    # 5 working days from Tue 29 Sep across National Day (1-8 Oct off; Sun 27 Sep and Sat 10 Oct worked)
    assert case.due_at is not None and case.due_at > T0 + timedelta(days=7)
    service.accept(session, officer, case.id, now=T0 + timedelta(hours=1))
    assert case.status == "in_progress"
    service.respond(session, officer, case.id, "已责令饭店加装隔音设施", now=T0 + timedelta(hours=5))
    # green: verification is automatic, the citizen evaluates next
    assert case.status == "verified" and case.step == "evaluate" and case.colour == "green"
    service.rate(session, service.citizen(), service.by_token(session, case.citizen_token), "satisfied",
                 now=T0 + timedelta(days=1))
    assert case.status == "closed" and case.resolution == "done" and case.closed_at is not None
    actions = [e.action for e in queries.history(session, case)]
    assert actions == ["open", "triage", "assign", "accept", "respond", "verify", "rate"]
    audited = session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.object_type == "case", AuditRecord.object_id == case.number))
    assert audited == len(actions)
    events = session.scalars(select(OutboxEvent.subject).where(OutboxEvent.subject.like("case.%"))).all()
    assert {"case.open", "case.assign", "case.rate"} <= set(events)


def test_return_reroutes_and_unsatisfied_reopens(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    dispatcher = actor_of("hz_hotline_dispatcher")
    housing = actor_of("xh_housing_officer")
    urban = actor_of("xh_urban_officer")
    case = _open(session, service.citizen())
    service.dispatch(session, dispatcher, case.id, "noise", "330106-housing", now=T0)
    with pytest.raises(InvalidInput):
        service.return_case(session, housing, case.id, "  ")
    service.return_case(session, housing, case.id, "噪音不归住建管，应派城管", now=T0)
    assert case.status == "returned" and case.step == "assign" and case.department_id is None
    with pytest.raises(PermissionDenied):  # the department that returned it cannot re-route it
        service.assign(session, housing, case.id, "330106-urban_management")
    service.assign(session, dispatcher, case.id, "330106-urban_management", now=T0)
    service.respond(session, urban, case.id, "已处理", now=T0 + timedelta(hours=3))
    assert case.step == "evaluate"
    service.rate(session, service.citizen(), case, "unsatisfied", comment="还是很吵", now=T0 + timedelta(days=1))
    assert case.status == "reopened" and case.step == "handle" and case.reopen_count == 1
    assert case.responded_at is None and case.due_at is not None and case.due_at > T0 + timedelta(days=1)
    service.respond(session, urban, case.id, "复查：已停业整顿", now=T0 + timedelta(days=2))
    service.rate(session, service.citizen(), case, "basically_satisfied", now=T0 + timedelta(days=3))
    assert case.status == "closed" and case.rating == "basically_satisfied" and case.return_count == 1


def test_red_case_needs_evidence_and_verification(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    dispatcher = actor_of("hz_hotline_dispatcher")
    urban = actor_of("xh_urban_officer")
    case = _open(session, dispatcher, severity="red")
    assert case.colour == "red"
    service.dispatch(session, dispatcher, case.id, "noise", "330106-urban_management", now=T0)
    service.respond(session, urban, case.id, "已整改", now=T0 + timedelta(hours=2))
    assert case.status == "responded" and case.step == "verify"  # red: no automatic verification
    with pytest.raises(Conflict):
        service.verify(session, dispatcher, case.id, passed=True, now=T0 + timedelta(hours=3))
    service.verify(session, dispatcher, case.id, passed=False, note="现场仍有噪音", now=T0 + timedelta(hours=3))
    assert case.status == "in_progress" and case.step == "handle"
    service.respond(session, urban, case.id, "已安装隔音墙", now=T0 + timedelta(hours=20))
    service.attach(session, urban, case.id, filename="现场照片.jpg", content=b"\xff\xd8photo",
                   content_type="image/jpeg")
    service.verify(session, dispatcher, case.id, passed=True, now=T0 + timedelta(hours=21))
    service.rate(session, dispatcher, case, "satisfied", now=T0 + timedelta(hours=22))
    assert case.status == "closed" and case.colour == "green"  # high risk, fixed in time


def test_overdue_turns_red_then_yellow(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    from digigov.platform.cases import supervision

    dispatcher = actor_of("hz_hotline_dispatcher")
    urban = actor_of("xh_urban_officer")
    case = _open(session, service.citizen())
    service.dispatch(session, dispatcher, case.id, "noise", "330106-urban_management", now=T0)
    assert case.due_at is not None
    before = supervision.scan(session, now=case.due_at - timedelta(hours=3))
    assert before.reminded >= 1 and case.reminded and case.colour == "green"
    late = supervision.scan(session, now=case.due_at + timedelta(hours=1))
    assert late.overdue >= 1 and late.escalated >= 1
    assert case.overdue and case.colour == "red" and case.escalation_level == 1
    supervisor = actor_of("hz_hotline_supervisor")
    assert case in supervision.supervision_queue(session, supervisor)
    service.respond(session, urban, case.id, "迟到的处理", now=case.due_at + timedelta(days=1))
    assert case.step == "verify"  # was red: a human verifies, with evidence
    service.attach(session, urban, case.id, filename="整改.pdf", content=b"%PDF-1.4", kind="evidence")
    service.verify(session, dispatcher, case.id, passed=True, now=case.due_at + timedelta(days=1))
    service.rate(session, service.citizen(), case, "satisfied", now=case.due_at + timedelta(days=2))
    assert case.status == "closed" and case.colour == "yellow"
    actions = [e.action for e in queries.history(session, case)]
    assert "reminder" in actions and "overdue" in actions and "escalate" in actions


def test_unrated_case_closes_after_the_rating_period(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    from digigov.platform.cases import supervision

    dispatcher = actor_of("hz_hotline_dispatcher")
    case = _open(session, service.citizen())
    service.dispatch(session, dispatcher, case.id, "noise", "330106-urban_management", now=T0)
    service.respond(session, actor_of("xh_urban_officer"), case.id, "已处理", now=T0)
    supervision.scan(session, now=T0 + timedelta(hours=1))
    supervision.scan(session, now=T0 + timedelta(days=30))
    assert case.status == "closed" and case.resolution == "no_rating"


def test_reject_merge_follow_up_and_permissions(session, actor_of) -> None:  # type: ignore[no-untyped-def]
    dispatcher = actor_of("hz_hotline_dispatcher")
    urban = actor_of("xh_urban_officer")
    with pytest.raises(PermissionDenied):  # only the dispatching department triages
        service.triage(session, urban, _open(session, service.citizen()).id, category="noise")
    junk = _open(session, service.citizen(), title="测试")
    service.triage(session, dispatcher, junk.id, reject=True, note="无效来电", now=T0)
    assert junk.status == "closed" and junk.resolution == "rejected"
    a = _open(session, service.citizen())
    b = _open(session, service.citizen())
    service.merge(session, dispatcher, b.id, a.id)
    assert b.status == "closed" and b.resolution == "merged" and b.merged_into_id == a.id
    assert [other.id for _, other in queries.links(session, a)] == [b.id]
    service.dispatch(session, dispatcher, a.id, "noise", "330106-urban_management", now=T0)
    service.respond(session, urban, a.id, "已处理", now=T0)
    service.rate(session, service.citizen(), a, "satisfied", now=T0)
    with pytest.raises(PermissionDenied):
        service.reopen(session, dispatcher, a.id, "回头看：问题反弹")  # an officer is not a supervisor
    service.reopen(session, actor_of("hz_hotline_supervisor"), a.id, "回头看：问题反弹", now=T0 + timedelta(days=60))
    assert a.status == "reopened" and a.step == "handle" and a.resolution is None
    with pytest.raises(Conflict):
        service.accept(session, urban, a.id)  # not waiting for accept
    with pytest.raises(PermissionDenied):
        service.get(session, actor_of("hz_civil_officer"), a.id)


def test_restart_between_every_two_steps(session, actor_of, engine) -> None:  # type: ignore[no-untyped-def]
    """Workflow state lives in the store: reload the case (and drop the process cache) between steps."""
    from digigov.platform.cases import process

    dispatcher = actor_of("hz_hotline_dispatcher")
    urban = actor_of("xh_urban_officer")
    case_id = _open(session, service.citizen()).id
    steps = [
        lambda: service.triage(session, dispatcher, case_id, category="noise", now=T0),
        lambda: service.assign(session, dispatcher, case_id, "330106-urban_management", now=T0),
        lambda: service.return_case(session, urban, case_id, "非本单位职责", now=T0),
        lambda: service.assign(session, dispatcher, case_id, "330106-urban_management", now=T0),
        lambda: service.accept(session, urban, case_id, now=T0),
        lambda: service.respond(session, urban, case_id, "已处理", now=T0),
        lambda: service.rate(session, service.citizen(), session.get(Case, case_id), "unsatisfied", now=T0),
        lambda: service.respond(session, urban, case_id, "再次处理", now=T0),
        lambda: service.rate(session, service.citizen(), session.get(Case, case_id), "satisfied", now=T0),
    ]
    for step in steps:
        step()
        session.flush()
        session.expunge_all()  # nothing survives in memory but what the store holds
        process.clear_caches()
        session.info.clear()  # no live workflow kept between steps either
    final = session.get(Case, case_id)
    assert final is not None and final.status == "closed" and final.reopen_count == 1
    actions = session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    assert actions == ["open", "triage", "assign", "return", "assign", "accept", "respond", "verify", "reopen",
                       "respond", "verify", "rate"]
