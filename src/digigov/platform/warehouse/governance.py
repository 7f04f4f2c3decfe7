"""What a committed load changes in the store: fields and grades, the current version, the IRS entry.

Called by ingestion (and by derivation) inside the caller's transaction. The warehouse tables of a
version are already committed in DuckDB; this makes them the current version in the same store
transaction as the load record and its audit entry. Views named after each dataset
(`clean."ps_household"`) follow the current version once the store transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.settings import get_settings
from digigov.core.warehouse import get_warehouse, ident, table_ref
from digigov.identity.actor import Actor
from digigov.platform.catalog import service as catalog
from digigov.platform.classify import grading
from digigov.platform.warehouse.model import Dataset, DatasetField, Load

dept_target = catalog.dept_target  # (department_id, region_code) for the permission rules


def hits_json(scan: Any) -> list[dict[str, Any]]:
    """A FieldScan's type hits as plain JSON for the store."""
    return [{"element": h.element, "rate": round(float(h.rate), 4), "matched": int(h.matched),
             "valid": int(h.valid), "evidence": list(h.evidence), "why": h.why, "why_en": h.why_en}
            for h in scan.hits]


def find_dataset(session: Session, code: str) -> Dataset:
    """The dataset `code` (NotFound otherwise); permission checks are the caller's."""
    from digigov.core.errors import NotFound

    ds = session.scalar(select(Dataset).where(Dataset.code == code))
    if ds is None:
        raise NotFound(f"dataset {code} not found", key="dataset_not_found", dataset=code)
    return ds


def clean_ref(ds: Dataset, version: int) -> str:
    return table_ref(ds.layer, f"{ds.code}__v{version}")


def quarantine_ref(ds: Dataset, version: int) -> str:
    return table_ref("quarantine", f"{ds.code}__v{version}")


def current_table(ds: Dataset) -> str | None:
    """The warehouse table holding the dataset's current version, or None before its first load."""
    return clean_ref(ds, ds.current_version) if ds.current_version else None


def current_load(session: Session, ds: Dataset) -> Load | None:
    if not ds.current_version:
        return None
    return session.scalar(select(Load).where(Load.dataset_id == ds.id, Load.version == ds.current_version,
                                             Load.state == "committed"))


def apply_fields(ds: Dataset, load: Load, non_empty: Mapping[str, int]) -> None:
    """Fields follow the load's columns; mapping and scan results update, steward overrides stay."""
    threshold = get_settings().classify_threshold
    by_column = {f.column: f for f in ds.fields}
    keep: list[DatasetField] = []
    for position, (column, header) in enumerate(zip(load.columns, load.headers, strict=True)):
        fld = by_column.get(column) or DatasetField(column=column, header=header, position=position)
        fld.position, fld.header = position, header
        fld.element_id = load.mapping.get(column)
        fld.mapping_confirmed = True
        fld.detected = list((load.suggestions.get(column) or {}).get("detected", []))
        g = grading.grade_field(fld.element_id, fld.detected, threshold)
        fld.detected_grade, fld.gb_level, fld.tags = g.grade, g.gb_level, g.tags
        fld.grade = fld.grade_override or g.grade
        if fld.grade_override:
            fld.gb_level = overridden_gb(fld.grade_override, g.gb_level)
        fld.non_empty = int(non_empty.get(column, 0))
        keep.append(fld)
    ds.fields[:] = keep
    regrade(ds)


def overridden_gb(grade: str, gb_level: str) -> str:
    """The national level beside a steward's grade: the crosswalk's, unless the data is 重要/核心."""
    from digigov.platform.standards import scheme

    return gb_level if gb_level in scheme.BLOCKING_GB_LEVELS else scheme.gb_for(grade)


def regrade(ds: Dataset) -> None:
    g = grading.dataset_grading((f.grade, f.gb_level, f.tags) for f in ds.fields)
    ds.grade, ds.gb_level, ds.tags = g.grade, g.gb_level, g.tags


def catalog_attributes(ds: Dataset) -> dict[str, Any]:
    """What the IRS entry of a dataset says about it (labels in catalog.labels.ATTRIBUTE_LABELS)."""
    return {
        "warehouse_table": f"{ds.layer}.{ds.code}",
        "update_frequency": ds.update_frequency,
        "record_count": ds.row_count,
        "version": ds.current_version,
        "grade": ds.grade,
        "gb_level": ds.gb_level,
        "quality_score": ds.quality_score,
        "last_load_at": ds.last_load_at.strftime("%Y-%m-%d %H:%M") if ds.last_load_at else None,
        "fields": [f"{f.header}（{f.element_id}）" if f.element_id else f.header for f in ds.fields],
    }


def sync_catalog(session: Session, actor: Actor, ds: Dataset) -> None:
    if ds.resource_id is None:
        return
    catalog.update_resource(session, actor, ds.resource_id, attributes=catalog_attributes(ds),
                            requires_authority=ds.grade in ("L3", "L4"))


