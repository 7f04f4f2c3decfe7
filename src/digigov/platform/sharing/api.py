"""JSON routes of data sharing: requests and their review, grants and revocation, usage, and the serving endpoints
`GET /api/v1/shared/{dataset}` (paged JSON, or `?format=csv|parquet`) and `POST /api/v1/shared/{dataset}/verify`.

Routes only parse, call `digigov.platform.sharing.service`, and serialise. A caller is a bearer token or a
console session of the consumer department (`digigov.identity.http`, as every other route). A used-up rate or
quota answers 429 with Retry-After.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from digigov.core.http import DB
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor, current_actor, optional_actor
from digigov.platform.sharing import caller
from digigov.platform.sharing import export as exporting
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant, ShareRequest
from digigov.platform.sharing.service import RateLimited

router = APIRouter(tags=["sharing"])

MAX_ID = 2**31 - 1
DatasetCode = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$",
                                  description="the dataset's code")]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]
Scalar = Annotated[str, Field(max_length=200)] | float


class ErrorOut(BaseModel):
    error: str
    message: str


class LooseErrorOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    error: str | None = None
    message: str | None = None
    detail: Any = None


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "Body is not valid JSON", 401: "Not signed in", 403: "Not allowed, or no active grant",
            404: "Not found", 409: "Conflict with the current state", 422: "Invalid input",
            429: "The grant's rate or daily quota is used up; see Retry-After"}
    return {c: {"model": LooseErrorOut if c in (400, 422) else ErrorOut, "description": text[c]} for c in codes}


READ = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)
SERVE = _errors(401, 403, 404, 422, 429)


class Condition(BaseModel):
    """One row-filter condition; a number compares numerically, text compares as text."""

    model_config = ConfigDict(extra="forbid")
    column: str = Field(min_length=1, max_length=128)
    op: Literal["=", "in", ">=", "<=", "prefix"]
    value: Scalar | list[Scalar] = Field(description="a list for `in`, else one value")


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    purpose: str = Field(min_length=1, max_length=2000)
    legal_basis: str = Field(default="", max_length=2000)
    fields: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(min_length=1, max_length=500)
    unmasked: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(default=[], max_length=500)
    row_filter: list[Condition] = Field(default=[], max_length=20)
    channel: Literal["api", "batch", "feed", "verify"] = "api"
    expires: date = Field(description="the last day (Beijing time) the grant may be used")
    quota_rows_per_day: int | None = Field(default=None, ge=1, le=MAX_ID)
    rate_per_minute: int | None = Field(default=None, ge=1, le=MAX_ID)


class DecisionIn(BaseModel):
    """Approve (optionally narrowing: fewer fields, fewer unmasked fields, an added filter, an earlier expiry,
    a lower quota or rate) or refuse with a comment."""

    model_config = ConfigDict(extra="forbid")
    approve: bool
    comment: str = Field(default="", max_length=2000)
    fields: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(default=None, max_length=500)
    unmasked: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(default=None, max_length=500)
    extra_filter: list[Condition] = Field(default=[], max_length=20)
    expires: date | None = None
    quota_rows_per_day: int | None = Field(default=None, ge=1, le=MAX_ID)
    rate_per_minute: int | None = Field(default=None, ge=1, le=MAX_ID)


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class RequestOut(BaseModel):
    id: int
    dataset: str
    consumer: str
    owner: str
    requester: str
    purpose: str
    legal_basis: str
    fields: list[str]
    unmasked: list[str]
    row_filter: list[dict[str, Any]]
    channel: str
    expires_at: datetime
    quota_rows_per_day: int | None
    rate_per_minute: int | None
    state: str
    needs_authority: bool
    approved: dict[str, Any]
    owner_reviewer: str | None
    owner_comment: str
    authority_reviewer: str | None
    authority_comment: str
    submitted_at: datetime
    grant_id: int | None = None


class GrantOut(BaseModel):
    id: int
    request_id: int
    dataset: str
    consumer: str
    owner: str
    purpose: str
    fields: list[str]
    unmasked: list[str]
    row_filter: list[dict[str, Any]]
    channel: str
    expires_at: datetime
    quota_rows_per_day: int | None
    rate_per_minute: int | None
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str
    active: bool


class UsageOut(BaseModel):
    day: str
    dataset: str
    consumer: str
    consumer_name: str
    owner: str
    owner_name: str
    calls: int
    rows: int


class VerifyOut(BaseModel):
    match: bool


def request_json(session: Session, req: ShareRequest) -> RequestOut:
    grant = sharing.grant_of(session, req) if req.state == "granted" else None
    return RequestOut(
        id=req.id, dataset=req.dataset_code, consumer=req.consumer.code, owner=req.owner.code,
        requester=req.requester.username, purpose=req.purpose, legal_basis=req.legal_basis, fields=req.fields,
        unmasked=req.unmasked, row_filter=req.row_filter, channel=req.channel, expires_at=req.expires_at,
        quota_rows_per_day=req.quota_rows_per_day, rate_per_minute=req.rate_per_minute, state=req.state,
        needs_authority=req.needs_authority, approved=req.approved, owner_reviewer=req.owner_reviewer,
        owner_comment=req.owner_comment, authority_reviewer=req.authority_reviewer,
        authority_comment=req.authority_comment, submitted_at=req.submitted_at,
        grant_id=grant.id if grant else None)


def grant_json(grant: Grant) -> GrantOut:
    return GrantOut(
        id=grant.id, request_id=grant.request_id, dataset=grant.dataset_code, consumer=grant.consumer.code,
        owner=grant.owner.code, purpose=grant.purpose, fields=grant.fields, unmasked=grant.unmasked,
        row_filter=grant.row_filter, channel=grant.channel, expires_at=grant.expires_at,
        quota_rows_per_day=grant.quota_rows_per_day, rate_per_minute=grant.rate_per_minute,
        granted_by=grant.granted_by, granted_at=grant.granted_at, revoked_at=grant.revoked_at,
        revoked_by=grant.revoked_by, revoke_reason=grant.revoke_reason, active=sharing.is_active(grant))


def _conditions(items: list[Condition]) -> list[dict[str, Any]]:
    return [c.model_dump() for c in items]


def too_many(exc: RateLimited) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=429,
                        headers={"Retry-After": str(exc.retry_after)})


# ---- requests, review, grants, usage ------------------------------------------------------------------

@router.post("/api/v1/sharing/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED,
             responses=WRITE, summary="Request fields of another department's dataset")
def submit(body: RequestIn, actor: CurrentActor, session: DB) -> RequestOut:
    req = sharing.submit_request(
        session, actor, dataset=body.dataset, purpose=body.purpose, legal_basis=body.legal_basis,
        fields=body.fields, unmasked=body.unmasked, row_filter=_conditions(body.row_filter), channel=body.channel,
        expires=body.expires, quota_rows_per_day=body.quota_rows_per_day, rate_per_minute=body.rate_per_minute)
    return request_json(session, req)


@router.get("/api/v1/sharing/requests", response_model=list[RequestOut], responses=READ,
            summary="My department's sharing requests")
def my_requests(actor: CurrentActor, session: DB) -> list[RequestOut]:
    return [request_json(session, r) for r in sharing.my_requests(session, actor)]


@router.get("/api/v1/sharing/inbox", response_model=list[RequestOut], responses=READ,
            summary="Requests waiting for my decision")
def inbox(actor: CurrentActor, session: DB) -> list[RequestOut]:
    return [request_json(session, r) for r in sharing.inbox(session, actor)]


@router.get("/api/v1/sharing/requests/{request_id}", response_model=RequestOut, responses=READ,
            summary="One sharing request")
def one_request(request_id: RequestId, actor: CurrentActor, session: DB) -> RequestOut:
    return request_json(session, sharing.get_request(session, actor, request_id))


@router.post("/api/v1/sharing/requests/{request_id}/decision", response_model=RequestOut, responses=WRITE,
             summary="Approve (possibly narrowing) or refuse a request")
def decide(request_id: RequestId, body: DecisionIn, actor: CurrentActor, session: DB) -> RequestOut:
    req = sharing.decide(session, actor, request_id, approve=body.approve, comment=body.comment, fields=body.fields,
                         unmasked=body.unmasked, extra_filter=_conditions(body.extra_filter), expires=body.expires,
                         quota_rows_per_day=body.quota_rows_per_day, rate_per_minute=body.rate_per_minute)
    return request_json(session, req)


@router.get("/api/v1/sharing/grants", response_model=list[GrantOut], responses=READ,
            summary="Grants my department holds (consumer), has given (owner), or all I may see")
def list_grants(actor: CurrentActor, session: DB,
                side: Annotated[Literal["consumer", "owner", "all"], Query()] = "consumer") -> list[GrantOut]:
    return [grant_json(g) for g in sharing.grants(session, actor, side=side)]


@router.post("/api/v1/sharing/grants/{grant_id}/revoke", response_model=GrantOut, responses=WRITE,
             summary="Revoke a grant (effective on the next call)")
def revoke(grant_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: RevokeIn, actor: CurrentActor,
           session: DB) -> GrantOut:
    return grant_json(sharing.revoke(session, actor, grant_id, reason=body.reason))


@router.get("/api/v1/sharing/usage", response_model=list[UsageOut], responses=READ,
            summary="Sharing calls and rows per day, dataset and department")
def usage(actor: CurrentActor, session: DB,
          scope: Annotated[Literal["consumer", "owner", "all"], Query()] = "consumer",
          days: Annotated[int, Query(ge=1, le=366)] = 30) -> list[UsageOut]:
    return [UsageOut(**vars(u)) for u in sharing.usage(session, actor, scope=scope, days=days)]


# ---- serving ----------------------------------------------------------------------------------------

async def serving_actor(request: Request, session: DB) -> Actor:
    """The caller of a serving endpoint: a bearer token through `caller.actor_for_token` (one Core query, no ORM;
    the same answer as `identity.http`), a console session through `identity.http` as everywhere else."""
    auth = request.headers.get("authorization", "")
    secret = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not secret:
        return await current_actor(await optional_actor(request, session))
    actor = caller.actor_for_token(session, secret)
    request.state.actor = actor
    return actor


ServingActor = Annotated[Actor, Depends(serving_actor)]


_PAGE_SCHEMA = {"type": "object", "properties": {
    "dataset": {"type": "string"}, "grant": {"type": "integer"}, "fields": {"type": "array"},
    "masked": {"type": "array"}, "records": {"type": "array", "items": {"type": "object"}},
    "limit": {"type": "integer"}, "offset": {"type": "integer"}, "next_cursor": {"type": ["integer", "null"]},
    "quota_remaining": {"type": ["integer", "null"]}}}


@router.get("/api/v1/shared/{dataset}", summary="Read a shared dataset under my department's grant",
            description="Granted fields only, masked unless the grant names them unmasked, rows of the grant's "
                        "filter only. Page with `limit`/`offset` or `cursor` (the `next_cursor` of the last page); "
                        "`format=csv|parquet` exports every row the grant and today's quota allow.",
            responses={200: {"description": "a page of records (JSON), or the CSV / Parquet file",
                             "content": {"application/json": {"schema": _PAGE_SCHEMA}, "text/csv": {},
                                         "application/vnd.apache.parquet": {}}}, **SERVE})
async def shared(request: Request, dataset: DatasetCode, actor: ServingActor, session: DB,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
                 offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
                 cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                 format: Annotated[Literal["json", "csv", "parquet"], Query()] = "json") -> Response:  # noqa: A002
    try:
        if format == "json":
            page = await run_in_threadpool(sharing.read, session, actor, dataset, limit=limit, offset=offset,
                                           cursor=cursor)
        else:
            plan = await run_in_threadpool(sharing.export, session, actor, dataset, format)
    except RateLimited as exc:
        return too_many(exc)
    if format == "json":
        body = {"dataset": page.dataset, "grant": page.grant_id, "fields": page.fields, "masked": page.masked,
                "records": page.records, "limit": page.limit, "offset": page.offset,
                "next_cursor": page.next_cursor, "quota_remaining": page.quota_remaining}
        return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), media_type="application/json")
    session.commit()  # the read's audit record and usage are stored before the first byte is sent
    disposition = {"Content-Disposition": f'attachment; filename="{dataset}.{format}"'}
    if format == "csv":
        return StreamingResponse(exporting.csv_chunks(plan), media_type="text/csv; charset=utf-8",
                                 headers=disposition)
    handle, raw = tempfile.mkstemp(prefix=f"shared-{dataset}-", suffix=".parquet")
    path = FsPath(raw)
    try:
        import os

        os.close(handle)
        await run_in_threadpool(exporting.write_parquet, plan, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type="application/vnd.apache.parquet", filename=f"{dataset}.parquet",
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.post("/api/v1/shared/{dataset}/verify", response_model=VerifyOut, responses={**SERVE, **_errors(400)},
             summary="Single-record verification under a verify grant: match or no match, never the values",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "additionalProperties": {"type": ["string", "number"]},
                 "description": "every granted field and the value to check, e.g. {\"id_number\": \"...\", "
                                "\"name\": \"...\"}"}}}}})
async def verify(request: Request, dataset: DatasetCode, actor: ServingActor, session: DB) -> Response:
    try:
        values = json.loads(await request.body() or b"null")
    except ValueError:
        return JSONResponse({"error": "invalid", "message": "the body is not JSON"}, status_code=400)
    if not isinstance(values, dict):
        return JSONResponse({"error": "invalid", "message": "the body is an object of field: value"},
                            status_code=422)
    try:
        match = await run_in_threadpool(sharing.verify, session, actor, dataset, values)
    except RateLimited as exc:
        return too_many(exc)
    return JSONResponse({"match": match})
