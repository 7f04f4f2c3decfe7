"""Event rules: CEL conditions over the events on the bus, with optional windows.

`register_consumers()` subscribes `handle_event` as the durable consumer "rules-events" to every subject
(`>`); each event is matched against the enabled event rules' subject patterns and conditions (CEL over
`event`, the payload, compiled once per process and cached). A rule with a window keeps the events that
matched it in `rule_window_event`, so a window survives a restart; events older than the window are
pruned as new ones arrive. When the events with one group key within the window reach the threshold,
the group becomes a hit and, through `batch.record_hits`, a signal (one open signal per group).

Window time is the event's own time on the bus (`Event.at`), so a late delivery counts where it happened.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celpy import celtypes
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core import bus
from digigov.core.bus_model import OutboxEvent
from digigov.core.clock import utcnow
from digigov.identity.actor import Actor
from digigov.platform.rules import batch
from digigov.platform.rules import spec as specs
from digigov.platform.rules.model import Rule, RuleVersion, RuleWindowEvent, Signal

DURABLE = "rules-events"  # (the bus allows no dots in durable names)
CASES_DURABLE = "rules-cases"
SYSTEM = Actor(username="system:rules", via="system")
DRY_RUN_EVENTS = 20_000  # outbox events a dry run reads at most

_specs: dict[tuple[Any, ...], specs.RuleSpec] = {}


@dataclass(frozen=True)
class EventView:
    """What a rule reads of an event (the attributes of digigov.core.bus.Event)."""

    seq: int
    subject: str
    key: str | None
    payload: dict[str, Any]
    at: datetime


def clear_caches() -> None:
    """Forget the compiled rules (as a restart would); windows are in the store and stay."""
    _specs.clear()
    specs._cel_program.cache_clear()


def spec_of(session: Session, rule: Rule) -> specs.RuleSpec:
    """The rule's current spec (cached per rule version). The key names the rule's row as it stands, not
    only its id and version number: a rolled-back save can leave both to be reused by another rule."""
    cache_key = (rule.id, rule.code, rule.current_version, rule.created_at, rule.updated_at)
    if cache_key not in _specs:
        ver = session.scalar(select(RuleVersion).where(RuleVersion.rule_id == rule.id,
                                                       RuleVersion.version == rule.current_version))
        if ver is None:
            raise LookupError(f"rule {rule.code} has no version {rule.current_version}")
        _specs[cache_key] = specs.RuleSpec.model_validate(ver.spec)
    return _specs[cache_key]


def matches(rule_spec: specs.RuleSpec, event: EventView) -> bool:
    if not rule_spec.subjects or not any(bus.subject_matches(p, event.subject)
                                         for p in bus.parse_patterns(rule_spec.subjects)):
        return False
    program = specs.compile_cel(rule_spec.code, rule_spec.condition or "false")
    value = specs.evaluate_cel(program, event.payload)
    return isinstance(value, celtypes.BoolType) and bool(value)  # a non-boolean result is no match


def group_key(rule_spec: specs.RuleSpec, payload: dict[str, Any]) -> str | None:
    """The window's group key of an event: a payload key's value, or a CEL expression's."""
    expr = rule_spec.window.group_by if rule_spec.window else ""
    if specs.PAYLOAD_KEY.match(expr):
        value = payload.get(expr)
    else:
        value = specs.evaluate_cel(specs.compile_cel(rule_spec.code, expr), payload)
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)[:200]


def _single_hit(rule_spec: specs.RuleSpec, event: EventView) -> batch.Hit:
    subject = event.payload.get(rule_spec.subject) if rule_spec.subject else None
    key = str(subject) if subject not in (None, "") else (event.key or f"event-{event.seq}")
    row = {"seq": event.seq, "subject": event.subject, "at": event.at.isoformat(), **event.payload}
    title = specs.format_title(rule_spec.title, {"n": 1, "group": key, **event.payload}, f"{rule_spec.name}：{key}")
    return batch.Hit(subject_key=key[:200], severity=rule_spec.severity, title=title, rows=[row], row_count=1,
                     department_code=rule_spec.department,
                     region_code=batch.region_of(event.payload.get("region_code")))


def _window_hit(rule_spec: specs.RuleSpec, key: str, members: Sequence[dict[str, Any]]) -> batch.Hit:
    last = members[-1]
    values = {"n": len(members), "group": key, **{k: v for k, v in last.items() if k not in ("seq", "at")}}
    title = specs.format_title(rule_spec.title, values, f"{rule_spec.name}：{key}（{len(members)}）")
    return batch.Hit(subject_key=key, severity=rule_spec.severity, title=title,
                     rows=list(members)[-batch.EVIDENCE_ROWS:], row_count=len(members),
                     department_code=rule_spec.department, region_code=batch.region_of(last.get("region_code")))


def _enabled_event_rules(session: Session) -> list[Rule]:
    return list(session.scalars(select(Rule).where(Rule.kind == "event", Rule.enabled.is_(True)).order_by(Rule.id)))


def handle_event(session: Session, event: Any) -> None:
    """The bus consumer: match one event against every enabled event rule (see `raise_for`)."""
    raise_for(session, event)


