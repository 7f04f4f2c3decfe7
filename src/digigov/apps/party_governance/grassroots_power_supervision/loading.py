"""Hand the application's files to the platform as their departments would (归集): each file through ingestion
into its dataset (created with its IRS catalogue entry on first use), then each dataset's people and enterprises
registered for entity linkage, and the persons and enterprises linked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.grassroots_power_supervision.datasets import DATASETS
from digigov.core.warehouse import get_warehouse, table_ref
from digigov.identity.actor import Actor
from digigov.platform.entities import service as entities
from digigov.platform.ingest import service as ingest
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset

Progress = Callable[[str, int, int], None]
#: The departments' datasets the collision rules read besides this application's own.
DEPARTMENT_DATASETS = ("ps_household", "ca_death", "ca_subsistence", "hr_contribution", "mr_enterprise",
                       "ag_village_project", "ag_village_contract")


def load(session: Session, actor: Actor, files: dict[str, Path]) -> dict[str, dict[str, int | str]]:
    """Ingest each file into its dataset (an unchanged file is recognised and loads as unchanged)."""
    return {code: ingest.load_file(session, actor, DATASETS[code], path) for code, path in files.items()}


def register_sources(session: Session, actor: Actor) -> int:
    """Make this application's datasets take part in entity linkage (idempotent); how many sources."""
    n = 0
    present = set(session.scalars(select(Dataset.code).where(Dataset.current_version > 0)))
    for spec in DATASETS.values():
        if spec.code not in present:
            continue
        for role in spec.entities:
            entities.register_source(session, actor, kind=role.kind, dataset=spec.code, columns=dict(role.columns),
                                     role=role.role, label=role.label, row_filter=role.row_filter, rank=80)
            n += 1
    return n


def point_views(session: Session) -> list[str]:
    """Point the warehouse view of every dataset the rules read at its current version, as the platform does once
    the store commits (`governance.sync_views`), so rules can run inside the transaction that loaded the data
    (the demo builder's). Returns the datasets that have no data yet."""
    missing = []
    codes = [*DATASETS, *DEPARTMENT_DATASETS]
    with get_warehouse().connect() as con:
        for ds in session.scalars(select(Dataset).where(Dataset.code.in_(codes))):
            table = governance.current_table(ds)
            if table is None:
                missing.append(ds.code)
                continue
            # both names are table_ref()s of our own making (checked identifiers), never input
            con.execute(f"CREATE OR REPLACE VIEW {table_ref(ds.layer, ds.code)} AS SELECT * FROM {table}")  # noqa: S608
    known = set(session.scalars(select(Dataset.code).where(Dataset.code.in_(codes))))
    return sorted(missing + [c for c in codes if c not in known])


def link(session: Session, actor: Actor, progress: Progress | None = None) -> None:
    """Register the sources and link persons and enterprises across every registered dataset."""
    register_sources(session, actor)
    entities.link(session, actor, full=True, progress=progress)
