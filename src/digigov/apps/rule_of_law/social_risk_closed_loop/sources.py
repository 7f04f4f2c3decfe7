"""Reading the departments' datasets for the application: the current version of each, every read written to the
audit log with its purpose, the owner department, the version and the row count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit.service import record
from digigov.core.errors import Conflict
from digigov.core.i18n import register
from digigov.core.warehouse import get_warehouse, ident, table_ref
from digigov.identity.actor import Actor
from digigov.platform.warehouse.model import Dataset

APP_ID = "social_risk_closed_loop"
PURPOSE = "湖州社会治理风险闭环管控：风险监测预警、企业安全码评价"

register({"error.srcl_source_missing": ("数据源“{dataset}”尚未归集", "The dataset {dataset} has not been loaded")})


@dataclass(frozen=True)
class Source:
    code: str
    owner: str  # owner department code
    version: int
    rows: list[dict[str, Any]]


def available(session: Session, code: str) -> bool:
    ds = session.scalar(select(Dataset).where(Dataset.code == code))
    return ds is not None and bool(ds.current_version)


def read(session: Session, actor: Actor, code: str, columns: Sequence[str] | None = None, *,
         purpose: str = PURPOSE) -> Source:
    """The rows of `code`'s current version (the named columns, all when None), audited."""
    ds = session.scalar(select(Dataset).where(Dataset.code == code))
    if ds is None or not ds.current_version:
        raise Conflict(f"dataset {code} has not been loaded", key="srcl_source_missing", dataset=code)
    known = [f.column for f in ds.fields]
    wanted = [c for c in (columns or known) if c in known]
    table = table_ref(ds.layer, f"{ds.code}__v{ds.current_version}")
    cols = ", ".join(ident(c) for c in wanted)
    with get_warehouse().connect() as con:
        cur = con.execute(f"SELECT {cols} FROM {table} ORDER BY _record")  # noqa: S608 (quoted identifiers)
        rows = [dict(zip(wanted, r, strict=True)) for r in cur.fetchall()]
    record(session, actor, "srcl.source.read", "dataset", ds.code, purpose=purpose,
           detail={"app": APP_ID, "owner": ds.owner.code, "version": ds.current_version, "rows": len(rows),
                   "columns": wanted})
    return Source(ds.code, ds.owner.code, ds.current_version, rows)
