"""Reading the departments' datasets for the application: the current version of each, every read written to the
audit log with its purpose, the owner department, the version and the row count."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.platform.warehouse import service as warehouse

APP_ID = "social_risk_closed_loop"
PURPOSE = "湖州社会治理风险闭环管控：风险监测预警、企业安全码评价"

Source = warehouse.AppRead


def available(session: Session, code: str) -> bool:
    return warehouse.is_loaded(session, code)


def read(session: Session, actor: Actor, code: str, columns: Sequence[str] | None = None, *,
         purpose: str = PURPOSE) -> Source:
    """The rows of `code`'s current version (the named columns, all when None), audited as `srcl.source.read`."""
    return warehouse.read_for_app(session, actor, code, columns, app=APP_ID, purpose=purpose, action="srcl.source.read")
