"""IRS pages (一体化数字资源系统): home shelves, search, resource detail, cart, requests, approvals and
the duplicate-construction check. Their JSON twins are in digigov.platform.catalog.api."""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, translate
from digigov.identity.http import CurrentActor
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.model import KINDS, SYSTEMS
from digigov.web.pages.common import flash, pagination, redirect, render

router = APIRouter(include_in_schema=False)

PAGE = 20
MAX_ID = 2_147_483_647
Kind = Literal["", "application", "dataset", "component", "cloud_resource"]
System = Literal[
    "", "party_governance", "digital_government", "digital_economy", "digital_society", "rule_of_law"
]
Tier = Literal["", "province", "city", "county"]
ResourceCode = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _user_error(exc: DigigovError) -> bool:
    """Errors a person fixes on the form (shown as a message), as opposed to refusals and missing objects."""
    return exc.http_status in (409, 422)


@router.get("/")
def home(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    counts = catalog.shelf_counts(session, actor)
    shelves = []
    for kind in KINDS:
        top = catalog.search(session, actor, "", kind=kind, limit=5).hits if counts.get(kind) else []
        shelves.append({"kind": kind, "count": counts.get(kind, 0), "top": top})
    return render(
        request,
        "home.html",
        {"shelves": shelves, "systems": SYSTEMS},
        actor=actor,
        session=session,
        lang=lang,
    )


@router.get("/search")
def search_page(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[Kind, Query()] = "",
    system: Annotated[System, Query()] = "",
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    tier: Annotated[Tier, Query()] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    result = catalog.search(
        session,
        actor,
        q,
        kind=kind or None,
        system=system or None,
        department_id=department_id,
        tier=tier or None,
        limit=PAGE,
        offset=offset,
    )
    filters = {"kind": kind, "system": system, "department_id": str(department_id or ""), "tier": tier}
    facet_param = {"kind": "kind", "system": "system", "department": "department_id", "tier": "tier"}
    facet_tables = {"kind": "KIND_LABELS", "system": "SYSTEM_LABELS", "tier": "TIER_LABELS"}
    return render(
        request,
        "search.html",
        {
            "q": q,
            "result": result,
            "filters": filters,
            "facet_param": facet_param,
            "facet_tables": facet_tables,
            "page": pagination(result.total, PAGE, offset),
            "cart_codes": _cart_codes(session, actor),
        },
        actor=actor,
        session=session,
        lang=lang,
    )


def _cart_codes(session: DB, actor: CurrentActor) -> set[str]:
    return {item.resource.code for item in catalog.cart_items(session, actor)}


@router.get("/resources/{code}")
def resource_page(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, code: ResourceCode
) -> Response:
    resource = catalog.get_resource(session, actor, code)
    return render(
        request,
        "resource.html",
        {
            "r": resource,
            "uses": catalog.dependencies(session, resource),
            "used_by": catalog.dependents(session, resource),
            "in_cart": resource.code in _cart_codes(session, actor),
        },
        actor=actor,
        session=session,
        lang=lang,
    )


@router.post("/cart/items/{code}")
def cart_add(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: ResourceCode) -> Response:
    """Add to the cart; an htmx call gets the new button and the top bar's count, others a redirect."""
    item = catalog.cart_add(session, actor, code)
    if _is_htmx(request):
        return render(
            request,
            "partials/cart_added.html",
            {"code": item.resource.code, "oob": True},
            actor=actor,
            session=session,
            lang=lang,
        )
    flash(request, translate("cart.added", lang), "success")
    return redirect(f"/resources/{item.resource.code}")


@router.post("/cart/items/{code}/remove")
def cart_remove(request: Request, actor: CurrentActor, session: DB, code: ResourceCode) -> Response:
    catalog.cart_remove(session, actor, code)
    return redirect("/cart")


@router.get("/cart")
def cart_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    items = catalog.cart_items(session, actor)
    groups: OrderedDict[str, list[object]] = OrderedDict()
    for item in sorted(items, key=lambda i: (i.resource.owner.name, i.resource.code)):
        groups.setdefault(item.resource.owner.name, []).append(item)
    return render(
        request, "cart.html", {"groups": groups, "count": len(items)}, actor=actor, session=session, lang=lang
    )


@router.post("/cart/submit")
def cart_submit(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    purpose: Annotated[str, Form(max_length=2000)] = "",
    legal_basis: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            req = catalog.submit_cart(
                session, actor, purpose=purpose.strip(), legal_basis=legal_basis.strip()
            )
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect("/cart")
    flash(request, translate("cart.submitted", lang, id=req.id), "success")
    return redirect(f"/requests/{req.id}")


@router.get("/requests")
def requests_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return render(
        request,
        "requests.html",
        {"requests": catalog.my_requests(session, actor)},
        actor=actor,
        session=session,
        lang=lang,
    )


@router.get("/requests/{request_id}")
def request_page(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Response:
    return render(
        request,
        "request_detail.html",
        {"req": catalog.get_request(session, actor, request_id)},
        actor=actor,
        session=session,
        lang=lang,
    )


@router.get("/inbox")
def inbox_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return render(
        request,
        "inbox.html",
        {
            "items": catalog.inbox(session, actor),
            "to_provision": catalog.provisionable(session, actor),
        },
        actor=actor,
        session=session,
        lang=lang,
    )


@router.post("/inbox/{item_id}/decide")
def decide(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    item_id: ItemId,
    decision: Annotated[Literal["approve", "refuse"], Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            catalog.decide(session, actor, item_id, approve=decision == "approve", comment=comment.strip())
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect("/inbox")
    flash(request, translate("inbox.decided", lang, id=item_id), "success")
    return redirect("/inbox")


@router.post("/inbox/{item_id}/provision")
def provision(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    item_id: ItemId,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            catalog.provision(session, actor, item_id, note=note.strip())
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect("/inbox")
    flash(request, translate("inbox.provisioned", lang, id=item_id), "success")
    return redirect("/inbox")


def _duplicate_page(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: str,
    *,
    check: object = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "duplicate_check.html",
        {
            "check": check,
            "form": form or {"name": "", "description": "", "functions": "", "budget": ""},
            "history": catalog.list_duplicate_checks(session, actor, limit=20),
        },
        actor=actor,
        session=session,
        lang=lang,
        status_code=status_code,
    )


@router.get("/duplicate-check")
def duplicate_form(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return _duplicate_page(request, actor, session, lang)


@router.post("/duplicate-check")
def duplicate_run(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    functions: Annotated[str, Form(max_length=20000)] = "",
    budget: Annotated[str, Form(max_length=20, pattern=r"^\s*([0-9]+(\.[0-9]+)?)?\s*$")] = "",
) -> Response:
    form = {"name": name, "description": description, "functions": functions, "budget": budget}
    lines = [line.strip() for line in functions.splitlines() if line.strip()]
    try:
        with session.begin_nested():
            check = catalog.check_duplicates(
                session,
                actor,
                name=name.strip(),
                description=description.strip(),
                functions=lines,
                budget_wan=float(budget) if budget.strip() else None,
                proposer_department=actor.department_id,
            )
    except DigigovError as exc:
        if not _user_error(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return _duplicate_page(request, actor, session, lang, form=form, status_code=exc.http_status)
    return _duplicate_page(request, actor, session, lang, check=check, form=form)
