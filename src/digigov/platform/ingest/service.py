"""Ingestion (归集): a department's file becomes a new version of its dataset, whole or not at all.

stage  -> the file is read into the raw layer, scanned, and a header -> data element mapping suggested
          (remembered mappings of the dataset first, then header names and content);
commit -> the steward confirms the mapping; cleaning, quarantine, classification and quality checks run
          and the new version becomes current in one step. Re-loading the same file is a no-op.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.core.settings import get_settings
from digigov.core.warehouse import file_sha256, get_warehouse, table_ref
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.catalog import service as catalog
from digigov.platform.classify import detect, suggest
from digigov.platform.exchange import service as exchange
from digigov.platform.ingest import clean, readers
from digigov.platform.quality import service as quality
from digigov.platform.standards import registry
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset, Load

CODE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
FREQUENCIES = ("实时", "每日", "每周", "每月", "每季度", "每年", "不定期")
Progress = Callable[[str, int, int], None]


@dataclass
class DatasetSpec:
    """What a department says about a dataset the first time it hands one in."""

    code: str
    name: str
    department: str | int
    name_en: str = ""
    description: str = ""
    update_frequency: str = "不定期"
    key_columns: Sequence[str] = ()


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def get_dataset(session: Session, code: str) -> Dataset:
    return governance.find_dataset(session, code)


def ensure_dataset(session: Session, actor: Actor, spec: DatasetSpec) -> Dataset:
    """The dataset `spec.code`, created (with its IRS catalogue entry) if it does not exist yet."""
    existing = session.scalar(select(Dataset).where(Dataset.code == spec.code))
    if existing is not None:
        return existing
    if not CODE.match(spec.code):
        raise InvalidInput("a dataset code is 2-41 lower-case letters, digits or _, starting with a letter",
                           key="dataset_code_invalid", field="dataset")
    if spec.update_frequency not in FREQUENCIES:
        raise InvalidInput(f"update frequency must be one of {', '.join(FREQUENCIES)}", field="update_frequency")
    dept = identity.get_department(session, spec.department)
    require(actor, "dataset.ingest", governance.dept_target(dept))
    resource = catalog.create_resource(
        session, actor, kind="dataset", name=spec.name, name_en=spec.name_en, owner_department=dept.id,
        description=spec.description or spec.name, tags=["归集"],
        attributes={"warehouse_table": spec.code, "update_frequency": spec.update_frequency},
    )
    ds = Dataset(code=spec.code, name=spec.name, name_en=spec.name_en, description=spec.description,
                 owner_department_id=dept.id, owner=dept, resource_id=resource.id,
                 update_frequency=spec.update_frequency, key_columns=list(spec.key_columns))
    session.add(ds)
    session.flush()
    audit.record(session, actor, "dataset.create", "dataset", ds.code, detail={"owner": dept.code})
    return ds


def _remembered(ds: Dataset) -> dict[str, str | None]:
    return {f.header: f.element_id for f in ds.fields if f.mapping_confirmed}


def stage(session: Session, actor: Actor, dataset: str, path: Path, *, file_name: str | None = None,
          file_format: str | None = None, progress: Progress | None = None) -> Load:
    """Read `path` into the raw layer and suggest its mapping. Raises readers.FileRefused for a bad file."""
    ds = get_dataset(session, dataset)
    require(actor, "dataset.ingest", ds)
    report = progress or _noop
    load = Load(dataset_id=ds.id, dataset=ds, file_name=(file_name or path.name)[:255], sha256="", format="",
                loaded_by=actor.username)
    session.add(load)
    session.flush()
    started = time.perf_counter()
    wh = get_warehouse()
    raw = table_ref("raw", f"{ds.code}__l{load.id}")
    with wh.connect() as con:
        # a table under this load's name is an orphan of a process killed before its store commit
        con.execute(f"DROP TABLE IF EXISTS {raw}")
        con.execute(f"DROP TABLE IF EXISTS {table_ref('raw', f'{ds.code}__l{load.id}__rejects')}")
        info = readers.read_into(con, path, raw, format=file_format, temp_dir=wh.temp_dir,
                                 progress=lambda done, total: report("read", done, total))
        if info.rejects:
            rejects = table_ref("raw", f"{ds.code}__l{load.id}__rejects")
            con.execute(f"CREATE TABLE {rejects} (record BIGINT, reason VARCHAR, detail VARCHAR, raw VARCHAR)")
            con.executemany(f"INSERT INTO {rejects} VALUES (?, ?, ?, ?)",
                            [[r.record, r.reason, r.detail, r.raw] for r in info.rejects])
        report("scan", 0, 1)
        scans = detect.scan_table(con, raw, info.columns, threshold=get_settings().classify_threshold,
                                  headers=dict(zip(info.columns, info.headers, strict=True)))
        report("scan", 1, 1)
    suggestions = suggest.suggest_mapping(info.headers, {h: scans[c] for h, c in zip(info.headers, info.columns,
                                                                                      strict=True)})
    remembered = _remembered(ds)
    proposed: dict[str, Any] = {}
    for column, header in zip(info.columns, info.headers, strict=True):
        s = suggestions[header]
        entry = {"header": header, "element": s.element, "confidence": round(s.confidence, 3),
                 "source": s.source, "alternatives": list(s.alternatives),
                 "detected": governance.hits_json(scans[column])}
        if header in remembered:
            entry["element"], entry["source"], entry["confidence"] = remembered[header], "remembered", 1.0
        proposed[column] = entry
    load.sha256, load.bytes, load.format, load.encoding = info.sha256, info.bytes, info.format, info.encoding
    load.headers, load.columns = list(info.headers), list(info.columns)
    load.suggestions = proposed
    load.rows_in = info.rows_in
    load.report = {"delimiter": info.delimiter, "read_seconds": round(time.perf_counter() - started, 3),
                   "rejected": len(info.rejects)}
    audit.record(session, actor, "dataset.stage", "load", load.id,
                 detail={"dataset": ds.code, "file": load.file_name, "sha256": info.sha256, "rows_in": info.rows_in})
    return load


def get_load(session: Session, load_id: int) -> Load:
    load = session.get(Load, load_id)
    if load is None:
        raise NotFound(f"load {load_id} not found", key="load_not_found", load=str(load_id))
    return load


def _resolve_mapping(load: Load, mapping: Mapping[str, str | None] | None) -> dict[str, str | None]:
    known = registry.elements()
    by_header = dict(zip(load.headers, load.columns, strict=True))
    result: dict[str, str | None] = {c: (load.suggestions.get(c) or {}).get("element") for c in load.columns}
    for key, element in (mapping or {}).items():
        column = key if key in result else by_header.get(key)
        if column is None:
            raise InvalidInput(f"the file has no column {key!r}", key="mapping_unknown_column", column=key)
        if element not in (None, "") and element not in known:
            raise InvalidInput(f"unknown data element {element!r}", key="element_not_found", element=str(element))
        result[column] = element or None
    return result


def commit(session: Session, actor: Actor, load_id: int, mapping: Mapping[str, str | None] | None = None, *,
           progress: Progress | None = None) -> Load:
    """Make the staged load the dataset's current version (or a no-op if it is the same file and mapping)."""
    load = get_load(session, load_id)
    ds = load.dataset
    require(actor, "dataset.ingest", ds)
    if load.state != "staged":
        raise Conflict(f"load {load.id} is {load.state}, not staged", key="load_not_staged", state=load.state)
    resolved = _resolve_mapping(load, mapping)
    report = progress or _noop
    wh = get_warehouse()
    raw = table_ref("raw", f"{ds.code}__l{load.id}")
    current = governance.current_load(session, ds)
    if current is not None and current.sha256 == load.sha256 and current.mapping == resolved:
        with wh.connect() as con:
            con.execute(f"DROP TABLE IF EXISTS {raw}")
            con.execute(f"DROP TABLE IF EXISTS {table_ref('raw', f'{ds.code}__l{load.id}__rejects')}")
        return _unchanged(session, actor, ds, current, load)
    version = ds.current_version + 1
    started = time.perf_counter()
    rejects = table_ref("raw", f"{ds.code}__l{load.id}__rejects")
    report("clean", 0, 1)
    with wh.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            result = clean.clean(
                con, raw, governance.clean_ref(ds, version), governance.quarantine_ref(ds, version),
                columns=load.columns, headers=load.headers, mapping=resolved,
                required=[c for c, h in zip(load.columns, load.headers, strict=True) if h in ds.key_columns],
                rejects_table=rejects if load.report.get("rejected") else None,
                max_chars=get_settings().ingest_max_cell_chars)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    report("clean", 1, 1)
    if result.accepted + result.quarantined != load.rows_in:
        raise RuntimeError(f"load {load.id}: {result.accepted} accepted + {result.quarantined} quarantined "
                           f"!= {load.rows_in} rows in")  # never expected: the reader and cleaner disagree
    load.mapping, load.version, load.state = resolved, version, "committed"
    load.accepted, load.quarantined, load.reasons = result.accepted, result.quarantined, result.reasons
    load.finished_at = utcnow()
    timings = {"clean_seconds": round(time.perf_counter() - started, 3)}
    governance.apply_fields(ds, load, result.non_empty)
    load.report = {**load.report, "problems": result.problems}
    report("quality", 0, 1)
    started = time.perf_counter()
    quality.check_load(session, actor, ds, load)
    timings["quality_seconds"] = round(time.perf_counter() - started, 3)
    report("quality", 1, 1)
    governance.publish_version(session, actor, ds, load)
    started = time.perf_counter()
    found = exchange.record_changes(session, ds, version, [_column(load, k) for k in ds.key_columns],
                                    load_id=load.id)
    timings["changes_seconds"] = round(time.perf_counter() - started, 3)
    load.report = {**load.report, **timings, "changes": found.counts()}
    audit.record(session, actor, "dataset.load.commit", "load", load.id,
                 detail={"dataset": ds.code, "version": version, "rows_in": load.rows_in,
                         "accepted": load.accepted, "quarantined": load.quarantined, "sha256": load.sha256})
    return load


