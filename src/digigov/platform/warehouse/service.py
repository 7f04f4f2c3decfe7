"""Datasets as their users see them: list, describe, read rows (masked in the serving SQL), derive new
datasets with lineage, and the lineage graph.

Masking (脱敏) happens in the SELECT that DuckDB runs: each graded column is wrapped in its data
element's masking expression, so an unmasked value never leaves the warehouse for a masked reader.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput
from digigov.core.settings import get_settings
from digigov.core.warehouse import get_warehouse, ident, sql_literal, table_ref
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.identity.permissions import can, require
from digigov.platform.standards import masking, registry, scheme, sqlfuncs
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset, DatasetField, LineageEdge, Load

MASKED_FROM = "L2"  # fields graded above this are masked for readers without the unmasked right


def list_datasets(session: Session, actor: Actor, *, department: int | None = None) -> list[Dataset]:
    require(actor, "dataset.view")
    stmt = select(Dataset).order_by(Dataset.code)
    if department is not None:
        stmt = stmt.where(Dataset.owner_department_id == department)
    return list(session.scalars(stmt))


def get(session: Session, actor: Actor, code: str) -> Dataset:
    require(actor, "dataset.view")
    return governance.find_dataset(session, code)


def loads(session: Session, ds: Dataset, limit: int = 20) -> list[Load]:
    return list(session.scalars(select(Load).where(Load.dataset_id == ds.id).order_by(Load.id.desc()).limit(limit)))


def describe(session: Session, actor: Actor, code: str) -> dict[str, Any]:
    """Everything `digigov datasets show` and the JSON API print about a dataset."""
    ds = get(session, actor, code)
    last = governance.current_load(session, ds)
    elements = registry.elements()
    return {
        "code": ds.code, "name": ds.name, "name_en": ds.name_en, "layer": ds.layer,
        "owner": {"code": ds.owner.code, "name": ds.owner.name, "name_en": ds.owner.name_en},
        "catalog_code": ds.resource.code if ds.resource else None,
        "update_frequency": ds.update_frequency, "version": ds.current_version, "rows": ds.row_count,
        "grade": ds.grade, "gb_level": ds.gb_level, "quality_score": ds.quality_score, "tags": ds.tags,
        "last_load_at": ds.last_load_at.isoformat() if ds.last_load_at else None,
        "fields": [{
            "column": f.column, "header": f.header, "element": f.element_id,
            "element_name": elements[f.element_id].name if f.element_id in elements else None,
            "grade": f.grade, "detected_grade": f.detected_grade, "gb_level": f.gb_level,
            "override": ({"grade": f.grade_override, "reason": f.override_reason, "by": f.override_by}
                         if f.grade_override else None),
            "detected": f.detected, "tags": f.tags, "quality_score": f.quality_score, "non_empty": f.non_empty,
            "fill_rate": round(f.non_empty / ds.row_count, 4) if ds.row_count else None,
        } for f in ds.fields],
        "last_load": load_json(last) if last else None,
    }


def load_json(load: Load) -> dict[str, Any]:
    quality = load.report.get("quality", {})
    return {
        "id": load.id, "state": load.state, "version": load.version, "file": load.file_name,
        "format": load.format, "encoding": load.encoding, "sha256": load.sha256, "bytes": load.bytes,
        "rows_in": load.rows_in, "accepted": load.accepted, "quarantined": load.quarantined,
        "reasons": load.reasons, "loaded_by": load.loaded_by,
        "started_at": load.started_at.isoformat() if load.started_at else None,
        "finished_at": load.finished_at.isoformat() if load.finished_at else None,
        "quality_score": quality.get("score"),
        "timings": {k: v for k, v in load.report.items() if k.endswith("_seconds")},
    }


# ---- serving rows --------------------------------------------------------------------------------

def masking_key() -> str:
    settings = get_settings()
    if settings.masking_key:
        return settings.masking_key
    return hmac.new(settings.effective_secret_key().encode(), b"digigov-masking", hashlib.sha256).hexdigest()


def column_sql(fld: DatasetField, *, masked: bool, pseudonymise: bool = False) -> str:
    """The SELECT expression serving one field: the raw column or its masking expression."""
    col = ident(fld.column)
    if not masked or scheme.grade_rank(fld.grade) <= scheme.grade_rank(MASKED_FROM):
        return f"{col} AS {col}"
    if pseudonymise:
        return f"{masking.RULES['pseudonym'].sql(col, sql_literal(masking_key()))} AS {col}"
    element = registry.elements().get(fld.element_id or "")
    rule = element.masking if element and element.masking else "redact"
    return f"{masking.RULES[rule].sql(col, sql_literal(masking_key()))} AS {col}"


def select_sql(ds: Dataset, fields: Sequence[DatasetField], *, masked: bool, version: int | None = None,
               pseudonymise: Sequence[str] = ()) -> str:
    table = table_ref(ds.layer, f"{ds.code}__v{version or ds.current_version}")
    cols = ", ".join(column_sql(f, masked=masked, pseudonymise=f.column in pseudonymise) for f in fields)
    return f"SELECT _record, {cols} FROM {table}"


@dataclass
class Rows:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    total: int
    masked: bool
    sql: str


def read_rows(session: Session, actor: Actor, code: str, *, limit: int = 50, offset: int = 0,
              unmasked: bool = False, purpose: str = "") -> Rows:
    """Rows of the current version for the owner department's staff, masked unless the steward asks."""
    ds = get(session, actor, code)
    require(actor, "dataset.rows", ds)
    if unmasked:
        require(actor, "dataset.rows_unmasked", ds)
    if not ds.current_version:
        return Rows([], [], 0, not unmasked, "")
    limit, offset = max(1, min(int(limit), 1000)), max(0, int(offset))
    sql = select_sql(ds, ds.fields, masked=not unmasked)
    with get_warehouse().connect() as con:
        sqlfuncs.register(con)
        cur = con.execute(f"{sql} ORDER BY _record LIMIT {limit} OFFSET {offset}")
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    audit.record(session, actor, "dataset.rows.read", "dataset", ds.code, purpose=purpose,
                 detail={"rows": len(rows), "offset": offset, "masked": not unmasked,
                         "fields": [f.column for f in ds.fields]})
    return Rows(columns, rows, ds.row_count, not unmasked, sql)


