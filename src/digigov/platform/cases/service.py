"""The closed loop (闭环) as use cases: open → triage → assign → accept → handle/respond → verify →
evaluate → closed (办结销号), with return (退回), reopen (回头看), escalation (督办), merge and comments.

Every transition checks the step's permission action, advances the case's BPMN process, writes a
history line, an audit record and a bus event (`case.<action>`) in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core import bus, workdays
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import require
from digigov.identity.service import get_department
from digigov.platform.cases import process, sla, types
from digigov.platform.cases.model import Case, CaseAttachment, CaseCounter, CaseEvent, CaseLink

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
CHANNELS = ("web", "hotline", "letter", "mailbox", "open311", "signal", "app")


def calendar(session: Session) -> workdays.Calendar:
    """The working-day calendar, read once per transaction."""
    cal = session.info.get("workdays_calendar")
    if cal is None:
        cal = session.info["workdays_calendar"] = workdays.load_calendar(session)
    return cal


def citizen(channel: str = "web") -> Actor:
    """The actor for a citizen acting through a public channel (the portal, an Open311 client)."""
    return Actor(username=f"citizen:{channel}", via="citizen")


def system() -> Actor:
    """The platform itself (deadline monitor, automatic dispatch, automatic verification)."""
    return Actor(username="system", roles=frozenset({"platform_admin"}), via="system")


def _number(session: Session, ct: types.CaseType, now: datetime) -> str:
    day = sla.local_day(now).strftime("%Y%m%d")
    key = f"{ct.prefix}{day}"
    counter = session.get(CaseCounter, key, with_for_update=True)
    if counter is None:
        counter = CaseCounter(prefix_day=key, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return f"{key}{counter.last:06d}"


def _log(session: Session, actor: Actor, case: Case, action: str, before: str | None, *, note: str = "",
         public: bool = False, detail: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    now = now or utcnow()
    detail = dict(detail or {})
    session.add(CaseEvent(
        case_id=case.id, at=now, actor=actor.username, actor_department=actor.department_name, action=action,
        from_status=before, to_status=case.status, note=note, public=public, detail=detail,
    ))
    case.updated_at = now
    record(session, actor, f"case.{action}", "case", case.number,
           detail={"from": before, "to": case.status, "note": note[:200], **detail})
    bus.publish(session, f"case.{action}", event_payload(case, action))


def event_payload(case: Case, action: str) -> dict[str, Any]:
    """The documented payload of every `case.*` bus event."""
    return {
        "case_id": case.id, "number": case.number, "type": case.type_code, "action": action,
        "status": case.status, "category": case.category, "channel": case.channel,
        "region_code": case.region_code, "street": case.street, "lon": case.lon, "lat": case.lat,
        "department_id": case.department_id, "colour": case.colour, "severity": case.severity,
        "subject_key": case.subject_key, "signal_id": case.signal_id, "overdue": case.overdue,
        "escalation_level": case.escalation_level,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "opened_at": case.opened_at.isoformat() if case.opened_at else None,
    }


def open_case(
    session: Session, actor: Actor, type_code: str, *, title: str, description: str = "",
    category: str | None = None, channel: str = "web", region_code: str = "", street: str = "",
    address: str = "", lon: float | None = None, lat: float | None = None, citizen_name: str = "",
    citizen_phone: str = "", data: dict[str, Any] | None = None, subject_key: str | None = None,
    severity: str | None = None, signal_id: int | None = None, now: datetime | None = None,
) -> Case:
    """Intake (受理): a new case waiting for triage. Returns it with its number and citizen token."""
    require(actor, "case.create")
    ct = types.get(type_code)
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise InvalidInput("a case needs a title", key="case_title_required", field="title")
    if channel not in CHANNELS:
        raise InvalidInput(f"unknown channel {channel!r}", key="case_channel_unknown", channel=channel)
    if category is not None and ct.category(category) is None:
        raise InvalidInput(f"unknown category {category!r}", key="case_category_unknown", category=category)
    if severity is not None and severity not in types.SEVERITIES:
        raise InvalidInput(f"unknown severity {severity!r}", key="case_severity_unknown", severity=severity)
    definition = process.definition(ct.process, ct.process_id)
    wf = process.start(definition)
    owner = get_department(session, ct.owner_department) if ct.owner_department else None
    case = Case(
        number=_number(session, ct, now), type_code=ct.code, title=title[:300], description=description,
        category=category, channel=channel, region_code=region_code, street=street, address=address,
        lon=lon, lat=lat, citizen_name=citizen_name, citizen_phone=citizen_phone, data=dict(data or {}),
        subject_key=subject_key, severity=severity, signal_id=signal_id, citizen_token=secrets.token_urlsafe(18),
        owner_department_id=owner.id if owner else None, process_ref=process.process_row(session, definition).id,
        workflow=process.dump(wf), step=process.next_step(wf), status="intake", created_by=actor.username,
        opened_at=now, updated_at=now,
    )
    case.status = ct.task_status.get(case.step or "", "intake")
    session.add(case)
    session.flush()
    case.step_due_at = sla.due(calendar(session), now, ct.step_sla(case.step or ""))
    sla.refresh(case, ct, now)
    _log(session, actor, case, "open", None, now=now, public=True, detail={"channel": channel})
    return case


def get(session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", key="case_not_found")
    require(actor, "case.view", case)
    return case


def by_number(session: Session, actor: Actor, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise NotFound(f"no case {number}", key="case_not_found")
    require(actor, "case.view", case)
    return case


def by_token(session: Session, token: str) -> Case:
    """The case a citizen holds the token of (no login: the token is the credential)."""
    case = session.scalar(select(Case).where(Case.citizen_token == token)) if token else None
    if case is None:
        raise NotFound("no case for this token", key="case_not_found")
    return case


def _advance(session: Session, actor: Actor, case: Case, step: str, data: dict[str, Any], now: datetime) -> str:
    """Complete the waiting step `step` of the case's process; returns the status before."""
    ct = types.get(case.type_code)
    if case.step != step:
        raise Conflict(f"case {case.number} is not waiting for {step}", key="case_wrong_step",
                       state=case.status, step=step)
    require(actor, ct.actors.get(step, "case.supervise"), case)
    wf = process.load(session, case)
    nxt = process.complete(wf, step, data)
    before = case.status
    case.step = nxt
    case.status = ct.task_status.get(nxt, "closed") if nxt else "closed"
    case.workflow = process.dump(wf, session, case.id)
    case.step_due_at = sla.due(calendar(session), now, ct.step_sla(nxt)) if nxt else None
    if case.status == "closed":
        case.closed_at = now
    return before


