"""监督一点通 (one-tap supervision) as use cases: a villager reports a problem or makes a suggestion about a
village matter without logging in and keeps a receipt code; the village's supervision liaison station (村级监察
工作联络站) takes it (接单), handles it and answers; the villager sees the progress and the answer with the
receipt code, and rates it.

A report is a case of type `gps.complaint`, dispatched on receipt to the discipline commission of the village's
county (the case engine keeps its steps, deadlines, history and audit); the liaison station's staff act on it
through the engine, and only for villages where they hold the station's post.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.grassroots_power_supervision import matters
from digigov.apps.party_governance.grassroots_power_supervision.case_type import COMPLAINT, HANDLER_KIND
from digigov.apps.party_governance.grassroots_power_supervision.model import GpsComplaint, GpsNotice, GpsPost
from digigov.audit.service import record
from digigov.core import bus
from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput, NotFound, PermissionDenied
from digigov.core.i18n import register
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case, CaseEvent

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
RECEIPT_LENGTH = 10
MAX_TEXT = 2000
KINDS = ("complaint", "suggestion")

register({
    "error.gps_unknown_village": ("该村（社区）尚未开通监督一点通",
                                  "This village has no liaison station on the service yet"),
    "error.gps_matter_unknown": ("请选择反映事项", "Choose what the report is about"),
    "error.gps_report_text": ("请描述反映的问题或建议（5 至 2000 字）",
                              "Describe the problem or suggestion (5 to 2000 characters)"),
    "error.gps_receipt_unknown": ("没有这个回执码，请核对后再查", "No report has this receipt code"),
})


@dataclass(frozen=True)
class Station:
    region_code: str
    town: str
    village: str
    head: str


def stations(session: Session) -> list[Station]:
    """The villages with a liaison station on the service (the form's choices)."""
    rows = session.scalars(select(GpsPost).where(GpsPost.post == "liaison_head")
                           .order_by(GpsPost.region_code, GpsPost.town, GpsPost.village)).all()
    return [Station(p.region_code, p.town, p.village, p.name) for p in rows]


def _station(session: Session, region_code: str, town: str, village: str) -> GpsPost:
    post = session.scalar(select(GpsPost).where(GpsPost.post == "liaison_head", GpsPost.region_code == region_code,
                                                GpsPost.town == town, GpsPost.village == village).limit(1))
    if post is None:
        raise InvalidInput(f"no liaison station in {village}", key="gps_unknown_village", field="village")
    return post


def new_receipt(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
        if session.scalar(select(GpsComplaint.id).where(GpsComplaint.receipt == code)) is None:
            return code


def submit(session: Session, *, place: str, matter: str, text: str, kind: str = "complaint", name: str = "",
           phone: str = "", now: datetime | None = None) -> GpsComplaint:
    """A villager's report (`place` is "county|town|village" of a village with a station): a case dispatched to
    the county's discipline commission, and a receipt code to follow it with."""
    now = now or utcnow()
    parts = (place or "").split("|")
    if len(parts) != 3:
        raise InvalidInput("choose the village", key="gps_unknown_village", field="village")
    post = _station(session, *parts)
    if matter not in matters.BY_CODE:
        raise InvalidInput("unknown matter", key="gps_matter_unknown", field="matter")
    body = (text or "").strip()
    if not 5 <= len(body) <= MAX_TEXT:
        raise InvalidInput("describe the problem", key="gps_report_text", field="text")
    kind = kind if kind in KINDS else "complaint"
    receipt = new_receipt(session)
    label = "建议" if kind == "suggestion" else "反映"
    first = body.splitlines()[0]
    case = cases.open_case(
        session, cases.citizen("web"), COMPLAINT, title=f"{post.village}{label}：{first[:40]}"
        + ("…" if len(first) > 40 else ""), description=body, channel="web", region_code=post.region_code,
        street=post.town, address=f"{post.town}{post.village}", citizen_name=(name or "").strip()[:60],
        citizen_phone=(phone or "").strip()[:30], data={"village": post.village, "receipt": receipt, "kind": kind},
        now=now)
    cases.dispatch(session, cases.system(), case.id, matter, f"{post.region_code}-{HANDLER_KIND}",
                   note=f"监督一点通：{post.town}{post.village}村级监察工作联络站接单", now=now)
    complaint = GpsComplaint(receipt=receipt, case_id=case.id, region_code=post.region_code, town=post.town,
                             village=post.village, matter=matter, kind=kind, submitted_at=now)
    session.add(complaint)
    session.flush()
    text_sms = (f"【监督一点通】{post.town}{post.village}收到群众{label}（{matters.label(matter)}），"
                "请于1个工作日内接单。")
    notice = GpsNotice(warning_id=None, at=now, kind="complaint", recipient_name=post.name[:60],
                       recipient_post="村监察工作联络站站长", recipient_phone=post.phone[:20], text=text_sms)
    session.add(notice)
    session.flush()
    bus.publish(session, "gps.notice", {"notice_id": notice.id, "complaint_id": complaint.id, "kind": "complaint",
                                        "name": notice.recipient_name, "post": notice.recipient_post,
                                        "phone": notice.recipient_phone, "text": text_sms,
                                        "region_code": post.region_code, "town": post.town, "village": post.village},
                key=f"gps-notice-{notice.id}")
    record(session, cases.citizen("web"), "gps.complaint.submit", "gps_complaint", complaint.id,
           detail={"case": case.number, "village": post.village, "matter": matter, "kind": kind})
    return complaint


@dataclass
class Receipt:
    """What the villager sees with the receipt code: no staff names, no other person's data."""

    complaint: GpsComplaint
    case: Case
    timeline: list[CaseEvent]


def by_receipt(session: Session, code: str) -> Receipt:
    code = (code or "").strip().upper()
    complaint = session.scalar(select(GpsComplaint).where(GpsComplaint.receipt == code)) if code else None
    if complaint is None:
        raise NotFound("no such receipt", key="gps_receipt_unknown")
    case = session.get(Case, complaint.case_id)
    assert case is not None
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.public.is_(True))
                             .order_by(CaseEvent.at, CaseEvent.id)).all()
    return Receipt(complaint, case, list(events))


