"""Intake from every channel into one ticket (一号受理): locate, classify, suggest duplicates, route, and
dispatch automatically when the classifier is confident; otherwise the ticket waits in the 12345
dispatcher's queue. Channels: the web form, 12345 hotline transcripts, letters and mailbox messages,
and Open311 clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.digital_society.people_call_we_act import classifier, places, taxonomy, textsim
from digigov.apps.digital_society.people_call_we_act.case_type import TYPE_CODE
from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case

DUPLICATE_METRES = 50
DUPLICATE_DAYS = 7
MAX_TEXT = 4000


@cache
def model() -> classifier.Model:
    """The dispatch classifier, trained once on the generator's corpus and cached under var/."""
    return classifier.default_model(get_settings().var_dir)


@dataclass
class Intake:
    case: Case
    predictions: list[tuple[str, float]]
    location: places.Location
    dispatched: bool
    duplicates: list[dict[str, Any]] = field(default_factory=list)


def title_of(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:60] + ("…" if len(first) > 60 else "")


def submit(
    session: Session, actor: Actor, *, text: str, channel: str = "web", category: str | None = None,
    address: str = "", lon: float | None = None, lat: float | None = None, name: str = "", phone: str = "",
    title: str | None = None, extra: dict[str, Any] | None = None, now: datetime | None = None,
) -> Intake:
    """File one ticket. `category` is the citizen's (or the Open311 client's) choice when given;
    otherwise the classifier's. Returns the case and what the intake decided."""
    now = now or utcnow()
    text = (text or "").strip()
    if not text:
        raise InvalidInput("describe the problem", key="case_reply_required", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput("the description is too long", key="hotline_text_too_long", limit=MAX_TEXT)
    if category is not None:
        taxonomy.get(category)
    predictions = model().predict(text, k=3)
    location = places.locate(f"{address} {text}".strip(), lon, lat)
    chosen = category or (predictions[0][0] if predictions else None)
    confident = category is not None or (bool(predictions) and predictions[0][1] >= classifier.LOW_CONFIDENCE)
    case = cases.open_case(
        session, actor, TYPE_CODE, title=title or title_of(text), description=text, channel=channel,
        category=None, region_code=location.county_code or "", street=location.street or "",
        address=address, lon=lon if lon is not None else location.lon,
        lat=lat if lat is not None else location.lat, citizen_name=name, citizen_phone=phone,
        data={"predictions": [[c, round(s, 4)] for c, s in predictions], "suggested": chosen,
              "location": {"how": "given" if lon is not None and lat is not None else location.how,
                           "confidence": location.confidence}, **(extra or {})},
        now=now,
    )
    dupes = duplicates(session, case, chosen, now=now)
    if dupes:
        case.data = {**case.data, "duplicates": dupes}
    dispatched = False
    if chosen and confident and location.county_code and not dupes:
        department = taxonomy.route(chosen, location.county_code)
        cases.dispatch(session, cases.system(), case.id, chosen, department,
                       note="自动分类派单 / dispatched automatically", now=now)
        dispatched = True
    return Intake(case, predictions, location, dispatched, dupes)


def _pinpointed(case: Case) -> bool:
    """Coordinates the citizen gave (not a street's centre guessed from the text)."""
    return case.lon is not None and case.lat is not None and case.data.get("location", {}).get("how") == "given"


def duplicates(session: Session, case: Case, category: str | None, *, now: datetime) -> list[dict[str, Any]]:
    """Open tickets that look like the same problem: same category within 50 m and 7 days, or
    near-identical text in the same district within 7 days."""
    since = now - timedelta(days=DUPLICATE_DAYS)
    stmt = select(Case).where(
        Case.type_code == TYPE_CODE, Case.id != case.id, Case.status != "closed", Case.opened_at >= since,
    )
    if case.region_code:
        stmt = stmt.where(Case.region_code == case.region_code)
    found: list[dict[str, Any]] = []
    candidates = session.scalars(stmt.order_by(Case.opened_at.desc()).limit(500)).all()
    for other in candidates:
        same_cat = category is not None and (other.category or other.data.get("suggested")) == category
        near = (
            same_cat and _pinpointed(case) and _pinpointed(other)
            and textsim.within_metres(case.lon or 0.0, case.lat or 0.0, other.lon or 0.0, other.lat or 0.0,
                                      DUPLICATE_METRES)
        )
        score = textsim.similar(case.description, other.description)
        if near or score >= 0.8:
            found.append({"id": other.id, "number": other.number, "why": "nearby" if near else "text",
                          "similarity": round(score, 3)})
    return found[:5]