def triage(session: Session, actor: Actor, case_id: int, *, category: str | None = None,
           reject: bool = False, note: str = "", now: datetime | None = None) -> Case:
    """Triage (分拨): set the category, or reject the case as not for the platform (不予受理)."""
    now = now or utcnow()
    case = get(session, actor, case_id)
    ct = types.get(case.type_code)
    if category is not None:
        if ct.category(category) is None:
            raise InvalidInput(f"unknown category {category!r}", key="case_category_unknown", category=category)
        case.category = category
    if reject and not note.strip():
        raise InvalidInput("say why the case is not accepted", key="case_reason_required", field="note")
    before = _advance(session, actor, case, "triage", {"outcome": "reject" if reject else "ok"}, now)
    if reject:
        case.resolution = "rejected"
    sla.refresh(case, ct, now)
    _log(session, actor, case, "reject" if reject else "triage", before, note=note, public=reject, now=now,
         detail={"category": case.category})
    return case


def assign(session: Session, actor: Actor, case_id: int, department: str | int, *, note: str = "",
           due_at: datetime | None = None, now: datetime | None = None) -> Case:
    """Assign (派单) to the responsible department with a deadline in working days."""
    now = now or utcnow()
    case = get(session, actor, case_id)
    ct = types.get(case.type_code)
    dept = get_department(session, department)
    if not dept.active:
        raise Conflict(f"department {dept.code} is not active", key="department_inactive")
    before = _advance(session, actor, case, "assign", {"outcome": "ok", "department": dept.code}, now)
    case.department_id = dept.id
    case.department = dept
    case.assigned_at = now
    case.due_at = due_at or sla.overall_due(calendar(session), ct, case, now)
    case.overdue = False
    case.reminded = False
    sla.refresh(case, ct, now)
    _log(session, actor, case, "assign", before, note=note, public=True, now=now,
         detail={"department": dept.code, "due_at": case.due_at.isoformat()})
    return case