def rate(session: Session, code: str, rating: str, comment: str = "", *, now: datetime | None = None) -> Receipt:
    """The villager's rating of the answer (满意 / 基本满意 / 不满意: unsatisfied reopens it for the station)."""
    found = by_receipt(session, code)
    cases.rate(session, cases.citizen("web"), found.case, rating, comment=(comment or "").strip()[:500], now=now)
    return by_receipt(session, code)


# ---------------------------------------------------------------- the liaison station


def station_posts(session: Session, actor: Actor) -> list[GpsPost]:
    return list(session.scalars(select(GpsPost).where(GpsPost.username == actor.username,
                                                      GpsPost.post == "liaison_head").order_by(GpsPost.village)))


def inbox(session: Session, actor: Actor, *, limit: int = 100) -> list[tuple[GpsComplaint, Case]]:
    """The reports of the villages whose station the actor runs (a town official: the town's; the county's
    supervisor: the county's), open first."""
    require(actor, "gps.view")
    posts = session.scalars(select(GpsPost).where(GpsPost.username == actor.username)).all()
    stmt = select(GpsComplaint, Case).join(Case, Case.id == GpsComplaint.case_id)
    clauses = []
    for p in posts:
        clause = GpsComplaint.region_code == p.region_code
        if p.post != "county_supervisor":
            clause = clause & (GpsComplaint.town == p.town)
        if p.post == "liaison_head":
            clause = clause & (GpsComplaint.village == p.village)
        clauses.append(clause)
    if not clauses and not actor.has("platform_admin", "auditor"):
        return []
    if clauses:
        stmt = stmt.where(or_(*clauses))
    rows = session.execute(stmt.order_by(Case.status == "closed", GpsComplaint.submitted_at.desc())
                           .limit(limit)).all()
    return [(c, k) for c, k in rows]


def _own(session: Session, actor: Actor, complaint_id: int) -> tuple[GpsComplaint, Case]:
    complaint = session.get(GpsComplaint, complaint_id)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}", key="gps_receipt_unknown")
    ok = session.scalar(select(GpsPost.id).where(
        GpsPost.username == actor.username, GpsPost.post == "liaison_head",
        GpsPost.region_code == complaint.region_code, GpsPost.town == complaint.town,
        GpsPost.village == complaint.village).limit(1))
    if ok is None:
        raise PermissionDenied(f"{actor.username} is not the station of {complaint.village}", key="gps_not_station",
                               village=complaint.village)
    case = cases.get(session, actor, complaint.case_id)
    return complaint, case


def take(session: Session, actor: Actor, complaint_id: int, *, now: datetime | None = None) -> Case:
    """接单: the station signs for the report."""
    _complaint, case = _own(session, actor, complaint_id)
    return cases.accept(session, actor, case.id, now=now)


def progress(session: Session, actor: Actor, complaint_id: int, note: str) -> Case:
    """A progress note the villager sees (e.g. 已安排巡查)."""
    _complaint, case = _own(session, actor, complaint_id)
    return cases.comment(session, actor, case.id, note.strip()[:MAX_TEXT], public=True)


def answer(session: Session, actor: Actor, complaint_id: int, response: str, *, now: datetime | None = None) -> Case:
    """The station's answer (办理结果), which the villager sees and rates."""
    _complaint, case = _own(session, actor, complaint_id)
    return cases.respond(session, actor, case.id, response, now=now)


def summary(complaint: GpsComplaint, case: Case) -> dict[str, Any]:
    return {"id": complaint.id, "case": case.number, "status": case.status, "step": case.step,
            "village": complaint.village, "town": complaint.town, "matter": complaint.matter, "kind": complaint.kind,
            "submitted_at": complaint.submitted_at.isoformat(), "title": case.title,
            "responded_at": case.responded_at.isoformat() if case.responded_at else None, "rating": case.rating}
