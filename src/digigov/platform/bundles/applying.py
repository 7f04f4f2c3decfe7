"""Applying for a bundle: who it is about and what the departments prefill (`identify`), then `apply`: the merged form
validated, the materials checked, the application recorded and fanned out, one case per item in its department's
inbox."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core import bus, workdays
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.bundles import access, catalogue, process
from digigov.platform.bundles import prefill as prefilling
from digigov.platform.bundles.case_type import TYPE_CODE
from digigov.platform.bundles.common import (
    MAX_FILES,
    MAX_MATERIAL_BYTES,
    MAX_TEXTAREA,
    MAX_VALUE,
    calendar,
    clean_text,
    event_payload,
    mask_id,
)
from digigov.platform.bundles.design import merged, published
from digigov.platform.bundles.merge import MergedForm
from digigov.platform.bundles.model import (
    BundleApplication,
    BundleDefinition,
    BundleItemRun,
    BundleMaterial,
)
from digigov.platform.cases import service as cases
from digigov.platform.cases.sla import LOCAL
from digigov.platform.standards import masking, registry, validators
from digigov.platform.warehouse.service import masking_key


@dataclass(frozen=True)
class Upload:
    key: str  # the merged material's key (subject.material)
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class Identified:
    """What the form page shows once the applicant has said who the application is about."""

    definition: BundleDefinition
    form: MergedForm
    subjects: dict[str, str]
    prefill: prefilling.PrefillResult


def _check_id(number: str, who: str) -> str:
    text = validators.normalise(number or "").upper().replace(" ", "")
    reason = validators.citizen_id(text)
    if reason is not None:
        sub = catalogue.subject(who)
        raise InvalidInput(f"bad ID number of {who}: {reason}", key="bundle_id_number",
                           who=sub.name if sub else who, reason=reason, field=f"id_{who}")
    return text


def _subjects(form: MergedForm, subjects: dict[str, str]) -> dict[str, str]:
    """The resident ID numbers given, checked; those the form requires must be there."""
    out: dict[str, str] = {}
    for sub in form.subjects():
        number = (subjects.get(sub) or "").strip()
        required = sub == "applicant" or any(f.required for f in form.fields
                                             if f.subject == sub and f.element == "citizen_id")
        if number or required:
            out[sub] = _check_id(number, sub)
    return out


def identify(session: Session, actor: Actor, code: str, *, applicant_name: str, subjects: dict[str, str],
             now: datetime | None = None) -> Identified:
    """Check who the application is about and prefill what the departments hold about them (audited)."""
    require(actor, "bundles.apply")
    d = published(session, code)
    name = clean_text(applicant_name, 80)
    if not name:
        raise InvalidInput("the applicant's name is required", key="bundle_applicant_name", field="applicant_name")
    form = merged(session, d)
    checked = _subjects(form, subjects)
    result = prefilling.prefill(session, actor, form, checked, applicant_name=name,
                                purpose=f"{d.name}：申请表预填（一表申请）", context={"bundle": d.code}, now=now)
    return Identified(d, form, checked, result)


def display_value(subject: str | None, element: str | None, value: str) -> str:
    """A prefilled value as the form shows it: the applicant's own in clear; another person's (the mother, the
    deceased) masked by the data element's rule when it is graded L3 or above (the value itself is used on
    submission, read again on the server)."""
    if subject == "applicant" or not element or not value:
        return value
    el = registry.elements().get(element)
    if el is None or el.grade in ("L1", "L2") or not el.masking:
        return value
    return str(masking.RULES[el.masking].python(value, masking_key()) or "")


def _valid(element: str | None, ftype: str, value: str, choices: Sequence[str]) -> bool:
    if ftype == "choice":
        return value in choices
    if ftype == "date" or element in ("birth_date", "death_date"):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return False
        return day <= date.today() if element in ("birth_date", "death_date") else True
    if ftype == "number":
        try:
            return float(value) >= 0
        except ValueError:
            return False
    if element == "citizen_id":
        return validators.citizen_id(value) is None
    if element in ("mobile", "bank_card", "person_name", "address"):
        return validators.matches(element, value)
    return True


def _values(form: MergedForm, posted: dict[str, str], identified: Identified, applicant_name: str
            ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    values: dict[str, str] = {}
    sources: dict[str, dict[str, Any]] = {}
    for f in form.fields:
        pre = identified.prefill.values.get(f.key)
        if f.subject == "applicant" and f.element == "person_name":
            value = applicant_name
        elif f.identity and f.subject:
            value = identified.subjects.get(f.subject, "")
        elif pre is not None:
            value = pre.value
            s = pre.source
            sources[f.key] = {"dataset": s.dataset, "dataset_name": s.dataset_name, "owner": s.owner_name,
                              "department": s.department_name, "basis": s.basis, "grant": s.grant_id}
        else:
            limit = MAX_TEXTAREA if f.type == "textarea" else MAX_VALUE
            value = clean_text(posted.get(f.key, ""), limit)
        if not value:
            if f.required:
                raise InvalidInput(f"{f.key} is required", key="bundle_field_required", label=f.label, field=f.key)
            continue
        if not _valid(f.element, f.type, value, f.choices):
            raise InvalidInput(f"{f.key} is not valid", key="bundle_field_invalid", label=f.label, field=f.key)
        values[f.key] = value
    return values, sources


def _check_uploads(form: MergedForm, uploads: Sequence[Upload]) -> None:
    if len(uploads) > MAX_FILES:
        raise InvalidInput("too many files", key="bundle_too_many_files", limit=MAX_FILES)
    wanted = {m.key: m for m in form.materials if m.submit}
    for u in uploads:
        m = wanted.get(u.key)
        if m is None:
            raise InvalidInput(f"{u.key} is not a material to upload", key="bundle_material_unknown",
                               name=u.key[:60])
        if not u.content:
            raise InvalidInput(f"{u.key} is empty", key="bundle_material_empty", name=m.name)
        if len(u.content) > MAX_MATERIAL_BYTES:
            raise InvalidInput(f"{u.key} is too large", key="bundle_material_too_large", name=m.name,
                               limit=MAX_MATERIAL_BYTES)
    missing = [m.name for key, m in wanted.items() if key not in {u.key for u in uploads}]
    if missing:
        raise InvalidInput("materials missing", key="bundle_materials_missing", missing=missing)


def _item_summary(item: catalogue.Item, form: MergedForm, values: dict[str, str]) -> dict[str, str]:
    """The item's own fields with the applicant's values (what its department needs, and nothing else)."""
    out = {}
    for f in item.fields:
        key = f.key or f"{item.code}:{f.id}"
        if key in values:
            out[f.id] = values[key]
    return out


def apply(session: Session, actor: Actor, code: str, *, applicant_name: str, subjects: dict[str, str],
          values: dict[str, str], uploads: Sequence[Upload] = (), channel: str = "online",
          now: datetime | None = None) -> BundleApplication:
    """Record an application for a published bundle and fan it out: one case per item in its department's inbox."""
    now = now or utcnow()
    identified = identify(session, actor, code, applicant_name=applicant_name, subjects=subjects, now=now)
    d, form = identified.definition, identified.form
    name = clean_text(applicant_name, 80)
    form_values, sources = _values(form, values, identified, name)
    _check_uploads(form, uploads)
    lead = access.lead_department(session, d.region_code, d.lead_kind)
    cal = calendar(session)
    app = BundleApplication(
        receipt=f"YJS{now.astimezone(LOCAL):%Y%m%d}{secrets.token_hex(3).upper()}",
        token=secrets.token_urlsafe(24), bundle_id=d.id, bundle_code=d.code, region_code=d.region_code,
        lead_department_id=lead.id if lead else None, channel="window" if channel == "window" else "online",
        applicant_name=name, applicant_id_number=identified.subjects["applicant"],
        applicant_phone=form_values.get("applicant.mobile", "")[:32], subjects=dict(identified.subjects),
        form=form_values, prefilled=sources, items=list(d.items), time_limit=d.time_limit, status="in_progress",
        result="", result_note="", submitted_by=actor.username[:64], submitted_at=now,
        due_at=workdays.add_workdays(cal, now, d.time_limit), rating_comment="",
    )
    for u in uploads:
        m = next(x for x in form.materials if x.key == u.key)
        app.materials.append(BundleMaterial(material_key=u.key, name=m.name, filename=(u.filename or "file")[-200:],
                                            content_type=(u.content_type or "application/octet-stream")[:100],
                                            size=len(u.content), sha256=hashlib.sha256(u.content).hexdigest(),
                                            content=u.content, uploaded_at=now))
    session.add(app)
    session.flush()
    wf = process.start(list(d.items))
    for item_code in process.state(wf).waiting_items:
        _open_item(session, app, d, form, catalogue.item(item_code), form_values, now)
    app.workflow = process.dump(wf)
    session.flush()
    record(session, actor, "bundles.apply", "bundle_application", app.receipt,
           detail={"bundle": d.code, "applicant": mask_id(app.applicant_id_number), "items": list(d.items),
                   "prefilled": sorted(sources), "channel": app.channel,
                   "materials": [m.sha256 for m in app.materials]})
    bus.publish(session, "bundle.submitted", event_payload(app))
    return app


