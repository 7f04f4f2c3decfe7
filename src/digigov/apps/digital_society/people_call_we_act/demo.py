"""Demo tickets for 民呼我为: some months of citizen requests from the generator (daily and weekly
rhythm, planted spikes), each driven through the real closed loop with the times it happened:
intake and classification, dispatch, signing, the answer (mostly on time, some late), the citizen's
rating (a few unsatisfied, reopened and answered again) and the deadline monitor. The last days' tickets
are left open, so the inboxes and the supervision view have work in them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.digital_society.people_call_we_act import corpus, service, taxonomy
from digigov.apps.digital_society.people_call_we_act.case_type import TYPE_CODE
from digigov.core.clock import utcnow
from digigov.identity.actor import Actor
from digigov.identity.service import get_department, get_user
from digigov.platform.cases import service as cases
from digigov.platform.cases import supervision
from digigov.platform.cases.model import Case

SIZES = {"small": 150, "medium": 700, "large": 5000}
DAYS = 91
OPEN_TAIL_DAYS = 4  # tickets of the last days stay open
SPIKE_VOLUME = 3000


def planted(start: date, n: int) -> list[corpus.PlantedSpike]:
    """The generator's planted events, made larger on a small demo so that they still stand out of a
    thin baseline (a city's real volume is about 3,000 requests over these three months per category
    group; the demo has `n`)."""
    factor = max(1.0, SPIKE_VOLUME / n)
    return [replace(s, change_pct=s.change_pct * factor) for s in corpus.default_spikes(start)]


def _handler(session: Session, department_code: str) -> Actor:
    """The demo officer of the department, or an officer persona of it where the roster has nobody."""
    officers = {"330106-urban_management": "xh_urban_officer", "330106-housing": "xh_housing_officer"}
    username = officers.get(department_code)
    if username:
        return Actor.from_user(get_user(session, username))
    dept = get_department(session, department_code)
    return Actor(username=f"demo:{dept.code}", roles=frozenset({"officer"}), department_id=dept.id,
                 department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                 region_level=dept.tier, via="system")


def build(session: Session, actor: Actor, *, size: str, seed: int,
          progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    if session.scalar(select(func.count()).select_from(Case).where(Case.type_code == TYPE_CODE)):
        return {"people_call_tickets": 0}
    progress = progress or (lambda *_: None)
    rng = random.Random(seed)
    end = utcnow().replace(minute=0, second=0, microsecond=0)
    start = (end - timedelta(days=DAYS)).date()
    n = SIZES.get(size, SIZES["small"])
    tickets = corpus.generate_tickets(n, start=start, days=DAYS, seed=seed, spikes=planted(start, n))
    dispatcher = Actor.from_user(get_user(session, "hz_hotline_dispatcher"))
    total = len(tickets)
    for i, t in enumerate(tickets):
        _drive(session, dispatcher, t, rng, end)
        if i % 25 == 0 or i == total - 1:
            progress("people_call", i + 1, total)
    supervision.scan(session, now=end)
    return {"people_call_tickets": total}


def _drive(session: Session, dispatcher: Actor, t: corpus.TicketRecord, rng: random.Random, end: datetime) -> None:
    now = t.created_at
    pinpoint = t.channel in ("open311", "web") and rng.random() < 0.6
    who = dispatcher if t.channel in ("hotline", "letter", "mailbox") else cases.citizen(t.channel)
    intake = service.submit(session, who, text=t.text, channel=t.channel,
                            lon=t.lon if pinpoint else None, lat=t.lat if pinpoint else None,
                            name=t.caller_name, phone=t.phone, now=now)
    case = intake.case
    if case.step == "triage":  # the dispatcher's queue: low confidence, duplicate or no place found
        now += timedelta(minutes=rng.randint(10, 110))
        if now > end:
            return
        if intake.duplicates and rng.random() < 0.7:
            cases.merge(session, dispatcher, case.id, intake.duplicates[0]["id"], now=now)
            return
        cases.dispatch(session, dispatcher, case.id, t.category, taxonomy.route(t.category, t.county_code), now=now)
    assert case.department is not None and case.due_at is not None
    handler = _handler(session, case.department.code)
    if end - now < timedelta(days=OPEN_TAIL_DAYS) and rng.random() < 0.7:
        return  # still with the department
    late = rng.random() < 0.1
    answer_at = case.due_at + timedelta(hours=rng.randint(2, 60)) if late else \
        now + (case.due_at - now) * rng.uniform(0.05, 0.9)
    if answer_at > end:
        return
    if late:
        supervision.check_case(session, case, answer_at - timedelta(minutes=1))
    cases.accept(session, handler, case.id, now=now + (answer_at - now) * 0.2)
    cases.respond(session, handler, case.id, "已受理并现场核实处理，处理结果已电话告知来电人。",
                  first_contact=rng.random() < 0.35, now=answer_at)
    if case.step == "verify":
        cases.attach(session, handler, case.id, filename="整改照片.jpg", content=b"\xff\xd8demo-photo",
                     content_type="image/jpeg", kind="evidence")
        cases.verify(session, dispatcher, case.id, passed=True, now=answer_at + timedelta(hours=4))
    rate_at = answer_at + timedelta(hours=rng.randint(5, 40))
    if rate_at > end:
        return
    roll = rng.random()
    if roll < 0.08:
        return  # nobody rates; the deadline monitor closes it
    rating = "unsatisfied" if roll < 0.15 else "basically_satisfied" if roll < 0.32 else "satisfied"
    cases.rate(session, cases.citizen(), case, rating, now=rate_at)
    if rating == "unsatisfied":
        again = rate_at + timedelta(hours=rng.randint(6, 70))
        if again < end:
            cases.respond(session, handler, case.id, "重新办理：已再次上门处理。", now=again)
            if case.step == "verify":
                cases.attach(session, handler, case.id, filename="复查.jpg", content=b"\xff\xd8again",
                             content_type="image/jpeg", kind="evidence")
                cases.verify(session, dispatcher, case.id, passed=True, now=again + timedelta(hours=2))
            if again + timedelta(hours=8) < end:
                cases.rate(session, cases.citizen(), case, "basically_satisfied", now=again + timedelta(hours=8))