def raise_for(session: Session, event: Any) -> int:
    """Match one bus event against every enabled event rule; returns the number of new signals."""
    view = EventView(seq=int(event.seq), subject=str(event.subject), key=getattr(event, "key", None),
                     payload=dict(event.payload or {}), at=event.at)
    if view.subject.startswith("signal."):
        return 0  # our own output never feeds the rules back
    raised = 0
    for rule in _enabled_event_rules(session):
        rule_spec = spec_of(session, rule)
        if not matches(rule_spec, view):
            continue
        hit = _single_hit(rule_spec, view) if rule_spec.window is None else _window(session, rule, rule_spec, view)
        if hit is None:
            continue
        new, _updated = batch.record_hits(session, rule, rule.current_version, rule_spec, [hit], utcnow())
        for sig in new:
            audit.record(session, SYSTEM, "signal.raise", "signal", sig.id,
                         detail={"rule": rule.code, "version": rule.current_version, "event": view.seq,
                                 "subject": sig.subject_key})
        raised += len(new)
    return raised


def _window(session: Session, rule: Rule, rule_spec: specs.RuleSpec, event: EventView) -> batch.Hit | None:
    window = rule_spec.window
    assert window is not None
    key = group_key(rule_spec, event.payload)
    if key is None:
        return None
    start = event.at - timedelta(days=window.days)
    session.execute(delete(RuleWindowEvent).where(RuleWindowEvent.rule_id == rule.id,
                                                  RuleWindowEvent.event_at < start))
    seen = session.scalar(select(func.count()).select_from(RuleWindowEvent).where(
        RuleWindowEvent.rule_id == rule.id, RuleWindowEvent.event_seq == event.seq))
    if not seen:  # a redelivered event counts once
        session.add(RuleWindowEvent(rule_id=rule.id, group_key=key, event_seq=event.seq, event_at=event.at,
                                    payload=specs.json_safe(event.payload)))
        session.flush()
    members = session.scalars(select(RuleWindowEvent).where(
        RuleWindowEvent.rule_id == rule.id, RuleWindowEvent.group_key == key,
        RuleWindowEvent.event_at >= start, RuleWindowEvent.event_at <= event.at,
    ).order_by(RuleWindowEvent.event_at, RuleWindowEvent.event_seq)).all()
    if len(members) < window.threshold:
        return None
    rows = [{"seq": m.event_seq, "at": m.event_at.isoformat(), **m.payload} for m in members]
    return _window_hit(rule_spec, key, rows)


def handle_case_event(session: Session, event: Any) -> None:
    """The case engine's `case.*` events that name a signal (payload `signal_id` and `case_id`): the signal
    notes the case that answers it; when the case's `status` is "closed" (办结销号), the signal closes."""
    payload = dict(event.payload or {})
    signal_id, case_id = payload.get("signal_id"), payload.get("case_id")
    if type(signal_id) is not int or type(case_id) is not int:
        return
    sig = session.get(Signal, signal_id)
    if sig is None:
        return
    sig.case_id = case_id
    if payload.get("status") == "closed" and sig.status == "open":
        sig.status, sig.closed_at = "closed", utcnow()


def register_consumers() -> None:
    """Subscribe the event rules to the bus (durable consumer "rules-events", every subject), and the
    signals to the case engine's events ("rules-cases", `case.>`)."""
    bus.subscribe(DURABLE, ">", handle_event)
    bus.subscribe(CASES_DURABLE, "case.>", handle_case_event)


# ---------------------------------------------------------------- dry run over the outbox


def recent_events(session: Session, rule_spec: specs.RuleSpec, now: datetime) -> list[EventView]:
    """The outbox's events of the last window (7 days without one), oldest first."""
    days = rule_spec.window.days if rule_spec.window else 7
    stmt = (select(OutboxEvent).where(OutboxEvent.at >= now - timedelta(days=days))
            .order_by(OutboxEvent.seq.desc()).limit(DRY_RUN_EVENTS))
    rows = session.scalars(stmt).all()
    return [EventView(seq=r.seq, subject=r.subject, key=r.key, payload=dict(r.payload or {}), at=r.at)
            for r in reversed(rows)]


def simulate(rule_spec: specs.RuleSpec, events: Iterable[EventView]) -> tuple[list[batch.Hit], int, int]:
    """The hits a rule would have had on `events` (in memory, nothing stored): (hits, scanned, matched)."""
    scanned = matched = 0
    hits: dict[str, batch.Hit] = {}
    windows: dict[str, deque[dict[str, Any]]] = {}
    for ev in events:
        scanned += 1
        if ev.subject.startswith("signal.") or not matches(rule_spec, ev):
            continue
        matched += 1
        if rule_spec.window is None:
            hit = _single_hit(rule_spec, ev)
            hits[hit.subject_key] = hit
            continue
        key = group_key(rule_spec, ev.payload)
        if key is None:
            continue
        members = windows.setdefault(key, deque())
        members.append({"seq": ev.seq, "at": ev.at.isoformat(), "_at": ev.at, **ev.payload})
        start = ev.at - timedelta(days=rule_spec.window.days)
        while members and members[0]["_at"] < start:
            members.popleft()
        if len(members) >= rule_spec.window.threshold:
            rows = [{k: v for k, v in m.items() if k != "_at"} for m in members]
            hits[key] = _window_hit(rule_spec, key, rows)
    return list(hits.values()), scanned, matched
