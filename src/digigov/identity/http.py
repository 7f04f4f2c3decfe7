"""Who is calling: a bearer token (API clients) or a signed session cookie (the console).

Session-cookie callers must send the CSRF token on every unsafe method, as the form field `csrf_token`
or the header `X-CSRF-Token`; bearer-token callers need none (a browser never adds that header itself).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from digigov.core.errors import NotAuthenticated, PermissionDenied
from digigov.core.http import DB
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf", "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = str(form.get(CSRF_FIELD, ""))
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise PermissionDenied("CSRF token missing or wrong", action="csrf")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


async def optional_actor(request: Request, session: DB) -> Actor | None:
    """The caller, or None for an anonymous request. Sets request.state.actor for logs and handlers."""
    secret = _bearer(request)
    actor: Actor | None = None
    if secret:
        actor = Actor.from_user(identity.resolve_token(session, secret), via="api")
    else:
        user_id = request.session.get("user_id") if "session" in request.scope else None
        if user_id is not None:
            user = session.get(User, int(user_id))
            if user is None or not user.active:
                request.session.clear()
            else:
                await check_csrf(request)
                actor = Actor.from_user(user, via="web")
    request.state.actor = actor
    return actor


async def current_actor(actor: Annotated[Actor | None, Depends(optional_actor)]) -> Actor:
    if actor is None:
        raise NotAuthenticated("log in or send a bearer token")
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
