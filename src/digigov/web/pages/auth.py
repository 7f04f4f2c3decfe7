"""Log in, log out, and the language switch."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from digigov.core.errors import PermissionDenied
from digigov.core.http import DB, Lang
from digigov.core.i18n import SUPPORTED, translate
from digigov.identity import service as identity
from digigov.identity.http import OptionalActor, check_csrf
from digigov.web.pages.common import flash, redirect, render, safe_next

router = APIRouter(include_in_schema=False)

NextPath = Annotated[str, Query(max_length=2000)]


@router.get("/login")
def login_form(request: Request, actor: OptionalActor, lang: Lang, next: NextPath = "/") -> Response:  # noqa: A002
    if actor is not None:
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""}, lang=lang)


@router.post("/login")
async def login(
    request: Request,
    session: DB,
    lang: Lang,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    target = safe_next(next)
    try:
        await check_csrf(request)
    except PermissionDenied:
        ctx = {"next": target, "error": translate("login.expired", lang), "username": username}
        return render(request, "login.html", ctx, status_code=403, lang=lang)
    settings = request.app.state.settings
    address = request.client.host if request.client else ""
    user, outcome = identity.authenticate(
        session,
        username.strip(),
        password,
        address=address,
        max_failures=settings.login_max_failures,
        lock_seconds=settings.login_lock_seconds,
    )
    if user is None:
        key = "login.throttled" if outcome == "throttled" else "login.failed"
        status = 429 if outcome == "throttled" else 401
        ctx = {"next": target, "error": translate(key, lang), "username": username}
        return render(request, "login.html", ctx, status_code=status, lang=lang)
    # A fresh session: nothing from before the login survives (session fixation), new CSRF token.
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)
    return redirect(target)


@router.post("/logout")
async def logout(request: Request, lang: Lang, actor: OptionalActor) -> Response:
    # optional_actor has checked the CSRF token of a logged-in session.
    request.session.clear()
    flash(request, translate("login.logged_out", lang))
    return redirect("/login")


@router.get("/lang/{code}")
def switch_language(code: Annotated[str, Path(max_length=8)], next: NextPath = "/") -> Response:  # noqa: A002
    response = redirect(safe_next(next))
    if code in SUPPORTED:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
