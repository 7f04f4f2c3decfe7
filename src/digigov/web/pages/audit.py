"""The audit log for auditors: filter the hash-chained records and verify the chain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from digigov.audit import service as audit
from digigov.core.http import DB, Lang
from digigov.identity.http import CurrentActor
from digigov.platform.federation import log as federation_log
from digigov.web.pages.common import pagination, render

router = APIRouter(include_in_schema=False)

PAGE = 50
Text = Annotated[str, Query(max_length=80)]


@router.get("/audit")
def audit_page(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    actor_name: Annotated[str, Query(alias="actor", max_length=80)] = "",
    action: Text = "",
    object_type: Text = "",
    result: Annotated[Literal["", "ok", "denied", "failed"], Query()] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    rows, total = audit.search(
        session,
        actor,
        actor_name=actor_name or None,
        action=action or None,
        object_type=object_type or None,
        result=result or None,
        limit=PAGE,
        offset=offset,
    )
    filters = {"actor": actor_name, "action": action, "object_type": object_type, "result": result}
    return render(
        request,
        "audit.html",
        {"records": rows, "filters": filters, "page": pagination(total, PAGE, offset)},
        actor=actor,
        session=session,
        lang=lang,
    )


@router.post("/audit/verify")
def verify_chain(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    """Verify the chain; answers the htmx button with the result banner."""
    res = audit.verify(session, actor)
    messages = federation_log.verify(session, actor)  # the federation message log is hash-chained too
    return render(request, "partials/verify_result.html", {"result": res, "messages": messages}, lang=lang)