def dispatch(session: Session, actor: Actor, case_id: int, category: str, department: str | int, *,
             note: str = "", now: datetime | None = None) -> Case:
    """Triage and assign in one act (the usual path when the category is clear)."""
    triage(session, actor, case_id, category=category, note=note, now=now)
    return assign(session, actor, case_id, department, note=note, now=now)


def accept(session: Session, actor: Actor, case_id: int, *, now: datetime | None = None) -> Case:
    """The assigned department signs for the case (签收) and starts handling it."""
    now = now or utcnow()
    case = get(session, actor, case_id)
    before = _advance(session, actor, case, "accept", {"outcome": "ok"}, now)
    sla.refresh(case, types.get(case.type_code), now)
    _log(session, actor, case, "accept", before, now=now)
    return case


def return_case(session: Session, actor: Actor, case_id: int, reason: str, *, now: datetime | None = None) -> Case:
    """Return (退回): not this department's matter; the dispatcher re-routes it. A reason is required."""
    now = now or utcnow()
    if not reason.strip():
        raise InvalidInput("say why the case is returned", key="case_reason_required", field="reason")
    case = get(session, actor, case_id)
    dept = case.department.code if case.department else None
    before = _advance(session, actor, case, "accept", {"outcome": "return"}, now)
    case.status = "returned"
    case.return_count += 1
    case.department_id = None
    case.department = None
    case.due_at = None
    sla.refresh(case, types.get(case.type_code), now)
    _log(session, actor, case, "return", before, note=reason, now=now, detail={"department": dept})
    return case


def respond(session: Session, actor: Actor, case_id: int, response: str, *, first_contact: bool = False,
            now: datetime | None = None) -> Case:
    """The department answers (答复): the reply the citizen will see. Green cases of a type with
    automatic verification go straight to the citizen's evaluation; red ones wait for verification."""
    now = now or utcnow()
    if not response.strip():
        raise InvalidInput("the reply is empty", key="case_reply_required", field="response")
    case = get(session, actor, case_id)
    ct = types.get(case.type_code)
    if case.step == "accept":  # answering implies signing for it
        accept(session, actor, case_id, now=now)
    before = _advance(session, actor, case, "handle", {"outcome": "ok"}, now)
    case.response = response
    case.responded_at = now
    case.first_contact = first_contact and case.reopen_count == 0 and case.return_count == 0
    sla.refresh(case, ct, now)
    _log(session, actor, case, "respond", before, note=response, public=True, now=now)
    if ct.auto_verify and case.colour == "green" and case.step == "verify":
        _verify(session, system(), case, passed=True, note="", now=now, automatic=True)
    return case


def _verify(session: Session, actor: Actor, case: Case, *, passed: bool, note: str, now: datetime,
            automatic: bool = False) -> Case:
    ct = types.get(case.type_code)
    if passed and (case.colour == "red" or case.was_red) and not _has_evidence(session, case.id):
        raise Conflict("a red case is verified only with evidence attached", key="case_evidence_required")
    before = _advance(session, actor, case, "verify", {"outcome": "ok" if passed else "fail"}, now)
    if not passed:
        case.responded_at = None
    sla.refresh(case, ct, now)
    _log(session, actor, case, "verify" if passed else "verify_fail", before, note=note, now=now,
         detail={"automatic": automatic})
    return case


