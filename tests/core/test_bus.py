"""The event bus, in-process backend: outbox in the caller's transaction, durable consumers, at-least-once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digigov.core import bus
from digigov.core.bus_model import Consumer, OutboxEvent, Processed
from digigov.core.clock import utcnow
from digigov.core.errors import InvalidInput, NotFound
from digigov.core.settings import get_settings

S = "bustest"  # every subject of these tests starts here, so events published elsewhere never count


@pytest.fixture(autouse=True)
def memory_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DIGIGOV_BUS_URL", "memory")
    get_settings.cache_clear()
    bus.reset_registry()
    yield
    bus.reset_registry()
    get_settings.cache_clear()


@pytest.fixture
def factory(connection: Any) -> sessionmaker[Session]:
    """Sessions on the test's connection: each commit is a savepoint, all rolled back after the test."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def _publish(factory: sessionmaker[Session], subject: str, payload: dict[str, Any] | None = None,
             key: str | None = None) -> None:
    with factory() as s:
        bus.publish(s, f"{S}.{subject}", payload or {}, key=key)
        s.commit()


def _rows(session: Session) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.subject.like(f"{S}.%"))
                                .order_by(OutboxEvent.seq)))


def _collector(seen: list[bus.Event]) -> bus.Handler:
    def handle(_s: Session, event: bus.Event) -> None:
        seen.append(event)
    return handle


def test_publish_commits_or_rolls_back_with_the_callers_transaction(factory: sessionmaker[Session]) -> None:
    with factory() as s:
        bus.publish(s, f"{S}.case.opened", {"case": 1}, key="k-rolled-back")
        assert len(_rows(s)) == 1  # visible inside the transaction
        s.rollback()
        assert _rows(s) == []
        bus.publish(s, f"{S}.case.opened", {"case": 2, "名称": "工单"}, key="k-kept")
        s.commit()
    with factory() as s:
        (row,) = _rows(s)
        assert (row.key, row.payload, row.published_at) == ("k-kept", {"case": 2, "名称": "工单"}, None)
        assert row.at.tzinfo is not None


def test_a_key_already_published_is_a_no_op(factory: sessionmaker[Session]) -> None:
    _publish(factory, "case.opened", {"n": 1}, key="same-key")
    with factory() as s:
        bus.publish(s, f"{S}.case.opened", {"n": 2}, key="same-key")
        bus.publish(s, f"{S}.case.opened", {"n": 3}, key="same-key")
        s.commit()
        assert [r.payload for r in _rows(s)] == [{"n": 1}]
    _publish(factory, "case.opened")
    _publish(factory, "case.opened")  # no key: a fresh uuid each time
    with factory() as s:
        assert len(_rows(s)) == 3


@pytest.mark.parametrize("subject, payload, key", [
    (f"{S}.case.*", {}, None),  # a wildcard is for subscribing, not publishing
    (f"{S}..case", {}, None),
    (f"{S}.ca se", {}, None),
    (f"{S}.case", {"when": {1, 2}}, None),  # a set is not JSON
    (f"{S}.case", {"x": float("nan")}, None),
    (f"{S}.case", ["not", "an", "object"], None),
    (f"{S}.case", {}, "has space"),
    (f"{S}.case", {}, ""),
])
def test_bad_events_are_refused(session: Session, subject: str, payload: Any, key: str | None) -> None:
    with pytest.raises(InvalidInput):
        bus.publish(session, subject, payload, key=key)


@pytest.mark.parametrize("pattern, subject, expected", [
    ("case.*", "case.opened", True),
    ("case.*", "case.opened.late", False),
    ("case.*", "case", False),
    ("case.>", "case.opened.late", True),
    ("case.>", "case", False),
    (">", "anything.at.all", True),
    ("*.opened", "case.opened", True),
    ("case.opened", "case.opened", True),
    ("case.opened", "case.closed", False),
])
def test_subject_matching_follows_nats(pattern: str, subject: str, expected: bool) -> None:
    assert bus.subject_matches(pattern, subject) is expected


def test_bad_subscriptions_are_refused() -> None:
    for durable, subjects in [("has.dot", "a.*"), ("ok", "a.>.b"), ("ok", ""), ("ok", "a.b*")]:
        with pytest.raises(InvalidInput):
            bus.subscribe(durable, subjects, lambda s, e: None)


