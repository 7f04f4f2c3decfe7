"""The applicant's side after applying: the status page behind the token, and the rating (好差评)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core import bus
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.platform.bundles import catalogue, process
from digigov.platform.bundles.common import TOKEN_PATTERN, clean_text, event_payload, locked
from digigov.platform.bundles.handling import sync
from digigov.platform.bundles.model import BundleApplication
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case


def by_token(session: Session, token: str) -> BundleApplication:
    app = session.scalar(select(BundleApplication).where(BundleApplication.token == token)) \
        if token and TOKEN_PATTERN.match(token) else None
    if app is None:
        raise NotFound("no application for this token", key="bundle_application_unknown")
    return app


def rate(session: Session, token: str, stars: int, *, comment: str = "", now: datetime | None = None
         ) -> BundleApplication:
    """The applicant's 好差评 on a completed bundle: 1-5 stars and a comment, once. Ends the process."""
    now = now or utcnow()
    app = by_token(session, token)
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise InvalidInput("bad rating", key="bundle_rating", field="rating")
    if app.status != "completed" or app.rating is not None:
        raise Conflict("not ratable", key="bundle_not_ratable")
    app = locked(session, app.id)
    wf = process.load(app.workflow)
    process.rate(wf, stars)
    app.workflow = process.dump(wf)
    app.rating, app.rating_comment, app.rated_at = stars, clean_text(comment, 1000), now
    record(session, cases.citizen("bundles"), "bundles.rate", "bundle_application", app.receipt,
           detail={"rating": stars, "bundle": app.bundle_code})
    bus.publish(session, "bundle.rated", event_payload(app))
    return app


RUN_PROGRESS = {"triaged": "assigning", "returned": "assigning", "assigned": "waiting", "in_progress": "handling",
                "closed": "done"}


def public_view(session: Session, app: BundleApplication) -> dict[str, Any]:
    """What the applicant sees: each item's department and progress, and the combined result once there."""
    sync(session, app)
    case_rows = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(
        [r.case_id for r in app.runs if r.case_id is not None])))}
    items = []
    for run in app.runs:
        item = catalogue.item(run.item_code)
        case = case_rows.get(run.case_id or 0)
        progress = "done" if run.status == "done" else RUN_PROGRESS.get(case.status if case else "", "assigning")
        items.append({"code": item.code, "name": item.name, "name_en": item.name_en,
                      "department": run.department.name, "partner": item.partner if item.external else "",
                      "progress": progress, "outcome": run.outcome, "certificate": run.certificate,
                      "result_name": item.result_name, "result_label": item.result_label,
                      "note": run.note if run.status == "done" else "",
                      "case_number": case.number if case else "", "due_at": case.due_at if case else None,
                      "decided_at": run.decided_at})
    return {"receipt": app.receipt, "bundle": app.bundle, "status": app.status, "result": app.result,
            "result_note": app.result_note, "submitted_at": app.submitted_at, "due_at": app.due_at,
            "completed_at": app.completed_at, "rating": app.rating, "rating_comment": app.rating_comment,
            "can_rate": app.status == "completed" and app.rating is None, "items": items,
            "done": sum(1 for i in items if i["progress"] == "done"), "applicant": app.applicant_name,
            "lead": app.lead_department.name if app.lead_department else ""}
