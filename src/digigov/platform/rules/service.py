"""Early-warning rules (预警规则) as use cases: rules as data with every version kept, dry runs that write
nothing but an audit record, runs that raise or update signals (预警), applications' shipped rules, and
the signal lists.

A save never loses history: each save adds a version and points the rule at it. A new rule starts in the
state its spec says (`enabled`, default false); a later save keeps the rule's state. A shipped rule that
an admin has since edited in the console keeps the console's version current; the newer shipped text is
kept as a version beside it (and `sync_app_rules` logs it).

Running a batch rule groups its rows by subject: an open signal of the rule on that subject is updated,
otherwise a new one is raised and `signal.raised` published. A subject that no longer hits keeps its open
signal; people close it through the case it opened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.permissions import can, jurisdiction_prefix, require
from digigov.platform.rules import batch, events
from digigov.platform.rules import spec as specs
from digigov.platform.rules.model import Rule, RuleRun, RuleVersion, Signal

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    rule: str
    version: int
    run_id: int | None
    rows: int
    hits: int
    new_signals: int
    updated_signals: int
    seconds: float
    error: str | None = None
    signal_ids: list[int] = field(default_factory=list)


@dataclass
class DryRunResult:
    rule: str
    kind: str
    rows: list[dict[str, Any]]  # hit rows (sql) or matching events in windows that hit (event), capped
    row_count: int
    signals: list[batch.Hit]  # the signals the rule would raise or update
    new_signals: int  # of which no open signal exists yet
    scanned: int  # result rows (sql) or outbox events read (event)
    seconds: float
    error: str | None = None
    open_subjects: set[str] = field(default_factory=set)  # subjects that already have an open signal

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []


# ---------------------------------------------------------------- rules and versions


def get_rule(session: Session, actor: Actor, code: str) -> Rule:
    rule = session.scalar(select(Rule).where(Rule.code == code))
    if rule is None:
        raise NotFound(f"rule {code} not found", key="rule_not_found", rule=code)
    require(actor, "rule.view", rule)
    return rule


def list_rules(session: Session, actor: Actor, *, kind: str | None = None, enabled: bool | None = None,
               app: str | None = None) -> list[Rule]:
    require(actor, "rule.view")
    stmt = select(Rule).order_by(Rule.code)
    if kind:
        stmt = stmt.where(Rule.kind == kind)
    if enabled is not None:
        stmt = stmt.where(Rule.enabled.is_(enabled))
    if app:
        stmt = stmt.where(Rule.app == app)
    return list(session.scalars(stmt))


def versions(session: Session, actor: Actor, code: str) -> list[RuleVersion]:
    rule = get_rule(session, actor, code)
    return list(session.scalars(select(RuleVersion).where(RuleVersion.rule_id == rule.id)
                                .order_by(RuleVersion.version.desc())))


def current_spec(session: Session, rule: Rule) -> specs.RuleSpec:
    return events.spec_of(session, rule)


def _department_id(session: Session, rule_spec: specs.RuleSpec) -> int | None:
    if not rule_spec.department or rule_spec.department == "column":
        return None
    try:
        return identity.get_department(session, rule_spec.department).id
    except NotFound as exc:
        raise specs.invalid(rule_spec.code, f"no department {rule_spec.department}") from exc


def _apply(rule: Rule, rule_spec: specs.RuleSpec, department_id: int | None) -> None:
    rule.name, rule.name_en, rule.kind, rule.severity = rule_spec.name, rule_spec.name_en, rule_spec.kind, \
        rule_spec.severity
    rule.department_id, rule.case_type, rule.schedule = department_id, rule_spec.case_type, rule_spec.schedule
    rule.updated_at = utcnow()


def _add_version(session: Session, actor: Actor, rule: Rule, rule_spec: specs.RuleSpec, text: str, source: str,
                 note: str = "") -> RuleVersion:
    latest = session.scalar(select(func.max(RuleVersion.version)).where(RuleVersion.rule_id == rule.id)) or 0
    ver = RuleVersion(rule_id=rule.id, version=latest + 1, spec=rule_spec.model_dump(mode="json"), text=text,
                      source=source, created_by=actor.username, created_at=utcnow(), note=note[:300])
    session.add(ver)
    session.flush()
    return ver


def _current_version(session: Session, rule: Rule) -> RuleVersion | None:
    return session.scalar(select(RuleVersion).where(RuleVersion.rule_id == rule.id,
                                                    RuleVersion.version == rule.current_version))


def save_rule(session: Session, actor: Actor, source: str | dict[str, Any], *, note: str = "") -> Rule:
    """Add a rule or a new version of it from its YAML (or a dict), edited in the console."""
    require(actor, "rule.manage")
    rule_spec, text = specs.parse(source)
    department_id = _department_id(session, rule_spec)
    rule = session.scalar(select(Rule).where(Rule.code == rule_spec.code))
    if rule is None:
        rule = Rule(code=rule_spec.code, app=rule_spec.app, enabled=rule_spec.enabled, created_at=utcnow())
        _apply(rule, rule_spec, department_id)
        session.add(rule)
        session.flush()
    else:
        if rule.kind != rule_spec.kind:
            raise specs.invalid(rule_spec.code, f"the rule is a {rule.kind} rule; its kind cannot change")
        current = _current_version(session, rule)
        if current is not None and current.spec == rule_spec.model_dump(mode="json") and current.text == text:
            return rule  # nothing changed: no new version
        _apply(rule, rule_spec, department_id)
    ver = _add_version(session, actor, rule, rule_spec, text, "console", note)
    rule.current_version = ver.version
    audit.record(session, actor, "rule.save", "rule", rule.code, detail={"version": ver.version, "kind": rule.kind})
    return rule


def set_enabled(session: Session, actor: Actor, code: str, enabled: bool) -> Rule:
    rule = get_rule(session, actor, code)
    require(actor, "rule.manage", rule)
    rule.enabled, rule.updated_at = bool(enabled), utcnow()
    audit.record(session, actor, "rule.enable" if enabled else "rule.disable", "rule", code,
                 detail={"version": rule.current_version})
    return rule


def sync_app_rules(session: Session, actor: Actor, app_id: str, rule_specs: Sequence[dict[str, Any]]) -> int:
    """Store an application's shipped rules: new rules, and a new version when a shipped rule changed.
    Returns how many rules or versions were added. A rule whose current version was made in the console
    keeps it; the shipped text becomes a version beside it (logged, and named in the audit record)."""
    require(actor, "rule.manage")
    added, kept_console = 0, []
    for raw in rule_specs:
        if raw.get("app") not in (None, app_id):
            raise specs.invalid(str(raw.get("code", "?")), f"shipped by {app_id}, but says app {raw.get('app')}")
        rule_spec, text = specs.parse({**raw, "app": app_id})
        department_id = _department_id(session, rule_spec)
        rule = session.scalar(select(Rule).where(Rule.code == rule_spec.code))
        if rule is None:
            rule = Rule(code=rule_spec.code, app=app_id, enabled=rule_spec.enabled, created_at=utcnow())
            _apply(rule, rule_spec, department_id)
            session.add(rule)
            session.flush()
            first = _add_version(session, actor, rule, rule_spec, text, "app", f"shipped by {app_id}")
            rule.current_version = first.version
            added += 1
            continue
        if rule.app not in (None, app_id):
            raise Conflict(f"rule {rule.code} belongs to application {rule.app}", key="rule_app_owned",
                           rule=rule.code, app=rule.app)
        shipped = session.scalar(select(RuleVersion).where(RuleVersion.rule_id == rule.id, RuleVersion.source == "app")
                                 .order_by(RuleVersion.version.desc()).limit(1))
        if shipped is not None and shipped.spec == rule_spec.model_dump(mode="json"):
            continue
        ver = _add_version(session, actor, rule, rule_spec, text, "app", f"shipped by {app_id}")
        added += 1
        current = _current_version(session, rule)
        if current is not None and current.source == "console":
            kept_console.append(rule.code)
            log.warning("rule %s: shipped version %s kept beside the console's version %s (still current)",
                        rule.code, ver.version, rule.current_version)
            continue
        if rule.kind != rule_spec.kind:
            raise specs.invalid(rule_spec.code, f"the rule is a {rule.kind} rule; its kind cannot change")
        rule.app = app_id
        _apply(rule, rule_spec, department_id)
        rule.current_version = ver.version
    audit.record(session, actor, "rule.sync", "application", app_id,
                 detail={"rules": len(rule_specs), "added": added, "kept_console": kept_console})
    return added


# ---------------------------------------------------------------- dry runs and runs


def _resolve(session: Session, actor: Actor, code_or_spec: str | dict[str, Any]) -> tuple[Rule | None, specs.RuleSpec]:
    if isinstance(code_or_spec, str) and "\n" not in code_or_spec and ":" not in code_or_spec:
        rule = get_rule(session, actor, code_or_spec.strip())
        return rule, current_spec(session, rule)
    rule_spec, _text = specs.parse(code_or_spec)
    return session.scalar(select(Rule).where(Rule.code == rule_spec.code)), rule_spec


def dry_run(session: Session, actor: Actor, code_or_spec: str | dict[str, Any], *, limit: int = 200) -> DryRunResult:
    """A rule (stored, by code; or a spec not yet saved) on current data: its hits and the signals it would
    raise. Writes nothing but the audit record."""
    require(actor, "rule.run")
    rule, rule_spec = _resolve(session, actor, code_or_spec)
    limit = max(1, min(int(limit), 1000))
    t0 = time.perf_counter()
    error = None
    if rule_spec.kind == "sql":
        result = batch.evaluate_sql({rule_spec.code: specs.check_sql(rule_spec.code, rule_spec.sql or "")})
        res = result[rule_spec.code]
        rows, error = res.rows, res.error
        hits = batch.hits_from_rows(rule_spec, rows)
        scanned = len(rows)
    else:
        found, scanned, _matched = events.simulate(rule_spec, events.recent_events(session, rule_spec, utcnow()))
        hits = found
        rows = [r for h in hits for r in h.rows]
    open_now = batch.open_signals(session, rule.id, [h.subject_key for h in hits]) if rule is not None else {}
    seconds = time.perf_counter() - t0
    audit.record(session, actor, "rule.dry_run", "rule", rule_spec.code,
                 detail={"rows": len(rows), "signals": len(hits), "error": error})
    return DryRunResult(rule=rule_spec.code, kind=rule_spec.kind, rows=specs.json_safe(rows[:limit]),
                        row_count=len(rows), signals=hits[:limit],
                        new_signals=sum(1 for h in hits if h.subject_key not in open_now), scanned=scanned,
                        seconds=round(seconds, 4), error=error, open_subjects=set(open_now))


def _runnable(session: Session, actor: Actor, code: str) -> Rule:
    rule = get_rule(session, actor, code)
    require(actor, "rule.run", rule)
    if rule.kind != "sql":
        raise Conflict(f"rule {code} runs on events, not on demand", key="rule_kind", rule=code)
    if not rule.enabled:
        raise Conflict(f"rule {code} is disabled", key="rule_disabled", rule=code)
    return rule


def evaluate(session: Session, rules: Sequence[Rule]) -> dict[str, batch.SqlResult]:
    """The rules' SQL results, evaluated together in one warehouse statement (a rule whose SQL no longer
    passes the checks gets its error instead)."""
    sqls, refused = {}, {}
    for rule in rules:
        rule_spec = current_spec(session, rule)
        try:
            sqls[rule.code] = specs.check_sql(rule.code, rule_spec.sql or "")
        except InvalidInput as exc:
            refused[rule.code] = batch.SqlResult(error=exc.message)
    return {**batch.evaluate_sql(sqls), **refused}


def apply_result(session: Session, actor: Actor, rule: Rule, result: batch.SqlResult, *,
                 trigger: str = "manual", now: datetime | None = None) -> RunResult:
    """Record one rule's evaluated result: its run, its signals (new or updated), the audit record.
    `now` is the run's time (the scheduler's slot), by default the clock's."""
    now = now or utcnow()
    rule_spec = current_spec(session, rule)
    run = RuleRun(rule_id=rule.id, rule_version=rule.current_version, trigger=trigger, actor=actor.username,
                  started_at=now, rows=len(result.rows), error=result.error)
    session.add(run)
    new: list[Signal] = []
    updated: list[Signal] = []
    hits: list[batch.Hit] = []
    if result.error is None:
        hits = batch.hits_from_rows(rule_spec, result.rows)
        new, updated = batch.record_hits(session, rule, rule.current_version, rule_spec, hits, now)
    run.hits, run.new_signals, run.updated_signals = len(hits), len(new), len(updated)
    run.finished_at = utcnow()
    rule.last_run_at = now
    session.flush()
    audit.record(session, actor, "rule.run", "rule", rule.code, result="ok" if result.error is None else "error",
                 detail={"run": run.id, "version": rule.current_version, "trigger": trigger, "rows": run.rows,
                         "new_signals": [s.id for s in new][:100], "updated": len(updated), "error": result.error})
    return RunResult(rule=rule.code, version=rule.current_version, run_id=run.id, rows=run.rows, hits=len(hits),
                     new_signals=len(new), updated_signals=len(updated), seconds=round(result.seconds, 4),
                     error=result.error, signal_ids=[s.id for s in new + updated])


