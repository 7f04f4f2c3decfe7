"""Cross-province services (跨省通办, 异地办、跑一次) as use cases, at both ends of an application.

At the origin (any window of any of the four cities):

- `apply` records an application for an item competent in another city (applicant with a checked resident
  ID number, form fields, uploaded materials with their SHA-256 digests): status `submitted`.
- `deliver` packages it (JSON, materials in base64 with their digests) and sends it to the competent city's
  instance as an `xps.apply` message through the federation. The answer moves it to `accepted` (with the
  competent case number and deadline); a peer that cannot be reached, or any other failure that is not a
  refusal of the package itself, leaves it `send_failed` with the next attempt due `xps_retry_seconds`
  later (`retry_due`, or a retry button, sends it again: nothing is lost); a refusal of the package (bad
  digest, item not offered there) makes it `refused` with the reason.
- `refresh` asks the competent city where the case stands (`xps.status`); `in_progress` once it signed for it.
- The result arrives as an `xps.result` message: `completed`, with the result, its note and document.

At the competent city:

- the `xps.apply` handler checks the package (the digests, the item offered in this city, the ID number)
  and opens a case of type `xps.application` dispatched straight to the competent department (its inbox,
  its deadline in working days from the item's legal time limit, history, audit);
- `decide` is the department's answer (准予/不予 with a note and an optional result document): it answers
  the case through the case engine (`respond`), which publishes `case.respond`;
- the app's bus consumer on `case.accept` / `case.respond` follows the case (in progress; a result owed,
  also when the answer was given on the generic case page), and `deliver` sends the result back
  (`xps.result`), retried like an application when the origin is down.

`deliver` must run in a transaction that has written nothing yet (the federation's HTTP call happens
before its own writes, so no lock is held while the peer answers); pages call it right after committing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from digigov.apps.digital_government.cross_province_services import catalogue
from digigov.apps.digital_government.cross_province_services.case_type import TYPE_CODE
from digigov.apps.digital_government.cross_province_services.model import XpsApplication, XpsEvent, XpsMaterial
from digigov.audit.service import record
from digigov.core.clock import iso, utcnow
from digigov.core.db import unit_of_work
from digigov.core.errors import Conflict, DigigovError, InvalidInput, NotFound
from digigov.core.i18n import register as register_messages
from digigov.core.settings import Settings, get_settings
from digigov.identity.actor import Actor
from digigov.identity.model import Department, Region
from digigov.identity.permissions import require
from digigov.identity.regions import department_kinds
from digigov.platform.cases import service as cases
from digigov.platform.federation import service as federation
from digigov.platform.federation.model import FederationInstance

KIND_APPLY = "xps.apply"
KIND_RESULT = "xps.result"
KIND_STATUS = "xps.status"
PURPOSE_APPLY = "跨省通办：申请材料推送至有权机关办理 (cross-province application to the competent authority)"
PURPOSE_RESULT = "跨省通办：办理结果返回受理地 (cross-province result back to the accepting window)"
PURPOSE_STATUS = "跨省通办：查询办理进度 (cross-province progress query)"
MAX_NAME = 80
MAX_FIELDS = 30
MAX_FIELD_CHARS = 1000
MAX_NOTE = 2000
OPEN_OUT = ("submitted", "send_failed", "sent", "accepted", "in_progress")
RESULT_OWED = ("result_pending", "result_failed")
_PHONE = re.compile(r"^[0-9+\- ]{0,32}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_REF = re.compile(r"^XPS[0-9]{6}-[0-9]{8}-[0-9A-F]{6}$")

register_messages({
    "error.xps_city_unknown": ("{city} 不是四省边际城市之一", "{city} is not one of the four border cities"),
    "error.xps_item_unknown": ("没有跨省通办事项 {item}", "No cross-province item {item}"),
    "error.xps_item_not_offered": ("{city} 未开通事项“{item}”的跨省通办",
                                   "{city} does not offer {item} across provinces"),
    "error.xps_same_city": ("有权机关就在本市，请按本地事项办理", "The competent city is this city: handle it locally"),
    "error.xps_own_city": ("本实例未设置所服务的城市（xps_city 或联邦实例标识）",
                           "This instance has no city (set xps_city or a federation instance id of the four)"),
    "error.xps_no_peer": ("尚未与 {city} 的平台建立信任（{instance}）",
                          "No trust with the platform of {city} ({instance})"),
    "error.xps_id_number": ("公民身份号码无效：{reason}", "Invalid resident ID number: {reason}"),
    "error.xps_name_required": ("请填写申请人姓名", "The applicant's name is required"),
    "error.xps_phone": ("联系电话格式不正确", "The phone number is not valid"),
    "error.xps_form": ("表单字段过多或过长", "Too many or too long form fields"),
    "error.xps_materials_missing": ("缺少申请材料：{missing}", "Materials missing: {missing}"),
    "error.xps_material_unknown": ("“{name}”不是该事项的申请材料", "{name} is not a material of this item"),
    "error.xps_material_empty": ("材料“{name}”是空文件", "The material {name} is an empty file"),
    "error.xps_material_too_large": ("材料“{name}”超过 {limit} 字节", "The material {name} is over {limit} bytes"),
    "error.xps_too_many_materials": ("材料不能超过 {limit} 个文件", "At most {limit} files"),
    "error.xps_digest_mismatch": ("材料“{name}”的摘要与内容不符，拒收",
                                  "The digest of {name} does not match its content"),
    "error.xps_bad_package": ("申请包格式不正确：{field}", "Malformed application package: {field}"),
    "error.xps_wrong_city": ("该申请的有权城市是 {city}，不是本市", "The application is for {city}, not this city"),
    "error.xps_unknown_ref": ("没有申请 {ref}", "No application {ref}"),
    "error.xps_not_competent": ("该申请不是在本市办理的", "This application is not handled here"),
    "error.xps_decided": ("该申请已有办理结果", "This application already has a result"),
    "error.xps_result": ("办理结果只能是准予或不予", "The result is approved or refused"),
    "error.xps_note_required": ("请填写办理意见", "A note on the result is required"),
    "error.xps_nothing_to_send": ("该申请当前没有需要发送的内容", "Nothing to send for this application now"),
})


def _refusal(code: str, message: str, **detail: object) -> InvalidInput:
    """A refusal whose code travels in the federation's signed error answer (so the origin can tell a
    refused package from a transient failure)."""
    exc = InvalidInput(message, key=code, **detail)
    exc.code = code
    return exc


# ---------------------------------------------------------------- identity of this side


def own_city(session: Session, settings: Settings | None = None) -> catalogue.City:
    """The city this instance serves: the `xps_city` setting, else the city of its federation instance id."""
    settings = settings or get_settings()
    if settings.xps_city:
        return catalogue.city(settings.xps_city)
    me = federation.self_instance(session)
    found = catalogue.city_of_instance(me.instance_id) if me is not None else None
    if found is None and settings.federation_instance_id:
        found = catalogue.city_of_instance(settings.federation_instance_id)
    if found is None:
        raise Conflict("this instance serves none of the four cities", key="xps_own_city")
    return found


def check_id_number(value: str) -> str:
    """A resident ID number (公民身份号码, GB 11643) with its checksum, birth date and region checked."""
    text = (value or "").strip().upper()
    try:
        return str(ric.validate(text))
    except ValidationError as exc:
        raise _refusal("xps_id_number", f"invalid resident ID number: {exc}", reason=str(exc),
                       field="id_number") from None


def mask_id(number: str) -> str:
    return number[:6] + "********" + number[-4:] if len(number) == 18 else "*" * len(number)


def ensure_departments(session: Session, city: catalogue.City, kinds: set[str] | None = None) -> int:
    """The province, the city and its departments of the kinds the catalogue names (Zhejiang's exist from
    the region seed; the other three provinces' are created here). Idempotent; returns how many were made."""
    wanted = kinds if kinds is not None else {i.department_kind for i in catalogue.items().values()}
    if session.get(Region, city.province_code) is None:
        session.add(Region(code=city.province_code, name=city.province, name_en=f"{city.province_en} Province",
                           level="province", parent_code=None))
    if session.get(Region, city.code) is None:
        session.add(Region(code=city.code, name=city.name, name_en=city.name_en, level="city",
                           parent_code=city.province_code))
    session.flush()
    existing = set(session.scalars(select(Department.code).where(Department.region_code == city.code)))
    made = 0
    for kind in department_kinds():
        code = f"{city.code}-{kind.kind}"
        if kind.kind in wanted and code not in existing:
            session.add(Department(code=code, name=city.name + kind.suffix["city"],
                                   name_en=f"{city.name_en} {kind.name_en}", kind=kind.kind, region_code=city.code,
                                   tier="city", is_data_authority=kind.is_data_authority))
            made += 1
    if made:
        session.flush()
        record(session, cases.system(), "department.seed", "department", city.code,
               detail={"created": made, "app": "cross_province_services"})
    return made


def _department(session: Session, code: str) -> Department:
    dept = session.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise NotFound(f"no department {code}", key="no_department", code=code)
    return dept


def _sender(session: Session, app: XpsApplication) -> Actor:
    """Who sends for this side when nobody is at the window (a retry): the system, for the department the
    application belongs to here (the message names it)."""
    dept = _department(session, app.department)
    return Actor(username="system:xps", roles=frozenset({"officer"}), department_id=dept.id,
                 department_name=dept.name, department_kind=dept.kind, region_code=dept.region_code,
                 region_level=dept.tier, via="system")


def _event(app: XpsApplication, side: str, step: str, *, actor: str = "", note: str = "",
           at: datetime | None = None) -> None:
    app.events.append(XpsEvent(at=at or utcnow(), side=side, step=step, actor=actor[:80], note=note[:MAX_NOTE]))


# ---------------------------------------------------------------- applying at the origin


@dataclass(frozen=True)
class Upload:
    """One material as the window uploaded it."""

    name: str  # the required material it is, e.g. 居民身份证
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def _check_materials(item: catalogue.Item, uploads: list[Upload], settings: Settings) -> None:
    if len(uploads) > settings.xps_max_materials:
        raise InvalidInput("too many files", key="xps_too_many_materials", limit=settings.xps_max_materials)
    for u in uploads:
        if u.name not in item.materials:
            raise InvalidInput(f"{u.name[:60]} is not a material of {item.code}", key="xps_material_unknown",
                               name=u.name[:60])
        if not u.content:
            raise InvalidInput(f"{u.name} is empty", key="xps_material_empty", name=u.name)
        if len(u.content) > settings.xps_max_material_bytes:
            raise InvalidInput(f"{u.name} is too large", key="xps_material_too_large", name=u.name,
                               limit=settings.xps_max_material_bytes)
    missing = [m for m in item.materials if m not in {u.name for u in uploads}]
    if missing:
        raise InvalidInput(f"materials missing: {', '.join(missing)}", key="xps_materials_missing",
                           missing="、".join(missing))


def _check_form(form: dict[str, Any] | None) -> dict[str, str]:
    form = form or {}
    if not isinstance(form, dict) or len(form) > MAX_FIELDS:
        raise _refusal("xps_form", "too many form fields")
    out: dict[str, str] = {}
    for k, v in form.items():
        if not isinstance(k, str) or not isinstance(v, str) or len(k) > 64 or len(v) > MAX_FIELD_CHARS:
            raise _refusal("xps_form", "form fields are short strings")
        out[k] = v
    return out


def new_ref(origin: str, now: datetime) -> str:
    return f"XPS{origin}-{now:%Y%m%d}-{secrets.token_hex(3).upper()}"


def apply(session: Session, actor: Actor, *, item_code: str, target_city: str, applicant_name: str,
          id_number: str, phone: str = "", form: dict[str, Any] | None = None, materials: list[Upload] | None = None,
          channel: str = "window", settings: Settings | None = None, now: datetime | None = None) -> XpsApplication:
    """Record an application at this window for an item competent in `target_city` (status `submitted`).
    Call `deliver` after committing to send it."""
    require(actor, "xps.apply")
    settings = settings or get_settings()
    now = now or utcnow()
    origin = own_city(session, settings)
    target = catalogue.city(target_city)
    item = catalogue.item(item_code)
    if target.code == origin.code:
        raise InvalidInput("the competent city is this city", key="xps_same_city")
    if not item.offered_in(target.code):
        raise _refusal("xps_item_not_offered", f"{target.name_en} does not offer {item.code}",
                       city=target.name, item=item.name)
    name = (applicant_name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("the applicant's name is required", key="xps_name_required", field="applicant_name")
    number = check_id_number(id_number)
    phone = (phone or "").strip()
    if not _PHONE.match(phone):
        raise InvalidInput("bad phone number", key="xps_phone", field="phone")
    fields = _check_form(form)
    uploads = list(materials or [])
    _check_materials(item, uploads, settings)
    peer = session.get(FederationInstance, target.instance_id)
    if peer is None or peer.is_self:
        raise Conflict(f"no trust with {target.instance_id}", key="xps_no_peer", city=target.name,
                       instance=target.instance_id)
    if actor.department_id is None:
        raise InvalidInput("the window clerk belongs to a department", key="federation_department_required")
    window = session.get(Department, actor.department_id)
    assert window is not None
    app = XpsApplication(
        ref=new_ref(origin.code, now), direction="out", item_code=item.code, origin_city=origin.code,
        target_city=target.code, peer=target.instance_id, applicant_name=name, applicant_id_number=number,
        applicant_phone=phone, form=fields, channel=channel if channel in ("window", "online") else "window",
        status="submitted", department=window.code, submitted_by=actor.username[:80], submitted_at=now,
        updated_at=now, result="", result_note="", attempts=0, last_error="",
    )
    for u in uploads:
        app.materials.append(XpsMaterial(role="applicant", name=u.name[:120], filename=(u.filename or "file")[-200:],
                                         content_type=(u.content_type or "application/octet-stream")[:100],
                                         size=len(u.content), sha256=hashlib.sha256(u.content).hexdigest(),
                                         content=u.content))
    _event(app, "origin", "submitted", actor=actor.username, at=now,
           note=f"{window.name} → {item.authority_in(target)}")
    session.add(app)
    session.flush()
    record(session, actor, "xps.apply", "xps_application", app.ref,
           detail={"item": item.code, "target_city": target.code, "applicant": mask_id(number),
                   "materials": [m.sha256 for m in app.materials]})
    return app


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def package(app: XpsApplication) -> dict[str, Any]:
    """The body of an `xps.apply` message (see docs/cross-province-services.md)."""
    return {
        "ref": app.ref, "item": app.item_code, "origin_city": app.origin_city, "target_city": app.target_city,
        "channel": app.channel, "submitted_at": iso(app.submitted_at), "window": app.department,
        "clerk": app.submitted_by,
        "applicant": {"name": app.applicant_name, "id_number": app.applicant_id_number,
                      "phone": app.applicant_phone},
        "form": dict(app.form or {}),
        "materials": [{"name": m.name, "filename": m.filename, "content_type": m.content_type, "size": m.size,
                       "sha256": m.sha256, "content_b64": _b64(m.content)}
                      for m in app.materials if m.role == "applicant"],
    }


def result_body(session: Session, app: XpsApplication) -> dict[str, Any]:
    """The body of an `xps.result` message."""
    doc = next((m for m in app.materials if m.role == "result"), None)
    case = cases.get(session, cases.system(), app.case_id) if app.case_id else None
    return {
        "ref": app.ref, "result": app.result, "note": app.result_note,
        "decided_at": iso(app.result_at) if app.result_at else "",
        "case_number": case.number if case else "", "department": app.department,
        "steps": [{"at": iso(e.at), "step": e.step, "note": e.note} for e in app.events if e.side == "competent"],
        "document": None if doc is None else {
            "filename": doc.filename, "content_type": doc.content_type, "size": doc.size, "sha256": doc.sha256,
            "content_b64": _b64(doc.content)},
    }


# ---------------------------------------------------------------- sending (both sides)


def _transient(reply: federation.Reply) -> bool:
    """Whether a failed exchange is worth retrying: not a refusal of the content by the peer."""
    return not reply.reason.startswith("xps_")


def deliver(session: Session, actor: Actor | None, app_id: int, *, settings: Settings | None = None,
            now: datetime | None = None) -> XpsApplication:
    """Send what this side owes the other for application `app_id`: the package at the origin (status
    submitted / send_failed), the result at the competent city (result_pending / result_failed).
    `actor` None: the system sends for the application's department (a retry)."""
    settings = settings or get_settings()
    app = session.get(XpsApplication, app_id)
    if app is None:
        raise NotFound(f"no application {app_id}", key="xps_unknown_ref", ref=str(app_id))
    if actor is not None:
        require(actor, "xps.apply")
    if app.direction == "out" and app.status in ("submitted", "send_failed"):
        kind, body, purpose = KIND_APPLY, package(app), PURPOSE_APPLY
    elif app.direction == "in" and app.status in RESULT_OWED:
        kind, body, purpose = KIND_RESULT, result_body(session, app), PURPOSE_RESULT
    else:
        raise Conflict(f"nothing to send for {app.ref} in status {app.status}", key="xps_nothing_to_send")
    sender = actor if actor is not None and actor.department_id is not None else _sender(session, app)
    side = "origin" if app.direction == "out" else "competent"
    app.attempts += 1
    try:
        reply = federation.send(session, sender, app.peer, kind, body, purpose, settings=settings)
    except DigigovError as exc:  # the peer is not trusted (any more), or this instance has no identity
        _failed(app, side, f"{exc.code}: {exc.message}", settings, now)
        return app
    now = now or utcnow()
    if reply.ok:
        if app.direction == "out":
            _accepted(app, reply.body, now)
        else:
            app.status = "result_returned"
            app.next_attempt_at, app.last_error = None, ""
            _event(app, side, "result_returned", actor=sender.username, at=now, note=app.peer)
    elif _transient(reply):
        _failed(app, side, f"{reply.reason}: {reply.message}"[:MAX_NOTE], settings, now)
    else:
        app.status = "refused" if app.direction == "out" else "result_failed"
        app.last_error, app.next_attempt_at = f"{reply.reason}: {reply.message}"[:MAX_NOTE], None
        _event(app, side, "refused", actor=sender.username, at=now, note=app.last_error)
    record(session, sender, "xps.deliver", "xps_application", app.ref, result="ok" if reply.ok else "failed",
           detail={"kind": kind, "peer": app.peer, "status": app.status, "reason": reply.reason})
    return app


def _failed(app: XpsApplication, side: str, error: str, settings: Settings, now: datetime | None) -> None:
    now = now or utcnow()
    app.status = "send_failed" if app.direction == "out" else "result_failed"
    app.last_error = error[:MAX_NOTE]
    app.next_attempt_at = now + timedelta(seconds=settings.xps_retry_seconds)
    _event(app, side, app.status, at=now, note=app.last_error)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _accepted(app: XpsApplication, answer: dict[str, Any], now: datetime) -> None:
    app.status = "accepted"
    app.sent_at = app.sent_at or now
    app.accepted_at = _parse_time(answer.get("accepted_at")) or now
    app.due_at = _parse_time(answer.get("due_at"))
    app.last_error, app.next_attempt_at = "", None
    _event(app, "origin", "sent", at=now, note=app.peer)
    _event(app, "competent", "accepted", at=app.accepted_at,
           note=f"{str(answer.get('department_name', ''))[:100]} {str(answer.get('case_number', ''))[:40]}".strip())


def retry_due(factory: sessionmaker[Session], *, settings: Settings | None = None,
              now: datetime | None = None, limit: int = 100) -> int:
    """Send again every application or result whose failed send is due (the worker's round, or a CLI);
    each in its own transaction. Returns how many were delivered."""
    now = now or utcnow()
    with factory() as s:
        due = list(s.scalars(select(XpsApplication.id).where(
            XpsApplication.status.in_(("send_failed", *RESULT_OWED)),
            or_(XpsApplication.next_attempt_at.is_(None), XpsApplication.next_attempt_at <= now),
        ).order_by(XpsApplication.id).limit(limit)))
    done = 0
    for app_id in due:
        with unit_of_work(factory) as s:
            app = deliver(s, None, app_id, settings=settings)
            done += app.status in ("accepted", "result_returned")
    return done


def refresh(session: Session, actor: Actor, app_id: int, *, settings: Settings | None = None) -> XpsApplication:
    """Ask the competent city where an accepted application stands (`xps.status`) and record what it says."""
    app = get(session, actor, app_id)
    if app.direction != "out" or app.status not in ("accepted", "in_progress"):
        raise Conflict(f"nothing to ask about {app.ref}", key="xps_nothing_to_send")
    sender = actor if actor.department_id is not None else _sender(session, app)
    reply = federation.send(session, sender, app.peer, KIND_STATUS, {"ref": app.ref}, PURPOSE_STATUS,
                            settings=settings).raise_for_error()
    _merge_steps(app, reply.body.get("steps"))
    if reply.body.get("status") in ("in_progress", "result_pending", "result_failed", "result_returned"):
        app.status = "in_progress" if app.status == "accepted" else app.status
    return app


def _merge_steps(app: XpsApplication, steps: Any) -> None:
    """Add the competent side's steps this side did not know yet."""
    if not isinstance(steps, list):
        return
    known = {(e.step, iso(e.at)[:19]) for e in app.events if e.side == "competent"}
    for s in steps[:100]:
        if not isinstance(s, dict):
            continue
        at, step = _parse_time(s.get("at")), str(s.get("step", ""))[:32]
        if at is None or not step or (step, iso(at)[:19]) in known:
            continue
        _event(app, "competent", step, at=at, note=str(s.get("note", ""))[:MAX_NOTE])
        known.add((step, iso(at)[:19]))


# ---------------------------------------------------------------- receiving (federation handlers)


def _str(body: dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or len(value) > limit:
        raise _refusal("xps_bad_package", f"{key} is missing or too long", field=key)
    return value


def _decode_file(entry: Any, settings: Settings, label: str) -> tuple[dict[str, Any], bytes]:
    if not isinstance(entry, dict):
        raise _refusal("xps_bad_package", "a material is not an object", field=label)
    meta = {k: _str(entry, k, n) for k, n in (("filename", 200), ("content_type", 100), ("sha256", 64))}
    try:
        content = base64.b64decode(_str(entry, "content_b64", 4 * settings.xps_max_material_bytes // 3 + 8),
                                   validate=True)
    except (binascii.Error, ValueError):
        raise _refusal("xps_bad_package", "a material is not base64", field=label) from None
    if len(content) > settings.xps_max_material_bytes:
        raise _refusal("xps_material_too_large", f"{label} is too large", name=label,
                       limit=settings.xps_max_material_bytes)
    if not _HEX64.match(meta["sha256"]) or hashlib.sha256(content).hexdigest() != meta["sha256"] \
            or entry.get("size") != len(content):
        raise _refusal("xps_digest_mismatch", f"the digest of {label} does not match its content", name=label)
    return meta, content


def _in_state(session: Session, app: XpsApplication) -> dict[str, Any]:
    case = cases.get(session, cases.system(), app.case_id) if app.case_id else None
    dept = session.scalar(select(Department).where(Department.code == app.department))
    return {"ref": app.ref, "status": app.status, "case_number": case.number if case else "",
            "case_status": case.status if case else "", "department": app.department,
            "department_name": dept.name if dept else "", "due_at": iso(app.due_at) if app.due_at else "",
            "accepted_at": iso(app.accepted_at) if app.accepted_at else "",
            "steps": [{"at": iso(e.at), "step": e.step, "note": e.note} for e in app.events if e.side == "competent"]}


@federation.handler(KIND_APPLY)
def receive_application(message: federation.Inbound) -> dict[str, Any]:
    """An application from another city's window: checked, then a case in the competent department's inbox."""
    session, settings, body = message.session, message.settings, message.body
    me = own_city(session, settings)
    ref = _str(body, "ref", 48)
    if not _REF.match(ref):
        raise _refusal("xps_bad_package", "bad ref", field="ref")
    existing = session.scalar(select(XpsApplication).where(XpsApplication.ref == ref,
                                                           XpsApplication.direction == "in"))
    if existing is not None:  # the same package again (a retry whose answer was lost): same answer
        if existing.peer != message.sender:
            raise _refusal("xps_bad_package", "this reference belongs to another sender", field="ref")
        return _in_state(session, existing)
    target = _str(body, "target_city", 6)
    if target != me.code:
        raise _refusal("xps_wrong_city", f"the application is for {target}, not {me.code}", city=target)
    origin = catalogue.city(_str(body, "origin_city", 6))
    try:
        item = catalogue.item(_str(body, "item", 32))
    except NotFound:
        raise _refusal("xps_item_unknown", "unknown item", item=str(body.get("item"))[:32]) from None
    if not item.offered_in(me.code):
        raise _refusal("xps_item_not_offered", f"{me.name_en} does not offer {item.code}", city=me.name,
                       item=item.name)
    applicant = body.get("applicant")
    if not isinstance(applicant, dict):
        raise _refusal("xps_bad_package", "no applicant", field="applicant")
    name = _str(applicant, "name", MAX_NAME).strip()
    number = check_id_number(_str(applicant, "id_number", 18))
    phone = _str(applicant, "phone", 32)
    fields = _check_form(body.get("form"))
    entries = body.get("materials")
    if not isinstance(entries, list) or len(entries) > settings.xps_max_materials or not name:
        raise _refusal("xps_bad_package", "materials or name", field="materials")
    now = utcnow()
    ensure_departments(session, me, {item.department_kind})
    dept = _department(session, item.department_code(me.code))
    app = XpsApplication(
        ref=ref, direction="in", item_code=item.code, origin_city=origin.code, target_city=me.code,
        peer=message.sender, applicant_name=name, applicant_id_number=number, applicant_phone=phone, form=fields,
        channel=_str(body, "channel", 16), status="accepted", department=dept.code,
        submitted_by=_str(body, "clerk", 80), submitted_at=_parse_time(body.get("submitted_at")) or now,
        accepted_at=now, updated_at=now, result="", result_note="", attempts=0, last_error="",
    )
    for i, entry in enumerate(entries):
        label = str(entry.get("name", f"#{i + 1}"))[:120] if isinstance(entry, dict) else f"#{i + 1}"
        meta, content = _decode_file(entry, settings, label)
        app.materials.append(XpsMaterial(role="applicant", name=label, filename=meta["filename"],
                                         content_type=meta["content_type"], size=len(content),
                                         sha256=meta["sha256"], content=content))
    missing = [m for m in item.materials if m not in {x.name for x in app.materials}]
    if missing:
        raise _refusal("xps_materials_missing", "materials missing", missing="、".join(missing))
    session.add(app)
    session.flush()
    case = cases.open_case(
        session, cases.system(), TYPE_CODE, title=f"{item.name}（{origin.name}受理）· {name}",
        description=f"跨省通办申请 {ref}，{origin.name}窗口受理，申请人 {name}（{mask_id(number)}）。"
                    f"申请材料 {len(app.materials)} 份，见跨省通办申请页。",
        category=item.code, channel="app", region_code=me.code, citizen_name=name, citizen_phone=phone,
        data={"xps_ref": ref, "origin_city": origin.code}, subject_key=f"xps:{ref}", now=now)
    cases.dispatch(session, cases.system(), case.id, item.code, dept.code,
                   note=f"跨省通办：{origin.name}受理，{item.authority_in(me)}办理", now=now)
    app.case_id, app.due_at = case.id, case.due_at
    _event(app, "competent", "accepted", actor=message.actor.username, at=now, note=f"{dept.name} {case.number}")
    session.flush()
    record(session, message.actor, "xps.receive", "xps_application", ref, purpose=message.purpose,
           detail={"item": item.code, "origin_city": origin.code, "case": case.number, "department": dept.code,
                   "materials": [m.sha256 for m in app.materials]})
    return _in_state(session, app)


@federation.handler(KIND_STATUS)
def answer_status(message: federation.Inbound) -> dict[str, Any]:
    """Where an application sent by the asking city stands here."""
    ref = _str(message.body, "ref", 48)
    app = message.session.scalar(select(XpsApplication).where(
        XpsApplication.ref == ref, XpsApplication.direction == "in", XpsApplication.peer == message.sender))
    if app is None:
        raise NotFound(f"no application {ref}", key="xps_unknown_ref", ref=ref)
    return _in_state(message.session, app)


@federation.handler(KIND_RESULT)
def receive_result(message: federation.Inbound) -> dict[str, Any]:
    """The competent city's result for an application this window sent: completed."""
    session, settings, body = message.session, message.settings, message.body
    ref = _str(body, "ref", 48)
    app = session.scalar(select(XpsApplication).where(
        XpsApplication.ref == ref, XpsApplication.direction == "out", XpsApplication.peer == message.sender))
    if app is None:
        exc = NotFound(f"no application {ref} sent to {message.sender}", key="xps_unknown_ref", ref=ref)
        exc.code = "xps_unknown_ref"
        raise exc
    if app.status == "completed":
        return {"ref": ref, "status": app.status}
    result = body.get("result")
    if result not in ("approved", "refused"):
        raise _refusal("xps_result", "the result is approved or refused")
    note = _str(body, "note", MAX_NOTE)
    doc = body.get("document")
    if doc is not None:
        meta, content = _decode_file(doc, settings, "document")
        app.materials.append(XpsMaterial(role="result", name="办理结果", filename=meta["filename"],
                                         content_type=meta["content_type"], size=len(content),
                                         sha256=meta["sha256"], content=content))
    now = utcnow()
    _merge_steps(app, body.get("steps"))
    app.result, app.result_note = str(result), note
    app.result_at = _parse_time(body.get("decided_at")) or now
    app.status, app.completed_at, app.last_error, app.next_attempt_at = "completed", now, "", None
    _event(app, "origin", "completed", actor=message.actor.username, at=now,
           note=("准予 approved" if result == "approved" else "不予 refused") + f" {str(body.get('case_number'))[:40]}")
    session.flush()
    record(session, message.actor, "xps.result", "xps_application", ref, purpose=message.purpose,
           detail={"result": result, "document": doc is not None})
    return {"ref": ref, "status": app.status}


# ---------------------------------------------------------------- the competent department decides


def decide(session: Session, actor: Actor, app_id: int, *, result: str, note: str,
           document: Upload | None = None, settings: Settings | None = None,
           now: datetime | None = None) -> XpsApplication:
    """The competent department's result (准予/不予 with a note, optional result document): answers the case
    (which publishes `case.respond`); the result is owed to the origin until `deliver` sends it."""
    settings = settings or get_settings()
    now = now or utcnow()
    app = session.get(XpsApplication, app_id)
    if app is None or app.direction != "in" or app.case_id is None:
        raise NotFound(f"no incoming application {app_id}", key="xps_not_competent")
    case = cases.get(session, actor, app.case_id)
    require(actor, "case.handle", case)
    if app.result:
        raise Conflict(f"{app.ref} already has a result", key="xps_decided")
    if result not in ("approved", "refused"):
        raise InvalidInput("bad result", key="xps_result", field="result")
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise InvalidInput("a note is required", key="xps_note_required", field="note")
    if document is not None:
        if not document.content or len(document.content) > settings.xps_max_material_bytes:
            raise InvalidInput("bad document", key="xps_material_too_large", name=document.filename,
                               limit=settings.xps_max_material_bytes)
        app.materials.append(XpsMaterial(role="result", name="办理结果",
                                         filename=(document.filename or "result")[-200:],
                                         content_type=document.content_type[:100], size=len(document.content),
                                         sha256=hashlib.sha256(document.content).hexdigest(),
                                         content=document.content))
        cases.attach(session, actor, case.id, filename=document.filename or "result", content=document.content,
                     content_type=document.content_type, kind="reply")
    app.result, app.result_note, app.result_at = result, note, now
    label = "准予" if result == "approved" else "不予"
    cases.respond(session, actor, case.id, f"【{label}】{note}", now=now)  # the consumer marks the result owed
    _owe_result(app, actor.username, now)
    record(session, actor, "xps.decide", "xps_application", app.ref, detail={"result": result, "case": case.number})
    return app


def _owe_result(app: XpsApplication, actor: str, now: datetime) -> None:
    if app.status in ("accepted", "in_progress"):
        app.status = "result_pending"
        _event(app, "competent", "decided", actor=actor, at=now,
               note=("准予 approved" if app.result == "approved" else "不予 refused") + f": {app.result_note[:200]}")


def on_case_event(session: Session, event: Any) -> None:
    """Bus consumer of `case.accept` and `case.respond`: follow the incoming application's case. At least
    once: a second delivery finds the application already moved on and does nothing."""
    payload = event.payload
    if payload.get("type") != TYPE_CODE:
        return
    app = session.scalar(select(XpsApplication).where(XpsApplication.case_id == payload.get("case_id"),
                                                      XpsApplication.direction == "in"))
    if app is None:
        return
    now = utcnow()
    if payload.get("action") == "accept" and app.status == "accepted":
        app.status = "in_progress"
        _event(app, "competent", "in_progress", actor="system", at=now)
    elif payload.get("action") == "respond" and app.status in ("accepted", "in_progress"):
        case = cases.get(session, cases.system(), int(payload["case_id"]))
        if not app.result:  # answered on the generic case page: an answer is a grant unless marked 不予
            app.result = "refused" if (case.response or "").startswith("【不予】") else "approved"
            app.result_note, app.result_at = (case.response or "")[:MAX_NOTE], case.responded_at or now
        _owe_result(app, "system", now)
        app.next_attempt_at = now


# ---------------------------------------------------------------- reading


def get(session: Session, actor: Actor, app_id: int) -> XpsApplication:
    require(actor, "xps.view")
    app = session.get(XpsApplication, app_id)
    if app is None:
        raise NotFound(f"no application {app_id}", key="xps_unknown_ref", ref=str(app_id))
    return app


def read(session: Session, actor: Actor, app_id: int) -> XpsApplication:
    """An application with the applicant's personal data: the read is audited."""
    app = get(session, actor, app_id)
    record(session, actor, "xps.read", "xps_application", app.ref, detail={"direction": app.direction})
    return app


def list_applications(session: Session, actor: Actor, *, direction: str | None = None, status: str | None = None,
                      item: str | None = None, limit: int = 100, offset: int = 0) -> tuple[list[XpsApplication], int]:
    from sqlalchemy import func

    require(actor, "xps.view")
    stmt = select(XpsApplication)
    if direction in ("out", "in"):
        stmt = stmt.where(XpsApplication.direction == direction)
    if status:
        stmt = stmt.where(XpsApplication.status == status)
    if item:
        stmt = stmt.where(XpsApplication.item_code == item)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(XpsApplication.submitted_at.desc(), XpsApplication.id.desc())
                           .limit(min(max(limit, 1), 500)).offset(max(offset, 0))).all()
    return list(rows), int(total)


def material(session: Session, actor: Actor, app_id: int, material_id: int) -> XpsMaterial:
    app = get(session, actor, app_id)
    found = next((m for m in app.materials if m.id == material_id), None)
    if found is None:
        raise NotFound(f"no material {material_id}", key="xps_unknown_ref", ref=str(material_id))
    record(session, actor, "xps.material.read", "xps_application", app.ref,
           detail={"material": found.id, "sha256": found.sha256})
    return found
