"""The departments' side: an answer on an item closes its case and completes its instance of the bundle's process;
the bus consumer and `sync` follow answers given on the case pages; the join completes the application; a returned
item is re-routed by the lead department's window."""

from __future__ import annotations

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
from digigov.platform.bundles import catalogue, process
from digigov.platform.bundles.case_type import TYPE_CODE
from digigov.platform.bundles.common import (
    APPROVED_PREFIX,
    MAX_NOTE,
    REFUSED_PREFIX,
    calendar,
    clean_text,
    event_payload,
    locked,
)
from digigov.platform.bundles.model import (
    BundleApplication,
    BundleItemRun,
)
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case


def _finish(session: Session, app: BundleApplication, run: BundleItemRun, now: datetime) -> None:
    """Complete the run's instance of the process; when it was the last, join and complete the application."""
    wf = process.load(app.workflow)
    st = process.finish_item(wf, run.item_code, run.outcome or "approved")
    app.workflow = process.dump(wf)
    run.status = "done"
    if st.joined and app.status != "completed":
        app.status, app.result, app.completed_at = "completed", st.result, now
        app.result_note = combined_note(app)
        session.flush()
        record(session, cases.system(), "bundles.complete", "bundle_application", app.receipt,
               detail={"result": app.result, "outcomes": list(st.outcomes),
                       "on_time": bool(app.due_at is None or now <= app.due_at)})
        bus.publish(session, "bundle.completed", event_payload(app))


def combined_note(app: BundleApplication) -> str:
    """The combined result given to the applicant: each item's outcome and the number of its result."""
    lines = []
    for run in app.runs:
        item = catalogue.item(run.item_code)
        label = "准予" if run.outcome == "approved" else "不予"
        cert = f"（{item.result_label}：{run.certificate}）" if run.certificate and item.result_label else ""
        lines.append(f"{item.name}：{label}{cert}")
    return "\n".join(lines)


def _run(session: Session, run_id: int) -> BundleItemRun:
    run = session.get(BundleItemRun, run_id) if isinstance(run_id, int) and 0 < run_id < 2**31 else None
    if run is None:
        raise NotFound(f"no item run {run_id}", key="bundle_application_unknown")
    return run


def decide_item(session: Session, actor: Actor, run_id: int, *, outcome: str, note: str, certificate: str = "",
                now: datetime | None = None) -> BundleItemRun:
    """A department's answer on its item (准予/不予): answers and closes the case, and advances the process."""
    now = now or utcnow()
    run = _run(session, run_id)
    if run.case_id is None:
        raise Conflict("no case", key="bundle_item_not_waiting", item=run.item_code)
    case = cases.get(session, actor, run.case_id)
    require(actor, "case.handle", case)
    if run.status == "done":
        raise Conflict("already decided", key="bundle_item_done")
    if outcome not in ("approved", "refused"):
        raise InvalidInput("bad outcome", key="bundle_outcome", field="outcome")
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput("a note is required", key="bundle_note_required", field="note")
    item = catalogue.item(run.item_code)
    certificate = clean_text(certificate, 80)
    if outcome == "approved" and item.result_label and not certificate:
        raise InvalidInput("certificate required", key="bundle_certificate_required", label=item.result_label,
                           field="certificate")
    app = locked(session, run.application_id)
    run = next(r for r in app.runs if r.id == run_id)
    run.outcome, run.note, run.certificate = outcome, note, certificate if outcome == "approved" else ""
    run.decided_by, run.decided_at = actor.username, now
    prefix = APPROVED_PREFIX if outcome == "approved" else REFUSED_PREFIX
    suffix = f"（{item.result_label}：{run.certificate}）" if run.certificate and item.result_label else ""
    cases.respond(session, actor, case.id, f"{prefix}{note}{suffix}", now=now)
    _finish(session, app, run, now)
    record(session, actor, "bundles.item.decide", "bundle_application", app.receipt,
           detail={"item": run.item_code, "outcome": outcome, "case": case.number})
    return run


