"""Registering and maintaining IRS resources from the console (资源登记): a department's data steward for
that department, a platform admin for any. The JSON twins are POST and PATCH /api/v1/catalog/resources.

Routes parse the form, call `digigov.platform.catalog.service` and render; a refusal is an error page,
anything the person can fix re-renders the form with the message and the values they typed.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from digigov.core.errors import DigigovError, InvalidInput
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, translate
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.model import Department
from digigov.identity.permissions import can, require
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.model import KINDS, STATUSES, SYSTEMS, Resource
from digigov.web.pages.common import flash, own_department, redirect, render

router = APIRouter(include_in_schema=False)

ResourceCode = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
RegionCode = Annotated[str, Query(pattern=r"^([0-9]{6})?$")]


class ResourceForm(BaseModel):
    """The register/edit form as typed text; `_fields` checks and converts it for the service."""

    model_config = ConfigDict(extra="ignore")  # csrf_token is checked before the route runs

    kind: str = Field("", max_length=32)
    name: str = Field("", max_length=1000)
    name_en: str = Field("", max_length=1000)
    description: str = Field("", max_length=200_000)
    owner_department: str = Field("", max_length=32)
    region_code: str = Field("", max_length=32)
    system: str = Field("", max_length=32)
    status: str = Field("", max_length=32)
    tags: str = Field("", max_length=200_000)
    functions: str = Field("", max_length=200_000)
    requires_authority: str = Field("", max_length=32)
    budget: str = Field("", max_length=40)
    depends_on: str = Field("", max_length=200_000)


FormIn = Annotated[ResourceForm, Form()]

# A target that no department-bound rule matches: whoever may manage it may manage every department's
# resources (a platform admin), so may pick any owner; the others pick their own department.
ANY_DEPARTMENT = SimpleNamespace(department_id=None, region_code="")
PROVINCE = "330000"
LIST_SEPARATORS = re.compile(r"[,，、;；\r\n]+")
CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")
BUDGET = re.compile(r"^[0-9]+(\.[0-9]+)?$")
AUTHORITY = {"": None, "yes": True, "no": False}
FIELD_LABELS = {  # service field name -> message key of its form label
    "kind": "rform.kind", "name": "rform.name", "name_en": "resource.name_en",
    "description": "common.description", "owner_department": "rform.owner", "system": "common.system",
    "status": "common.status", "tags": "rform.tags", "functions": "rform.functions",
    "requires_authority": "resource.requires_authority", "budget_wan": "resource.budget",
    "depends_on": "rform.depends_on",
}


# ---------------------------------------------------------------- parsing the form


def _split(text: str, separators: re.Pattern[str]) -> list[str]:
    return [part.strip() for part in separators.split(text) if part.strip()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _budget(text: str, lang: str) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    if not BUDGET.match(text):
        raise InvalidInput(translate("rform.bad_budget", lang), field="budget_wan")
    return float(text)


def _authority(text: str, lang: str) -> bool | None:
    if text not in AUTHORITY:
        raise InvalidInput(translate("rform.bad_choice", lang), field="requires_authority")
    return AUTHORITY[text]


def _department_ref(text: str) -> str | int:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text


def _fields(form: dict[str, str], lang: str) -> dict[str, Any]:
    """The service's keyword arguments for what the form holds (kind and dependencies apart)."""
    return {
        "name": form["name"].strip(),
        "name_en": form["name_en"].strip(),
        "description": form["description"].strip(),
        "owner_department": _department_ref(form["owner_department"]),
        "system": form["system"] or None,
        "status": form["status"],
        "tags": _split(form["tags"], LIST_SEPARATORS),
        "functions": _lines(form["functions"]),
        "requires_authority": _authority(form["requires_authority"], lang),
        "budget_wan": _budget(form["budget"], lang),
    }


def _budget_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _form_of(r: Resource) -> dict[str, str]:
    return {
        "kind": r.kind, "name": r.name, "name_en": r.name_en or "", "description": r.description or "",
        "owner_department": str(r.owner_department_id), "region_code": r.region_code,
        "system": r.system or "", "status": r.status, "tags": ", ".join(r.tags or []),
        "functions": "\n".join(r.functions or []), "requires_authority": "yes" if r.requires_authority else "no",
        "budget": _budget_text(r.budget_wan), "depends_on": "",
    }


def _blank_form(actor: Actor, region_code: str) -> dict[str, str]:
    return {
        "kind": "application", "name": "", "name_en": "", "description": "",
        "owner_department": str(actor.department_id or ""), "region_code": region_code or actor.region_code,
        "system": "", "status": "online", "tags": "", "functions": "", "requires_authority": "",
        "budget": "", "depends_on": "",
    }


