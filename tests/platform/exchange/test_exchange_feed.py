"""The change feed (数据高铁): a load's changes reach each feed grant masked and filtered as granted, once; the
consumer reads after a position, acknowledges, and its lag is a bus metric; revocation stops it at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.platform.ingest.test_ingest_service import GOOD, make_id, write_csv
from tests.platform.sharing.sharing_helpers import STEWARD, grant_for

from digigov.audit.model import AuditRecord
from digigov.core import bus
from digigov.core.bus_model import Consumer, OutboxEvent
from digigov.core.errors import PermissionDenied
from digigov.core.settings import get_settings
from digigov.platform.exchange import feed
from digigov.platform.ingest import service as ingest
from digigov.platform.sharing import service as sharing

CODE = "hz_people_rail"
NEWCOMER = ("赵七", make_id("330108", "19991111", "052"), "女", "1999-11-11", "13611112222", "杭州市滨江区江南大道1号")
MOVED = (GOOD[0][0], GOOD[0][1], GOOD[0][2], GOOD[0][3], "13900000000", GOOD[0][5])  # a new phone number


@pytest.fixture
def factory(connection: Any) -> Iterator[sessionmaker[Session]]:
    bus.reset_registry()
    feed.register_consumers()
    yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    bus.reset_registry()


@pytest.fixture
def loaded(session: Session, actor_of, tmp_path: Path, factory):  # type: ignore[no-untyped-def]
    steward = actor_of("hz_police_steward")
    ingest.ensure_dataset(session, steward, ingest.DatasetSpec(
        code=CODE, name="杭州市常住人口", department="330100-public_security", update_frequency="每日",
        key_columns=["公民身份号码"]))
    ingest.ingest(session, steward, CODE, write_csv(tmp_path / "v1.csv", list(GOOD[:3])))
    session.commit()
    bus.drain(factory)  # version 1 announced before any grant: nobody subscribed yet

    def second_load() -> None:
        ingest.ingest(session, steward, CODE, write_csv(tmp_path / "v2.csv", [MOVED, GOOD[1], NEWCOMER]))
        session.commit()
        bus.drain(factory)
    return second_load


def _feed_grant(session: Session, actor_of, **terms: Any):  # type: ignore[no-untyped-def]
    return grant_for(session, actor_of, CODE, ["姓名", "性别", "手机号码"], channel="feed", **terms)


def _changes(page: feed.FeedPage) -> list[tuple[str, dict[str, Any]]]:
    return [(c["op"], c["row"]) for e in page.events for c in e["changes"]]


def test_a_load_reaches_the_feed_masked_as_granted(session: Session, actor_of, loaded) -> None:  # type: ignore[no-untyped-def]
    grant = _feed_grant(session, actor_of)
    loaded()
    consumer = actor_of("hz_civil_officer")
    page = feed.read(session, consumer, grant.id)
    got = sorted(_changes(page), key=lambda c: c[0])
    assert [op for op, _ in got] == ["delete", "insert", "update"]
    for _op, row in got:
        assert set(row) == {"姓名", "性别", "手机号码"}  # the ID number was not granted
        assert row["手机号码"] != "13900000000" and "*" in row["手机号码"]  # masked (not granted in clear)
        assert row["姓名"] not in {GOOD[0][0], GOOD[2][0], NEWCOMER[0]}  # L3 name masked too
    clear = dict(zip(GOOD[0], MOVED, strict=True))
    assert all(v not in clear for _op, row in got for v in row.values())  # no value leaves in clear
    assert page.lag == 0 and page.position == 0
    reads = session.scalars(select(AuditRecord).where(AuditRecord.action.in_(
        ("sharing.feed.deliver", "sharing.feed.read")))).all()
    assert {(r.action, r.object_id) for r in reads} == {("sharing.feed.deliver", str(grant.id)),
                                                       ("sharing.feed.read", str(grant.id))}


def test_unmasked_fields_and_a_row_filter(session: Session, actor_of, loaded) -> None:  # type: ignore[no-untyped-def]
    grant = _feed_grant(session, actor_of, unmasked=["手机号码", "性别"],
                        row_filter=[{"column": "性别", "op": "=", "value": "女"}])
    loaded()
    got = _changes(feed.read(session, actor_of("hz_civil_officer"), grant.id))
    assert got and all(row["性别"] == "女" for _op, row in got)
    assert [(op, row["手机号码"]) for op, row in got] == [("insert", NEWCOMER[4])]  # GOOD[0] (男) moved unseen


def test_a_replayed_announcement_publishes_nothing_twice(session: Session, actor_of, loaded,  # type: ignore[no-untyped-def]
                                                        factory) -> None:
    grant = _feed_grant(session, actor_of)
    loaded()
    before = session.scalars(select(OutboxEvent.seq).where(OutboxEvent.subject == feed.subject_of(grant.id))).all()
    first = session.scalar(select(OutboxEvent.seq).where(OutboxEvent.subject == "dataset.changed")
                           .order_by(OutboxEvent.seq.desc()))
    bus.replay(session, feed.DURABLE, from_seq=first)
    session.commit()
    bus.drain(factory)
    after = session.scalars(select(OutboxEvent.seq).where(OutboxEvent.subject == feed.subject_of(grant.id))).all()
    assert before and after == before


def test_position_ack_and_lag(session: Session, actor_of, loaded, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed, "CHUNK", 1)  # one change per event
    grant = _feed_grant(session, actor_of)
    loaded()
    consumer = actor_of("hz_civil_officer")
    page = feed.read(session, consumer, grant.id, limit=1)
    assert len(page.events) == 1 and page.lag == 2
    assert feed.ack(session, consumer, grant.id, page.next_after) == page.next_after
    assert bus.consumer_lag(session)[feed.consumer_of(grant.id)] == 2  # the bus metric sees the feed's lag
    rest = feed.read(session, consumer, grant.id)  # from the stored position
    assert [e["seq"] for e in rest.events] == [e for e in sorted(
        session.scalars(select(OutboxEvent.seq).where(OutboxEvent.subject == feed.subject_of(grant.id))))][1:]
    assert feed.ack(session, consumer, grant.id, 0) == page.next_after  # never backwards


def test_revocation_stops_the_feed_and_forgets_its_position(session: Session, actor_of, loaded) -> None:  # type: ignore[no-untyped-def]
    grant = _feed_grant(session, actor_of)
    consumer = actor_of("hz_civil_officer")
    feed.ack(session, consumer, grant.id, 0)
    sharing.revoke(session, actor_of(STEWARD), grant.id, reason="用途已结束")
    session.commit()
    loaded()
    assert not session.scalars(select(OutboxEvent).where(OutboxEvent.subject == feed.subject_of(grant.id))).all()
    with pytest.raises(PermissionDenied):
        feed.read(session, consumer, grant.id)
    assert session.get(Consumer, feed.consumer_of(grant.id)) is None  # would otherwise hold back pruning


def test_another_department_cannot_read_the_feed(session: Session, actor_of, loaded) -> None:  # type: ignore[no-untyped-def]
    grant = _feed_grant(session, actor_of)
    loaded()
    with pytest.raises(PermissionDenied):
        feed.read(session, actor_of(STEWARD), grant.id)  # the owner's steward is not the consumer


def test_changes_no_longer_kept_become_one_resync_event(session: Session, actor_of, loaded, factory,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "warehouse_keep_versions", 1)
    grant = _feed_grant(session, actor_of)
    steward = actor_of("hz_police_steward")
    ingest.ingest(session, steward, CODE, write_csv(tmp_path / "v2.csv", [MOVED, GOOD[1], NEWCOMER]))
    session.commit()
    ingest.ingest(session, steward, CODE, write_csv(tmp_path / "v3.csv", [MOVED, NEWCOMER]))
    session.commit()  # version 3 is the only one kept: version 2's changes are gone before the worker ran
    bus.drain(factory)
    page = feed.read(session, actor_of("hz_civil_officer"), grant.id)
    assert [(e["version"], e.get("resync", False)) for e in page.events] == [(2, True), (3, False)]
    assert [c["op"] for c in page.events[1]["changes"]] == ["delete"]  # GOOD[1] left in version 3


def test_the_feed_over_http(session: Session, actor_of, loaded, client, bearer) -> None:  # type: ignore[no-untyped-def]
    grant = _feed_grant(session, actor_of)
    session.commit()
    loaded()
    officer = bearer("hz_civil_officer")
    r = client.get(f"/api/v1/feeds/{grant.id}", params={"limit": 5}, headers=officer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grant"] == grant.id and body["dataset"] == CODE and body["lag"] == 0
    assert sorted(c["op"] for e in body["events"] for c in e["changes"]) == ["delete", "insert", "update"]
    r = client.post(f"/api/v1/feeds/{grant.id}/ack", json={"seq": body["next_after"]}, headers=officer)
    assert r.status_code == 200 and r.json() == {"position": body["next_after"]}
    again = client.get(f"/api/v1/feeds/{grant.id}", params={"wait": 0.5}, headers=officer).json()
    assert again["events"] == [] and again["position"] == body["next_after"]  # waited, nothing new
    assert client.get(f"/api/v1/feeds/{grant.id}", headers=bearer(STEWARD)).status_code == 403
    assert client.get("/api/v1/feeds/999999", headers=officer).status_code == 404
    assert client.get(f"/api/v1/feeds/{grant.id}").status_code == 401
