"""Reading cases: lists with filters (the drill-down target of every cockpit number), the department
inbox, a case's history, attachments and links, and the citizen's public view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.identity.permissions import can, require
from digigov.platform.cases import types
from digigov.platform.cases.model import Case, CaseAttachment, CaseEvent, CaseLink

# The step each side of the loop waits on: the dispatcher's steps and the department's.
DISPATCH_STEPS = ("triage", "assign", "verify", "evaluate")
HANDLING_STEPS = ("accept", "handle")


@dataclass(frozen=True)
class CaseFilter:
    type: str | None = None
    status: str | None = None  # a status, or "open"
    colour: str | None = None
    region: str | None = None  # a county, city or province code: prefix match
    category: str | None = None
    department: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    escalated: bool | None = None
    rating: str | None = None
    channel: str | None = None
    q: str | None = None


def region_prefix(code: str) -> str:
    """GB/T 2260 codes nest: 330000 province, 330100 city, 330106 county."""
    code = code.strip()
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _filtered(f: CaseFilter) -> Select[Any]:
    stmt = select(Case)
    if f.type:
        stmt = stmt.where(Case.type_code == f.type)
    if f.status == "open":
        stmt = stmt.where(Case.status != "closed")
    elif f.status:
        stmt = stmt.where(Case.status == f.status)
    if f.colour:
        stmt = stmt.where(Case.colour == f.colour)
    if f.region:
        stmt = stmt.where(Case.region_code.startswith(region_prefix(f.region)))
    if f.category:
        stmt = stmt.where(Case.category == f.category)
    if f.department:
        stmt = stmt.where(Case.department_id == f.department)
    if f.since:
        stmt = stmt.where(Case.opened_at >= f.since)
    if f.until:
        stmt = stmt.where(Case.opened_at < f.until)
    if f.overdue is not None:
        stmt = stmt.where(Case.overdue.is_(f.overdue))
    if f.escalated:
        stmt = stmt.where(Case.escalation_level > 0)
    if f.rating:
        stmt = stmt.where(Case.rating == f.rating)
    if f.channel:
        stmt = stmt.where(Case.channel == f.channel)
    if f.q:
        like = f"%{f.q.strip()}%"
        stmt = stmt.where(or_(Case.title.like(like), Case.number.like(like), Case.description.like(like)))
    return stmt


def visible_to(actor: Actor, stmt: Select[Any]) -> Select[Any]:
    """Narrow a query to what `actor` may see, in SQL where the rule allows (staff see their department's
    cases as dispatcher or handler, supervisors their region's); admins and auditors see all."""
    if actor.has("platform_admin", "auditor"):
        return stmt
    conditions = [Case.department_id == actor.department_id, Case.owner_department_id == actor.department_id]
    if actor.has("approver") and actor.region_code:
        from digigov.identity.model import Department
        from digigov.identity.permissions import jurisdiction_prefix

        same_kind = select(Department.id).where(Department.kind == actor.department_kind)
        conditions.append(
            Case.owner_department_id.in_(same_kind)
            & Case.region_code.startswith(jurisdiction_prefix(actor.region_code, actor.region_level))
        )
    return stmt.where(or_(*conditions))


def list_cases(session: Session, actor: Actor, f: CaseFilter, *, limit: int = 50,
               offset: int = 0) -> tuple[list[Case], int]:
    """Cases matching `f` that `actor` may see, newest first, and how many match in all."""
    stmt = visible_to(actor, _filtered(f))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def inbox(session: Session, actor: Actor, *, limit: int = 200) -> dict[str, list[Case]]:
    """The department's work: cases waiting on it to accept or handle, and (for a dispatching
    department) cases waiting for triage, assignment, verification or a rating."""
    require(actor, "case.inbox")
    handling = session.scalars(
        select(Case).where(Case.department_id == actor.department_id, Case.step.in_(HANDLING_STEPS))
        .order_by(Case.due_at.is_(None), Case.due_at, Case.id).limit(limit)
    ).all()
    dispatch = session.scalars(
        select(Case).where(Case.owner_department_id == actor.department_id, Case.step.in_(DISPATCH_STEPS))
        .order_by(Case.opened_at, Case.id).limit(limit)
    ).all()
    return {"handling": list(handling), "dispatch": [c for c in dispatch if can(actor, "case.view", c)]}


def history(session: Session, case: Case, *, public_only: bool = False) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if public_only:
        stmt = stmt.where(CaseEvent.public.is_(True))
    return list(session.scalars(stmt.order_by(CaseEvent.at, CaseEvent.id)))


def attachments(session: Session, case: Case) -> list[CaseAttachment]:
    return list(session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)
                                .order_by(CaseAttachment.id)))


def attachment(session: Session, actor: Actor, attachment_id: int) -> CaseAttachment:
    from digigov.core.errors import NotFound

    att = session.get(CaseAttachment, attachment_id)
    if att is None:
        raise NotFound("no such attachment", key="case_not_found")
    require(actor, "case.view", session.get(Case, att.case_id))
    return att


def links(session: Session, case: Case) -> list[tuple[CaseLink, Case]]:
    rows = session.execute(
        select(CaseLink, Case).join(Case, Case.id == CaseLink.other_id).where(CaseLink.case_id == case.id)
    ).all()
    return [(link, other) for link, other in rows]


def public_view(session: Session, case: Case) -> dict[str, Any]:
    """What the citizen sees with their token: status, the public history, the reply, the rating form."""
    ct = types.get(case.type_code)
    category = ct.category(case.category)
    return {
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "category": category.name if category else None,
        "department": case.department.name if case.department else None,
        "opened_at": case.opened_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "response": case.response,
        "rating": case.rating,
        "can_rate": case.step == "evaluate",
        "merged_into": case.merged_into_id,
        "history": [
            {"at": e.at.isoformat(), "action": e.action, "status": e.to_status, "note": e.note}
            for e in history(session, case, public_only=True)
        ],
    }
