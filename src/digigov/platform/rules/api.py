"""JSON routes of the early-warning rules (预警规则) and their signals (预警): /api/v1/rules and /api/v1/signals.

A rule is written as YAML (or JSON) text in `definition`, the same text the console's editor and
`digigov rules add` take. A text the rule checks refuse (its SQL is not one SELECT, its CEL does not
compile, its cron is not five fields, its department does not exist…) is answered 409 with the reason:
the request is well formed, but the rule engine cannot take that rule. Routes parse, call
`digigov.platform.rules.service` and serialise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from digigov.core.errors import Conflict, InvalidInput
from digigov.core.http import DB
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.platform.catalog.api import NON_BLANK, _errors
from digigov.platform.rules import batch
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Rule, RuleRun, RuleVersion, Signal

router = APIRouter(prefix="/api/v1", tags=["rules"])

READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)

Code = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
SignalId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Severity = Literal["red", "orange", "yellow", "blue"]
Definition = Annotated[str, Field(min_length=1, max_length=30_000, pattern=NON_BLANK,
                                  description="one rule as YAML or JSON text: code, name, kind (sql|event), "
                                              "severity, department, case_type, subject, title, schedule, sql | "
                                              "subjects, condition, window")]
T = TypeVar("T")


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: Definition
    note: str = Field(default="", max_length=300, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$",
                      description="what changed (kept with the version)")


class DryRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: Definition


class RuleOut(BaseModel):
    code: str
    name: str
    name_en: str
    kind: str = Field(description="sql (batch, over the warehouse) or event (CEL over bus events)")
    severity: str = Field(description="red, orange, yellow, blue, or column (each result row's `severity`)")
    department: str | None = Field(description="department code of the signals (null: from each row)")
    case_type: str | None
    schedule: str | None = Field(description="5-field cron, Beijing time")
    app: str | None = Field(description="the application that shipped it; null when made in the console")
    enabled: bool
    version: int
    last_run_at: datetime | None
    updated_at: datetime


class VersionOut(BaseModel):
    version: int
    source: str = Field(description="console or app")
    created_by: str
    created_at: datetime
    note: str
    text: str
    spec: dict[str, Any]


class RunOut(BaseModel):
    id: int | None
    rule: str
    version: int
    rows: int
    hits: int
    new_signals: int
    updated_signals: int
    error: str | None
    seconds: float | None = None
    started_at: datetime | None = None
    trigger: str | None = None


class RuleDetailOut(RuleOut):
    description: str
    current: VersionOut
    versions: list[VersionOut]
    runs: list[RunOut]


class HitOut(BaseModel):
    subject_key: str
    severity: str
    title: str
    row_count: int
    department_code: str | None
    region_code: str | None
    new: bool = Field(description="no open signal of the rule on this subject yet")


class DryRunOut(BaseModel):
    rule: str
    kind: str
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int
    signals: list[HitOut]
    new_signals: int
    scanned: int
    seconds: float
    error: str | None


class SignalOut(BaseModel):
    id: int
    rule: str
    rule_name: str
    rule_version: int
    subject_key: str
    severity: str
    status: str = Field(description="open, closed or dismissed")
    title: str
    department: str | None
    region_code: str
    first_seen: datetime
    last_seen: datetime
    hit_count: int
    evidence_count: int
    evidence: list[dict[str, Any]]
    case_id: int | None


def rule_out(r: Rule) -> RuleOut:
    return RuleOut(code=r.code, name=r.name, name_en=r.name_en or "", kind=r.kind, severity=r.severity,
                   department=r.department.code if r.department else None, case_type=r.case_type,
                   schedule=r.schedule, app=r.app, enabled=r.enabled, version=r.current_version,
                   last_run_at=r.last_run_at, updated_at=r.updated_at)


def version_out(v: RuleVersion) -> VersionOut:
    return VersionOut(version=v.version, source=v.source, created_by=v.created_by, created_at=v.created_at,
                      note=v.note or "", text=v.text, spec=dict(v.spec))


def run_out(r: RuleRun, code: str) -> RunOut:
    return RunOut(id=r.id, rule=code, version=r.rule_version, rows=r.rows, hits=r.hits, new_signals=r.new_signals,
                  updated_signals=r.updated_signals, error=r.error, started_at=r.started_at, trigger=r.trigger)


def signal_out(s: Signal) -> SignalOut:
    return SignalOut(id=s.id, rule=s.rule.code, rule_name=s.rule.name, rule_version=s.rule_version,
                     subject_key=s.subject_key, severity=s.severity, status=s.status, title=s.title,
                     department=s.department.code if s.department else None, region_code=s.region_code or "",
                     first_seen=s.first_seen, last_seen=s.last_seen, hit_count=s.hit_count,
                     evidence_count=s.evidence_count, evidence=list(s.evidence or []), case_id=s.case_id)


def dry_run_out(d: rules.DryRunResult) -> DryRunOut:
    def hit(h: batch.Hit) -> HitOut:
        return HitOut(subject_key=h.subject_key, severity=h.severity, title=h.title, row_count=h.row_count,
                      department_code=h.department_code, region_code=h.region_code,
                      new=h.subject_key not in d.open_subjects)

    return DryRunOut(rule=d.rule, kind=d.kind, columns=d.columns, rows=d.rows, row_count=d.row_count,
                     signals=[hit(h) for h in d.signals], new_signals=d.new_signals, scanned=d.scanned,
                     seconds=d.seconds, error=d.error)


def checked(call: Callable[[], T]) -> T:
    """A rule text the checks refuse is a 409 here: well-formed JSON, but no rule the engine can take."""
    try:
        return call()
    except InvalidInput as exc:
        if exc.key != "rule_invalid":
            raise
        raise Conflict(exc.message, key=exc.key, **exc.detail) from exc


def detail_out(session: Session, actor: Actor, code: str) -> RuleDetailOut:
    rule = rules.get_rule(session, actor, code)
    history = rules.versions(session, actor, code)
    current = next(v for v in history if v.version == rule.current_version)
    return RuleDetailOut(**rule_out(rule).model_dump(), description=str(current.spec.get("description", "")),
                         current=version_out(current), versions=[version_out(v) for v in history],
                         runs=[run_out(r, code) for r in rules.recent_runs(session, actor, code)])


# ---------------------------------------------------------------- rules


@router.get("/rules", response_model=list[RuleOut], responses=READ, summary="Early-warning rules (预警规则)")
def list_rules(
    session: DB, actor: CurrentActor, kind: Literal["sql", "event"] | None = None,
    enabled: Annotated[Literal["true", "false"] | None, Query(description="only enabled (true) or disabled")] = None,
    app: Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
) -> list[RuleOut]:
    flag = None if enabled is None else enabled == "true"
    return [rule_out(r) for r in rules.list_rules(session, actor, kind=kind, enabled=flag, app=app)]


@router.post("/rules", response_model=RuleDetailOut, status_code=status.HTTP_201_CREATED, responses=WRITE,
             summary="Add a rule, or save a new version of it (409 when the rule checks refuse the text)")
def save_rule(session: DB, actor: CurrentActor, body: RuleIn) -> RuleDetailOut:
    rule = checked(lambda: rules.save_rule(session, actor, body.definition, note=body.note))
    return detail_out(session, actor, rule.code)


@router.post("/rules/dry-run", response_model=DryRunOut, responses=WRITE,
             summary="Try a rule text on current data (试运行) without saving it; writes only an audit record")
def dry_run_text(session: DB, actor: CurrentActor, body: DryRunIn,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> DryRunOut:
    return dry_run_out(checked(lambda: rules.dry_run(session, actor, body.definition, limit=limit)))


@router.get("/rules/{code}", response_model=RuleDetailOut, responses=READ_ONE,
            summary="A rule with its versions and recent runs")
def get_rule(session: DB, actor: CurrentActor, code: Code) -> RuleDetailOut:
    return detail_out(session, actor, code)


@router.post("/rules/{code}/enable", response_model=RuleOut, responses=WRITE, summary="Enable a rule")
def enable_rule(session: DB, actor: CurrentActor, code: Code) -> RuleOut:
    return rule_out(rules.set_enabled(session, actor, code, True))


@router.post("/rules/{code}/disable", response_model=RuleOut, responses=WRITE, summary="Disable a rule")
def disable_rule(session: DB, actor: CurrentActor, code: Code) -> RuleOut:
    return rule_out(rules.set_enabled(session, actor, code, False))


@router.post("/rules/{code}/dry-run", response_model=DryRunOut, responses=WRITE,
             summary="A stored rule on current data: its hits and the signals it would raise; writes nothing")
def dry_run(session: DB, actor: CurrentActor, code: Code,
            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> DryRunOut:
    rules.get_rule(session, actor, code)  # 404 before reading the code as a rule text
    return dry_run_out(checked(lambda: rules.dry_run(session, actor, code, limit=limit)))


@router.post("/rules/{code}/run", response_model=RunOut, responses=WRITE,
             summary="Run an enabled batch rule now: signals raised or updated (409 if disabled or an event rule)")
def run_rule(session: DB, actor: CurrentActor, code: Code) -> RunOut:
    r = rules.run_rule(session, actor, code)
    return RunOut(id=r.run_id, rule=r.rule, version=r.version, rows=r.rows, hits=r.hits, new_signals=r.new_signals,
                  updated_signals=r.updated_signals, error=r.error, seconds=r.seconds, trigger="manual")


# ---------------------------------------------------------------- signals


@router.get("/signals", response_model=list[SignalOut], responses=READ,
            summary="Signals (预警) the caller may see: its department's, or its region's for the data authority")
def list_signals(
    session: DB, actor: CurrentActor, severity: Severity | None = None,
    state: Annotated[Literal["open", "closed", "dismissed"] | None, Query(alias="status")] = None,
    rule: Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")] = None,
    department: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9]{6}-[a-z_]{1,40}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SignalOut]:
    found = rules.list_signals(session, actor, severity=severity, status=state, rule=rule, department=department,
                               limit=limit, offset=offset)
    return [signal_out(s) for s in found]


@router.get("/signals/{signal_id}", response_model=SignalOut, responses=READ_ONE, summary="One signal")
def get_signal(session: DB, actor: CurrentActor, signal_id: SignalId) -> SignalOut:
    return signal_out(rules.get_signal(session, actor, signal_id))
