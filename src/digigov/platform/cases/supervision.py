"""The deadline monitor and the supervisors' tools (督办).

`scan` runs on a schedule (the worker) and on demand: it sends reminders before a deadline, marks cases
overdue (red) and escalates them after it, and closes verified cases nobody rated in time. Each of those
is a history line, an audit record and a bus event (`case.reminder`, `case.overdue`, `case.escalate`),
and overdue or escalated cases appear in the supervisor's view. `bulk` applies one supervisor action to
many cases. `open_from_signal` turns an early-warning signal into a case, deduplicated against the open
cases on the same subject.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core import bus, workdays
from digigov.core.clock import utcnow
from digigov.core.errors import DigigovError, InvalidInput
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.cases import service, sla, types
from digigov.platform.cases.model import Case

BULK_ACTIONS = ("escalate", "assign", "reject", "comment")


@dataclass
class ScanResult:
    reminded: int = 0
    overdue: int = 0
    escalated: int = 0
    auto_closed: int = 0


def scan(session: Session, *, now: datetime | None = None) -> ScanResult:
    """One pass of the deadline monitor over the open cases of every registered type."""
    now = now or utcnow()
    out = ScanResult()
    cal = workdays.load_calendar(session)
    codes = [t.code for t in types.all_types()]
    if not codes:
        return out
    open_cases = session.scalars(
        select(Case).where(Case.type_code.in_(codes), Case.status != "closed").order_by(Case.id)
    ).all()
    for case in open_cases:
        check_case(session, case, now, out, cal)
    return out


def check_case(session: Session, case: Case, now: datetime, out: ScanResult | None = None,
               cal: workdays.Calendar | None = None) -> ScanResult:
    """The deadline monitor's look at one open case at `now`."""
    out = out if out is not None else ScanResult()
    cal = cal or workdays.load_calendar(session)
    actor = service.system()
    ct = types.get(case.type_code)
    if sla.reminder_due(case, ct, now):
        case.reminded = True
        service._log(session, actor, case, "reminder", case.status, now=now,
                     detail={"due_at": case.due_at.isoformat() if case.due_at else None})
        out.reminded += 1
    if case.responded_at is None and case.due_at is not None and now > case.due_at and not case.overdue:
        case.overdue = True
        sla.refresh(case, ct, now)
        service._log(session, actor, case, "overdue", case.status, now=now)
        out.overdue += 1
    if sla.escalation_due(case, ct, now):
        case.escalation_level = 1
        service._log(session, actor, case, "escalate", case.status, now=now,
                     note="超期自动督办 / escalated automatically after the deadline", detail={"level": 1})
        out.escalated += 1
    if case.step == "evaluate" and case.step_due_at is None:
        case.step_due_at = workdays.add_workdays(cal, case.updated_at, ct.rating_workdays)
    if case.step == "evaluate" and case.step_due_at is not None and now > case.step_due_at:
        service.rate(session, actor, case, "satisfied", comment="逾期未评价，默认满意 / no rating in time", now=now)
        case.resolution = "no_rating"
        case.rating = None  # nobody said: not counted as satisfied
        out.auto_closed += 1
    else:
        sla.refresh(case, ct, now)
    return out


def supervision_queue(session: Session, actor: Actor, *, limit: int = 200) -> list[Case]:
    """What a supervisor must look at: overdue, escalated, reopened or low-rated cases still open."""
    rows = session.scalars(
        select(Case)
        .where(Case.status != "closed")
        .where(Case.overdue.is_(True) | (Case.escalation_level > 0) | (Case.status == "reopened")
               | (Case.colour == "red"))
        .order_by(Case.escalation_level.desc(), Case.due_at)
        .limit(limit * 5)
    ).all()
    from digigov.identity.permissions import can

    return [c for c in rows if can(actor, "case.supervise", c)][:limit]


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def bulk(session: Session, actor: Actor, case_ids: list[int], action: str, **kw: Any) -> BulkResult:
    """Apply one supervisor action to several cases; each case succeeds or fails on its own (a
    savepoint per case), and the failures say why."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(f"unknown bulk action {action!r}", key="case_bulk_action", action=action)
    if not case_ids:
        raise InvalidInput("no cases chosen", key="case_bulk_empty")
    out = BulkResult()
    for case_id in dict.fromkeys(case_ids):
        try:
            with session.begin_nested():
                case = service.get(session, actor, case_id)
                require(actor, "case.supervise", case)
                if action == "escalate":
                    service.escalate(session, actor, case_id, kw.get("note", ""))
                elif action == "assign":
                    if case.step == "accept":
                        service.return_case(session, actor, case_id, kw.get("note") or "督办改派 / reassigned")
                    if not kw.get("department"):
                        raise InvalidInput("name the department to assign to", key="case_department_required")
                    service.assign(session, actor, case_id, kw["department"], note=kw.get("note", ""))
                elif action == "reject":
                    service.triage(session, actor, case_id, reject=True, note=kw.get("note", ""))
                else:
                    service.comment(session, actor, case_id, kw.get("note", ""))
                out.done.append(case.number)
        except DigigovError as exc:
            out.failed[str(case_id)] = getattr(exc, "message", str(exc))
    return out


def open_from_signal(session: Session, event: bus.Event) -> None:
    """Bus consumer of `signal.raised`: open a case of the type the rule names, unless an open case of
    that type is already about the same subject (then the signal is noted on that case)."""
    payload = event.payload
    type_code = payload.get("case_type")
    if not type_code:
        return
    try:
        ct = types.get(type_code)
    except DigigovError:
        return
    actor = service.system()
    subject = payload.get("subject_key") or None
    if subject:
        existing = session.scalar(
            select(Case).where(Case.type_code == ct.code, Case.subject_key == subject, Case.status != "closed")
            .order_by(Case.id).limit(1)
        )
        if existing is not None:
            service._log(session, actor, existing, "signal", existing.status,
                         note=str(payload.get("title", ""))[:300],
                         detail={"signal_id": payload.get("signal_id"), "rule": payload.get("rule_code")})
            bus.publish(session, "case.signal_linked", {"case_id": existing.id, "number": existing.number,
                                                        "signal_id": payload.get("signal_id"),
                                                        "status": existing.status})
            return
    severity = payload.get("severity") if payload.get("severity") in types.SEVERITIES else None
    case = service.open_case(
        session, actor, ct.code, title=str(payload.get("title") or payload.get("rule_name") or "预警"),
        description=str(payload.get("rule_name", "")), channel="signal",
        region_code=str(payload.get("region_code") or ""), subject_key=subject, severity=severity,
        signal_id=payload.get("signal_id"), data={"rule": payload.get("rule_code"),
                                                   "evidence": payload.get("evidence", [])[:5]},
    )
    department = payload.get("department_code")
    if department:
        service.triage(session, actor, case.id, note="预警自动分拨 / dispatched from a signal")
        service.assign(session, actor, case.id, department)


def register_consumers() -> None:
    bus.subscribe("cases-signals", "signal.raised", open_from_signal)
