"""Platform administration: users (create, roles, enable/disable, reset password) and departments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, translate
from digigov.identity import service as identity
from digigov.identity.http import CurrentActor
from digigov.identity.model import ROLES
from digigov.identity.permissions import require
from digigov.identity.regions import department_kinds
from digigov.web.pages.common import flash, pagination, redirect, render, safe_next

router = APIRouter(prefix="/admin", include_in_schema=False)

PAGE = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
UsernamePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.]+$")]
RegionCode = Annotated[str | None, Query(pattern=r"^([0-9]{6})?$")]


def _kinds(lang: str) -> list[tuple[str, str]]:
    return [(k.kind, k.name_en if lang == "en" else k.name) for k in department_kinds()]


@router.get("/users")
def users_page(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    q: Annotated[str, Query(max_length=64)] = "",
    offset: Offset = 0,
    region_code: RegionCode = None,
) -> Response:
    rows, total = identity.list_users(session, actor, q=q or None, limit=PAGE, offset=offset)
    region = region_code or "330000"
    departments, _ = identity.list_departments(session, region_code=region, limit=100)
    return render(
        request,
        "admin_users.html",
        {
            "users": rows,
            "q": q,
            "page": pagination(total, PAGE, offset),
            "roles": ROLES,
            "regions": identity.list_regions(session),
            "region_code": region,
            "departments": departments,
        },
        actor=actor,
        session=session,
        lang=lang,
    )


@router.get("/department-options", response_class=HTMLResponse)
def department_options(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, region_code: RegionCode = None
) -> Response:
    """The <option>s of one region's departments, for the user form's department picker (htmx)."""
    require(actor, "admin.users")
    departments, _ = identity.list_departments(session, region_code=region_code or "330000", limit=100)
    return render(request, "partials/department_options.html", {"departments": departments}, lang=lang)


@router.post("/users")
def create_user(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    department: Annotated[int, Form(ge=1, le=2_147_483_647)],
    display_name: Annotated[str, Form(max_length=64)] = "",
    roles: Annotated[list[str], Form(max_length=5)] = [],  # noqa: B006 - FastAPI reads this default
) -> Response:
    try:
        with session.begin_nested():
            user = identity.create_user(
                session,
                actor,
                username=username,
                display_name=display_name,
                password=password,
                department=department,
                roles=roles,
            )
    except DigigovError as exc:
        if exc.http_status == 403:
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect("/admin/users")
    flash(request, translate("admin.users.created", lang, username=user.username), "success")
    return redirect("/admin/users?q=" + user.username)


@router.post("/users/{username}")
def update_user(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    username: UsernamePath,
    active: Annotated[bool | None, Form()] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
) -> Response:
    """Enable/disable a user (`active`) or reset their password (`password`)."""
    try:
        with session.begin_nested():
            identity.update_user(session, actor, username, active=active, password=password or None)
    except DigigovError as exc:
        if exc.http_status in (403, 404):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect("/admin/users?q=" + username)
    flash(request, translate("admin.users.updated", lang, username=username), "success")
    return redirect("/admin/users?q=" + username)


@router.get("/departments")
def departments_page(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    region_code: RegionCode = None,
    kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]*$")] = None,
    q: Annotated[str, Query(max_length=64)] = "",
    offset: Offset = 0,
) -> Response:
    require(actor, "admin.departments")
    rows, total = identity.list_departments(
        session, region_code=region_code or None, kind=kind or None, q=q or None, limit=PAGE, offset=offset
    )
    return render(
        request,
        "admin_departments.html",
        {
            "departments": rows,
            "page": pagination(total, PAGE, offset),
            "regions": identity.list_regions(session),
            "kinds": _kinds(lang),
            "region_code": region_code or "",
            "kind": kind or "",
            "q": q,
        },
        actor=actor,
        session=session,
        lang=lang,
    )


@router.post("/departments/{department_id}")
def update_department(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    department_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    active: Annotated[bool, Form()],
    back: Annotated[str, Form(max_length=500)] = "/admin/departments",
) -> Response:
    dept = identity.set_department_active(session, actor, department_id, active)
    flash(request, translate("admin.departments.updated", lang, name=dept.name), "success")
    return redirect(safe_next(back, "/admin/departments"))
