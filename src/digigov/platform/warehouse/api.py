"""JSON routes of governed datasets: list, describe, rows (masked in the serving SQL), load history, lineage,
and a steward's grade decision on a field.

Routes parse, call `digigov.platform.warehouse.service` (and `governance`) and serialise. Creating a dataset
and loading files are ingestion's routes (`digigov.platform.ingest.api`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from digigov.core.http import DB
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.platform.catalog.api import MAX_ID, NO_CONTROL, NON_BLANK, _errors
from digigov.platform.standards import scheme
from digigov.platform.warehouse import governance
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.model import Dataset

router = APIRouter(prefix="/api/v1", tags=["datasets"])

READ = _errors(401, 403, 422)
READ_ONE = _errors(401, 403, 404, 422)
WRITE = _errors(400, 401, 403, 404, 409, 422)

DATASET_CODE = r"^[a-z][a-z0-9_]{0,59}$"
DatasetCode = Annotated[str, Path(min_length=1, max_length=60, pattern=DATASET_CODE,
                                  description="a dataset code such as hz_residents")]
ColumnName = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f/]+$",
                                 description="a field's column name in the warehouse table")]
GradeName = Literal["L1", "L2", "L3", "L4"]


class OwnerOut(BaseModel):
    code: str
    name: str
    name_en: str


class HitOut(BaseModel):
    """A type the content scan found in a field: how many values, masked evidence and why."""

    element: str
    rate: float
    matched: int
    valid: int
    evidence: list[str] = Field(description="up to 3 sample values, already masked")
    why: str
    why_en: str


class OverrideOut(BaseModel):
    grade: str
    reason: str
    by: str | None


class FieldOut(BaseModel):
    column: str
    header: str
    element: str | None
    element_name: str | None
    grade: str
    detected_grade: str
    gb_level: str
    override: OverrideOut | None
    detected: list[HitOut]
    tags: dict[str, list[str]]
    quality_score: float | None
    non_empty: int
    fill_rate: float | None


class LoadOut(BaseModel):
    id: int
    state: str
    version: int | None
    file: str
    format: str
    encoding: str | None
    sha256: str
    bytes: int
    rows_in: int
    accepted: int
    quarantined: int
    reasons: dict[str, int] = Field(description="quarantine reason (column:reason) -> rows")
    loaded_by: str
    started_at: str | None
    finished_at: str | None
    quality_score: float | None
    timings: dict[str, float]


class DatasetSummary(BaseModel):
    code: str
    name: str
    name_en: str
    layer: str
    owner: OwnerOut
    catalog_code: str | None
    update_frequency: str
    version: int
    rows: int
    grade: str
    grade_label: str
    gb_level: str
    quality_score: float | None
    last_load_at: str | None


class DatasetOut(DatasetSummary):
    tags: dict[str, list[str]]
    fields: list[FieldOut]
    last_load: LoadOut | None


JsonCell = str | int | float | bool | None


class RowsOut(BaseModel):
    columns: list[str]
    rows: list[list[JsonCell]]
    total: int = Field(description="rows in the current version")
    masked: bool = Field(description="graded fields above L2 were masked in the serving query")


class LineageNode(BaseModel):
    code: str
    name: str
    name_en: str
    layer: str
    grade: str
    owner: str
    focus: bool


class LineageEdge(BaseModel):
    source: str
    target: str
    source_column: str
    target_column: str


class LineageOut(BaseModel):
    nodes: list[LineageNode]
    edges: list[LineageEdge]


class GradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grade: GradeName | None = Field(description="the grade to keep whatever the rules say; null clears the decision")
    reason: str = Field(min_length=1, max_length=2000, pattern=NON_BLANK,
                        description="why (kept with the decision and in the audit log)")


# ---------------------------------------------------------------- serialisers


def cell(value: Any) -> JsonCell:
    """One warehouse value as JSON: text, a finite number, a boolean or null."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal | dt.date | dt.datetime | dt.time):
        return str(value)
    return str(value)


