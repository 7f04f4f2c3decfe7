"""The change feed (数据高铁): each load's inserts, updates and deletes, delivered to the departments that hold
a `feed` grant for the dataset, masked and filtered as their grant says, within seconds of the load.

- A load publishes `dataset.changed` (service.record_changes). The consumer `exchange-feed` fans it out: for
  every active feed grant of the dataset it reads the change table in chunks, applies the grant
  (`sharing.apply_grant`: only granted fields, masked unless granted in clear, only rows inside the row
  filter — on the new values of an insert or update, the old values of a delete) and publishes one event per
  chunk on `feed.g<grant id>` with an idempotency key (a redelivered `dataset.changed` publishes nothing new).
  Each delivery is audited against the grant. A grant revoked or expired gets nothing from then on.
- The consumer department reads its feed over HTTP (`GET /api/v1/feeds/{grant}`: after a sequence number or
  from its stored position, optionally waiting up to 30 s for the next event) and acknowledges what it has
  processed (`POST .../ack`), which stores its position; its lag is `bus.consumer_lag` of `feed-g<grant>` and
  appears with the other consumers in /metrics. With the JetStream backend the same events are relayed to
  `<stream prefix>.feed.g<grant>`, where a consumer inside the platform's network may instead keep a durable
  JetStream consumer and replay from a sequence number or a time.
- When a change table is gone before its delivery (a version dropped beyond `warehouse_keep_versions`), the
  subscriber gets one `resync` event: read the dataset again through /api/v1/shared and continue.

An update that moves a row out of a grant's filter is not turned into a delete (the change table keeps the
new values only); a consumer with a row filter that must see such moves should resync periodically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core import bus
from digigov.core.bus_model import Consumer, OutboxEvent
from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput, NotFound, PermissionDenied
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.platform.exchange import changes
from digigov.platform.exchange.service import CHANGED
from digigov.platform.opendata.serving import json_value
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant

DURABLE = "exchange-feed"
CHUNK = 500
MAX_WAIT = 30.0
MAX_EVENTS = 100


def subject_of(grant_id: int) -> str:
    return f"feed.g{grant_id}"


def consumer_of(grant_id: int) -> str:
    return f"feed-g{grant_id}"


def register_consumers() -> None:
    bus.subscribe(DURABLE, CHANGED, fan_out)


def _system() -> Actor:
    return Actor(username="system", roles=frozenset({"platform_admin"}), via="system")


def _feed_grants(session: Session, code: str, now: datetime) -> list[Grant]:
    return list(session.scalars(select(Grant).where(
        Grant.dataset_code == code, Grant.channel == "feed", Grant.revoked_at.is_(None), Grant.expires_at > now)
        .order_by(Grant.id)))


def _table_exists(layer: str, code: str, version: int) -> bool:
    with get_warehouse().connect() as con:
        row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                          [layer, f"{code}__c{version}"]).fetchone()
    return bool(row and row[0])


def forget_inactive(session: Session, now: datetime | None = None) -> int:
    """Drop the stored positions of feeds whose grant is revoked, expired or gone: nobody reads them any more,
    and a position kept forever would keep the outbox from being pruned."""
    moment = now or utcnow()
    gone = 0
    for row in session.scalars(select(Consumer).where(Consumer.durable.like("feed-g%"))):
        suffix = row.durable.removeprefix("feed-g")
        grant = session.get(Grant, int(suffix)) if suffix.isdigit() else None
        if grant is None or not sharing.is_active(grant, moment):
            session.delete(row)
            gone += 1
    return gone


def fan_out(session: Session, event: bus.Event) -> None:
    """Deliver one load's changes to every active feed grant of its dataset (the `dataset.changed` consumer)."""
    forget_inactive(session)
    p = event.payload
    code, layer, version = str(p["dataset"]), str(p.get("layer", "clean")), int(p["version"])
    grants = _feed_grants(session, code, utcnow())
    if not grants:
        return
    if not _table_exists(layer, code, version):
        for g in grants:
            bus.publish(session, subject_of(g.id), {"grant": g.id, "dataset": code, "version": version,
                                                    "resync": True, "changes": []},
                        key=f"feed:g{g.id}:{code}:v{version}:resync")
        return
    for g in grants:
        _position_row(session, g.id)  # the subscriber is known from its first delivery: its lag is measured
    sent = {g.id: 0 for g in grants}
    after, chunk = 0, 0
    while True:
        with get_warehouse().connect() as con:
            rows = changes.read(con, layer, code, version, after=after, limit=CHUNK)
        if not rows:
            break
        after = int(rows[-1]["_change"])
        for g in grants:
            out = []
            for op in changes.OPS:
                values = [{k: v for k, v in r.items() if k not in ("_op", "_change")} for r in rows if r["_op"] == op]
                out += [{"op": op, "row": {k: json_value(v) for k, v in row.items()}}
                        for row in sharing.apply_grant(g, values)]
            if out:
                bus.publish(session, subject_of(g.id), {"grant": g.id, "dataset": code, "version": version,
                                                        "chunk": chunk, "changes": out},
                            key=f"feed:g{g.id}:{code}:v{version}:c{chunk}")
                sent[g.id] += len(out)
        chunk += 1
    for g in grants:
        audit.record(session, _system(), "sharing.feed.deliver", "grant", g.id, purpose=g.purpose,
                     detail={"dataset": code, "version": version, "changes": sent[g.id],
                             "consumer_department_id": g.consumer_department_id, "fields": list(g.fields)})


