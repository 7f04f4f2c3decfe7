"""Reading the departments' datasets for the application: the current version of each, the columns it needs,
every read written to the audit log with its purpose, the owner department, the version and the row count (the
application is a collision of several departments' data: 市场监管, 人力社保, 公安)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from digigov.identity.actor import Actor
from digigov.platform.warehouse import service as warehouse

APP_ID = "food_delivery_online"
PURPOSE = "浙江外卖在线：网络餐饮商户证照核验、阳光厨房、骑手权益与交通安全监测（网络餐饮治理一件事）"

Source = warehouse.AppRead


def available(session: Session, code: str) -> bool:
    return warehouse.is_loaded(session, code)


def read(session: Session, actor: Actor, code: str, columns: Sequence[str] | None = None, *,
         purpose: str = PURPOSE) -> Source:
    """The rows of `code`'s current version (the named columns, all when None), audited as `fdo.source.read`."""
    return warehouse.read_for_app(session, actor, code, columns, app=APP_ID, purpose=purpose, action="fdo.source.read")