def run_rule(session: Session, actor: Actor, code: str, *, trigger: str = "manual") -> RunResult:
    """Run one enabled sql rule on current data: signals raised or updated, a rule_run row, audited."""
    rule = _runnable(session, actor, code)
    return apply_result(session, actor, rule, evaluate(session, [rule])[rule.code], trigger=trigger)


def run_rules(session: Session, actor: Actor, codes: Sequence[str] | None = None, *,
              trigger: str = "batch") -> list[RunResult]:
    """Several sql rules (all enabled ones when `codes` is None) evaluated in one warehouse statement and
    recorded in the caller's transaction."""
    require(actor, "rule.run")
    if codes is None:
        stmt = select(Rule).where(Rule.kind == "sql", Rule.enabled.is_(True)).order_by(Rule.code)
        rules = list(session.scalars(stmt))
    else:
        rules = [_runnable(session, actor, c) for c in codes]
    results = evaluate(session, rules)
    return [apply_result(session, actor, r, results[r.code], trigger=trigger) for r in rules]


def recent_runs(session: Session, actor: Actor, code: str, limit: int = 20) -> list[RuleRun]:
    rule = get_rule(session, actor, code)
    return list(session.scalars(select(RuleRun).where(RuleRun.rule_id == rule.id)
                                .order_by(RuleRun.id.desc()).limit(max(1, min(limit, 200)))))


