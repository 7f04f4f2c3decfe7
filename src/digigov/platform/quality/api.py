"""JSON routes of quality control (质量管控): the rules (shipped and stored, as YAML), a dry run of a rule on a
dataset's current data, and the problem-data work items (问题数据 → 整改 → 复核) with their rows.

A rule is added for a dataset (the one it is written for and tried on): the dataset is looked up and the
caller's right to manage its rules checked before the YAML is read. Routes parse, call
`digigov.platform.quality.service` and serialise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from digigov.core.http import DB
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import require
from digigov.platform.catalog.api import NON_BLANK, _errors
from digigov.platform.quality import service as quality
from digigov.platform.quality.model import QualityIssue, QualityRule
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.api import DATASET_CODE, JsonCell, cell
from digigov.platform.warehouse.model import Dataset

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])

READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)

RuleId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9_.-]+$")]
IssueId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DatasetQuery = Annotated[str | None, Query(min_length=1, max_length=60, pattern=DATASET_CODE)]
IssueState = Literal["open", "resubmitted", "closed"]
Definition = Annotated[str, Field(min_length=1, max_length=20_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$",
                                  description="one rule as YAML (its id, name, kind, element or dataset and field, "
                                              "params …; see quality/data/default_rules.yaml)")]


class RuleResultOut(BaseModel):
    """One rule's result on one column: rows checked and failed, sample record numbers, the failing SQL."""

    rule: str
    column: str | None
    kind: str
    checked: int
    failed: int
    pass_rate: float
    samples: list[int] = Field(description="record numbers of failing rows (the first few)")
    skipped: str | None
    failing_sql: str | None


class RuleOut(BaseModel):
    id: str
    name: str
    name_en: str
    kind: str
    element: str | None
    dataset: str | None
    field: str | None
    params: dict[str, Any]
    weight: float
    severity: str
    origin: str = Field(description="shipped (with the platform), platform (a stored element rule) or dataset")
    enabled: bool
    version: int
    stored_id: int | None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: str = Field(min_length=1, max_length=60, pattern=DATASET_CODE,
                         description="the dataset the rule is written for (its owner's steward manages it)")
    definition: Definition


class DryRunIn(RuleIn):
    pass


class IssueOut(BaseModel):
    id: int
    dataset: str
    dataset_name: str
    department: str
    problem: str
    kind: str = Field(description="rule or quarantine")
    title: str
    title_en: str
    severity: str
    state: str = Field(description="open (待整改), resubmitted (已整改待复核) or closed (已销号)")
    rows: int
    response: str
    responded_by: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    response: str = Field(min_length=1, max_length=4000, pattern=NON_BLANK, description="what was fixed (整改说明)")


class IssueRowsOut(BaseModel):
    columns: list[str]
    rows: list[list[JsonCell]]


def rule_out(entry: dict[str, Any]) -> RuleOut:
    d = entry["rule"]
    return RuleOut(id=d.id, name=d.name, name_en=d.name_en, kind=d.kind, element=d.element, dataset=d.dataset,
                   field=d.field, params=dict(d.params), weight=d.weight, severity=d.severity,
                   origin=entry["origin"], enabled=bool(entry["enabled"]), version=int(entry["version"]),
                   stored_id=entry["stored_id"])


def stored_rule_out(session: Session, actor: Actor, row: QualityRule) -> RuleOut:
    ds = session.get(Dataset, row.dataset_id) if row.dataset_id else None
    entries = quality.list_rules(session, actor, ds.code if ds else None)
    return rule_out(next(e for e in entries if e["stored_id"] == row.id))


def issue_out(i: QualityIssue) -> IssueOut:
    return IssueOut(id=i.id, dataset=i.dataset.code, dataset_name=i.dataset.name, department=i.dataset.owner.name,
                    problem=i.problem, kind=i.kind, title=i.title, title_en=i.title_en or "", severity=i.severity,
                    state=i.state, rows=i.rows, response=i.response or "", responded_by=i.responded_by,
                    opened_at=i.opened_at, updated_at=i.updated_at, closed_at=i.closed_at)


