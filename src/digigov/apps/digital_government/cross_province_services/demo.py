"""Demo applications for 跨省通办 at one instance (衢州 unless the instance serves another city): a few
outgoing applications in each state (completed, in progress, waiting for a resend) recorded as they would
stand after their exchanges, and a few incoming ones admitted through the real `xps.apply` handler, so that
cases wait in the competent departments' inboxes. No message travels: a demo store has no trusted peer."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.digital_government.cross_province_services import catalogue, service
from digigov.apps.digital_government.cross_province_services.model import XpsApplication, XpsEvent, XpsMaterial
from digigov.core.clock import utcnow
from digigov.core.errors import DigigovError
from digigov.core.settings import get_settings
from digigov.identity.actor import Actor
from digigov.platform.federation import service as federation

NAMES = ["王建国", "李秀英", "张伟", "刘芳", "陈磊", "杨静", "赵敏", "黄涛", "周洁", "吴强"]
OUT = [("XPS-GJ-003", "350700", "completed"), ("XPS-SB-006", "361100", "completed"),
       ("XPS-CR-001", "341000", "in_progress"), ("XPS-YB-001", "350700", "accepted"),
       ("XPS-VH-001", "361100", "send_failed")]
IN = [("XPS-GJ-002", "350700"), ("XPS-SB-004", "361100"), ("XPS-QY-001", "341000")]


def _id_number(rng: random.Random, region: str) -> str:
    """A well-formed resident ID number (check digit by GB 11643), born 2000-2005: the region code must have
    existed at the birth date (python-stdnum checks that too)."""
    body = f"{region}{rng.randint(2000, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _city(session: Session) -> catalogue.City:
    try:
        return service.own_city(session)
    except DigigovError:
        return catalogue.city("330800")


def build(session: Session, actor: Actor, *, seed: int) -> dict[str, Any]:
    if session.scalar(select(func.count()).select_from(XpsApplication)):
        return {"cross_province_applications": 0}
    rng = random.Random(seed)
    here = _city(session)
    service.ensure_departments(session, here)
    now = utcnow().replace(microsecond=0)
    made = 0
    for n, (code, target, status) in enumerate(OUT):
        if target == here.code:
            continue
        item, other = catalogue.item(code), catalogue.city(target)
        at = now - timedelta(days=12 - 2 * n, hours=rng.randint(0, 6))
        app = XpsApplication(
            ref=service.new_ref(here.code, at), direction="out", item_code=code, origin_city=here.code,
            target_city=target, peer=other.instance_id, applicant_name=NAMES[n], applicant_phone="",
            applicant_id_number=_id_number(rng, here.code[:4] + "02"), form={}, channel="window", status=status,
            department=item.department_code(here.code), submitted_by="demo", submitted_at=at, updated_at=at,
            result="", result_note="", attempts=1, last_error="")
        for m in item.materials:
            content = f"{m} · demo scan".encode()
            app.materials.append(XpsMaterial(role="applicant", name=m, filename=f"{m}.pdf", size=len(content),
                                             content_type="application/pdf", content=content,
                                             sha256=hashlib.sha256(content).hexdigest()))
        app.events.append(XpsEvent(at=at, side="origin", step="submitted", actor="demo"))
        if status == "send_failed":
            app.last_error = "unreachable: the peer did not answer"
            app.next_attempt_at = at + timedelta(minutes=5)
            app.events.append(XpsEvent(at=at, side="origin", step="send_failed", note=app.last_error))
        else:
            app.sent_at = app.accepted_at = at + timedelta(minutes=1)
            app.due_at = at + timedelta(days=item.time_limit * 7 // 5 + 1)
            app.events.append(XpsEvent(at=app.sent_at, side="origin", step="sent", note=other.instance_id))
            app.events.append(XpsEvent(at=app.accepted_at, side="competent", step="accepted",
                                       note=item.authority_in(other)))
        if status in ("in_progress", "completed"):
            app.events.append(XpsEvent(at=at + timedelta(hours=20), side="competent", step="in_progress"))
        if status == "completed":
            app.result, app.result_note = "approved", "已办结"
            app.result_at = app.completed_at = at + timedelta(days=2)
            app.events.append(XpsEvent(at=app.result_at, side="competent", step="decided", note="准予"))
            app.events.append(XpsEvent(at=app.result_at, side="origin", step="completed", note="准予 approved"))
        session.add(app)
        made += 1
    settings = get_settings().model_copy(update={"xps_city": here.code})
    for n, (code, origin_code) in enumerate(IN):
        if origin_code == here.code:
            continue
        item, origin = catalogue.item(code), catalogue.city(origin_code)
        at = now - timedelta(days=n, hours=2)
        files: list[dict[str, Any]] = []
        body: dict[str, Any] = {"ref": service.new_ref(origin.code, at), "item": code, "origin_city": origin.code,
                "target_city": here.code, "channel": "window", "submitted_at": at.isoformat(),
                "window": item.department_code(origin.code), "clerk": "demo",
                "applicant": {"name": NAMES[-1 - n], "id_number": _id_number(rng, origin.code[:4] + "02"), "phone": ""},
                "form": {}, "materials": files}
        for m in item.materials:
            content = f"{m} · demo scan".encode()
            files.append({"name": m, "filename": f"{m}.pdf", "content_type": "application/pdf",
                                      "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                                      "content_b64": service._b64(content)})
        message = federation.Inbound(session, settings, Actor(username=f"federation:{origin.instance_id}",
                                                              via="federation"),
                                     origin.instance_id, item.department_code(origin.code), service.PURPOSE_APPLY,
                                     service.KIND_APPLY, f"demo-{n}", here.instance_id, body)
        service.receive_application(message)
        made += 1
    session.flush()
    return {"cross_province_applications": made}
