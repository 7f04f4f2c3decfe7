"""The FastAPI application factory: middleware, error handling, routers, health and metrics.

`create_app()` serves the console pages (Jinja2 + htmx), the JSON API under /api/v1, `/healthz`,
`/readyz`, `/metrics` and self-hosted API docs at `/docs`. Every response carries a
Content-Security-Policy that allows only this origin and no inline script.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import digigov
import digigov.platform.sharing.federated  # noqa: F401  (registers the sharing.* federation messages)
from digigov import worker
from digigov.apps import registry as apps
from digigov.audit import service as audit
from digigov.audit.api import router as audit_api
from digigov.audit.model import AuditRecord
from digigov.core import bus
from digigov.core.db import make_engine, make_session_factory
from digigov.core.errors import DigigovError, NotAuthenticated, PermissionDenied
from digigov.core.http import get_lang
from digigov.core.i18n import error_text
from digigov.core.settings import Settings, get_settings
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.identity.actor import Actor
from digigov.identity.api import router as identity_api
from digigov.identity.model import User
from digigov.platform.cases.api import public as track_api
from digigov.platform.cases.api import router as cases_api
from digigov.platform.cases.model import Case
from digigov.platform.catalog import text as catalog_text
from digigov.platform.catalog.api import router as catalog_api
from digigov.platform.catalog.model import Resource
from digigov.platform.exchange.api import router as exchange_api
from digigov.platform.federation.api import router as federation_api
from digigov.platform.indicators.api import router as indicators_api
from digigov.platform.ingest.api import router as ingest_api
from digigov.platform.opendata.api import router as opendata_api
from digigov.platform.quality.api import router as quality_api
from digigov.platform.rules import api as rules_api
from digigov.platform.sharing.api import router as sharing_api
from digigov.platform.standards.api import router as standards_api
from digigov.platform.warehouse.api import router as warehouse_api
from digigov.web.busy_retry import BusyRetryMiddleware
from digigov.web.pages import (
    admin,
    auth,
    cases,
    catalog,
    cockpits,
    datasets,
    ops,
    quality,
    resources,
    standards,
    tokens,
)
from digigov.web.pages import audit as audit_pages
from digigov.web.pages import bundles as bundles_pages
from digigov.web.pages import entities as entities_pages
from digigov.web.pages import lists as lists_pages
from digigov.web.pages import opendata as opendata_pages
from digigov.web.pages import rules as rules_pages
from digigov.web.pages import sharing as sharing_pages
from digigov.web.pages.common import render, wants_json

STATIC_DIR = Path(__file__).resolve().parent / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("digigov.access")


class Metrics:
    """Prometheus metrics of one app, in its own registry (so several apps can live in one process)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "digigov_http_requests_total",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "digigov_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(session_factory))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)


class _StoreCollector:
    """Gauges read from the store at scrape time: users, catalogue resources, audit records, open cases,
    the bus outbox and each consumer's lag."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Any:
        gauges = (
            ("digigov_users", "User accounts", User.id),
            ("digigov_catalog_resources", "Resources in the IRS catalogue", Resource.id),
            ("digigov_audit_records", "Records in the audit chain", AuditRecord.seq),
        )
        with self.session_factory() as session:
            for name, doc, column in gauges:
                value = session.scalar(select(func.count(column))) or 0
                yield GaugeMetricFamily(name, doc, value=float(value))
            cases = GaugeMetricFamily("digigov_cases_open", "Open cases by type and colour", labels=["type", "colour"])
            for type_code, colour, n in session.execute(
                select(Case.type_code, Case.colour, func.count()).where(Case.status != "closed")
                .group_by(Case.type_code, Case.colour)
            ):
                cases.add_metric([type_code, colour], float(n))
            yield cases
            try:
                snapshot = bus.metrics_snapshot(session)
            except bus.BusUnavailable:
                return
            yield GaugeMetricFamily("digigov_bus_outbox_pending", "Events not yet delivered or relayed",
                                    value=float(snapshot["outbox_pending"]))
            lag = GaugeMetricFamily("digigov_bus_consumer_lag", "Events a durable consumer has not processed",
                                    labels=["consumer"])
            for durable, n in snapshot["consumer_lag"].items():
                lag.add_metric([durable], float(n))
            yield lag


class ObservabilityMiddleware:
    """Request id, one JSON access-log line per request, metrics, and the security headers."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    if key not in headers:
                        headers[key] = value
                headers["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "<unmatched>"
            )
            actor = state.get("actor")
            self.metrics.observe(scope["method"], template, status, elapsed)
            access_log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                        "actor": getattr(actor, "username", None),
                    },
                    ensure_ascii=False,
                )
            )


def _record_refusal(request: Request, exc: PermissionDenied) -> None:
    actor = getattr(request.state, "actor", None) or Actor(username="anonymous", via="web")
    action = str(exc.detail.get("action") or "")
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        audit.record_denied(
            session, actor, action or "request", "http", request.url.path[:80], reason=exc.message[:200]
        )


def _error_page(request: Request, status: int, message: str, code: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "code": code},
        actor=getattr(request.state, "actor", None),
        status_code=status,
    )


