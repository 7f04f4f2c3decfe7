"""The change feed (数据高铁) of the warehouse.

- `record_changes` runs inside a load's commit: it writes what the new version changed (changes.py) and
  publishes `dataset.changed` on the bus in the same transaction, so the event exists exactly when the
  version does.
- Subscriptions, delivery under a grant and the consumer's read of its feed live in feed.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from digigov.core import bus
from digigov.core.warehouse import get_warehouse
from digigov.platform.exchange import changes
from digigov.platform.warehouse.model import Dataset

CHANGED = "dataset.changed"


def record_changes(session: Session, ds: Dataset, version: int, keys: Sequence[str], *,
                   load_id: int | None = None) -> changes.ChangeSet:
    """Compute the changes that made `version` of `ds` (keys: warehouse column names) and announce them."""
    with get_warehouse().connect() as con:
        found = changes.compute(con, ds.layer, ds.code, version, keys)
    bus.publish(session, CHANGED, {"dataset": ds.code, "layer": ds.layer, "version": version,
                                   "counts": found.counts(), "keyed": found.keyed, "load": load_id},
                key=f"dataset.changed:{ds.code}:{version}:{load_id or 0}")
    return found
