"""The change feed on NATS JetStream (DIGIGOV_TEST_NATS_URL): feed events are relayed to the stream, and a
subscriber inside the platform's network keeps a durable JetStream consumer named after its grant; after a
restart it continues where it acknowledged, it can replay from a sequence number, and the platform's lag
metric reads the same consumer."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy.orm import Session, sessionmaker
from tests.core.test_bus_nats import NATS_ENV, nats_bus  # noqa: F401  (fixture)
from tests.platform.exchange.test_exchange_feed import NEWCOMER
from tests.platform.ingest.test_ingest_service import GOOD, write_csv
from tests.platform.sharing.sharing_helpers import grant_for

from digigov.core import bus
from digigov.core.bus_nats import prefix_of
from digigov.platform.exchange import feed
from digigov.platform.ingest import service as ingest

pytestmark = pytest.mark.skipif(not os.environ.get(NATS_ENV), reason=f"{NATS_ENV} not set")
CODE = "hz_people_jet"


def _fetch(url: str, stream: str, subject: str, durable: str, n: int, *, ack: bool = True) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
        try:
            sub = await nc.jetstream().pull_subscribe(subject, durable=durable, stream=stream)
            msgs = await sub.fetch(n, timeout=3)
            out = []
            for m in msgs:
                out.append({"stream_seq": m.metadata.sequence.stream, **json.loads(m.data)})
                if ack:
                    await m.ack_sync()
            return out
        finally:
            await nc.close()
    return asyncio.run(go())


def _replay(url: str, stream: str, subject: str, from_seq: int, n: int) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
        try:
            cfg = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=from_seq)
            sub = await nc.jetstream().pull_subscribe(subject, stream=stream, config=cfg)
            return [json.loads(m.data) for m in await sub.fetch(n, timeout=3)]
        finally:
            await nc.close()
    return asyncio.run(go())


def test_a_durable_jetstream_subscriber_resumes_after_a_restart_and_replays(  # type: ignore[no-untyped-def]
        nats_bus, connection: Any, session: Session, actor_of, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, stream = nats_bus
    monkeypatch.setattr(feed, "CHUNK", 1)  # one change per event: three events
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    feed.register_consumers()
    steward = actor_of("hz_police_steward")
    ingest.ensure_dataset(session, steward, ingest.DatasetSpec(
        code=CODE, name="杭州市常住人口", department="330100-public_security", key_columns=["公民身份号码"]))
    ingest.ingest(session, steward, CODE, write_csv(tmp_path / "v1.csv", list(GOOD[:3])))
    session.commit()
    bus.drain(factory)
    grant = grant_for(session, actor_of, CODE, ["姓名", "性别"], channel="feed")
    session.commit()
    ingest.ingest(session, steward, CODE, write_csv(tmp_path / "v2.csv", [GOOD[0], NEWCOMER]))  # +1 -2
    session.commit()
    for _ in range(3):  # relay dataset.changed, deliver it (fan-out publishes the feed events), relay those
        bus.drain(factory)
    subject, durable = f"{prefix_of(stream)}.{feed.subject_of(grant.id)}", feed.consumer_of(grant.id)
    first = _fetch(url, stream, subject, durable, 1)
    assert len(first) == 1
    with factory() as s:
        assert bus.consumer_lag(s)[durable] == 2  # the platform's metric reads the durable consumer
    rest = _fetch(url, stream, subject, durable, 5)  # a new connection: the subscriber restarted
    assert len(rest) == 2 and first[0]["stream_seq"] < rest[0]["stream_seq"]  # resumed, nothing twice
    got = first + rest
    assert sorted(c["op"] for e in got for c in e["changes"]) == ["delete", "delete", "insert"]
    assert all(set(c["row"]) == {"姓名", "性别"} for e in got for c in e["changes"])
    with factory() as s:
        assert bus.consumer_lag(s)[durable] == 0
    again = _replay(url, stream, subject, first[0]["stream_seq"], 5)  # replay from a sequence number
    assert [e["changes"] for e in again] == [e["changes"] for e in got]
