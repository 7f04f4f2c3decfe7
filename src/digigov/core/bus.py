"""The event bus (事件总线): a durable outbox in the store, delivered in-process or through NATS JetStream.

`publish` writes the event into `bus_outbox` in the caller's transaction, so it exists exactly when the
change it describes was committed (the transactional-outbox pattern). `subscribe` registers a durable
consumer in this process; `drain` delivers pending events to every registered consumer, at least once,
each event in one transaction with the handler's own writes. Handlers must not commit, and must be safe
to run twice for the same event (at-least-once).

Backend by `settings.bus_url`: "" or "memory" reads the outbox directly, each consumer's position kept
in `bus_consumer.offset`; "nats://host:port" relays the outbox to the JetStream stream
`settings.bus_stream` (subjects prefixed with the stream name in lower case: "digigov.case.opened") and
pulls from durable JetStream consumers (see bus_nats.py).

Subjects are dot-separated tokens; subscriptions use NATS wildcards: "*" is one token, ">" one or more
trailing tokens, and several patterns may be joined with commas ("case.*, signal.>").
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from digigov.core.bus_model import Consumer, OutboxEvent, Processed
from digigov.core.clock import utcnow
from digigov.core.db import chain_lock
from digigov.core.errors import DigigovError, InvalidInput, NotFound
from digigov.core.i18n import register
from digigov.core.settings import get_settings

log = logging.getLogger(__name__)

# The audit chain's lock key: publishers and auditors share one lock, so they can never deadlock on two.
# Holding it from the insert to the commit makes outbox sequence order equal commit order on PostgreSQL,
# so a consumer that has passed seq N can never later see a smaller seq commit (SQLite's write lock
# gives the same guarantee).
_PG_LOCK_KEY = 0x6469_6769
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]+$")
_DURABLE = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII without spaces: it travels as a NATS header


register({
    "error.bus_bad_subject": ("事件主题“{subject}”格式不正确", "Bad event subject {subject}"),
    "error.bus_bad_key": ("事件键须为 1–200 个不含空格的可打印字符", "An event key is 1-200 printable characters"),
    "error.bus_bad_payload": ("事件内容须为可序列化为 JSON 的对象", "An event payload must be a JSON object"),
    "error.bus_bad_durable": ("订阅名只能包含字母、数字、下划线和连字符", "Bad durable consumer name"),
    "error.bus_bad_url": ("事件总线地址须为空、memory 或 nats://主机:端口", "bus_url must be empty, memory or nats://"),
    "error.bus_replay_args": ("重放须且只须指定起始序号或起始时间之一", "Replay takes one of a sequence or a time"),
    "error.bus_unavailable": ("无法连接事件总线，请稍后再试", "The event bus cannot be reached; try again later"),
    "error.bus_no_consumer": ("没有名为“{durable}”的订阅", "No bus consumer {durable}"),
})


@dataclass(frozen=True)
class Event:
    seq: int  # outbox sequence (in-process) or stream sequence (NATS)
    subject: str
    key: str
    payload: dict[str, Any]
    at: datetime  # when it was published (UTC)


Handler = Callable[[Session, Event], None]


class BusUnavailable(DigigovError):
    code = "bus_unavailable"
    http_status = 503


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: "*" matches one token, a final ">" one or more tokens."""
    pats, toks = pattern.split("."), subject.split(".")
    for i, p in enumerate(pats):
        if p == ">":
            return len(toks) > i
        if i >= len(toks) or (p != "*" and p != toks[i]):
            return False
    return len(toks) == len(pats)


def parse_patterns(subjects: str) -> tuple[str, ...]:
    """"case.*, signal.>" -> ("case.*", "signal.>"); InvalidInput on a malformed pattern."""
    out = tuple(p.strip() for p in subjects.split(",") if p.strip())
    if not out:
        raise InvalidInput("a subscription needs at least one subject pattern", key="bus_bad_subject",
                           subject=subjects)
    for p in out:
        toks = p.split(".")
        ok = all(t in ("*", ">") or _TOKEN.match(t) for t in toks) and ">" not in toks[:-1]
        if not ok or len(p) > 200:
            raise InvalidInput(f"bad subject pattern {p!r}", key="bus_bad_subject", subject=p)
    return out


def _check_subject(subject: str) -> None:
    if not isinstance(subject, str) or len(subject) > 200 or not all(_TOKEN.match(t) for t in subject.split(".")):
        raise InvalidInput(f"bad subject {subject!r}: dot-separated tokens of letters, digits, _ and -",
                           key="bus_bad_subject", subject=str(subject)[:200])