# ---- derived datasets and lineage ----------------------------------------------------------------

_SOURCE = re.compile(r"\{(?P<code>[a-z][a-z0-9_]{1,40})\}")


def derive(session: Session, actor: Actor, *, code: str, name: str, sql: str,
           column_sources: Mapping[str, Sequence[str]], name_en: str = "", description: str = "",
           layer: str = "topic", owner_department: int | None = None,
           grade_reasons: Mapping[str, tuple[str, str]] | None = None) -> Dataset:
    """Build a derived dataset from `sql` over other datasets, written `{code}`, with column lineage.

    `column_sources` maps each output column to its source columns as "dataset.column". A derived
    column inherits the highest grade of its sources (classification propagation, as Apache Atlas does)
    unless `grade_reasons[column] = (grade, why)` records a steward's reason for another grade.
    """
    require(actor, "dataset.derive")
    if layer not in ("entity", "topic"):
        raise InvalidInput("a derived dataset lives in the entity or topic layer", field="layer")
    sources = {m.group("code") for m in _SOURCE.finditer(sql)}
    if not sources:
        raise InvalidInput("name the source datasets as {code} in the SQL", key="derive_no_sources", field="sql")
    if ";" in sql:
        raise InvalidInput("one SELECT statement only", field="sql")
    found = {d.code: d for d in session.scalars(select(Dataset).where(Dataset.code.in_(sources)))}
    missing = sorted(sources - set(found))
    if missing or any(not d.current_version for d in found.values()):
        raise Conflict(f"source datasets without data: {', '.join(missing) or 'some'}", key="derive_sources_missing")
    resolved = _SOURCE.sub(lambda m: governance.clean_ref(found[m.group("code")],
                                                          found[m.group("code")].current_version), sql)
    ds = session.scalar(select(Dataset).where(Dataset.code == code))
    versions = {c: d.current_version for c, d in sorted(found.items())}
    if ds is not None and ds.current_version and ds.build_sql == sql and ds.build_sources == versions:
        return ds  # built from these very versions already: nothing to do
    owner = session.get(Department, owner_department or actor.department_id or 0) or \
        session.scalar(select(Department).where(Department.is_data_authority.is_(True), Department.tier == "province"))
    if owner is None:
        raise InvalidInput("no owner department for the derived dataset", field="owner_department")
    if ds is None:
        from digigov.platform.ingest.service import DatasetSpec, ensure_dataset

        ds = ensure_dataset(session, actor, DatasetSpec(code=code, name=name, name_en=name_en,
                                                        description=description, department=owner.id))
        ds.layer = layer
    version = ds.current_version + 1
    target = governance.clean_ref(ds, version)
    with get_warehouse().connect() as con:
        sqlfuncs.register(con)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE TABLE {target} AS SELECT row_number() OVER () AS _record, * FROM ({resolved})")
            cur = con.execute(f"SELECT * FROM {target} LIMIT 0")
            out_columns = [d[0] for d in cur.description or []][1:]
            rows = int(con.execute(f"SELECT count(*) FROM {target}").fetchone()[0])  # type: ignore[index]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    unknown = sorted(set(column_sources) - set(out_columns))
    if unknown:
        raise InvalidInput(f"lineage names columns the SQL does not produce: {', '.join(unknown)}",
                           key="derive_unknown_columns")
    _record_lineage(session, ds, found, out_columns, column_sources)
    _propagate_grades(session, actor, ds, found, out_columns, column_sources, grade_reasons or {})
    ds.build_sql, ds.build_sources = sql, versions
    ds.current_version, ds.row_count, ds.last_load_at = version, rows, utcnow()
    governance.regrade(ds)
    governance.sync_catalog(session, actor, ds)
    bind, ds_code = session.get_bind(), ds.code
    governance.after_commit(session, lambda: governance.sync_views(bind, ds_code))
    audit.record(session, actor, "dataset.derive", "dataset", ds.code,
                 detail={"version": version, "rows": rows, "sources": sorted(sources), "grade": ds.grade})
    return ds


