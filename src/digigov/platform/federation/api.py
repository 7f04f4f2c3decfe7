"""HTTP routes between platform instances: `POST /federation/v1/messages` and `GET /federation/v1/anchor`.

Neither needs a login, a token or a CSRF token (they never read the caller's session): the envelope
authenticates itself. Every answer to a message is a signed envelope, a refusal included, with the HTTP
status of its reason (see `envelope.REFUSAL_STATUS`); only an instance without a federation identity
answers 503 unsigned, and an address over its rate (`federation_rate_per_minute`, `federation_rate_burst`)
429 unsigned with Retry-After, before anything is read or verified.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from digigov.core.db import unit_of_work
from digigov.core.errors import DigigovError
from digigov.core.http import DB
from digigov.core.ratelimit import TokenBucket
from digigov.core.settings import Settings
from digigov.platform.federation import envelope
from digigov.platform.federation import service as federation

router = APIRouter(prefix="/federation/v1", tags=["federation"])


class HeaderOut(BaseModel):
    version: int = Field(description="Envelope format version (1)")
    sender: str = Field(description="Sending instance id, e.g. zj-quzhou")
    sender_key: str = Field(description="Id of the sender's key that signed (16 hex digits)")
    department: str = Field(description="Code of the sending department ('' on an instance's answer)")
    purpose: str
    kind: str = Field(description="Message kind, e.g. ping; `error` for a refusal")
    recipient: str
    timestamp: str = Field(description="ISO 8601 UTC")
    nonce: str
    in_reply_to: str = Field(description="On an answer: the request's nonce")
    body_sha256: str = Field(description="SHA-256 of the body's canonical JSON")


class EnvelopeOut(BaseModel):
    header: HeaderOut
    body: dict[str, Any]
    signature: str = Field(description="Base64 Ed25519 signature of the canonical header")


class PlainError(BaseModel):
    error: str
    message: str


class AnchorKeyOut(BaseModel):
    key_id: str
    public_key: str = Field(description="Raw 32-byte Ed25519 public key, base64")
    status: str = Field(description="active or retired")


class AnchorOut(BaseModel):
    format: str
    instance_id: str
    name: str
    base_url: str
    keys: list[AnchorKeyOut]
    valid_from: str
    valid_until: str
    issued_at: str
    signature: dict[str, str]


_REFUSED = {"model": EnvelopeOut, "description": "Refused: a signed `error` envelope with the reason code"}
MESSAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": EnvelopeOut, "description": "The signed answer"},
    **{status: _REFUSED for status in sorted(set(envelope.REFUSAL_STATUS.values()) | {403, 404, 409, 422})},
    429: {"model": PlainError, "description": "Too many messages from this address; see Retry-After (unsigned)"},
    503: {"model": PlainError, "description": "This instance has no federation identity yet (unsigned)"},
}
REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["header", "body", "signature"],
        "properties": {"header": {"type": "object"}, "body": {"type": "object"}, "signature": {"type": "string"}},
    }}},
}


async def _read(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past `limit` bytes (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            return None
    return bytes(data)


def _limiter(request: Request, settings: Settings) -> TokenBucket:
    bucket: TokenBucket | None = getattr(request.app.state, "federation_limiter", None)
    if bucket is None:
        bucket = request.app.state.federation_limiter = TokenBucket(settings.federation_rate_per_minute,
                                                                    settings.federation_rate_burst)
    return bucket


def _receive(factory: sessionmaker[Session], raw: bytes | None, settings: Settings) -> Response:
    try:
        with unit_of_work(factory) as session:
            status, answer = federation.receive_sealed(session, raw, settings=settings)
    except DigigovError as exc:  # no identity: nothing to sign with
        return JSONResponse({"error": exc.key or exc.code, "message": exc.message}, status_code=503)
    # The answer's canonical JSON, byte for byte the text its log row keeps (committed above).
    return Response(answer.text().encode("utf-8"), status_code=status, media_type="application/json")


@router.post("/messages", responses=MESSAGE_RESPONSES, openapi_extra={"requestBody": REQUEST_BODY},
             summary="Receive a signed envelope from a trusted instance")
async def messages(request: Request) -> Response:
    """Verify the envelope, dispatch it by kind, answer with a signed envelope bound to it."""
    settings: Settings = request.app.state.settings
    wait = _limiter(request, settings).take(request.client.host if request.client else "unknown")
    if wait:  # before reading or verifying anything: a flood costs no signature checks or store work
        return JSONResponse({"error": "too_many_requests", "message": f"too many messages; retry in {wait} s"},
                            status_code=429, headers={"Retry-After": str(wait)})
    raw = await _read(request, settings.federation_max_message_bytes)
    return await run_in_threadpool(_receive, request.app.state.session_factory, raw, settings)


@router.get("/anchor", response_model=AnchorOut, responses={503: {"model": PlainError,
                                                                  "description": "No federation identity yet"}},
            summary="This instance's trust anchor")
def anchor(request: Request, session: DB) -> Any:
    """The signed anchor another instance's admin imports to trust this one."""
    try:
        return federation.export_anchor(session, settings=request.app.state.settings)
    except DigigovError as exc:
        return JSONResponse({"error": exc.key or exc.code, "message": exc.message}, status_code=503)