# ---- the consumer's side -------------------------------------------------------------------------------

@dataclass
class FeedPage:
    grant_id: int
    dataset: str
    events: list[dict[str, Any]]
    position: int  # the stored (acknowledged) position
    next_after: int  # pass as `after` to continue
    lag: int  # events after `next_after` not yet read


def _own_grant(session: Session, actor: Actor, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None or grant.channel != "feed":
        raise NotFound(f"no feed grant {grant_id}", key="feed_not_found", grant=grant_id)
    if actor.department_id != grant.consumer_department_id:
        raise PermissionDenied("only the department the grant was issued to reads its feed", key="feed_not_yours")
    if not sharing.is_active(grant):
        raise PermissionDenied("the grant is revoked or expired", key="feed_grant_inactive", grant=grant_id)
    return grant


def _position_row(session: Session, grant_id: int) -> Consumer:
    """The feed's stored position, a bus consumer row (`feed-g<grant>` on `feed.g<grant>`), made on first need.
    On JetStream the same name is the durable consumer a subscriber keeps, and the lag is read from it."""
    row = session.get(Consumer, consumer_of(grant_id))
    if row is None:
        row = Consumer(durable=consumer_of(grant_id), subjects=subject_of(grant_id), offset=0, attempts=0,
                       last_error="", delivered=0, updated_at=utcnow())
        session.add(row)
        session.flush()
    return row


def _position(session: Session, grant_id: int) -> int:
    row = session.get(Consumer, consumer_of(grant_id))
    return int(row.offset) if row else 0


def _events(session: Session, grant_id: int, after: int, limit: int) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(
        OutboxEvent.subject == subject_of(grant_id), OutboxEvent.seq > after).order_by(OutboxEvent.seq).limit(limit)))


def read(session: Session, actor: Actor, grant_id: int, *, after: int | None = None, limit: int = MAX_EVENTS,
         wait: float = 0.0) -> FeedPage:
    """The feed events of `grant_id` after `after` (default: the stored position), at most `limit`; with `wait`
    seconds, waits that long for a first event when none is there. Audited when events are returned."""
    if not 1 <= limit <= MAX_EVENTS:
        raise InvalidInput(f"limit is 1 to {MAX_EVENTS}", field="limit")
    if not 0 <= wait <= MAX_WAIT:
        raise InvalidInput(f"wait is 0 to {MAX_WAIT:.0f} seconds", field="wait")
    grant = _own_grant(session, actor, grant_id)
    position = _position(session, grant_id)
    start = position if after is None else max(0, int(after))
    deadline = time.monotonic() + wait
    rows = _events(session, grant_id, start, limit)
    while not rows and time.monotonic() < deadline:
        session.rollback()  # a fresh snapshot for the next look
        time.sleep(0.25)
        rows = _events(session, grant_id, start, limit)
    next_after = rows[-1].seq if rows else start
    lag = len(list(session.scalars(select(OutboxEvent.seq).where(
        OutboxEvent.subject == subject_of(grant_id), OutboxEvent.seq > next_after))))
    events = [{"seq": r.seq, "at": r.at.isoformat(), **r.payload} for r in rows]
    if events:
        audit.record(session, actor, "sharing.feed.read", "grant", grant.id, purpose=grant.purpose,
                     detail={"dataset": grant.dataset_code, "events": len(events),
                             "changes": sum(len(e.get("changes", [])) for e in events),
                             "from": events[0]["seq"], "to": next_after})
    return FeedPage(grant.id, grant.dataset_code, events, position, next_after, lag)


def ack(session: Session, actor: Actor, grant_id: int, seq: int) -> int:
    """Store the consumer's position: every event up to `seq` is processed. Never moves backwards."""
    _own_grant(session, actor, grant_id)
    if seq < 0:
        raise InvalidInput("seq is a sequence number from a feed page", field="seq")
    row = _position_row(session, grant_id)
    if seq > row.offset:
        row.delivered = int(row.delivered or 0) + len(list(session.scalars(select(OutboxEvent.seq).where(
            OutboxEvent.subject == subject_of(grant_id), OutboxEvent.seq > row.offset, OutboxEvent.seq <= seq))))
        row.offset = seq
        row.updated_at = utcnow()
    session.flush()
    return int(row.offset)
