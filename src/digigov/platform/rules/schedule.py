"""Scheduled batch rules: which rules are due (their cron, in Beijing time, since their last run) and a
worker step that runs them.

`run_due` evaluates every due rule together in one read-only warehouse statement, then records each
rule's run and signals in a transaction of its own, so one rule's failure never loses another's
signals. A rule another worker ran meanwhile (its `last_run_at` moved) is skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digigov.core.clock import utcnow
from digigov.core.db import unit_of_work
from digigov.identity.actor import Actor
from digigov.platform.rules import service
from digigov.platform.rules import spec as specs
from digigov.platform.rules.model import Rule

SCHEDULER = Actor(username="system:scheduler", via="system")


def next_run(rule: Rule) -> datetime | None:
    """When the rule is next due: its schedule's first fire time after its last run (or its creation)."""
    if not rule.schedule or rule.kind != "sql":
        return None
    return specs.next_fire(rule.schedule, rule.last_run_at or rule.created_at)


def due_rules(session: Session, now: datetime) -> list[Rule]:
    """Enabled sql rules with a schedule whose next fire time (after their last run) is not after `now`."""
    stmt = select(Rule).where(Rule.kind == "sql", Rule.enabled.is_(True), Rule.schedule.is_not(None))
    out = []
    for rule in session.scalars(stmt.order_by(Rule.code)):
        fire = next_run(rule)
        if fire is not None and fire <= now:
            out.append(rule)
    return out


def run_due(factory: sessionmaker[Session], now: datetime | None = None) -> list[service.RunResult]:
    """Run every due rule (see the module docstring); returns the runs made."""
    now = now or utcnow()
    with factory() as s:
        due = {r.code: r.last_run_at for r in due_rules(s, now)}
        if not due:
            return []
        results = service.evaluate(s, [r for r in due_rules(s, now) if r.code in due])
    runs = []
    for code, last in due.items():
        with unit_of_work(factory) as s:
            rule = s.scalar(select(Rule).where(Rule.code == code).with_for_update(of=Rule))
            if rule is None or not rule.enabled or rule.last_run_at != last:
                continue  # disabled, deleted or run by someone else meanwhile
            runs.append(service.apply_result(s, SCHEDULER, rule, results[code], trigger="schedule",
                                             now=now))
    return runs
