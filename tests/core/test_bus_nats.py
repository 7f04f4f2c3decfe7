"""The bus contract against a real NATS JetStream server (DIGIGOV_TEST_NATS_URL; skipped when unset,
failing when set and unreachable). Each test gets a stream of its own, deleted afterwards."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import nats
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from digigov.core import bus, bus_nats
from digigov.core.bus_model import Consumer, OutboxEvent
from digigov.core.clock import utcnow
from digigov.core.settings import get_settings

NATS_ENV = "DIGIGOV_TEST_NATS_URL"
pytestmark = pytest.mark.skipif(not os.environ.get(NATS_ENV), reason=f"{NATS_ENV} not set")


def _stream_messages(url: str, stream: str) -> int:
    async def go() -> int:
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False, max_reconnect_attempts=1)
        try:
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        finally:
            await nc.close()
    return asyncio.run(go())


@pytest.fixture
def nats_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    url = os.environ[NATS_ENV]
    stream = f"DGTEST_{uuid.uuid4().hex[:10].upper()}"
    monkeypatch.setenv("DIGIGOV_BUS_URL", url)
    monkeypatch.setenv("DIGIGOV_BUS_STREAM", stream)
    monkeypatch.setenv("DIGIGOV_BUS_POLL_SECONDS", "0.3")
    get_settings.cache_clear()
    bus.reset_registry()
    try:
        asyncio.run(bus_nats.delete_stream(url, stream))  # proves the server answers (no stream yet)
    except bus.BusUnavailable as exc:
        pytest.fail(f"{NATS_ENV}={url} is set but the server cannot be reached: {exc}")
    yield url, stream
    bus.reset_registry()
    get_settings.cache_clear()
    asyncio.run(bus_nats.delete_stream(url, stream))


@pytest.fixture
def factory(connection: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _publish(factory: sessionmaker[Session], subject: str, payload: dict[str, Any] | None = None,
             key: str | None = None) -> None:
    with factory() as s:
        bus.publish(s, subject, payload or {}, key=key)
        s.commit()


def _collector(seen: list[bus.Event]) -> bus.Handler:
    def handle(_s: Session, event: bus.Event) -> None:
        seen.append(event)
    return handle


def test_relay_delivers_and_jetstream_drops_a_duplicate_msg_id(
        nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    url, stream = nats_bus
    seen: list[bus.Event] = []
    bus.subscribe("cases", "case.*", _collector(seen))
    _publish(factory, "case.opened", {"n": 1}, key="dup-a")
    _publish(factory, "case.closed", {"n": 2, "名称": "工单"}, key="dup-b")
    _publish(factory, "signal.red", {"n": 3}, key="dup-c")
    assert bus.drain(factory) == 2
    assert [(e.subject, e.key, e.payload["n"]) for e in seen] == [("case.opened", "dup-a", 1),
                                                                  ("case.closed", "dup-b", 2)]
    assert seen[1].payload["名称"] == "工单" and seen[0].at.tzinfo is not None
    assert _stream_messages(url, stream) == 3
    with factory() as s:  # a relay that crashed before marking its rows publishes them again...
        assert all(r.published_at is not None for r in s.scalars(select(OutboxEvent)
                                                                  .where(OutboxEvent.key.like("dup-%"))))
        s.execute(update(OutboxEvent).where(OutboxEvent.key.like("dup-%")).values(published_at=None))
        s.commit()
    assert bus.drain(factory) == 0  # ...and JetStream's duplicate window drops them (Nats-Msg-Id = key)
    assert _stream_messages(url, stream) == 3 and len(seen) == 2


def test_a_redelivered_message_already_processed_is_skipped(
        nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    seen: list[bus.Event] = []
    sub = bus.Subscription("once", ("x.*",), _collector(seen))
    with factory() as s:
        bus.ensure_consumers(s, [sub])
        s.commit()
    event = bus.Event(seq=7, subject="x.y", key="k-once", payload={}, at=utcnow())
    assert bus_nats._handle(factory, sub, event, utcnow()) == "ok"
    assert bus_nats._handle(factory, sub, event, utcnow()) == "duplicate"  # e.g. the ack was lost
    assert len(seen) == 1


def test_redelivery_after_a_handler_failure(nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    calls: list[str] = []

    def flaky(_s: Session, event: bus.Event) -> None:
        calls.append(event.key)
        if calls.count(event.key) == 1 and event.key == "f-1":
            raise RuntimeError("department system down")

    bus.subscribe("flaky", "case.*", flaky)
    for n in range(3):
        _publish(factory, "case.opened", {"n": n}, key=f"f-{n}")
    assert bus.drain(factory) == 1
    with factory() as s:
        row = s.get(Consumer, "flaky")
        assert row is not None and row.attempts == 1 and "system down" in row.last_error
        assert bus.consumer_lag(s)["flaky"] == 2
    assert bus.drain(factory) == 2
    assert calls == ["f-0", "f-1", "f-1", "f-2"]
    with factory() as s:
        assert bus.consumer_lag(s)["flaky"] == 0
        assert s.get(Consumer, "flaky").attempts == 0  # type: ignore[union-attr]


def test_events_published_by_handlers_arrive_in_the_same_drain(
        nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    seen: list[bus.Event] = []

    def open_case(s: Session, event: bus.Event) -> None:
        bus.publish(s, "case.opened", {"signal": event.key}, key=f"case-{event.key}")

    bus.subscribe("open_case", "signal.>", open_case)
    bus.subscribe("case_log", "case.*", _collector(seen))
    _publish(factory, "signal.red.fire", key="s-1")
    assert bus.drain(factory) == 2
    assert [e.payload for e in seen] == [{"signal": "s-1"}]


def test_several_patterns_with_wildcards(nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    seen: list[bus.Event] = []
    bus.subscribe("mixed", "case.opened, signal.red.*", _collector(seen))
    for subject in ("case.opened", "case.closed", "signal.red.fire", "signal.red", "other.thing"):
        _publish(factory, subject)
    assert bus.drain(factory) == 2
    assert [e.subject for e in seen] == ["case.opened", "signal.red.fire"]
    with factory() as s:
        assert bus.consumer_lag(s)["mixed"] == 0


def test_replay_from_a_sequence_and_from_a_time(nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    seen: list[bus.Event] = []
    bus.subscribe("replayed", "case.*", _collector(seen))
    _publish(factory, "case.opened", {"n": 0})
    assert bus.drain(factory) == 1
    time.sleep(0.05)
    cut = utcnow()
    time.sleep(0.05)
    _publish(factory, "case.opened", {"n": 1})
    _publish(factory, "case.opened", {"n": 2})
    assert bus.drain(factory) == 2
    second = seen[1].seq
    with factory() as s:
        assert bus.replay(s, "replayed", from_seq=second) == second - 1
        s.commit()
    assert bus.drain(factory) == 2  # the processed ledger was cleared for the replayed range
    assert [e.payload["n"] for e in seen] == [0, 1, 2, 1, 2]
    with factory() as s:
        bus.replay(s, "replayed", since=cut)
        s.commit()
    assert bus.drain(factory) == 2
    assert [e.payload["n"] for e in seen[-2:]] == [1, 2]
    with factory() as s:
        assert bus.replay(s, "replayed", from_seq=1) == 0
        s.commit()
    assert bus.drain(factory) == 3


def test_lag_counts_unrelayed_and_undelivered(nats_bus: tuple[str, str], factory: sessionmaker[Session]) -> None:
    url, stream = nats_bus
    bus.subscribe("lagging", "case.*", lambda s, e: None)
    bus.subscribe("quiet", "signal.*", lambda s, e: None)
    for subject in ("case.opened", "case.closed", "signal.red"):
        _publish(factory, subject)
    with factory() as s:
        assert bus.consumer_lag(s) == {"lagging": 2, "quiet": 1}  # still in the outbox
        assert bus.status(s)["outbox_pending"] == 3
    assert bus_nats.relay(factory, url=url, stream=stream) == 3
    with factory() as s:
        assert bus.consumer_lag(s) == {"lagging": 2, "quiet": 1}  # in the stream, consumers not created yet
        assert bus.metrics_snapshot(s)["outbox_pending"] == 0
    assert bus.drain(factory) == 3
    _publish(factory, "case.opened")
    assert bus_nats.relay(factory, url=url, stream=stream) == 1
    with factory() as s:
        assert bus.consumer_lag(s) == {"lagging": 1, "quiet": 0}  # the JetStream consumer's num_pending
        st = bus.status(s)
        assert st["backend"] == "nats" and st["stream"] == stream
