"""My API tokens: create one (its secret shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from digigov.core.http import DB, Lang
from digigov.core.i18n import translate
from digigov.identity import service as identity
from digigov.identity.api import token_active
from digigov.identity.http import CurrentActor
from digigov.web.pages.common import flash, redirect, render

router = APIRouter(prefix="/profile", include_in_schema=False)


def _page(
    request: Request, actor: CurrentActor, session: DB, lang: str, secret: str | None = None
) -> Response:
    rows = identity.list_tokens(session, actor, actor.username)
    return render(
        request,
        "tokens.html",
        {
            "tokens": sorted(rows, key=lambda t: t.id, reverse=True),
            "secret": secret,
            "active": token_active,
        },
        actor=actor,
        session=session,
        lang=lang,
    )


@router.get("/tokens")
def tokens_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return _page(request, actor, session, lang)


@router.post("/tokens")
def create_token(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    name: Annotated[str, Form(min_length=1, max_length=64)] = "api",
    expires_days: Annotated[str, Form(max_length=5, pattern=r"^[0-9]*$")] = "",
) -> Response:
    """Create a token and show its secret in this response only (never in a redirect or the session)."""
    days = int(expires_days) if expires_days else None
    _, secret = identity.create_token(
        session, actor, actor.username, name=name, expires_days=days if days and days > 0 else None
    )
    return _page(request, actor, session, lang, secret=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    actor: CurrentActor,
    session: DB,
    lang: Lang,
    token_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> Response:
    identity.revoke_token(session, actor, token_id)
    flash(request, translate("tokens.revoked_msg", lang, id=token_id), "success")
    return redirect("/profile/tokens")
