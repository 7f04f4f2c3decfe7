"""JSON routes of the case engine (工单): lists with the cockpit's drill-down filters, the department
inbox, the supervision queue, one case with its history, every transition, attachments, links, merge,
bulk supervision, and the citizen's view by token (no login; the token is the credential).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from digigov.core.errors import InvalidInput
from digigov.core.http import DB
from digigov.identity.http import CurrentActor
from digigov.platform.cases import queries, service, supervision, types
from digigov.platform.cases.model import Case
from digigov.platform.catalog.api import NON_BLANK, Id32, _errors

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
public = APIRouter(prefix="/api/v1/track", tags=["cases"])

READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)
PUBLIC = _errors(404, 422)
PUBLIC_WRITE = _errors(400, 404, 409, 422)

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Token = Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=NON_BLANK)]
Note = Annotated[str, Field(default="", max_length=4000)]
Code = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_.-]+$")]
DeptCode = Annotated[str, Field(min_length=3, max_length=60, pattern=r"^[0-9]{6}-[a-z_]+$")]
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
ISO_MOMENT = (r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
              r"([T ](([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)"
              r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?)?$")
Status = Literal["open", "intake", "triaged", "assigned", "in_progress", "responded", "verified", "closed",
                 "returned", "reopened"]


class CaseOut(BaseModel):
    id: int
    number: str
    type: str
    title: str
    description: str
    category: str | None
    channel: str
    status: str
    step: str | None
    resolution: str | None
    colour: str
    severity: str | None
    overdue: bool
    escalation_level: int
    region_code: str
    street: str
    department: str | None = Field(description="code of the assigned department")
    department_name: str | None
    opened_at: datetime
    due_at: datetime | None
    responded_at: datetime | None
    closed_at: datetime | None
    response: str
    rating: str | None
    reopen_count: int
    return_count: int
    data: dict[str, Any]

    @classmethod
    def of(cls, c: Case) -> CaseOut:
        return cls(
            id=c.id, number=c.number, type=c.type_code, title=c.title, description=c.description,
            category=c.category, channel=c.channel, status=c.status, step=c.step, resolution=c.resolution,
            colour=c.colour, severity=c.severity, overdue=c.overdue, escalation_level=c.escalation_level,
            region_code=c.region_code, street=c.street, department=c.department.code if c.department else None,
            department_name=c.department.name if c.department else None, opened_at=c.opened_at,
            due_at=c.due_at, responded_at=c.responded_at, closed_at=c.closed_at, response=c.response,
            rating=c.rating, reopen_count=c.reopen_count, return_count=c.return_count, data=c.data or {},
        )


class CaseList(BaseModel):
    total: int
    items: list[CaseOut]


class EventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str
    public: bool


class CaseDetail(CaseOut):
    history: list[EventOut]
    attachments: list[dict[str, Any]]
    links: list[dict[str, Any]]


class Inbox(BaseModel):
    handling: list[CaseOut]
    dispatch: list[CaseOut]


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Code
    title: Text
    description: Note
    category: Code | None = None
    channel: Literal["web", "hotline", "letter", "mailbox", "app"] = "web"
    region_code: Annotated[str, Field(default="", max_length=12, pattern=r"^([0-9]{6})?$")]
    address: Annotated[str, Field(default="", max_length=300)]


class TriageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Code | None = None
    reject: bool = False
    note: Note


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: DeptCode
    note: Note


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    response: Text
    first_contact: bool = False


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passed: bool
    note: Note


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    comment: Note


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    public: bool = False


class AttachIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=NON_BLANK)]
    content_type: Annotated[str, Field(default="application/octet-stream", max_length=100)]
    kind: Literal["evidence", "photo", "reply"] = "evidence"
    content_base64: Annotated[str, Field(min_length=4, max_length=1_400_000, pattern=BASE64,
                                         description="the file, base64-encoded (at most 1 MiB here; larger "
                                                     "files through the console's upload)")]


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: Id32


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: Annotated[list[Id32], Field(min_length=1, max_length=500)]
    action: Literal["escalate", "assign", "reject", "comment"]
    department: DeptCode | None = None
    note: Note


class BulkOut(BaseModel):
    done: list[str]
    failed: dict[str, str]


def _moment(value: str | None) -> datetime | None:
    """An ISO date or date-time from a query string (a date-time without a zone is Beijing time)."""
    if not value:
        return None
    moment = None
    given = int(value[8:10])
    for day in range(given, min(given, 28) - 1, -1):  # 2025-02-30 (the pattern lets it through): the month's end
        try:
            moment = datetime.fromisoformat(value[:8] + f"{day:02d}" + value[10:])
            break
        except ValueError:
            continue
    if moment is None:
        raise InvalidInput(f"not a calendar date: {value}", key="invalid_date")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def detail(session: DB, c: Case) -> CaseDetail:
    return CaseDetail(
        **CaseOut.of(c).model_dump(),
        history=[EventOut(at=e.at, actor=e.actor, action=e.action, from_status=e.from_status,
                          to_status=e.to_status, note=e.note, public=e.public) for e in queries.history(session, c)],
        attachments=[{"id": a.id, "kind": a.kind, "filename": a.filename, "size": a.size, "sha256": a.sha256,
                      "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at.isoformat()}
                     for a in queries.attachments(session, c)],
        links=[{"number": o.number, "id": o.id, "kind": link.kind, "status": o.status}
               for link, o in queries.links(session, c)],
    )


@router.get("", response_model=CaseList, responses=READ)
def list_cases(
    session: DB, actor: CurrentActor,
    type: Annotated[str | None, Query(max_length=80)] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    colour: Annotated[Literal["green", "red", "yellow"] | None, Query()] = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    category: Annotated[str | None, Query(max_length=80)] = None,
    since: Annotated[str | None, Query(pattern=ISO_MOMENT, description="ISO date or date-time")] = None,
    until: Annotated[str | None, Query(pattern=ISO_MOMENT, description="ISO date or date-time (exclusive)")] = None,
    overdue: bool | None = None,
    escalated: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CaseList:
    f = queries.CaseFilter(type=type, status=status_, colour=colour, region=region, category=category,
                           since=_moment(since), until=_moment(until), overdue=overdue, escalated=escalated)
    rows, total = queries.list_cases(session, actor, f, limit=limit, offset=offset)
    return CaseList(total=total, items=[CaseOut.of(c) for c in rows])


@router.get("/inbox", response_model=Inbox, responses=READ)
def inbox(session: DB, actor: CurrentActor) -> Inbox:
    box = queries.inbox(session, actor)
    return Inbox(handling=[CaseOut.of(c) for c in box["handling"]], dispatch=[CaseOut.of(c) for c in box["dispatch"]])


@router.get("/supervision", response_model=list[CaseOut], responses=READ)
def supervision_queue(session: DB, actor: CurrentActor) -> list[CaseOut]:
    return [CaseOut.of(c) for c in supervision.supervision_queue(session, actor)]


@router.post("", response_model=CaseDetail, status_code=status.HTTP_201_CREATED, responses=WRITE)
def open_case(body: OpenIn, session: DB, actor: CurrentActor) -> CaseDetail:
    case = service.open_case(session, actor, body.type, title=body.title, description=body.description,
                             category=body.category, channel=body.channel, region_code=body.region_code,
                             address=body.address)
    return detail(session, case)


@router.post("/supervision/bulk", response_model=BulkOut, responses=WRITE)
def bulk(body: BulkIn, session: DB, actor: CurrentActor) -> BulkOut:
    kw: dict[str, Any] = {"note": body.note}
    if body.department:
        kw["department"] = body.department  # without one, each case of an "assign" fails and says so
    result = supervision.bulk(session, actor, list(body.ids), body.action, **kw)
    return BulkOut(done=result.done, failed=result.failed)


@router.get("/{case_id}", response_model=CaseDetail, responses=READ_ONE)
def get_case(case_id: CaseId, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.get(session, actor, case_id))


@router.post("/{case_id}/triage", response_model=CaseDetail, responses=WRITE)
def triage(case_id: CaseId, body: TriageIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.triage(session, actor, case_id, category=body.category, reject=body.reject,
                                          note=body.note))


@router.post("/{case_id}/assign", response_model=CaseDetail, responses=WRITE)
def assign(case_id: CaseId, body: AssignIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.assign(session, actor, case_id, body.department, note=body.note))


@router.post("/{case_id}/accept", response_model=CaseDetail, responses=WRITE)
def accept(case_id: CaseId, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.accept(session, actor, case_id))


@router.post("/{case_id}/return", response_model=CaseDetail, responses=WRITE)
def return_case(case_id: CaseId, body: ReasonIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.return_case(session, actor, case_id, body.reason))


@router.post("/{case_id}/respond", response_model=CaseDetail, responses=WRITE)
def respond(case_id: CaseId, body: RespondIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.respond(session, actor, case_id, body.response, first_contact=body.first_contact))


@router.post("/{case_id}/verify", response_model=CaseDetail, responses=WRITE)
def verify(case_id: CaseId, body: VerifyIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.verify(session, actor, case_id, passed=body.passed, note=body.note))


@router.post("/{case_id}/rate", response_model=CaseDetail, responses=WRITE)
def rate(case_id: CaseId, body: RateIn, session: DB, actor: CurrentActor) -> CaseDetail:
    """A rating recorded by the dispatcher (follow-up call, 回访); citizens rate through /api/v1/track."""
    case = service.get(session, actor, case_id)
    return detail(session, service.rate(session, actor, case, body.rating, comment=body.comment))


@router.post("/{case_id}/reopen", response_model=CaseDetail, responses=WRITE)
def reopen(case_id: CaseId, body: ReasonIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.reopen(session, actor, case_id, body.reason))


@router.post("/{case_id}/escalate", response_model=CaseDetail, responses=WRITE)
def escalate(case_id: CaseId, body: ReasonIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.escalate(session, actor, case_id, body.reason))


@router.post("/{case_id}/comments", response_model=CaseDetail, responses=WRITE)
def comment(case_id: CaseId, body: CommentIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.comment(session, actor, case_id, body.text, public=body.public))


@router.post("/{case_id}/attachments", response_model=CaseDetail, status_code=status.HTTP_201_CREATED,
             responses=WRITE)
def attach(case_id: CaseId, body: AttachIn, session: DB, actor: CurrentActor) -> CaseDetail:
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("content_base64 is not base64", key="case_attachment_empty") from exc
    service.attach(session, actor, case_id, filename=body.filename, content=content,
                   content_type=body.content_type, kind=body.kind)
    return detail(session, service.get(session, actor, case_id))


@router.post("/{case_id}/merge", response_model=CaseDetail, responses=WRITE)
def merge(case_id: CaseId, body: MergeIn, session: DB, actor: CurrentActor) -> CaseDetail:
    return detail(session, service.merge(session, actor, case_id, body.into))


class TrackOut(BaseModel):
    number: str
    title: str
    status: str
    category: str | None
    department: str | None
    opened_at: str
    due_at: str | None
    response: str
    rating: str | None
    can_rate: bool
    merged_into: int | None
    history: list[dict[str, Any]]


@public.get("/{token}", response_model=TrackOut, responses=PUBLIC)
def track(token: Token, session: DB) -> TrackOut:
    return TrackOut(**queries.public_view(session, service.by_token(session, token)))


@public.post("/{token}/rating", response_model=TrackOut, responses=PUBLIC_WRITE)
def citizen_rate(token: Token, body: RateIn, session: DB) -> TrackOut:
    case = service.by_token(session, token)
    service.rate(session, service.citizen(), case, body.rating, comment=body.comment)
    return TrackOut(**queries.public_view(session, case))


def case_types_out() -> list[dict[str, Any]]:
    return [{"code": t.code, "name": t.name, "name_en": t.name_en, "app": t.app} for t in types.all_types()]


@router.get("/types/all", response_model=list[dict[str, Any]], responses=READ)
def list_types(actor: CurrentActor) -> list[dict[str, Any]]:
    del actor
    return case_types_out()