def _split(source: str) -> tuple[str, str]:
    code, _, column = source.partition(".")
    return code, column


def _record_lineage(session: Session, ds: Dataset, found: Mapping[str, Dataset], out_columns: Sequence[str],
                    column_sources: Mapping[str, Sequence[str]]) -> None:
    session.query(LineageEdge).filter(LineageEdge.target_id == ds.id).delete()
    for src in found.values():
        session.add(LineageEdge(source_id=src.id, target_id=ds.id, transform="derive"))
    for column in out_columns:
        for source in column_sources.get(column, ()):
            code, src_col = _split(source)
            if code not in found or src_col not in {f.column for f in found[code].fields}:
                raise InvalidInput(f"unknown lineage source {source}", key="derive_unknown_source", source=source)
            session.add(LineageEdge(source_id=found[code].id, source_column=src_col, target_id=ds.id,
                                    target_column=column, transform="derive"))
    session.flush()


def _propagate_grades(session: Session, actor: Actor, ds: Dataset, found: Mapping[str, Dataset],
                      out_columns: Sequence[str], column_sources: Mapping[str, Sequence[str]],
                      grade_reasons: Mapping[str, tuple[str, str]]) -> None:
    by_column = {f.column: f for f in ds.fields}
    keep: list[DatasetField] = []
    for position, column in enumerate(out_columns):
        fld = by_column.get(column) or DatasetField(column=column, header=column, position=position)
        fld.position = position
        inherited: list[DatasetField] = []
        for source in column_sources.get(column, ()):
            code, src_col = _split(source)
            inherited += [f for f in found[code].fields if f.column == src_col]
        elements = {f.element_id for f in inherited if f.element_id}
        fld.element_id = elements.pop() if len(elements) == 1 else None
        fld.mapping_confirmed = True
        fld.detected_grade = scheme.max_grade(f.grade for f in inherited) if inherited else "L1"
        fld.gb_level = scheme.max_gb_level(f.gb_level for f in inherited) if inherited else "general_1"
        fld.tags = {}
        for f in inherited:
            for dim, values in f.tags.items():
                fld.tags.setdefault(dim, [])
                fld.tags[dim] += [v for v in values if v not in fld.tags[dim]]
        if column in grade_reasons:
            grade, why = grade_reasons[column]
            if grade not in scheme.GRADES or not why.strip():
                raise InvalidInput(f"{column}: a grade other than the inherited one needs a grade and a reason",
                                   key="override_reason_required", field=column)
            fld.grade_override, fld.override_reason = grade, why.strip()
            fld.override_by, fld.override_at = actor.username, utcnow()
        fld.grade = fld.grade_override or fld.detected_grade
        if fld.grade_override:
            fld.gb_level = governance.overridden_gb(fld.grade_override, fld.gb_level)
        keep.append(fld)
    ds.fields[:] = keep