def dataset_summary(ds: Dataset) -> DatasetSummary:
    return DatasetSummary(
        code=ds.code, name=ds.name, name_en=ds.name_en or "", layer=ds.layer,
        owner=OwnerOut(code=ds.owner.code, name=ds.owner.name, name_en=ds.owner.name_en or ""),
        catalog_code=ds.resource.code if ds.resource else None, update_frequency=ds.update_frequency,
        version=ds.current_version, rows=ds.row_count, grade=ds.grade, grade_label=scheme.grade_label(ds.grade),
        gb_level=ds.gb_level, quality_score=ds.quality_score,
        last_load_at=ds.last_load_at.isoformat() if ds.last_load_at else None,
    )


def dataset_out(session: Session, actor: Actor, code: str) -> DatasetOut:
    info = warehouse.describe(session, actor, code)
    owner = info.pop("owner")
    return DatasetOut.model_validate({
        **info, "owner": {**owner, "name_en": owner.get("name_en") or ""}, "name_en": info.get("name_en") or "",
        "grade_label": scheme.grade_label(info["grade"]),
    })


# ---------------------------------------------------------------- routes


@router.get("/datasets", response_model=list[DatasetSummary], responses=READ, summary="Governed datasets")
def list_datasets(
    session: DB, actor: CurrentActor,
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="only this owner's")] = None,
) -> list[DatasetSummary]:
    return [dataset_summary(ds) for ds in warehouse.list_datasets(session, actor, department=department_id)]


@router.get("/datasets/{code}", response_model=DatasetOut, responses=READ_ONE,
            summary="A dataset: fields with their elements, detected types, grades, tags, quality; the last load")
def get_dataset(session: DB, actor: CurrentActor, code: DatasetCode) -> DatasetOut:
    return dataset_out(session, actor, code)


@router.get("/datasets/{code}/rows", response_model=RowsOut, responses=READ_ONE,
            summary="Rows of the current version for the owner department's staff, masked unless the steward asks "
                    "(every read is audited)")
def get_rows(
    session: DB, actor: CurrentActor, code: DatasetCode,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    unmasked: Annotated[bool, Query(description="clear values (the owner's data steward only)")] = False,
    purpose: Annotated[str, Query(max_length=200, pattern=NO_CONTROL, description="why, for the audit log")] = "",
) -> RowsOut:
    rows = warehouse.read_rows(session, actor, code, limit=limit, offset=offset, unmasked=unmasked, purpose=purpose)
    return RowsOut(columns=list(rows.columns), rows=[[cell(v) for v in r] for r in rows.rows], total=rows.total,
                   masked=rows.masked)


@router.get("/datasets/{code}/loads", response_model=list[LoadOut], responses=READ_ONE,
            summary="The dataset's loads (归集), newest first")
def get_loads(
    session: DB, actor: CurrentActor, code: DatasetCode,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[LoadOut]:
    ds = warehouse.get(session, actor, code)
    return [LoadOut.model_validate(warehouse.load_json(ld)) for ld in warehouse.loads(session, ds, limit=limit)]


@router.get("/datasets/{code}/lineage", response_model=LineageOut, responses=READ_ONE,
            summary="The lineage graph around a dataset (upstream and downstream, with column edges)")
def get_lineage(session: DB, actor: CurrentActor, code: DatasetCode) -> LineageOut:
    return LineageOut.model_validate(warehouse.lineage(session, actor, code))


@router.put("/datasets/{code}/fields/{column}/grade", response_model=DatasetOut, responses=WRITE,
            summary="Keep a field at a grade whatever the rules say (the owner's data steward), or clear that "
                    "decision with grade null; the reason is kept and audited")
def put_grade(session: DB, actor: CurrentActor, code: DatasetCode, column: ColumnName, body: GradeIn) -> DatasetOut:
    ds = warehouse.get(session, actor, code)
    governance.override_grade(session, actor, ds, column, body.grade, body.reason.strip())
    session.flush()
    return dataset_out(session, actor, code)