def rule_dataset(session: Session, actor: Actor, code: str) -> None:
    """The dataset a rule is added for exists, and the caller may manage its rules."""
    require(actor, "quality.rule.manage", warehouse.get(session, actor, code))


# ---------------------------------------------------------------- routes


@router.get("/rules", response_model=list[RuleOut], responses=READ,
            summary="Shipped and stored rules with their state (a dataset's, or the platform's)")
def list_rules(session: DB, actor: CurrentActor, dataset: DatasetQuery = None) -> list[RuleOut]:
    return [rule_out(e) for e in quality.list_rules(session, actor, dataset)]


@router.post("/rules", response_model=RuleOut, status_code=status.HTTP_201_CREATED, responses=WRITE,
             summary="Add or change a rule from its YAML; it starts disabled (try it with a dry run, then enable)")
def save_rule(session: DB, actor: CurrentActor, body: RuleIn) -> RuleOut:
    rule_dataset(session, actor, body.dataset)
    row = quality.save_rule(session, actor, body.definition)
    return stored_rule_out(session, actor, row)


@router.post("/rules/{rule_id}/enable", response_model=RuleOut, responses=WRITE, summary="Enable a stored rule")
def enable_rule(session: DB, actor: CurrentActor, rule_id: RuleId) -> RuleOut:
    return stored_rule_out(session, actor, quality.set_enabled(session, actor, rule_id, True))


@router.post("/rules/{rule_id}/disable", response_model=RuleOut, responses=WRITE, summary="Disable a stored rule")
def disable_rule(session: DB, actor: CurrentActor, rule_id: RuleId) -> RuleOut:
    return stored_rule_out(session, actor, quality.set_enabled(session, actor, rule_id, False))


@router.post("/dry-run", response_model=list[RuleResultOut], responses=WRITE,
             summary="A rule's hits on the dataset's current data (试运行), before it is saved or enabled")
def dry_run(session: DB, actor: CurrentActor, body: DryRunIn) -> list[RuleResultOut]:
    rule_dataset(session, actor, body.dataset)
    return [RuleResultOut.model_validate(r) for r in quality.dry_run(session, actor, body.dataset, body.definition)]


@router.get("/issues", response_model=list[IssueOut], responses=READ,
            summary="Problem-data work items the caller may see (its department's, or its region's for the "
                    "data authority)")
def list_issues(
    session: DB, actor: CurrentActor, dataset: DatasetQuery = None, state: IssueState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[IssueOut]:
    return [issue_out(i) for i in quality.list_issues(session, actor, dataset=dataset, state=state, limit=limit)]


@router.get("/issues/{issue_id}", response_model=IssueOut, responses=READ_ONE, summary="One work item")
def get_issue(session: DB, actor: CurrentActor, issue_id: IssueId) -> IssueOut:
    return issue_out(quality.get_issue(session, actor, issue_id))


@router.post("/issues/{issue_id}/respond", response_model=IssueOut, responses=WRITE,
             summary="Say what was fixed (整改); the next load re-checks (复核)")
def respond(session: DB, actor: CurrentActor, issue_id: IssueId, body: RespondIn) -> IssueOut:
    return issue_out(quality.respond(session, actor, issue_id, body.response))


@router.get("/issues/{issue_id}/rows", response_model=IssueRowsOut, responses=READ_ONE,
            summary="The item's problem rows, for the source department (audited)")
def issue_rows(
    session: DB, actor: CurrentActor, issue_id: IssueId, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> IssueRowsOut:
    columns, rows = quality.issue_rows(session, actor, issue_id, limit=limit)
    return IssueRowsOut(columns=list(columns), rows=[[cell(v) for v in r] for r in rows])