def _from_case(session: Session, app: BundleApplication, run: BundleItemRun, case: Case, now: datetime) -> None:
    """An item answered on the generic case page: an answer is a grant unless it starts with 【不予】."""
    response = case.response or ""
    run.outcome = "refused" if response.startswith(REFUSED_PREFIX) else "approved"
    run.note = response[:MAX_NOTE]
    run.decided_at = case.responded_at or now
    run.decided_by = run.decided_by or "case"
    _finish(session, app, run, now)


def on_case_event(session: Session, event: Any) -> None:
    """Bus consumer of `case.accept`, `case.return`, `case.assign` and `case.respond` for bundle items: follow
    the item's progress and, on an answer, advance the bundle's process. At least once: a second delivery finds
    the item already moved on and does nothing."""
    payload = event.payload
    if payload.get("type") != TYPE_CODE:
        return
    run = session.scalar(select(BundleItemRun).where(BundleItemRun.case_id == payload.get("case_id")))
    if run is None or run.status == "done":
        return
    action = payload.get("action")
    if action == "accept" and run.status in ("open", "returned"):
        run.status = "in_progress"
    elif action == "return":
        run.status = "returned"
    elif action == "assign" and run.status == "returned":
        run.status = "open"
        if payload.get("department_id"):
            run.department_id = int(payload["department_id"])
    elif action == "respond":
        app = locked(session, run.application_id)
        run = next(r for r in app.runs if r.id == run.id)
        case = session.get(Case, run.case_id)
        if case is not None and run.status != "done":
            _from_case(session, app, run, case, utcnow())


def sync(session: Session, app: BundleApplication, *, now: datetime | None = None) -> bool:
    """Bring the application up to date with its cases (a missed or not yet delivered event); True if it moved."""
    open_runs = [r for r in app.runs if r.status != "done" and r.case_id is not None]
    if not open_runs:
        return False
    rows = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_([r.case_id for r in open_runs])))}
    moved = False
    for run in open_runs:
        case = rows.get(run.case_id or 0)
        if case is None:
            continue
        if case.status == "closed" and case.responded_at is not None:
            current = locked(session, app.id)
            fresh = next(r for r in current.runs if r.id == run.id)
            if fresh.status != "done":
                _from_case(session, current, fresh, case, now or utcnow())
                moved = True
        elif case.status == "returned" and run.status != "returned":
            run.status, moved = "returned", True
        elif case.status == "in_progress" and run.status == "open":
            run.status, moved = "in_progress", True
    return moved


def reroute_item(session: Session, actor: Actor, run_id: int, department: str, *,
                 now: datetime | None = None) -> BundleItemRun:
    """Send a returned item to another department (the lead department's window re-routes, 改派)."""
    now = now or utcnow()
    run = _run(session, run_id)
    app = run.application
    require(actor, "bundles.window", app)
    if run.status != "returned" or run.case_id is None:
        raise Conflict("not returned", key="bundle_not_returned")
    dept = session.scalar(select(Department).where(Department.code == department))
    if dept is None or not dept.active:
        raise NotFound(f"no department {department}", key="no_department", code=str(department)[:64])
    item = catalogue.item(run.item_code)
    due = workdays.add_workdays(calendar(session), now, min(item.time_limit, app.time_limit))
    cases.assign(session, cases.system(), run.case_id, dept.code, due_at=due, now=now,
                 note=f"一件事改派：{actor.department_name or actor.username}")
    run.department_id, run.status = dept.id, "open"
    record(session, actor, "bundles.item.reroute", "bundle_application", app.receipt,
           detail={"item": run.item_code, "department": dept.code})
    return run


def register_consumers() -> None:
    bus.subscribe("bundles-cases", "case.accept, case.return, case.assign, case.respond", on_case_event)
