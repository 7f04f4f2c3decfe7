"""Event rules: CEL conditions over bus events, windows kept in the store, dry runs over the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digigov.core import bus
from digigov.core.bus import Event
from digigov.core.bus_model import OutboxEvent
from digigov.identity.actor import Actor
from digigov.platform.rules import events
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import RuleWindowEvent, Signal

OP = Actor.operator()
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

NOISE_WINDOW = {
    "code": "noise.window", "name": "小区噪音投诉7天内多发", "kind": "event", "severity": "yellow",
    "department": "330106-urban_management", "case_type": "noise_complaint", "subjects": "case.opened",
    "condition": 'event.category == "噪音扰民" && event.community != ""',
    "window": {"group_by": "community", "days": 7, "threshold": 3},
    "title": "{community}：7天内{n}起噪音投诉", "enabled": True,
}


def ev(seq: int, at: datetime, community: str = "翠苑一区", category: str = "噪音扰民",
       subject: str = "case.opened") -> Event:
    return Event(seq=seq, subject=subject, key=f"k{seq}", payload={"category": category, "community": community,
                                                                   "region_code": "330106"}, at=at)


def signals(session: Session) -> list[Signal]:
    return list(session.scalars(select(Signal).order_by(Signal.id)))


def test_three_events_in_a_window_raise_one_signal(session: Session) -> None:
    rules.save_rule(session, OP, NOISE_WINDOW)
    assert events.raise_for(session, ev(1, T0)) == 0
    assert events.raise_for(session, ev(2, T0 + timedelta(days=2), community="文新社区")) == 0
    assert events.raise_for(session, ev(3, T0 + timedelta(days=3), category="占道经营")) == 0  # no match
    assert events.raise_for(session, ev(4, T0 + timedelta(days=4))) == 0
    assert signals(session) == []
    assert events.raise_for(session, ev(5, T0 + timedelta(days=5))) == 1
    [sig] = signals(session)
    assert (sig.subject_key, sig.severity, sig.evidence_count, sig.title) == ("翠苑一区", "yellow", 3,
                                                                             "翠苑一区：7天内3起噪音投诉")
    assert [r["seq"] for r in sig.evidence] == [1, 4, 5]
    assert sig.department is not None and sig.department.code == "330106-urban_management"
    assert sig.region_code == "330106"
    # a fourth in the window updates the open signal instead of raising another
    assert events.raise_for(session, ev(6, T0 + timedelta(days=6))) == 0
    assert len(signals(session)) == 1 and signals(session)[0].evidence_count == 4
    raised = session.scalars(select(OutboxEvent).where(OutboxEvent.subject == "signal.raised")).all()
    assert [e.payload["subject_key"] for e in raised] == ["翠苑一区"]


def test_events_outside_the_window_do_not_count(session: Session) -> None:
    rules.save_rule(session, OP, NOISE_WINDOW)
    events.raise_for(session, ev(1, T0))
    events.raise_for(session, ev(2, T0 + timedelta(days=1)))
    assert events.raise_for(session, ev(3, T0 + timedelta(days=9))) == 0  # 1 and 2 are older than 7 days
    assert signals(session) == []
    remaining = session.scalars(select(RuleWindowEvent.event_seq)).all()
    assert remaining == [3]  # pruned as the window moved on
    events.raise_for(session, ev(4, T0 + timedelta(days=10)))
    assert events.raise_for(session, ev(5, T0 + timedelta(days=15))) == 1


def test_window_survives_a_restart_and_redelivery(session: Session) -> None:
    rules.save_rule(session, OP, NOISE_WINDOW)
    events.raise_for(session, ev(1, T0))
    events.raise_for(session, ev(2, T0 + timedelta(hours=1)))
    events.clear_caches()  # a new process: compiled rules gone, the window is in the store
    events.raise_for(session, ev(2, T0 + timedelta(hours=1)))  # redelivered (at least once): counts once
    assert signals(session) == []
    assert events.raise_for(session, ev(3, T0 + timedelta(hours=2))) == 1


def test_rule_without_window_raises_per_subject_and_cel_errors_do_not_match(session: Session) -> None:
    rules.save_rule(session, OP, {
        "code": "fire.alarm", "name": "消防告警", "kind": "event", "severity": "red", "subjects": "iot.*",
        "condition": "event.level >= 3", "subject": "device", "title": "{device} 告警 {level} 级", "enabled": True,
        "department": "330106-urban_management"})
    at = T0
    assert events.raise_for(session, Event(1, "iot.smoke", "a", {"device": "D1", "level": 4}, at)) == 1
    assert events.raise_for(session, Event(2, "iot.smoke", "b", {"device": "D2", "level": 1}, at)) == 0
    assert events.raise_for(session, Event(3, "iot.smoke", "c", {"device": "D3"}, at)) == 0  # no level
    assert events.raise_for(session, Event(4, "case.opened", "d", {"device": "D4", "level": 9}, at)) == 0
    assert [s.title for s in signals(session)] == ["D1 告警 4 级"]


def test_disabled_event_rules_do_not_listen(session: Session) -> None:
    rules.save_rule(session, OP, {**NOISE_WINDOW, "window": {"group_by": "community", "days": 7, "threshold": 1}})
    rules.set_enabled(session, OP, "noise.window", False)
    assert events.raise_for(session, ev(1, T0)) == 0


def test_group_by_may_be_a_cel_expression(session: Session) -> None:
    rules.save_rule(session, OP, {**NOISE_WINDOW, "window": {
        "group_by": 'event.community + "/" + event.category', "days": 7, "threshold": 2}})
    events.raise_for(session, ev(1, T0))
    assert events.raise_for(session, ev(2, T0 + timedelta(days=1))) == 1
    assert signals(session)[0].subject_key == "翠苑一区/噪音扰民"


@pytest.fixture
def factory(connection: Any) -> Iterator[sessionmaker[Session]]:
    bus.reset_registry()
    yield sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                       expire_on_commit=False)
    bus.reset_registry()


def test_rules_listen_on_the_bus_and_dry_run_over_the_outbox(session: Session,
                                                            factory: sessionmaker[Session]) -> None:
    rules.save_rule(session, OP, {**NOISE_WINDOW, "enabled": False})
    for i in range(3):
        bus.publish(session, "case.opened", {"category": "噪音扰民", "community": "古荡新村", "n": i}, key=f"c{i}")
    bus.publish(session, "case.opened", {"category": "噪音扰民", "community": "文新社区"}, key="c9")
    session.commit()
    # before enabling: a dry run over the outbox shows the hit, and writes nothing
    result = rules.dry_run(session, OP, "noise.window")
    assert [h.subject_key for h in result.signals] == ["古荡新村"] and result.scanned == 4
    assert result.new_signals == 1 and signals(session) == []
    rules.set_enabled(session, OP, "noise.window", True)
    session.commit()
    events.register_consumers()
    bus.drain(factory)
    session.expire_all()
    [sig] = signals(session)
    assert sig.subject_key == "古荡新村" and sig.evidence_count == 3
    published = session.scalar(select(func.count()).select_from(OutboxEvent)
                               .where(OutboxEvent.subject == "signal.raised"))
    assert published == 1


def test_case_events_link_and_close_signals(session: Session) -> None:
    rules.save_rule(session, OP, {**NOISE_WINDOW, "window": {"group_by": "community", "days": 7, "threshold": 1}})
    events.raise_for(session, ev(1, T0))
    [sig] = signals(session)
    events.handle_case_event(session, Event(10, "case.open", "x", {"signal_id": sig.id, "case_id": 77,
                                                                    "status": "intake"}, T0))
    assert (sig.case_id, sig.status) == (77, "open")
    events.handle_case_event(session, Event(11, "case.verify", "y", {"signal_id": sig.id, "case_id": 77,
                                                                      "status": "closed"}, T0))
    assert sig.status == "closed" and sig.closed_at is not None
