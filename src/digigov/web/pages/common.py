"""What every page router shares: the Jinja2 environment, `render`, flash messages and safe redirects."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from digigov.core.http import get_lang
from digigov.core.i18n import translate
from digigov.identity.actor import Actor
from digigov.identity.http import csrf_token
from digigov.identity.model import ROLE_NAMES
from digigov.identity.permissions import can
from digigov.platform.catalog import labels
from digigov.web import i18n as _messages  # noqa: F401  (registers the console's messages)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


BEIJING = timezone(timedelta(hours=8), "CST")


def _fmt_dt(value: datetime | str | None) -> str:
    """A timestamp in Beijing time (UTC+8, no daylight saving), as the console's users read it."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _pretty_json(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


templates.env.filters["dt"] = _fmt_dt
templates.env.filters["pjson"] = _pretty_json
templates.env.filters["pct"] = lambda v: f"{float(v or 0) * 100:.0f}%"


def is_local_path(target: str | None) -> bool:
    """Whether `target` is a path on this site (so a redirect to it cannot leave it)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 32 or c == "\\" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str = "/") -> str:
    return target if target and is_local_path(target) else default


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once on the next page (kept in the signed session cookie)."""
    items = list(request.session.get("flash", []))
    items.append([kind, message[:300]])
    request.session["flash"] = items[-3:]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def pagination(total: int, limit: int, offset: int) -> dict[str, int]:
    pages = max(1, math.ceil(total / limit)) if limit else 1
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "page": offset // limit + 1 if limit else 1,
        "pages": pages,
    }


def _cart_count(session: Session | None, actor: Actor | None) -> int | None:
    if session is None or actor is None or actor.user_id is None:
        return None
    from digigov.platform.catalog import service as catalog

    return len(catalog.cart_items(session, actor))


def own_department(actor: Actor) -> SimpleNamespace:
    """The actor's own department as a permission target (the attributes the rules read), as in
    `can('catalog.manage', own_department)`: may the actor manage what its department owns?"""
    return SimpleNamespace(department_id=actor.department_id, region_code=actor.region_code)


def base_context(
    request: Request, actor: Actor | None = None, session: Session | None = None, lang: str | None = None
) -> dict[str, Any]:
    lang = lang or get_lang(request)
    t = partial(translate, lang=lang)
    has_session = "session" in request.scope
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    path_qs = request.url.path + ("?" + urlencode(keep) if keep else "")
    other = "en" if lang == "zh" else "zh"

    def lbl(table: str, code: str | None) -> str:
        return labels.label(getattr(labels, table), code, lang)

    def nm(obj: Any) -> str:
        """A resource's or department's name in the page language (Chinese unless English exists)."""
        zh = getattr(obj, "name", "") or ""
        return (getattr(obj, "name_en", "") or zh) if lang == "en" else zh

    def role_label(role: str) -> str:
        zh, en = ROLE_NAMES.get(role, (role, role))
        return en if lang == "en" else zh

    def qs(**params: Any) -> str:
        """The current query string with `params` replaced (None removes a key); offset resets."""
        current = {k: v for k, v in request.query_params.items() if k not in ("offset",)}
        for key, value in params.items():
            if value is None or value == "":
                current.pop(key, None)
            else:
                current[key] = str(value)
        return "?" + urlencode(current) if current else "?"

    return {
        "request": request,
        "lang": lang,
        "other_lang": other,
        "t": t,
        "lbl": lbl,
        "role_label": role_label,
        "nm": nm,
        "qs": qs,
        "actor": actor,
        "can": (lambda action, target=None: actor is not None and can(actor, action, target)),
        "own_department": own_department(actor) if actor is not None else None,
        "csrf": csrf_token(request) if has_session else "",
        "flashes": request.session.pop("flash", []) if has_session else [],
        "cart_count": _cart_count(session, actor),
        "lang_switch_url": f"/lang/{other}?" + urlencode({"next": path_qs}),
        "current_path": request.url.path,
        "search_q": request.query_params.get("q", "") if request.url.path == "/search" else "",
    }


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
    session: Session | None = None,
    status_code: int = 200,
    lang: str | None = None,
    using: Jinja2Templates | None = None,
) -> HTMLResponse:
    """Render `name` with the base context; `using` is an application's own templates (see `app_templates`)."""
    ctx = base_context(request, actor, session, lang)
    ctx.update(context or {})
    return (using or templates).TemplateResponse(request, name, ctx, status_code=status_code)


def app_templates(directory: Path) -> Jinja2Templates:
    """An application's templates: its own folder first, then the platform's (base.html, macros), with the same
    filters and globals, so that removing the application's package removes its pages."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    own = Jinja2Templates(directory=str(directory))
    own.env.loader = ChoiceLoader([FileSystemLoader(str(directory)), templates.env.loader])  # type: ignore[list-item]
    own.env.trim_blocks = templates.env.trim_blocks
    own.env.lstrip_blocks = templates.env.lstrip_blocks
    own.env.filters.update(templates.env.filters)
    own.env.globals.update(templates.env.globals)
    return own


def wants_json(request: Request) -> bool:
    """An API path, or a client that asks for JSON rather than a page."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
