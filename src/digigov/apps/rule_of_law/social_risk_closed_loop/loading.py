"""Hand the departments' files to the platform as each department would (归集): every file through ingestion into
its dataset, owned by the Huzhou department that holds it (the dataset and its IRS catalogue entry are created on
first use); then point the warehouse views the models read at the current versions, inside the loading
transaction (the platform does it after the commit), so the models can run in the same transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.rule_of_law.social_risk_closed_loop.datasets import ALL, BY_CODE
from digigov.core.warehouse import get_warehouse, table_ref
from digigov.identity.actor import Actor
from digigov.platform.ingest import service as ingest
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset


def load(session: Session, actor: Actor, files: dict[str, Path]) -> dict[str, dict[str, int | str]]:
    """Ingest each file into its dataset (an unchanged file loads as unchanged); the counts of each load."""
    return {code: ingest.load_file(session, actor, BY_CODE[code], path) for code, path in files.items()}


def point_views(session: Session) -> list[str]:
    """Point the view of each of the application's datasets at its current version; the datasets with no data."""
    codes = [d.code for d in ALL]
    missing = []
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