def test_consumers_get_what_their_wildcards_match(factory: sessionmaker[Session]) -> None:
    got: dict[str, list[bus.Event]] = {"cases": [], "signals": [], "both": []}
    bus.subscribe("cases", f"{S}.case.*", _collector(got["cases"]))
    bus.subscribe("signals", f"{S}.signal.>", _collector(got["signals"]))
    bus.subscribe("both", f"{S}.case.opened, {S}.signal.red.*", _collector(got["both"]))
    for subject in ("case.opened", "case.closed", "case.opened.late", "signal.red.fire", "signal.blue", "other"):
        _publish(factory, subject, {"subject": subject})
    assert bus.drain(factory) == 2 + 2 + 2
    assert [e.subject for e in got["cases"]] == [f"{S}.case.opened", f"{S}.case.closed"]
    assert [e.subject for e in got["signals"]] == [f"{S}.signal.red.fire", f"{S}.signal.blue"]
    assert [e.payload["subject"] for e in got["both"]] == ["case.opened", "signal.red.fire"]
    assert all(a.seq < b.seq for a, b in zip(got["cases"], got["cases"][1:], strict=False))
    assert bus.drain(factory) == 0  # nothing is delivered twice


def test_a_failing_handler_is_retried_on_the_next_drain(factory: sessionmaker[Session]) -> None:
    calls: list[str] = []

    def flaky(_s: Session, event: bus.Event) -> None:
        calls.append(event.key)
        if calls.count(event.key) == 1 and event.payload["n"] == 1:
            raise RuntimeError("store of the department is down")

    bus.subscribe("flaky", f"{S}.case.*", flaky)
    for n in range(3):
        _publish(factory, "case.opened", {"n": n}, key=f"ev-{n}")
    assert bus.drain(factory) == 1  # ev-0 delivered; ev-1 fails and stops the consumer for this drain
    assert calls == ["ev-0", "ev-1"]
    with factory() as s:
        row = s.get(Consumer, "flaky")
        assert row is not None and row.attempts == 1 and "department is down" in row.last_error
        assert bus.consumer_lag(s)["flaky"] == 2
    assert bus.drain(factory) == 2  # ev-1 again (at least once), then ev-2
    assert calls == ["ev-0", "ev-1", "ev-1", "ev-2"]
    with factory() as s:
        row = s.get(Consumer, "flaky")
        assert row is not None and (row.attempts, row.last_error, row.delivered) == (0, "", 3)
        assert bus.consumer_lag(s)["flaky"] == 0


def test_handler_writes_and_the_offset_commit_together(factory: sessionmaker[Session]) -> None:
    fail = [True]

    def open_case(s: Session, event: bus.Event) -> None:  # writes (an event of its own), then may fail
        bus.publish(s, f"{S}.case.opened", {"from": event.key}, key=f"case-for-{event.key}")
        if fail[0]:
            raise RuntimeError("boom")

    seen: list[bus.Event] = []
    bus.subscribe("open_case", f"{S}.signal.*", open_case)
    bus.subscribe("case_log", f"{S}.case.*", _collector(seen))
    _publish(factory, "signal.red", key="sig-1")
    assert bus.drain(factory) == 0
    with factory() as s:
        assert [r.key for r in _rows(s)] == ["sig-1"]  # the handler's write was rolled back...
        offset = s.get(Consumer, "open_case").offset  # type: ignore[union-attr]
        assert offset < _rows(s)[0].seq  # ...and so was the offset
    fail[0] = False
    assert bus.drain(factory) == 2  # the signal, then the case event its handler published, in one drain
    with factory() as s:
        assert [r.key for r in _rows(s)] == ["sig-1", "case-for-sig-1"]
    assert [e.payload for e in seen] == [{"from": "sig-1"}]


def test_drain_stops_at_the_limit(factory: sessionmaker[Session]) -> None:
    seen: list[bus.Event] = []
    bus.subscribe("limited", f"{S}.x", _collector(seen))
    for _ in range(5):
        _publish(factory, "x")
    assert bus.drain(factory, limit=2) == 2
    assert bus.drain(factory, limit=10) == 3
    assert len(seen) == 5


def test_replay_from_a_sequence_and_from_a_time(factory: sessionmaker[Session]) -> None:
    seen: list[bus.Event] = []
    bus.subscribe("replayed", f"{S}.case.*", _collector(seen))
    for n in range(3):
        _publish(factory, "case.opened", {"n": n})
        time.sleep(0.002)  # distinct publication times
    assert bus.drain(factory) == 3
    with factory() as s:
        rows = _rows(s)
        assert bus.replay(s, "replayed", from_seq=rows[1].seq) == rows[1].seq - 1
        s.commit()
    assert bus.drain(factory) == 2
    assert [e.payload["n"] for e in seen] == [0, 1, 2, 1, 2]
    with factory() as s:
        rows = _rows(s)
        assert bus.replay(s, "replayed", since=rows[2].at) < rows[2].seq
        s.commit()
    assert bus.drain(factory) == 1 and seen[-1].payload == {"n": 2}
    with factory() as s:  # a time before everything: the whole log again
        bus.replay(s, "replayed", since=rows[0].at - timedelta(days=3650))
        s.commit()
    assert bus.drain(factory) >= 3