@dataclass(frozen=True)
class Subscription:
    durable: str
    patterns: tuple[str, ...]
    handler: Handler

    @property
    def subjects(self) -> str:
        return ",".join(self.patterns)

    def matches(self, subject: str) -> bool:
        return any(subject_matches(p, subject) for p in self.patterns)


_REGISTRY: dict[str, Subscription] = {}


def publish(session: Session, subject: str, payload: dict[str, Any], *, key: str | None = None) -> None:
    """Add an event to the outbox in the caller's transaction; a key already published is a no-op."""
    _check_subject(subject)
    key = uuid.uuid4().hex if key is None else key
    if not isinstance(key, str) or not _KEY.match(key):
        raise InvalidInput("an event key is 1-200 printable characters without spaces", key="bus_bad_key")
    if not isinstance(payload, dict):
        raise InvalidInput("an event payload is a JSON object", key="bus_bad_payload")
    try:
        data = json.loads(json.dumps(payload, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"event payload is not JSON-serialisable: {exc}", key="bus_bad_payload") from exc
    values = {"key": key, "subject": subject, "payload": data, "at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        chain_lock(session, _PG_LOCK_KEY)
        session.execute(postgresql.insert(OutboxEvent).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    elif dialect == "sqlite":
        session.execute(sqlite.insert(OutboxEvent).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    elif session.scalar(select(OutboxEvent.seq).where(OutboxEvent.key == key)) is None:
        session.add(OutboxEvent(**values))
        session.flush()


def subscribe(durable: str, subjects: str, handler: Handler) -> None:
    """Register (or replace) the durable consumer `durable` of `subjects` in this process."""
    if not isinstance(durable, str) or not _DURABLE.match(durable):
        raise InvalidInput(f"bad durable name {durable!r}: 1-100 letters, digits, _ and -", key="bus_bad_durable")
    _REGISTRY[durable] = Subscription(durable, parse_patterns(subjects), handler)


def reset_registry() -> None:
    _REGISTRY.clear()


def registered() -> list[Subscription]:
    return list(_REGISTRY.values())


def nats_url() -> str | None:
    """The JetStream server to use, or None for the in-process backend."""
    url = get_settings().bus_url.strip()
    if url in ("", "memory"):
        return None
    if not url.startswith(("nats://", "tls://")):
        raise InvalidInput(f"bus_url must be empty, 'memory' or nats://host:port, not {url!r}", key="bus_bad_url")
    return url


def ensure_consumers(session: Session, subs: list[Subscription]) -> None:
    """A `bus_consumer` row for each subscription (offset 0 on creation: the whole log), subjects current."""
    rows = {c.durable: c for c in session.scalars(select(Consumer))}
    for sub in subs:
        row = rows.get(sub.durable)
        if row is None:
            session.add(Consumer(durable=sub.durable, subjects=sub.subjects, offset=0, attempts=0, last_error="",
                                 delivered=0, updated_at=utcnow()))
        elif row.subjects != sub.subjects:
            row.subjects = sub.subjects
    session.flush()


def record_failure(factory: sessionmaker[Session], durable: str, exc: BaseException) -> None:
    log.warning("bus consumer %s failed: %s", durable, exc, exc_info=exc)
    with factory() as s:
        s.execute(update(Consumer).where(Consumer.durable == durable).values(
            attempts=Consumer.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000],
            last_error_at=utcnow(), updated_at=utcnow()))
        s.commit()


def drain(factory: sessionmaker[Session], *, limit: int = 1000) -> int:
    """Deliver pending events to every registered consumer; the number of deliveries made."""
    subs = registered()
    url = nats_url()
    if url is not None:
        from digigov.core import bus_nats

        settings = get_settings()
        return bus_nats.drain(factory, subs, url=url, stream=settings.bus_stream, limit=limit,
                              poll=settings.bus_poll_seconds)
    if not subs:
        return 0
    with factory() as s:
        ensure_consumers(s, subs)
        s.commit()
    total, stopped = 0, set()
    while total < limit:
        made = 0
        for sub in subs:
            if sub.durable in stopped or total >= limit:
                continue
            n, failed = _deliver_pending(factory, sub, limit - total)
            total, made = total + n, made + n
            if failed:
                stopped.add(sub.durable)
        if made == 0:
            break
    return total


def _deliver_pending(factory: sessionmaker[Session], sub: Subscription, budget: int) -> tuple[int, bool]:
    delivered = 0
    while delivered < budget:
        with factory() as s:
            offset = s.scalar(select(Consumer.offset).where(Consumer.durable == sub.durable)) or 0
            rows = s.execute(select(OutboxEvent.seq, OutboxEvent.subject).where(OutboxEvent.seq > offset)
                             .order_by(OutboxEvent.seq).limit(500)).all()
        if not rows:
            return delivered, False
        for seq, subject in rows:
            if not sub.matches(subject):
                continue
            if delivered >= budget:
                return delivered, False
            outcome = _deliver_one(factory, sub, seq)
            if outcome == "failed":
                return delivered, True
            delivered += outcome == "ok"
        _advance(factory, sub.durable, rows[-1][0])  # past the non-matching tail of the batch
    return delivered, False


def _lock_consumer(s: Session, durable: str) -> int:
    """Take the consumer's row lock (an UPDATE, which on SQLite also takes the write lock) and read its offset,
    so two drains never hand the same event to the same consumer at once."""
    s.execute(update(Consumer).where(Consumer.durable == durable).values(updated_at=utcnow()))
    return int(s.scalar(select(Consumer.offset).where(Consumer.durable == durable)) or 0)


def _advance(factory: sessionmaker[Session], durable: str, seq: int) -> None:
    with factory() as s:
        if _lock_consumer(s, durable) < seq:
            s.execute(update(Consumer).where(Consumer.durable == durable).values(offset=seq))
        s.commit()


def _deliver_one(factory: sessionmaker[Session], sub: Subscription, seq: int) -> str:
    """Handle event `seq` and move the offset past it in one transaction: "ok"; "skip" when another drain
    got there first; "failed" (rolled back, the error recorded on the consumer) when the handler raised."""

    def claim(s: Session) -> str | None:
        return "skip" if _lock_consumer(s, sub.durable) >= seq else None

    def event(s: Session) -> Event:
        row = s.get(OutboxEvent, seq)
        assert row is not None
        return Event(seq=row.seq, subject=row.subject, key=row.key, payload=dict(row.payload), at=row.at)

    return deliver_in_transaction(factory, sub, claim, event)


def deliver_in_transaction(factory: sessionmaker[Session], sub: Subscription,
                           claim: Callable[[Session], str | None], event: Callable[[Session], Event]) -> str:
    """One delivery, whatever the backend: `claim` either refuses the event (returning the outcome, e.g.
    "skip" or "duplicate") or takes it; then the handler's writes and the consumer's offset commit together.
    "ok", the refusal, or "failed" (rolled back, the error recorded on the consumer, retried next drain)."""
    s = factory()
    try:
        refused = claim(s)
        if refused is not None:
            s.rollback()
            return refused
        ev = event(s)
        sub.handler(s, ev)
        s.execute(update(Consumer).where(Consumer.durable == sub.durable).values(
            offset=ev.seq, attempts=0, last_error="", delivered=Consumer.delivered + 1, updated_at=utcnow()))
        s.commit()
        return "ok"
    except Exception as exc:  # noqa: BLE001  (any handler failure: roll back, record, retry next drain)
        s.rollback()
        record_failure(factory, sub.durable, exc)
        return "failed"
    finally:
        s.close()


def _known(session: Session) -> list[tuple[str, tuple[str, ...], Consumer | None]]:
    """Every consumer this store or process knows: (durable, patterns, its row or None)."""
    rows = {c.durable: c for c in session.scalars(select(Consumer).order_by(Consumer.durable))}
    out = []
    for durable in sorted(set(rows) | set(_REGISTRY)):
        sub, row = _REGISTRY.get(durable), rows.get(durable)
        patterns = sub.patterns if sub else parse_patterns(row.subjects if row else ">")
        out.append((durable, patterns, row))
    return out


def consumer_lag(session: Session) -> dict[str, int]:
    """Durable name -> matching events not yet delivered to it."""
    known = _known(session)
    url = nats_url()
    if url is not None:
        from digigov.core import bus_nats

        return bus_nats.lag(session, [(d, p) for d, p, _ in known], url=url, stream=get_settings().bus_stream)
    if not known:
        return {}
    offsets = {d: (row.offset if row else 0) for d, _p, row in known}
    rows = session.execute(select(OutboxEvent.seq, OutboxEvent.subject)
                           .where(OutboxEvent.seq > min(offsets.values()))).all()
    return {d: sum(1 for seq, subj in rows if seq > offsets[d] and any(subject_matches(p, subj) for p in pats))
            for d, pats, _row in known}


def _deleted(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


def prune(session: Session, older_than: timedelta, *, now: datetime | None = None) -> dict[str, int]:
    """Delete what no consumer can still need: outbox events older than `older_than` that every known
    consumer has passed (in-process backend) or that were relayed to JetStream (which keeps its own log),
    and processed-message keys of that age. A replay can only reach back as far as what is kept."""
    cutoff = (now or utcnow()) - older_than
    done: ColumnElement[bool]
    if nats_url() is not None:
        done = OutboxEvent.published_at.is_not(None)
    else:
        offsets = [row.offset if row else 0 for _d, _p, row in _known(session)]
        done = OutboxEvent.seq <= min(offsets) if offsets else OutboxEvent.seq.is_not(None)
    events = _deleted(session.execute(delete(OutboxEvent).where(OutboxEvent.at < cutoff, done)))
    keys = _deleted(session.execute(delete(Processed).where(Processed.at < cutoff)))
    return {"events": int(events), "processed_keys": int(keys)}


def replay(session: Session, durable: str, *, from_seq: int | None = None, since: datetime | None = None) -> int:
    """Rewind consumer `durable` so that it receives again the events from seq `from_seq` (inclusive) or
    published at or after `since`; returns its new offset (the last sequence counted as handled)."""
    if (from_seq is None) == (since is None):
        raise InvalidInput("replay takes exactly one of from_seq and since", key="bus_replay_args")
    if from_seq is not None and (isinstance(from_seq, bool) or not isinstance(from_seq, int) or from_seq < 1):
        raise InvalidInput("from_seq is a sequence number from 1", key="bus_replay_args")
    known = {d: (p, row) for d, p, row in _known(session)}
    if durable not in known:
        raise NotFound(f"no bus consumer {durable!r}", key="bus_no_consumer", durable=durable)
    patterns, row = known[durable]
    if row is None:
        row = Consumer(durable=durable, subjects=",".join(patterns), offset=0, attempts=0, last_error="",
                       delivered=0, updated_at=utcnow())
        session.add(row)
    url = nats_url()
    if url is not None:
        from digigov.core import bus_nats

        offset = bus_nats.replay(durable, patterns, url=url, stream=get_settings().bus_stream,
                                 from_seq=from_seq, since=since)
        gone = select(Processed).where(Processed.durable == durable)
        gone = gone.where(Processed.seq > offset) if since is None else gone.where(
            (Processed.seq > offset) | (Processed.at >= since))
        for p in session.scalars(gone):
            session.delete(p)
    elif from_seq is not None:
        offset = from_seq - 1
    else:
        before = session.scalar(select(func.max(OutboxEvent.seq)).where(OutboxEvent.at < since))
        offset = int(before or 0)
    row.offset, row.attempts, row.last_error, row.updated_at = offset, 0, "", utcnow()
    session.flush()
    return offset


def status(session: Session) -> dict[str, Any]:
    """The bus at a glance: backend, outbox counts, and each consumer with its lag and last error."""
    url = nats_url()
    total = session.scalar(select(func.count()).select_from(OutboxEvent)) or 0
    lag = consumer_lag(session)
    known = _known(session)
    if url is not None:
        pending = session.scalar(select(func.count()).select_from(OutboxEvent)
                                 .where(OutboxEvent.published_at.is_(None))) or 0
    elif known:
        low = min((row.offset if row else 0) for _d, _p, row in known)
        pending = session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.seq > low)) or 0
    else:
        pending = 0
    consumers = [{
        "durable": d, "subjects": ",".join(p), "registered": d in _REGISTRY, "offset": row.offset if row else 0,
        "lag": lag.get(d, 0), "delivered": row.delivered if row else 0, "attempts": row.attempts if row else 0,
        "last_error": row.last_error if row else "",
        "last_error_at": row.last_error_at.isoformat() if row and row.last_error_at else None,
    } for d, p, row in known]
    return {"backend": "nats" if url else "memory", "stream": get_settings().bus_stream if url else None,
            "outbox_total": int(total), "outbox_pending": int(pending), "consumers": consumers}


def metrics_snapshot(session: Session) -> dict[str, Any]:
    """Figures for Prometheus: digigov_bus_outbox_pending, and per consumer its lag and failed attempts."""
    st = status(session)
    return {"outbox_pending": st["outbox_pending"], "outbox_total": st["outbox_total"],
            "consumer_lag": {c["durable"]: c["lag"] for c in st["consumers"]},
            "consumer_attempts": {c["durable"]: c["attempts"] for c in st["consumers"]}}