async def digigov_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DigigovError)
    if isinstance(exc, PermissionDenied):
        await run_in_threadpool(_record_refusal, request, exc)
    if wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        return JSONResponse(
            {"error": exc.code, "message": exc.message}, status_code=exc.http_status, headers=headers
        )
    if isinstance(exc, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Response(status_code=303, headers={"Location": "/login?" + urlencode({"next": target})})
    return _error_page(request, exc.http_status, error_text(exc, get_lang(request)), exc.code)


def _allowed_methods(app: FastAPI, path: str) -> list[str] | None:
    """Every method some route offers at `path` (Starlette's 405 names only the first route's). Read from
    the routes themselves: building the OpenAPI document for this would cost a second per app."""
    patterns = getattr(app.state, "allow_patterns", None)
    if patterns is None:
        patterns = app.state.allow_patterns = [
            (route_path.count("{"), re.compile("^" + re.sub(r"\\{[^}]*\\}", "[^/]+", re.escape(route_path)) + "$"),
             route_methods)
            for route_path, route_methods in _endpoints(app.router, "")
        ]
    matching = [(params, route_methods) for params, pattern, route_methods in patterns if pattern.match(path)]
    if not matching:
        return None
    fewest = min(params for params, _ in matching)  # /rules/dry-run is that resource, not /rules/{code}
    methods = {m for params, route_methods in matching if params == fewest for m in route_methods}
    return sorted(methods - {"HEAD"}) or None


def _endpoints(router: Any, prefix: str) -> list[tuple[str, set[str]]]:
    """(full path, methods) of every endpoint, also inside included routers (FastAPI nests them)."""
    out: list[tuple[str, set[str]]] = []
    for route in getattr(router, "routes", []):
        if hasattr(route, "original_router"):
            context = getattr(route, "include_context", None)
            out.extend(_endpoints(route.original_router, prefix + (getattr(context, "prefix", "") or "")))
        elif getattr(route, "methods", None) and isinstance(getattr(route, "path", None), str):
            out.append((prefix + route.path, set(route.methods)))
    return out


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        methods = _allowed_methods(request.app, request.url.path)
        if methods:
            headers["Allow"] = ", ".join(methods)
    if wants_json(request) or exc.status_code < 400:
        return JSONResponse(
            {"error": "http_" + str(exc.status_code), "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=headers or None,
        )
    return _error_page(request, exc.status_code, str(exc.detail), "http_" + str(exc.status_code))


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid", "message": "request validation failed", "detail": errors}, status_code=422
        )
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return _error_page(request, 422, f"{where}: {first.get('msg', '')}", "invalid")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the Chinese segmenter in the background while the server starts taking requests; run the
    background worker (bus delivery, deadlines, rules, indicators) in this process unless told not to."""
    threading.Thread(target=catalog_text.warm_up, name="jieba-warm-up", daemon=True).start()
    background = None
    if app.state.settings.worker_in_process:
        background = worker.Worker(app.state.session_factory, app.state.settings.worker_interval_seconds)
        background.start()
    yield
    if background is not None:
        background.stop()


def create_app(
    settings: Settings | None = None, *, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the web application. Without `session_factory`, an engine is made from the settings."""
    settings = settings or get_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.effective_database_url))
    app = FastAPI(
        lifespan=_lifespan,
        title="digigov · 浙江省一体化智能化公共数据平台",
        version=digigov.__version__,
        description="JSON API of the integrated public data platform (IRS catalogue, identity, audit). "
        "Authenticate with `Authorization: Bearer <token>` (create one at /profile/tokens).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    worker.wire()
    set_warehouse(Warehouse(settings.effective_warehouse_path, lock_timeout=settings.warehouse_lock_timeout_seconds,
                            memory_limit=settings.warehouse_memory_limit or None))
    if not access_log.hasHandlers():
        # Nothing configured logging (e.g. plain uvicorn): write the JSON lines to stderr ourselves.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)
    app.state.metrics = Metrics(session_factory)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.effective_secret_key(),
        session_cookie="digigov_session",
        https_only=settings.cookie_secure,
        same_site="lax",
        max_age=settings.session_max_age_seconds,
    )
    if session_factory.kw["bind"].dialect.name == "sqlite":
        app.add_middleware(BusyRetryMiddleware)  # outside the session cookie: each attempt starts afresh
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)

    app.add_exception_handler(DigigovError, digigov_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)

    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    for router in (
        ops.router,
        federation_api,  # machine-to-machine: the envelope authenticates, no login or CSRF token; early in the
        # table, because FastAPI builds the routes before a match on the first request (a peer's timeout)
        auth.router,
        resources.router,  # before catalog's /resources/{code}, which would take /resources/new
        catalog.router,
        admin.router,
        audit_pages.router,
        tokens.router,
        datasets.router,  # /datasets/upload before /datasets/{code}
        standards.router,
        quality.router,
        cases.router,
        cockpits.router,
        rules_pages.router,
        sharing_pages.router,  # data sharing: request form, inboxes, grants, usage
        entities_pages.router,  # person and enterprise files (一人一档 / 一企一档)
        lists_pages.router,  # three lists (三张清单) and achievements
        bundles_pages.router,  # 一件事: the citizen portal's bundles, the designer, the departments' items
        *apps.routers(),
        identity_api,
        audit_api,
        catalog_api,
        standards_api,
        warehouse_api,
        ingest_api,
        quality_api,
        cases_api,
        track_api,
        indicators_api,
        rules_api.router,
        opendata_pages.router,  # the public open-data portal: no login
        opendata_api,  # CKAN Action API and DCAT-AP catalogue: no login
        exchange_api,  # the change feed (数据高铁)
        sharing_api,  # data sharing: requests, grants, GET /api/v1/shared/{dataset}
    ):
        app.include_router(router)
    return app
