"""Which datasets take part in linkage and how (`EntitySource`): the shipped defaults for the demo
departments' datasets (data/sources.yaml) and `register_source` for any other dataset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.errors import InvalidInput
from digigov.identity.actor import Actor
from digigov.platform.entities.model import ENTERPRISE_ATTRIBUTES, KINDS, PERSON_ATTRIBUTES, EntitySource
from digigov.platform.warehouse.model import Dataset

ATTRIBUTES = {"person": PERSON_ATTRIBUTES, "enterprise": ENTERPRISE_ATTRIBUTES}
#: The attribute that carries the identifier an exact link is made on.
KEY_ATTRIBUTE = {"person": "citizen_id", "enterprise": "uscc"}


@dataclass(frozen=True)
class Source:
    """A source ready to read: the dataset's current clean table and its columns per attribute."""

    kind: str
    dataset: str
    role: str
    label: str
    columns: dict[str, str]
    row_filter: str
    authoritative: tuple[str, ...]
    rank: int
    layer: str
    version: int
    owner_department_id: int

    @property
    def key(self) -> str:
        return f"{self.dataset}|{self.role}"


@cache
def _defaults() -> dict[str, list[dict[str, Any]]]:
    text = (Path(__file__).parent / "data" / "sources.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def _check(kind: str, columns: dict[str, str], authoritative: Sequence[str]) -> None:
    if kind not in KINDS:
        raise InvalidInput(f"unknown entity kind {kind!r}", key="entity_kind", kind=kind)
    known = ATTRIBUTES[kind]
    unknown = [a for a in [*columns, *authoritative] if a not in known]
    if unknown:
        raise InvalidInput(f"unknown {kind} attributes: {', '.join(unknown)}", key="entity_attribute",
                               attributes=", ".join(unknown))
    if "name" not in columns and KEY_ATTRIBUTE[kind] not in columns:
        raise InvalidInput("a source needs at least a name or an identifier column", key="entity_source_key")


def register_source(session: Session, actor: Actor, *, kind: str, dataset: str, columns: dict[str, str],
                    role: str = "", label: str = "", authoritative: Sequence[str] = (), rank: int = 100,
                    row_filter: str = "") -> EntitySource:
    """Make `dataset` take part in linking `kind` (or change how it does); the next link reads it."""
    _check(kind, columns, authoritative)
    ds = session.scalar(select(Dataset).where(Dataset.code == dataset))
    if ds is None:
        raise InvalidInput(f"dataset {dataset!r} not found", key="dataset_not_found", dataset=dataset)
    missing = [c for c in columns.values() if c not in {f.column for f in ds.fields}]
    if missing:
        raise InvalidInput(f"dataset {dataset} has no column {', '.join(missing)}", key="entity_column",
                               columns=", ".join(missing))
    row = session.scalar(select(EntitySource).where(EntitySource.kind == kind, EntitySource.dataset_code == dataset,
                                                    EntitySource.role == role))
    if row is None:
        row = EntitySource(kind=kind, dataset_code=dataset, role=role)
        session.add(row)
    row.label, row.columns, row.authoritative = label or ds.name, dict(columns), list(authoritative)
    row.rank, row.row_filter, row.enabled = rank, row_filter, True
    session.flush()
    audit.record(session, actor, "entities.source.register", "dataset", dataset,
                 detail={"kind": kind, "role": role, "columns": dict(columns), "authoritative": list(authoritative)})
    return row


def ensure_defaults(session: Session, actor: Actor) -> int:
    """Register the shipped sources whose dataset exists and that are not registered yet; how many were."""
    have = {(s.kind, s.dataset_code, s.role) for s in session.scalars(select(EntitySource))}
    present = set(session.scalars(select(Dataset.code)))
    added = 0
    for kind, specs in _defaults().items():
        for spec in specs:
            role = spec.get("role", "")
            if spec["dataset"] not in present or (kind, spec["dataset"], role) in have:
                continue
            register_source(session, actor, kind=kind, dataset=spec["dataset"], columns=dict(spec["columns"]),
                            role=role, label=spec.get("label", ""), authoritative=spec.get("authoritative", ()),
                            rank=int(spec.get("rank", 100)), row_filter=spec.get("where", ""))
            added += 1
    return added


def sources(session: Session, kind: str, *, datasets: Sequence[str] | None = None) -> list[Source]:
    """The enabled sources of `kind` whose dataset has data, in rank order."""
    rows = session.execute(
        select(EntitySource, Dataset).join(Dataset, Dataset.code == EntitySource.dataset_code)
        .where(EntitySource.kind == kind, EntitySource.enabled.is_(True), Dataset.current_version > 0)
        .order_by(EntitySource.rank, EntitySource.id)).all()
    out = []
    for src, ds in rows:
        if datasets is not None and ds.code not in datasets:
            continue
        out.append(Source(kind=kind, dataset=ds.code, role=src.role, label=src.label, columns=dict(src.columns),
                          row_filter=src.row_filter, authoritative=tuple(src.authoritative), rank=src.rank,
                          layer=ds.layer, version=ds.current_version, owner_department_id=ds.owner_department_id))
    return out