def lineage(session: Session, actor: Actor, code: str, depth: int = 3) -> dict[str, Any]:
    """The lineage graph around a dataset: upstream and downstream datasets, and column edges."""
    ds = get(session, actor, code)
    seen: dict[int, Dataset] = {ds.id: ds}
    edges: list[LineageEdge] = []
    frontier = {ds.id}
    for _ in range(max(1, min(depth, 6))):
        batch = list(session.scalars(select(LineageEdge).where(
            or_(LineageEdge.source_id.in_(frontier), LineageEdge.target_id.in_(frontier)))))
        new = {e.source_id for e in batch} | {e.target_id for e in batch}
        edges += [e for e in batch if e not in edges]
        frontier = new - set(seen)
        for d in session.scalars(select(Dataset).where(Dataset.id.in_(frontier))):
            seen[d.id] = d
        if not frontier:
            break
    return {
        "nodes": [{"code": d.code, "name": d.name, "name_en": d.name_en, "layer": d.layer, "grade": d.grade,
                   "owner": d.owner.name, "focus": d.id == ds.id} for d in seen.values()],
        "edges": [{"source": seen[e.source_id].code, "target": seen[e.target_id].code,
                   "source_column": e.source_column, "target_column": e.target_column}
                  for e in edges if e.source_id in seen and e.target_id in seen],
    }


def may_read_rows(actor: Actor, ds: Dataset) -> bool:
    return can(actor, "dataset.rows", ds)


# ---- applications' reads (数据碰撞 across departments) -------------------------------------------------------------


@dataclass(frozen=True)
class AppRead:
    """What an application read: the dataset, its owner department, the version, the rows (dicts by column)."""

    code: str
    owner: str  # owner department code
    version: int
    rows: list[dict[str, Any]]


def is_loaded(session: Session, code: str) -> bool:
    ds = session.scalar(select(Dataset).where(Dataset.code == code))
    return ds is not None and bool(ds.current_version)


def read_for_app(session: Session, actor: Actor, code: str, columns: Sequence[str] | None = None, *, app: str,
                 purpose: str, action: str) -> AppRead:
    """The rows of `code`'s current version (the named columns, all when None) for application `app`, audited as
    `action` with the purpose, owner, version, row count and columns; a dataset not loaded yet is a Conflict."""
    ds = session.scalar(select(Dataset).where(Dataset.code == code))
    if ds is None or not ds.current_version:
        raise Conflict(f"dataset {code} has not been loaded", key="app_source_missing", dataset=code)
    known = [f.column for f in ds.fields]
    wanted = [c for c in (columns or known) if c in known]
    table = table_ref(ds.layer, f"{ds.code}__v{ds.current_version}")
    with get_warehouse().connect() as con:
        cur = con.execute(f"SELECT {', '.join(ident(c) for c in wanted)} FROM {table} ORDER BY _record")
        rows = [dict(zip(wanted, r, strict=True)) for r in cur.fetchall()]
    audit.record(session, actor, action, "dataset", ds.code, purpose=purpose,
                 detail={"app": app, "owner": ds.owner.code, "version": ds.current_version, "rows": len(rows),
                         "columns": wanted})
    return AppRead(ds.code, ds.owner.code, ds.current_version, rows)
