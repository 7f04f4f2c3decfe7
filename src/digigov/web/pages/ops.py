"""Operations endpoints: liveness, readiness, Prometheus metrics, and the self-hosted API docs."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from digigov.migrations.runner import alembic_config, current
from digigov.web.pages.common import templates

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (no dependency is checked)."""
    return {"status": "ok"}


def _script_head(bind: Any) -> str | None:
    engine = bind if isinstance(bind, Engine) else bind.engine
    return ScriptDirectory.from_config(alembic_config(engine.url.render_as_string())).get_current_head()


def _readiness(factory: sessionmaker[Session]) -> dict[str, Any]:
    bind = factory.kw["bind"]
    out: dict[str, Any] = {"store": "ok", "migrations": "ok"}
    with factory() as session:
        session.execute(text("SELECT 1"))
        if not isinstance(bind, Engine):  # a connection handed in by tests: read the revision through the session
            revision = MigrationContext.configure(session.connection()).get_current_revision()
    if isinstance(bind, Engine):  # after the session is closed: a second transaction would wait on its lock
        revision = current(bind)
    head = _script_head(bind)
    out["revision"], out["head"] = revision, head
    if revision != head:
        out["migrations"] = "behind"
    return out


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Ready when the store answers and its schema is at the newest migration."""
    try:
        result = _readiness(request.app.state.session_factory)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported, not raised
        return JSONResponse(
            {"status": "unavailable", "store": "error", "error": type(exc).__name__}, status_code=503
        )
    ready = result["migrations"] == "ok"
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", **result}, status_code=200 if ready else 503
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI from the npm-installed files under /static/vendor (no CDN)."""
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