def verify(session: Session, actor: Actor, case_id: int, *, passed: bool, note: str = "",
           now: datetime | None = None) -> Case:
    """Verification (核查) of the department's handling: passed → the citizen evaluates; failed → back
    to the department. A case that was red needs evidence attached (a red warning never clears without it)."""
    case = get(session, actor, case_id)
    if not passed and not note.strip():
        raise InvalidInput("say what is missing", key="case_reason_required", field="note")
    return _verify(session, actor, case, passed=passed, note=note, now=now or utcnow())


def _has_evidence(session: Session, case_id: int) -> bool:
    return session.scalar(
        select(CaseAttachment.id).where(CaseAttachment.case_id == case_id, CaseAttachment.kind == "evidence").limit(1)
    ) is not None


def rate(session: Session, actor: Actor, case: Case, rating: str, *, comment: str = "",
         now: datetime | None = None) -> Case:
    """The citizen's evaluation (满意 / 基本满意 / 不满意): unsatisfied reopens the case for the
    department (回访不满意重办); otherwise it closes (办结). `actor` is the citizen or the dispatcher
    recording a follow-up call."""
    now = now or utcnow()
    if rating not in types.RATINGS:
        raise InvalidInput(f"unknown rating {rating!r}", key="case_rating_unknown", rating=rating)
    if actor.via != "citizen":
        require(actor, "case.verify", case)
    if case.step != "evaluate":
        raise Conflict(f"case {case.number} is not waiting for a rating", key="case_wrong_step",
                       state=case.status, step="evaluate")
    ct = types.get(case.type_code)
    wf = process.load(session, case)
    reopen = rating == "unsatisfied"
    nxt = process.complete(wf, "evaluate", {"outcome": "reopen" if reopen else "ok", "rating": rating})
    before = case.status
    case.workflow = process.dump(wf, session, case.id)
    case.step = nxt
    case.rating = rating
    case.rating_comment = comment
    if reopen:
        _reopen_fields(session, case, ct, now)
    else:
        case.status = "closed"
        case.resolution = "done"
        case.closed_at = now
        case.step_due_at = None
    sla.refresh(case, ct, now)
    _log(session, actor, case, "reopen" if reopen else "rate", before, note=comment, public=True, now=now,
         detail={"rating": rating})
    return case


def _reopen_fields(session: Session, case: Case, ct: types.CaseType, now: datetime) -> None:
    cal = calendar(session)
    case.status = "reopened"
    case.reopen_count += 1
    case.responded_at = None
    case.closed_at = None
    case.resolution = None
    case.first_contact = False
    case.reminded = False
    case.due_at = sla.overall_due(cal, ct, case, now)
    case.step_due_at = sla.due(cal, now, ct.step_sla("handle"))


def reopen(session: Session, actor: Actor, case_id: int, reason: str, *, now: datetime | None = None) -> Case:
    """Follow-up review (回头看): a closed case whose problem recurred goes back to its department."""
    now = now or utcnow()
    case = get(session, actor, case_id)
    require(actor, "case.supervise", case)
    if case.is_open or case.resolution != "done":
        raise Conflict(f"case {case.number} is not closed as done", key="case_wrong_step", state=case.status,
                       step="closed")
    if not reason.strip():
        raise InvalidInput("say why the case is reopened", key="case_reason_required", field="reason")
    ct = types.get(case.type_code)
    wf = process.load(session, case)
    case.step = process.reset_to(wf, "handle")
    case.workflow = process.dump(wf, session, case.id)
    before = case.status
    _reopen_fields(session, case, ct, now)
    sla.refresh(case, ct, now)
    _log(session, actor, case, "follow_up_reopen", before, note=reason, public=True, now=now)
    return case