def register_consumers() -> None:
    """Subscribe the event rules (and the signals' case links) to the bus; see events.register_consumers."""
    events.register_consumers()


def run_due(factory: sessionmaker[Session], now: datetime | None = None) -> list[RunResult]:
    """Run the batch rules whose schedule is due (the worker's step); see schedule.run_due."""
    from digigov.platform.rules import schedule

    return schedule.run_due(factory, now)


# ---------------------------------------------------------------- signals


def list_signals(session: Session, actor: Actor, *, severity: str | None = None, status: str | None = None,
                 rule: str | None = None, department: str | None = None, limit: int = 200,
                 offset: int = 0) -> list[Signal]:
    """The signals the actor may see (its department's; its region's for the data authority), newest first."""
    stmt = select(Signal)
    if severity:
        stmt = stmt.where(Signal.severity == severity)
    if status:
        stmt = stmt.where(Signal.status == status)
    if rule:
        stmt = stmt.join(Rule, Rule.id == Signal.rule_id).where(Rule.code == rule)
    if department:
        try:
            stmt = stmt.where(Signal.department_id == identity.get_department(session, department).id)
        except NotFound:
            return []
    if not actor.has("platform_admin"):
        mine = Signal.department_id == (actor.department_id or -1)
        if actor.is_data_authority and actor.region_code:
            prefix = jurisdiction_prefix(actor.region_code, actor.region_level)
            mine = mine | Signal.region_code.startswith(prefix)
        stmt = stmt.where(mine)
    limit, offset = max(1, min(int(limit), 500)), max(0, int(offset))
    items = session.scalars(stmt.order_by(Signal.last_seen.desc(), Signal.id.desc()).offset(offset).limit(limit * 2))
    return [s for s in items if can(actor, "signal.view", s)][:limit]


def get_signal(session: Session, actor: Actor, signal_id: int) -> Signal:
    sig = session.get(Signal, signal_id)
    if sig is None:
        raise NotFound(f"signal {signal_id} not found", key="signal_not_found")
    require(actor, "signal.view", sig)
    return sig


def signals_of_rule(session: Session, actor: Actor, code: str, limit: int = 50) -> list[Signal]:
    return list_signals(session, actor, rule=code, limit=limit)