def _changes(r: Resource, wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value the form changes (so the audit record names only those)."""
    current = {
        "name": r.name, "name_en": r.name_en or "", "description": r.description or "",
        "owner_department": r.owner_department_id, "system": r.system, "status": r.status,
        "tags": list(r.tags or []), "functions": list(r.functions or []),
        "requires_authority": r.requires_authority, "budget_wan": r.budget_wan,
    }
    return {k: v for k, v in wanted.items() if v != current[k]}


def _error_text(exc: DigigovError, lang: str) -> str:
    message = error_text(exc, lang)
    field = exc.detail.get("field")
    if isinstance(field, str) and field in FIELD_LABELS:
        return translate("rform.error_field", lang, field=translate(FIELD_LABELS[field], lang), message=message)
    return translate("rform.error", lang, message=message)


# ---------------------------------------------------------------- rendering


def _owners(session: DB, actor: Actor, region_code: str, resource: Resource | None) -> list[Department]:
    """The departments the owner picker offers: a region's active ones for an admin, else one's own."""
    if can(actor, "catalog.manage", ANY_DEPARTMENT):
        departments, _ = identity.list_departments(session, region_code=region_code or PROVINCE, limit=200)
        owners = [d for d in departments if d.active]
    elif actor.department_id is not None:
        owners = [identity.get_department(session, actor.department_id)]
    else:
        owners = []
    if resource is not None and resource.owner not in owners and resource.region_code == region_code:
        owners.insert(0, resource.owner)
    return owners


def _form_page(request: Request, actor: Actor, session: DB, lang: str, *, form: dict[str, str],
               resource: Resource | None = None, error: DigigovError | None = None,
               status_code: int = 200) -> Response:
    pick_any = can(actor, "catalog.manage", ANY_DEPARTMENT)
    return render(
        request,
        "resource_form.html",
        {
            "form": form,
            "r": resource,
            "owners": _owners(session, actor, form["region_code"], resource),
            "pick_any": pick_any,
            "regions": identity.list_regions(session) if pick_any else [],
            "kinds": KINDS,
            "systems": SYSTEMS,
            "statuses": STATUSES,
            "uses": catalog.dependencies(session, resource) if resource is not None else [],
            "error": _error_text(error, lang) if error is not None else "",
            "error_field": error.detail.get("field") if error is not None else None,
        },
        actor=actor,
        session=session,
        lang=lang,
        status_code=status_code,
    )


def _refused(exc: DigigovError) -> bool:
    """A refusal (not signed in, not allowed) goes to the error handler; the rest back to the form."""
    return exc.http_status in (401, 403)


# ---------------------------------------------------------------- routes


@router.get("/resources/new")
def new_resource_form(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, region_code: RegionCode = ""
) -> Response:
    require(actor, "catalog.manage", own_department(actor))
    return _form_page(request, actor, session, lang, form=_blank_form(actor, region_code))


@router.get("/resources/owner-options")
def owner_options(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, region_code: RegionCode = ""
) -> Response:
    """The owner picker's <option>s for one region (htmx), for whoever may pick any department."""
    require(actor, "catalog.manage", ANY_DEPARTMENT)
    return render(
        request,
        "partials/department_options.html",
        {"departments": _owners(session, actor, region_code, None), "selected": ""},
        lang=lang,
    )


@router.post("/resources/new")
def create_resource(request: Request, actor: CurrentActor, session: DB, lang: Lang, form_in: FormIn) -> Response:
    form = form_in.model_dump()
    depends_on, kind = form_in.depends_on, form_in.kind
    require(actor, "catalog.manage", own_department(actor))  # who gets no form gets a refusal, not a re-render
    try:
        fields = _fields(form, lang)
        with session.begin_nested():
            resource = catalog.create_resource(
                session, actor, kind=kind, depends_on=_split(depends_on, CODE_SEPARATORS), **fields
            )
    except DigigovError as exc:
        if _refused(exc):
            raise
        return _form_page(request, actor, session, lang, form=form, error=exc, status_code=exc.http_status)
    flash(request, translate("rform.created", lang, code=resource.code), "success")
    return redirect(f"/resources/{resource.code}")


@router.get("/resources/{code}/edit")
def edit_resource_form(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, code: ResourceCode
) -> Response:
    resource = catalog.get_resource(session, actor, code)
    require(actor, "catalog.manage", resource)
    return _form_page(request, actor, session, lang, form=_form_of(resource), resource=resource)


@router.post("/resources/{code}/edit")
def update_resource(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, code: ResourceCode, form_in: FormIn
) -> Response:
    resource = catalog.get_resource(session, actor, code)
    require(actor, "catalog.manage", resource)
    form = {**form_in.model_dump(), "kind": resource.kind}  # the kind of a resource never changes
    depends_on = form_in.depends_on
    try:
        changes = _changes(resource, _fields(form, lang))
        uses = _split(depends_on, CODE_SEPARATORS)
        with session.begin_nested():
            if changes:
                catalog.update_resource(session, actor, resource.code, **changes)
            for target in uses:
                catalog.add_dependency(session, actor, resource.code, target)
    except DigigovError as exc:
        if _refused(exc):
            raise
        return _form_page(request, actor, session, lang, form=form, resource=resource, error=exc,
                          status_code=exc.http_status)
    if changes or uses:
        flash(request, translate("rform.saved", lang, code=resource.code), "success")
    else:
        flash(request, translate("rform.unchanged", lang), "info")
    return redirect(f"/resources/{resource.code}")