def _unchanged(session: Session, actor: Actor, ds: Dataset, current: Load, load: Load) -> Load:
    """Record `load` as the current version's file again: same counts, no new version."""
    load.state, load.version, load.mapping = "unchanged", ds.current_version, dict(current.mapping)
    load.rows_in, load.accepted, load.quarantined = current.rows_in, current.accepted, current.quarantined
    load.reasons, load.finished_at = dict(current.reasons), utcnow()
    session.flush()
    audit.record(session, actor, "dataset.load.unchanged", "load", load.id,
                 detail={"dataset": ds.code, "version": ds.current_version})
    return load


def _column(load: Load, key: str) -> str:
    return key if key in load.columns else dict(zip(load.headers, load.columns, strict=True)).get(key, key)


def discard(session: Session, actor: Actor, load_id: int) -> Load:
    load = get_load(session, load_id)
    require(actor, "dataset.ingest", load.dataset)
    if load.state != "staged":
        raise Conflict(f"load {load.id} is {load.state}, not staged", key="load_not_staged", state=load.state)
    load.state, load.finished_at = "discarded", utcnow()
    with get_warehouse().connect() as con:
        con.execute(f"DROP TABLE IF EXISTS {table_ref('raw', f'{load.dataset.code}__l{load.id}')}")
    audit.record(session, actor, "dataset.load.discard", "load", load.id, detail={"dataset": load.dataset.code})
    return load