def publish_version(session: Session, actor: Actor, ds: Dataset, load: Load) -> None:
    """Make `load`'s version current; the old versions beyond the kept ones go after the commit."""
    ds.current_version = int(load.version or 0)
    ds.row_count = load.accepted
    ds.last_load_at = load.finished_at or utcnow()
    sync_catalog(session, actor, ds)
    bind = session.get_bind()
    code = ds.code
    after_commit(session, lambda: sync_views(bind, code))


def sync_views(bind: Any, code: str | None = None) -> None:
    """Point each dataset's view at its current version, and drop versions beyond the kept ones.

    Reads the current versions in a session of its own on `bind`, so it only follows committed state.
    """
    keep = max(1, get_settings().warehouse_keep_versions)
    with Session(bind) as session:
        stmt = select(Dataset.code, Dataset.layer, Dataset.current_version)
        if code:
            stmt = stmt.where(Dataset.code == code)
        rows = session.execute(stmt).all()
        live_loads = {(c, int(i)) for c, i in session.execute(
            select(Dataset.code, Load.id).join(Load, Load.dataset_id == Dataset.id)
            .where(Load.state == "staged")).all()}
        version_loads = {(c, int(v or 0), int(i)) for c, v, i in session.execute(
            select(Dataset.code, Load.version, Load.id).join(Load, Load.dataset_id == Dataset.id)
            .where(Load.state == "committed")).all()}
    with get_warehouse().connect() as con:
        for ds_code, layer, version in rows:
            if not version:
                continue
            con.execute(f"CREATE OR REPLACE VIEW {table_ref(layer, ds_code)} AS "
                        f"SELECT * FROM {table_ref(layer, f'{ds_code}__v{version}')}")
            kept = {v for v in range(version - keep + 1, version + 1)}
            for schema in (layer, "quarantine"):
                for (name,) in con.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                        "AND table_type = 'BASE TABLE' AND table_name LIKE ?", [schema, f"{ds_code}__v%"]).fetchall():
                    suffix = name.rsplit("__v", 1)[-1]
                    if suffix.isdigit() and int(suffix) not in kept:
                        con.execute(f"DROP TABLE IF EXISTS {schema}.{ident(name)}")
            for (name,) in con.execute(  # the change tables (exchange.changes) of versions no longer kept
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_type = 'BASE TABLE' AND table_name LIKE ?", [layer, f"{ds_code}__c%"]).fetchall():
                suffix = name.rsplit("__c", 1)[-1]
                if suffix.isdigit() and int(suffix) not in kept:
                    con.execute(f"DROP TABLE IF EXISTS {layer}.{ident(name)}")
            kept_loads = {i for c, v, i in version_loads if c == ds_code and v in kept}
            for (name,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' AND table_name LIKE ?",
                    [f"{ds_code}__l%"]).fetchall():
                load_id = name.split("__l", 1)[1].split("__", 1)[0]
                if load_id.isdigit() and int(load_id) not in kept_loads and (ds_code, int(load_id)) not in live_loads:
                    con.execute(f"DROP TABLE IF EXISTS raw.{ident(name)}")


def after_commit(session: Session, fn: Any) -> None:
    """Run `fn()` once `session`'s transaction commits (not at all if it rolls back)."""
    pending: list[Any] = session.info.setdefault("digigov_after_commit", [])
    pending.append(fn)
    if not session.info.get("digigov_after_commit_hooked"):
        session.info["digigov_after_commit_hooked"] = True

        @event.listens_for(session, "after_commit")
        def _run(sess: Session) -> None:
            callbacks = list(sess.info.get("digigov_after_commit", []))
            sess.info["digigov_after_commit"] = []
            for cb in callbacks:
                cb()

        @event.listens_for(session, "after_rollback")
        def _drop(sess: Session) -> None:
            sess.info["digigov_after_commit"] = []


def override_grade(session: Session, actor: Actor, ds: Dataset, column: str, grade: str | None, reason: str) -> None:
    """A steward's decision on a field's grade (None clears it), audited, kept across re-loads."""
    from digigov.core.errors import InvalidInput, NotFound
    from digigov.identity.permissions import require
    from digigov.platform.standards import scheme

    require(actor, "dataset.classify", ds)
    fld = next((f for f in ds.fields if f.column == column), None)
    if fld is None:
        raise NotFound(f"dataset {ds.code} has no field {column}", key="field_not_found", column=column)
    if grade is not None and grade not in scheme.GRADES:
        raise InvalidInput(f"grade must be one of {', '.join(scheme.GRADES)}", field="grade")
    reason = (reason or "").strip()
    if grade is not None and not reason:
        raise InvalidInput("say why the grade differs from what the rules give", key="override_reason_required",
                           field="reason")
    before = fld.grade
    fld.grade_override = grade
    fld.override_reason = reason if grade else ""
    fld.override_by, fld.override_at = (actor.username, utcnow()) if grade else (None, None)
    fld.grade = grade or fld.detected_grade
    fld.gb_level = overridden_gb(fld.grade, fld.gb_level) if grade else \
        grading.grade_field(fld.element_id, fld.detected, get_settings().classify_threshold).gb_level
    regrade(ds)
    sync_catalog(session, actor, ds)
    audit.record(session, actor, "dataset.grade.override", "field", f"{ds.code}.{column}",
                 detail={"from": before, "to": fld.grade, "override": grade, "reason": reason})