def _open_item(session: Session, app: BundleApplication, d: BundleDefinition, form: MergedForm,
               item: catalogue.Item, values: dict[str, str], now: datetime) -> BundleItemRun:
    handler = form.handlers[item.code]
    if handler.department_id is None:
        raise Conflict("departments missing", key="bundle_no_department", region=d.region_code,
                       departments=handler.department_code)
    own = _item_summary(item, form, values)
    who = f"{app.applicant_name}（{mask_id(app.applicant_id_number)}）"
    lines = [f"一件事“{d.name}”受理编号 {app.receipt}，申请人 {who}。",
             f"本部门办理事项：{item.name}。" + (f"合作方：{item.partner}。" if item.external else ""),
             "申请信息（一表申请中本事项所需部分）："]
    lines += [f"· {f.label}：{own[f.id]}" for f in item.fields if f.id in own]
    lines.append(f"申请材料与办理入口：/bundles/applications/{app.id}")
    case = cases.open_case(
        session, cases.system(), TYPE_CODE, title=f"【{d.name}】{item.name}", description="\n".join(lines),
        category=item.code, channel="app" if app.channel == "online" else "web", region_code=handler.region_code,
        citizen_name=app.applicant_name, citizen_phone=app.applicant_phone,
        data={"bundle_receipt": app.receipt, "bundle": d.code, "application_id": app.id, "item": item.code,
              "form": own},
        subject_key=f"bundle:{app.receipt}:{item.code}", now=now)
    due = workdays.add_workdays(calendar(session), now, min(item.time_limit, app.time_limit))
    cases.assign(session, cases.system(), case.id, handler.department_code, due_at=due, now=now,
                 note=f"一件事并联办理：{d.name}（{app.receipt}）")
    run = BundleItemRun(item_code=item.code, department_id=handler.department_id, case_id=case.id, status="open",
                        outcome="", note="", certificate="", decided_by="")
    app.runs.append(run)
    return run
