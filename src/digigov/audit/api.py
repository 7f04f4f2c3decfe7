"""JSON API of the audit log: filtered records (auditors) and verification of the hash chain."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from digigov.audit import service as audit
from digigov.core.http import DB
from digigov.identity.http import CurrentActor

NO_NUL = r"^[^\x00]*$"


class ErrorOut(BaseModel):
    error: str = Field(description="Stable machine-readable code, e.g. forbidden")
    message: str
    detail: list[dict[str, Any]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed request"},
    401: {"model": ErrorOut, "description": "Not logged in, or the token is invalid"},
    403: {"model": ErrorOut, "description": "Only auditors read the log (auditors and admins verify it)"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERRORS)


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: str
    actor: str
    actor_department: str
    action: str
    object_type: str
    object_id: str
    purpose: str
    result: str
    detail: str = Field(description="Canonical JSON")
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AuditRecordOut]


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str


Text = Annotated[str | None, Query(max_length=80, pattern=NO_NUL)]


@router.get("/records", response_model=AuditPage)
def records(
    actor: CurrentActor,
    session: DB,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=80, pattern=NO_NUL)] = None,
    action: Text = None,
    object_type: Annotated[str | None, Query(max_length=48, pattern=NO_NUL)] = None,
    result: Annotated[Literal["ok", "denied", "failed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    """Audit records, newest first; `action` matches a prefix (e.g. `request.`)."""
    rows, total = audit.search(
        session,
        actor,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        result=result,
        limit=limit,
        offset=offset,
    )
    return AuditPage(
        total=total, limit=limit, offset=offset, items=[AuditRecordOut.model_validate(r) for r in rows]
    )


@router.post("/verify", response_model=VerifyOut)
def verify(actor: CurrentActor, session: DB) -> VerifyOut:
    """Walk the whole hash chain and name the first record that does not verify."""
    res = audit.verify(session, actor)
    return VerifyOut(ok=res.ok, checked=res.checked, first_bad_seq=res.first_bad_seq, reason=res.reason)
