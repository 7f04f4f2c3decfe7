"""Public endpoints of the open catalogue: the CKAN Action API (`/api/3/action/{action}`, also at CKAN's
unversioned `/api/action/{action}`, which the `ckanapi` client calls) and the DCAT-AP catalogue
(`/catalog.jsonld`, `/catalog.ttl`). No login: the open catalogue is public by definition, and each route reads
only through `digigov.platform.opendata.service`, which serves open datasets and open fields only.

Every route takes a token from the caller address's bucket first (`rate_limit`); an empty bucket answers 429
with Retry-After (in CKAN's envelope on the API).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from digigov.core.errors import DigigovError
from digigov.core.http import DB
from digigov.core.ratelimit import TokenBucket
from digigov.platform.opendata import ckan, dcat, service

router = APIRouter(tags=["open data (CKAN API, DCAT)"])

ACTION_PATH = "/api/3/action/{action}"
# The schema names the actions offered; any other name still gets CKAN's own answer (400, or 403 for a write).
ActionName = Annotated[str, Path(min_length=1, max_length=64, description="a CKAN action, e.g. package_search",
                                 json_schema_extra={"enum": sorted(ckan.ACTIONS)})]
_ENVELOPE = {"type": "object", "properties": {"help": {"type": "string"}, "success": {"type": "boolean"},
                                              "result": {}, "error": {"type": "object"}}}
_CKAN_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unknown action or unreadable request (CKAN: 'Bad request'), or a search the index "
                         "cannot run ('Search Query Error')"},
    403: {"description": "A CKAN write action: the open-data portal is read-only ('Authorization Error')"},
    404: {"description": "No open dataset, resource or organisation by that name ('Not Found Error')"},
    409: {"description": "A parameter is missing or invalid ('Validation Error')"},
    429: {"description": "Too many requests from this address; see Retry-After"},
}
_ACTION_DOC = ("CKAN Action API (v3). Actions: " + ", ".join(sorted(ckan.ACTIONS)) + ". Parameters as query "
               "parameters (GET) or a JSON object (POST), as in CKAN. Answers CKAN's envelope "
               "`{help, success, result}` or `{help, success: false, error: {__type, message}}`.")


def limiter(request: Request) -> TokenBucket:
    """The app's bucket table, made from its settings on first use."""
    bucket: TokenBucket | None = getattr(request.app.state, "opendata_limiter", None)
    if bucket is None:
        settings = request.app.state.settings
        bucket = request.app.state.opendata_limiter = TokenBucket(settings.open_rate_per_minute,
                                                                  settings.open_rate_burst)
    return bucket


def rate_limit(request: Request) -> int:
    """0 when the caller's address may go on, else the seconds it must wait."""
    return limiter(request).take(request.client.host if request.client else "unknown")


def site_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def too_many(wait: int) -> JSONResponse:
    return JSONResponse({"error": "too_many_requests", "message": f"too many requests; retry in {wait} s"},
                        status_code=429, headers={"Retry-After": str(wait)})


def _mixed(items: list[tuple[str, str]]) -> dict[str, Any]:
    """CKAN's way with repeated keys: one value as is, several as a list."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


async def _request_data(request: Request) -> dict[str, Any]:
    """The action's data dict: query parameters, overlaid by a JSON object or form body on POST."""
    data = _mixed(list(request.query_params.multi_items()))
    if request.method != "POST":
        return data
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        data.update(_mixed([(k, v) for k, v in form.multi_items() if isinstance(v, str)]))
        return data
    body = await request.body()
    if body.strip():
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"JSON Error: {exc}") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"Bad request data: Request data JSON decoded to {type(parsed).__name__} but it "
                             f"needs to be a dictionary.")
        data.update(parsed)
    return data


def _run(session: Session, site: ckan.Site, action: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    try:
        return 200, {"success": True, "result": ckan.call(session, site, action, data)}
    except DigigovError as exc:
        session.rollback()
        status, error = ckan.error_body(exc)
        return status, {"success": False, "error": error}


async def _action(request: Request, action: str, session: Session, api: str) -> Response:
    site = ckan.Site(site_url(request), api)
    help_url = f"{site.url}{api}/help_show?name={action}"
    wait = rate_limit(request)
    if wait:
        return JSONResponse({"help": help_url, "success": False, "error": {
            "__type": "Rate Limit Error", "message": f"Too many requests from this address; retry in {wait} s"}},
            status_code=429, headers={"Retry-After": str(wait)})
    if action not in ckan.ACTIONS and action not in ckan.WRITE_ACTIONS:
        return JSONResponse(f"Bad request - Action name not known: {action}", status_code=400)
    try:
        data = await _request_data(request)
    except ValueError as exc:
        return JSONResponse(f"Bad request - {exc}", status_code=400)
    data.pop("callback", None)
    status, body = await run_in_threadpool(_run, session, site, action, data)
    return JSONResponse({"help": help_url, **body}, status_code=status)


_ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "CKAN's envelope with the action's result",
          "content": {"application/json": {"schema": _ENVELOPE}}}, **_CKAN_RESPONSES}


@router.get(ACTION_PATH, summary="CKAN Action API (GET)", description=_ACTION_DOC, operation_id="ckan_action_get",
            responses=_ACTION_RESPONSES)
@router.post(ACTION_PATH, summary="CKAN Action API (POST)", description=_ACTION_DOC, operation_id="ckan_action_post",
             responses=_ACTION_RESPONSES, openapi_extra={"requestBody": {"required": False, "content": {
                 "application/json": {"schema": {"type": "object"}}}}})
async def ckan_action(request: Request, action: ActionName, session: DB) -> Response:
    return await _action(request, action, session, "/api/3/action")


@router.api_route("/api/action/{action}", methods=["GET", "POST"], include_in_schema=False)
async def ckan_action_unversioned(request: Request, action: ActionName, session: DB) -> Response:
    """CKAN serves the Action API without the version too; `ckanapi` calls this path."""
    return await _action(request, action, session, "/api/action")


def _catalog(request: Request, session: Session, fmt: str, media_type: str) -> Response:
    wait = rate_limit(request)
    if wait:
        return too_many(wait)
    graph = dcat.catalog_graph(site_url(request), service.open_datasets(session))
    return Response(dcat.serialise(graph, fmt), media_type=media_type)


_DCAT_RESPONSES: dict[int | str, dict[str, Any]] = {429: {"description": "Too many requests; see Retry-After"}}


@router.get("/catalog.jsonld", summary="DCAT-AP catalogue (JSON-LD)", responses={
    200: {"content": {"application/ld+json": {}}, "description": "dcat:Catalog of the open datasets"},
    **_DCAT_RESPONSES})
def catalog_jsonld(request: Request, session: DB) -> Response:
    return _catalog(request, session, "jsonld", "application/ld+json")


@router.get("/catalog.ttl", summary="DCAT-AP catalogue (Turtle)", responses={
    200: {"content": {"text/turtle": {}}, "description": "dcat:Catalog of the open datasets"}, **_DCAT_RESPONSES})
def catalog_ttl(request: Request, session: DB) -> Response:
    return _catalog(request, session, "ttl", "text/turtle; charset=utf-8")
