"""The bus on NATS JetStream: relay the outbox to a stream, pull from durable consumers, ack after commit.

Each public function here is synchronous and runs its own short asyncio loop with one connection
(`asyncio.run`, or a worker thread when the caller is already inside a running loop), so the rest of the
platform stays synchronous.

- relay: unpublished `bus_outbox` rows, in seq order, go to `<prefix>.<subject>` with header
  Nats-Msg-Id = the event key, so the stream's duplicate window drops a row relayed twice; then the rows
  are marked published. The prefix is the stream name in lower case (stream DIGIGOV carries digigov.>).
- consume: a durable pull consumer per subscription (deliver all on first creation, explicit ack). A
  message is handled in one store transaction that also writes `bus_processed(durable, key)`; a key
  already there is skipped, so a redelivery after a lost ack does nothing. Ack only after the commit;
  a handler failure naks the message and stops that consumer until the next drain.
- replay: the consumer is recreated with deliver policy by_start_sequence or by_start_time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digigov.core.bus import (
    BusUnavailable,
    Event,
    Subscription,
    deliver_in_transaction,
    ensure_consumers,
    subject_matches,
)
from digigov.core.bus_model import OutboxEvent, Processed
from digigov.core.clock import iso, utcnow

T = TypeVar("T")
ACK_WAIT_SECONDS = 30.0
DUPLICATE_WINDOW_SECONDS = 120.0
PROCESSED_KEEP = timedelta(days=7)  # far longer than any redelivery of an acknowledged message
FETCH_BATCH = 100


def prefix_of(stream: str) -> str:
    return stream.lower()


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private loop, also when called from inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


async def _quiet(_exc: Exception) -> None:
    return None


@asynccontextmanager
async def _connection(url: str) -> AsyncIterator[Client]:
    try:
        # max_reconnect_attempts=0 would make nats-py retry the first connection for ever; 1 means one retry.
        nc = await asyncio.wait_for(nats.connect(
            url, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=1, reconnect_time_wait=0.2,
            error_cb=_quiet, name="digigov"), timeout=10)
    except Exception as exc:  # noqa: BLE001  (nats-py raises several kinds for an unreachable server)
        raise BusUnavailable(f"cannot reach the event bus at {url}: {exc or type(exc).__name__}",
                             key="bus_unavailable") from exc
    try:
        yield nc
    finally:
        await nc.close()


async def _ensure_stream(js: JetStreamContext, stream: str) -> None:
    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(api.StreamConfig(name=stream, subjects=[f"{prefix_of(stream)}.>"],
                                             duplicate_window=DUPLICATE_WINDOW_SECONDS))


def _filters(nc: Client, stream: str, patterns: tuple[str, ...]) -> dict[str, Any]:
    """Server-side filter: one subject, several (NATS 2.10+), or none (older servers; filtered here)."""
    subjects = [f"{prefix_of(stream)}.{p}" for p in patterns]
    if len(subjects) == 1:
        return {"filter_subject": subjects[0]}
    version = nc.connected_server_version
    if (version.major, version.minor) >= (2, 10):
        return {"filter_subjects": subjects}
    return {}


def _config(durable: str, filters: dict[str, Any], *, from_seq: int | None = None,
            since: datetime | None = None) -> api.ConsumerConfig:
    policy = api.DeliverPolicy.ALL
    if from_seq is not None:
        policy = api.DeliverPolicy.BY_START_SEQUENCE
    elif since is not None:
        policy = api.DeliverPolicy.BY_START_TIME
    return api.ConsumerConfig(durable_name=durable, deliver_policy=policy, opt_start_seq=from_seq,
                              opt_start_time=since, ack_policy=api.AckPolicy.EXPLICIT,
                              ack_wait=ACK_WAIT_SECONDS, max_deliver=-1, **filters)


async def _ensure_consumer(nc: Client, js: JetStreamContext, stream: str, durable: str,
                           patterns: tuple[str, ...]) -> None:
    filters = _filters(nc, stream, patterns)
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:
        await js.add_consumer(stream, _config(durable, filters))
        return
    have = {"filter_subject": info.config.filter_subject or None,
            "filter_subjects": sorted(info.config.filter_subjects or []) or None}
    want = {"filter_subject": filters.get("filter_subject"),
            "filter_subjects": sorted(filters.get("filter_subjects", [])) or None}
    if have != want:  # subjects changed: carry on from the first message not yet acknowledged
        await js.delete_consumer(stream, durable)
        await js.add_consumer(stream, _config(durable, filters, from_seq=info.ack_floor.stream_seq + 1))


async def _relay(js: JetStreamContext, factory: sessionmaker[Session], stream: str, batch: int = 500) -> int:
    total = 0
    while True:
        with factory() as s:
            rows = list(s.scalars(select(OutboxEvent).where(OutboxEvent.published_at.is_(None))
                                  .order_by(OutboxEvent.seq).limit(batch)))
        if not rows:
            return total
        for r in rows:
            body = json.dumps(r.payload, ensure_ascii=False).encode("utf-8")
            await js.publish(f"{prefix_of(stream)}.{r.subject}", body, stream=stream,
                             headers={"Nats-Msg-Id": r.key, "Digigov-At": iso(r.at), "Digigov-Seq": str(r.seq)})
        with factory() as s:
            s.execute(update(OutboxEvent).where(OutboxEvent.seq.in_([r.seq for r in rows]))
                      .values(published_at=utcnow()))
            s.commit()
        total += len(rows)


def _event_of(msg: Msg, stream: str) -> Event:
    headers = msg.headers or {}
    seq = msg.metadata.sequence.stream
    at = headers.get("Digigov-At")
    return Event(seq=seq, subject=msg.subject.removeprefix(prefix_of(stream) + "."),
                 key=headers.get("Nats-Msg-Id") or f"stream-{seq}", payload=json.loads(msg.data or b"{}"),
                 at=datetime.fromisoformat(at) if at else msg.metadata.timestamp)


def _handle(factory: sessionmaker[Session], sub: Subscription, event: Event, received: datetime) -> str:
    """"ok", "duplicate" (already processed: ack it) or "failed" (rolled back, error recorded)."""

    def claim(s: Session) -> str | None:
        s.add(Processed(durable=sub.durable, key=event.key, seq=event.seq, at=received))
        try:
            s.flush()
        except IntegrityError:
            return "duplicate"
        return None

    return deliver_in_transaction(factory, sub, claim, lambda _s: event)


async def _pull(js: JetStreamContext, factory: sessionmaker[Session], stream: str, sub: Subscription,
                budget: int, poll: float) -> tuple[int, bool]:
    delivered = 0
    psub = await js.pull_subscribe_bind(durable=sub.durable, stream=stream)
    try:
        while delivered < budget:
            info = await js.consumer_info(stream, sub.durable)
            if info.num_pending + info.num_ack_pending == 0:
                break
            try:
                msgs = await psub.fetch(min(FETCH_BATCH, budget - delivered), timeout=poll)
            except NatsTimeout:
                break
            for i, msg in enumerate(msgs):
                event = _event_of(msg, stream)
                if not sub.matches(event.subject):  # no server-side filter on this server version
                    await msg.ack_sync()
                    continue
                outcome = _handle(factory, sub, event, msg.metadata.timestamp or utcnow())
                if outcome == "failed":
                    await _nak_all(m.nak() for m in msgs[i:])
                    return delivered, True
                await msg.ack_sync()
                delivered += outcome == "ok"
    finally:
        await psub.unsubscribe()
    return delivered, False


async def _nak_all(naks: Any) -> None:
    for nak in naks:
        await nak


def drain(factory: sessionmaker[Session], subs: list[Subscription], *, url: str, stream: str, limit: int,
          poll: float) -> int:
    """Relay the outbox, then deliver to every subscription until nothing is pending (or `limit`)."""

    async def go() -> int:
        async with _connection(url) as nc:
            js = nc.jetstream()
            await _ensure_stream(js, stream)
            with factory() as s:
                ensure_consumers(s, subs)
                s.execute(delete(Processed).where(Processed.at < utcnow() - PROCESSED_KEEP))
                s.commit()
            for sub in subs:
                await _ensure_consumer(nc, js, stream, sub.durable, sub.patterns)
            total, stopped = 0, set()
            while total < limit:
                await _relay(js, factory, stream)
                made = 0
                for sub in subs:
                    if sub.durable in stopped or total >= limit:
                        continue
                    n, failed = await _pull(js, factory, stream, sub, limit - total, poll)
                    total, made = total + n, made + n
                    if failed:
                        stopped.add(sub.durable)
                if made == 0:
                    break
            return total

    return _run(go)


def relay(factory: sessionmaker[Session], *, url: str, stream: str) -> int:
    """Only relay the outbox to the stream; the number of rows relayed."""

    async def go() -> int:
        async with _connection(url) as nc:
            js = nc.jetstream()
            await _ensure_stream(js, stream)
            return await _relay(js, factory, stream)

    return _run(go)


def lag(session: Session, consumers: list[tuple[str, tuple[str, ...]]], *, url: str, stream: str) -> dict[str, int]:
    """Per durable: messages not yet acknowledged (pending + in flight) plus matching rows not yet relayed."""
    unrelayed = session.execute(select(OutboxEvent.subject, func.count()).where(OutboxEvent.published_at.is_(None))
                                .group_by(OutboxEvent.subject)).all()

    def local(patterns: tuple[str, ...]) -> int:
        return sum(n for subj, n in unrelayed if any(subject_matches(p, subj) for p in patterns))

    async def go() -> dict[str, int]:
        out: dict[str, int] = {}
        async with _connection(url) as nc:
            js = nc.jetstream()
            for durable, patterns in consumers:
                try:
                    info = await js.consumer_info(stream, durable)
                    out[durable] = info.num_pending + info.num_ack_pending + local(patterns)
                except NotFoundError:  # not created yet: it will start from the first message
                    out[durable] = await _stream_count(js, stream, patterns) + local(patterns)
        return out

    return _run(go)


async def _stream_count(js: JetStreamContext, stream: str, patterns: tuple[str, ...]) -> int:
    try:
        info = await js.stream_info(stream, subjects_filter=f"{prefix_of(stream)}.>")
    except NotFoundError:
        return 0
    subjects = info.state.subjects or {}
    cut = len(prefix_of(stream)) + 1
    return sum(n for subj, n in subjects.items() if any(subject_matches(p, subj[cut:]) for p in patterns))


def replay(durable: str, patterns: tuple[str, ...], *, url: str, stream: str, from_seq: int | None,
           since: datetime | None) -> int:
    """Recreate the durable consumer to start at `from_seq` or `since`; the stream seq before its start."""

    async def go() -> int:
        async with _connection(url) as nc:
            js = nc.jetstream()
            await _ensure_stream(js, stream)
            with suppress(NotFoundError):
                await js.delete_consumer(stream, durable)
            start = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(UTC)
            info = await js.add_consumer(stream, _config(durable, _filters(nc, stream, patterns),
                                                         from_seq=from_seq, since=start))
            return int(info.delivered.stream_seq) if info.delivered else 0

    return _run(go)


async def delete_stream(url: str, stream: str) -> None:  # for tests and `digigov bus` housekeeping
    async with _connection(url) as nc:
        with suppress(NotFoundError):
            await nc.jetstream().delete_stream(stream)