def ingest(session: Session, actor: Actor, dataset: str, path: Path, *,
           mapping: Mapping[str, str | None] | None = None, file_name: str | None = None,
           file_format: str | None = None, progress: Progress | None = None) -> Load:
    """stage + commit with the suggested (or remembered) mapping, `mapping` overriding it: the CLI's path.

    The same file with the same mapping as the current version is recognised by its hash without reading it.
    """
    ds = get_dataset(session, dataset)
    require(actor, "dataset.ingest", ds)
    current = governance.current_load(session, ds)
    if current is not None and current.sha256 == file_sha256(path) and (
            mapping is None or all(current.mapping.get(_column(current, k)) == v for k, v in mapping.items())):
        load = Load(dataset_id=ds.id, dataset=ds, file_name=(file_name or path.name)[:255], sha256=current.sha256,
                    bytes=current.bytes, format=current.format, encoding=current.encoding,
                    headers=list(current.headers), columns=list(current.columns), loaded_by=actor.username)
        session.add(load)
        return _unchanged(session, actor, ds, current, load)
    load = stage(session, actor, dataset, path, file_name=file_name, file_format=file_format, progress=progress)
    return commit(session, actor, load.id, mapping, progress=progress)




class FileSpec(Protocol):
    """What an application (or the demo) says about a dataset it hands in as a file."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def update_frequency(self) -> str: ...
    @property
    def key(self) -> Sequence[str]: ...
    @property
    def mapping(self) -> Mapping[str, str | None]: ...


def load_file(session: Session, actor: Actor, spec: FileSpec, path: Path) -> dict[str, int | str]:
    """The dataset of `spec` (created on first use, owned by its department) loaded from `path` with the spec's
    mapping; the load's state and counts. An unchanged file loads as unchanged."""
    ensure_dataset(session, actor, DatasetSpec(
        code=spec.code, name=spec.name, name_en=spec.name_en, description=spec.description,
        department=spec.department, update_frequency=spec.update_frequency, key_columns=list(spec.key)))
    result = ingest(session, actor, spec.code, path, mapping=dict(spec.mapping), file_name=path.name)
    return {"state": result.state, "rows_in": result.rows_in, "accepted": result.accepted,
            "quarantined": result.quarantined}