def escalate(session: Session, actor: Actor, case_id: int, note: str, *, now: datetime | None = None) -> Case:
    """Supervision (督办): raise the case's escalation level; the department and its leaders are told."""
    now = now or utcnow()
    case = get(session, actor, case_id)
    require(actor, "case.supervise", case)
    if not case.is_open:
        raise Conflict(f"case {case.number} is closed", key="case_closed")
    case.escalation_level += 1
    _log(session, actor, case, "escalate", case.status, note=note, now=now,
         detail={"level": case.escalation_level})
    return case


def comment(session: Session, actor: Actor, case_id: int, text: str, *, public: bool = False) -> Case:
    case = get(session, actor, case_id)
    if not text.strip():
        raise InvalidInput("the comment is empty", key="case_comment_required", field="text")
    _log(session, actor, case, "comment", case.status, note=text[:4000], public=public)
    return case


def attach(session: Session, actor: Actor, case_id: int, *, filename: str, content: bytes,
           content_type: str = "application/octet-stream", kind: str = "evidence") -> CaseAttachment:
    """Attach a file (evidence of verification, a photo, the reply document); size-limited, digested."""
    case = get(session, actor, case_id)
    if kind not in ("evidence", "photo", "reply"):
        raise InvalidInput(f"unknown attachment kind {kind!r}", key="case_attachment_kind", kind=kind)
    if not content:
        raise InvalidInput("the file is empty", key="case_attachment_empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput("the file is too large", key="case_attachment_too_large", limit=MAX_ATTACHMENT_BYTES)
    att = CaseAttachment(case_id=case.id, kind=kind, filename=filename[-200:] or "file", content=content,
                         content_type=content_type[:100], size=len(content),
                         sha256=hashlib.sha256(content).hexdigest(), uploaded_by=actor.username)
    session.add(att)
    session.flush()
    _log(session, actor, case, "attach", case.status, detail={"attachment": att.id, "kind": kind,
                                                                "sha256": att.sha256, "filename": att.filename})
    return att


def link(session: Session, actor: Actor, case_id: int, other_id: int, kind: str = "related") -> CaseLink:
    case = get(session, actor, case_id)
    other = get(session, actor, other_id)
    if case.id == other.id:
        raise InvalidInput("a case cannot be linked to itself", key="case_link_self")
    existing = session.scalar(select(CaseLink).where(CaseLink.case_id == case.id, CaseLink.other_id == other.id))
    if existing is not None:
        return existing
    row = CaseLink(case_id=case.id, other_id=other.id, kind=kind, created_by=actor.username)
    session.add(row)
    session.add(CaseLink(case_id=other.id, other_id=case.id, kind=kind, created_by=actor.username))
    session.flush()
    _log(session, actor, case, "link", case.status, detail={"other": other.number, "kind": kind})
    return row


def merge(session: Session, actor: Actor, duplicate_id: int, into_id: int, *, now: datetime | None = None) -> Case:
    """Merge a duplicate into the case that carries on (重复件合并): the duplicate closes as merged and
    its citizen follows the surviving case's outcome."""
    now = now or utcnow()
    dup = get(session, actor, duplicate_id)
    into = get(session, actor, into_id)
    require(actor, "case.triage", dup)
    if not dup.is_open or not into.is_open:
        raise Conflict("both cases must be open to merge", key="case_closed")
    if dup.type_code != into.type_code:
        raise Conflict("cases of different types cannot be merged", key="case_merge_types")
    link(session, actor, dup.id, into.id, "duplicate")
    before = dup.status
    dup.status = "closed"
    dup.step = None
    dup.resolution = "merged"
    dup.merged_into_id = into.id
    dup.closed_at = now
    dup.step_due_at = None
    _log(session, actor, dup, "merge", before, note=into.number, public=True, now=now, detail={"into": into.number})
    return dup


def department_for(session: Session, code: str) -> Department:
    return get_department(session, code)
