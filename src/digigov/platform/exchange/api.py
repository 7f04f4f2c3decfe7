"""JSON routes of the change feed (数据高铁): a consumer department reads its feed and acknowledges it.

`GET /api/v1/feeds/{grant_id}` returns the change events delivered under a `feed` grant after a sequence
number (default: the stored position), waiting up to `wait` seconds for the first one; `POST
/api/v1/feeds/{grant_id}/ack` stores the position. A bearer token or a console session of the consumer
department, as for /api/v1/shared.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from digigov.core.http import DB
from digigov.identity.http import CurrentActor
from digigov.platform.exchange import feed

router = APIRouter(tags=["exchange"])
MAX_ID = 2**31 - 1
MAX_SEQ = 2**53 - 1  # the largest integer a JSON number holds exactly
GrantId = Annotated[int, Path(ge=1, le=MAX_ID, description="the feed grant's id")]


class ErrorOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    error: str | None = None
    message: str | None = None
    detail: Any = None


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in"},
    403: {"model": ErrorOut, "description": "Not the grant's department, or the grant is revoked or expired"},
    404: {"model": ErrorOut, "description": "No such feed grant"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


class ChangeOut(BaseModel):
    op: str = Field(description="insert, update or delete")
    row: dict[str, Any] = Field(description="the row's granted fields (masked as granted); old values for a delete")


class EventOut(BaseModel):
    seq: int
    at: str
    grant: int
    dataset: str
    version: int = Field(description="the dataset version these changes made")
    chunk: int | None = None
    resync: bool = Field(default=False, description="the changes are no longer kept: read the dataset again")
    changes: list[ChangeOut]


class FeedOut(BaseModel):
    grant: int
    dataset: str
    position: int = Field(description="the acknowledged position")
    next_after: int = Field(description="pass as `after` to continue")
    lag: int = Field(description="events after next_after not yet read")
    events: list[EventOut]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=0, le=MAX_SEQ, description="every event up to this sequence number is processed")


class AckOut(BaseModel):
    position: int


@router.get("/api/v1/feeds/{grant_id}", response_model=FeedOut, responses=ERRORS,
            summary="Change events of a dataset under my department's feed grant")
def read_feed(grant_id: GrantId, actor: CurrentActor, session: DB,
              after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
              limit: Annotated[int, Query(ge=1, le=feed.MAX_EVENTS)] = 20,
              wait: Annotated[float, Query(ge=0, le=feed.MAX_WAIT)] = 0.0) -> FeedOut:
    page = feed.read(session, actor, grant_id, after=after, limit=limit, wait=wait)
    return FeedOut(grant=page.grant_id, dataset=page.dataset, position=page.position, next_after=page.next_after,
                   lag=page.lag, events=[EventOut(**e) for e in page.events])


@router.post("/api/v1/feeds/{grant_id}/ack", response_model=AckOut, responses=ERRORS,
             summary="Store my position in the feed")
def ack_feed(grant_id: GrantId, body: AckIn, actor: CurrentActor, session: DB) -> AckOut:
    return AckOut(position=feed.ack(session, actor, grant_id, body.seq))