def test_replay_refuses_bad_arguments(factory: sessionmaker[Session]) -> None:
    bus.subscribe("known", f"{S}.x", lambda s, e: None)
    with factory() as s:
        with pytest.raises(NotFound):
            bus.replay(s, "nobody", from_seq=1)
        with pytest.raises(InvalidInput):
            bus.replay(s, "known")
        with pytest.raises(InvalidInput):
            bus.replay(s, "known", from_seq=0)


def test_lag_status_and_metrics(factory: sessionmaker[Session]) -> None:
    bus.subscribe("lagging", f"{S}.case.*", lambda s, e: None)
    bus.subscribe("other", f"{S}.signal.>", lambda s, e: None)
    for subject in ("case.opened", "case.closed", "case.opened", "signal.red"):
        _publish(factory, subject)
    with factory() as s:
        assert bus.consumer_lag(s) == {"lagging": 3, "other": 1}
    assert bus.drain(factory) == 4
    _publish(factory, "case.closed")
    with factory() as s:
        assert bus.consumer_lag(s) == {"lagging": 1, "other": 0}
        st = bus.status(s)
        assert st["backend"] == "memory" and st["outbox_pending"] == 1
        assert {c["durable"]: c["delivered"] for c in st["consumers"]} == {"lagging": 3, "other": 1}
        metrics = bus.metrics_snapshot(s)
        assert metrics["outbox_pending"] == 1 and metrics["consumer_lag"] == {"lagging": 1, "other": 0}
    bus.reset_registry()  # a consumer this process has not loaded is still reported from the store
    with factory() as s:
        assert bus.consumer_lag(s) == {"lagging": 1, "other": 0}
        assert [c["registered"] for c in bus.status(s)["consumers"]] == [False, False]
        total = s.scalar(select(func.count()).select_from(OutboxEvent))
        assert bus.status(s)["outbox_total"] == total


def test_bus_url_must_name_a_known_backend(monkeypatch: pytest.MonkeyPatch, session: Session) -> None:
    monkeypatch.setenv("DIGIGOV_BUS_URL", "http://example.invalid")
    get_settings.cache_clear()
    with pytest.raises(InvalidInput):
        bus.consumer_lag(session)


def test_an_unreachable_nats_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                     factory: sessionmaker[Session]) -> None:
    monkeypatch.setenv("DIGIGOV_BUS_URL", "nats://127.0.0.1:1")
    get_settings.cache_clear()
    bus.subscribe("any", f"{S}.x", lambda s, e: None)
    with pytest.raises(bus.BusUnavailable):
        bus.drain(factory)


def test_prune_keeps_what_a_consumer_has_not_passed_and_what_is_recent(factory: sessionmaker[Session]) -> None:
    stuck: list[bool] = [True]

    def slow(_s: Session, event: bus.Event) -> None:
        if stuck[0] and event.payload["n"] == 2:
            raise RuntimeError("not yet")

    bus.subscribe("fast", f"{S}.case.*", _collector([]))
    bus.subscribe("slow", f"{S}.case.*", slow)
    for n in range(4):
        _publish(factory, "case.opened", {"n": n}, key=f"p-{n}")
    bus.drain(factory)  # fast has all four; slow stops before n=2
    later = utcnow() + timedelta(days=31)
    with factory() as s:
        s.add(Processed(durable="fast", key="old-key", seq=1, at=utcnow() - timedelta(days=40)))
        assert bus.prune(s, timedelta(days=30), now=utcnow()) == {"events": 0, "processed_keys": 1}  # too recent
        assert bus.prune(s, timedelta(days=30), now=later)["events"] == 2  # what both consumers passed
        assert [r.payload["n"] for r in _rows(s)] == [2, 3]
        s.commit()
    stuck[0] = False
    assert bus.drain(factory) == 2  # slow still gets what it had not passed
    with factory() as s:
        assert bus.prune(s, timedelta(days=30), now=later)["events"] == 2 and _rows(s) == []
