"""What a file page shows: the golden record (masked by each attribute's data element), and one section per
source department. A section's rows are shown only to staff of the dataset's owner (masked as the owner's own
pages mask) or of a department holding an active grant for the dataset (the grant's fields, filter and
masking); any other reader sees that the section exists, whose it is, and how many records it holds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core.errors import NotFound
from digigov.core.warehouse import get_warehouse, ident, table_ref
from digigov.identity.actor import Actor
from digigov.platform.entities import linker
from digigov.platform.entities.mentions import ELEMENTS, first
from digigov.platform.entities.model import EntityDecision
from digigov.platform.entities.sources import ATTRIBUTES, Source, sources
from digigov.platform.sharing import service as sharing
from digigov.platform.standards import masking, registry
from digigov.platform.warehouse.model import Dataset
from digigov.platform.warehouse.service import masking_key, select_sql

ALWAYS = ("platform_admin",)  # roles that see every section (auditors read the audit log, not the files)


@dataclass
class LinkRow:
    record: int
    layer: str
    method: str
    weight: float | None
    evidence: dict[str, Any]
    values: list[Any]


@dataclass
class Section:
    dataset: str
    role: str
    label: str
    dataset_name: str
    owner: str
    visible: bool
    basis: str  # own | grant | admin | none
    columns: list[str] = field(default_factory=list)
    rows: list[LinkRow] = field(default_factory=list)
    records: int = 0
    outside: int = 0  # records of the file the grant's row filter keeps out


@dataclass
class FileView:
    kind: str
    file_id: str
    golden: dict[str, Any]
    records: int
    sections: list[Section]
    history: dict[str, list[tuple[str, str]]]  # attribute -> (value, section label) from visible sections
    decisions: list[EntityDecision]


def _mask_golden(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for attr, value in values.items():
        element = registry.elements().get(dict(ELEMENTS[kind]).get(attr) or "")
        rule = element.masking if element and element.masking else None
        if value is None or rule is None or element is None or element.grade in ("L1", "L2"):
            out[attr] = value
        else:
            out[attr] = masking.RULES[rule].python(str(value), masking_key())
    return out


def _basis(session: Session, actor: Actor, ds: Dataset) -> tuple[str, Any]:
    if actor.has(*ALWAYS):
        return "admin", None
    if actor.department_id is not None and actor.department_id == ds.owner_department_id:
        return "own", None
    if actor.department_id is not None:
        grant = sharing.active_grant(session, actor.department_id, ds.code)
        if grant is not None:
            return "grant", grant
    return "none", None


def _rows(session: Session, ds: Dataset, basis: str, grant: Any,
          records: list[int]) -> tuple[list[str], dict[int, list[Any]]]:
    if not records or not ds.current_version:
        return [], {}
    wanted = ", ".join(str(int(r)) for r in records)
    if basis == "grant":
        cols = [f.column for f in ds.fields]
        table = table_ref(ds.layer, f"{ds.code}__v{ds.current_version}")
        with get_warehouse().connect() as con:
            cur = con.execute(f"SELECT _record, {', '.join(ident(c) for c in cols)} FROM {table} "
                              f"WHERE _record IN ({wanted}) ORDER BY _record")
            raw = cur.fetchall()
        dicts = [dict(zip(cols, r[1:], strict=True)) for r in raw]
        served = sharing.apply_grant(grant, dicts)
        plan = sharing.compiled_for(session, grant)
        out: dict[int, list[Any]] = {}
        kept = iter(served)
        for r, d in zip(raw, dicts, strict=True):
            if plan.predicate(d):
                row = next(kept)
                out[int(r[0])] = [row.get(c) for c in plan.columns]
        return list(plan.columns), out
    sql = select_sql(ds, ds.fields, masked=True)
    with get_warehouse().connect() as con:
        from digigov.platform.standards import sqlfuncs

        sqlfuncs.register(con)
        cur = con.execute(f"SELECT * FROM ({sql}) WHERE _record IN ({wanted}) ORDER BY _record")
        columns = [d[0] for d in cur.description or []][1:]
        return columns, {int(r[0]): list(r[1:]) for r in cur.fetchall()}


def _quarantined(ds: Dataset, records: list[int]) -> dict[int, list[Any]]:
    if not records:
        return {}
    table = table_ref("quarantine", f"{ds.code}__v{ds.current_version}")
    wanted = ", ".join(str(int(r)) for r in records)
    with get_warehouse().connect() as con:
        rows = con.execute(f"SELECT _record, _reasons, _raw FROM {table} WHERE _record IN ({wanted})").fetchall()
    return {int(r[0]): [r[1], r[2]] for r in rows}


def build_view(session: Session, actor: Actor, kind: str, file_id: str) -> FileView:
    with get_warehouse().connect() as con:
        cur = con.execute(f"SELECT * FROM {linker.file_table(kind)} WHERE file_id = ?", [file_id])
        head = first(cur)
        if head is None:
            raise NotFound(f"{kind} file {file_id} not found", key="entity_file_not_found", file_id=file_id)
        golden = dict(zip([d[0] for d in cur.description or []], head, strict=True))
        links = con.execute(f"SELECT dataset, role, layer, record, method, weight, evidence FROM "
                            f"{linker.link_table(kind)} WHERE file_id = ? ORDER BY dataset, role, record",
                            [file_id]).fetchall()
    by_source: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in links:
        by_source.setdefault((row[0], row[1]), []).append(row)
    srcs = {(s.dataset, s.role): s for s in sources(session, kind)}
    datasets = {d.code: d for d in session.scalars(select(Dataset).where(
        Dataset.code.in_([k[0] for k in by_source])))}
    sections = []
    history: dict[str, list[tuple[str, str]]] = {}
    for (code, role), rows in sorted(by_source.items(), key=lambda kv: (srcs[kv[0]].rank if kv[0] in srcs else 999)):
        ds = datasets.get(code)
        src: Source | None = srcs.get((code, role))
        if ds is None or src is None:
            continue
        basis, grant = _basis(session, actor, ds)
        section = Section(dataset=code, role=role, label=src.label, dataset_name=ds.name, owner=ds.owner.name,
                          visible=basis != "none", basis=basis, records=len(rows))
        if section.visible:
            clean = [int(r[3]) for r in rows if r[2] == "clean"]
            columns, values = _rows(session, ds, basis, grant, clean)
            quarantined = _quarantined(ds, [int(r[3]) for r in rows if r[2] == "quarantine"]) if basis in (
                "own", "admin") else {}
            section.columns = columns
            section.outside = len(clean) - len(values)
            for _c, _r, layer, record, method, weight, ev in rows:
                vals = values.get(int(record)) if layer == "clean" else quarantined.get(int(record))
                if vals is None:
                    continue
                section.rows.append(LinkRow(int(record), layer, method, weight, json.loads(ev) if ev else {}, vals))
                if layer == "clean":
                    for attr, column in src.columns.items():
                        if column in columns:
                            value = vals[columns.index(column)]
                            if value not in (None, "") and (str(value), src.label) not in history.get(attr, []):
                                history.setdefault(attr, []).append((str(value), src.label))
        sections.append(section)
    attrs = {a: golden.get(a) for a in ATTRIBUTES[kind]}
    decisions = list(session.scalars(select(EntityDecision).where(
        EntityDecision.kind == kind, EntityDecision.file_id == file_id).order_by(EntityDecision.id.desc())))
    return FileView(kind=kind, file_id=file_id, golden=_mask_golden(kind, attrs), records=int(golden["records"]),
                    sections=sections, history=history, decisions=decisions)
