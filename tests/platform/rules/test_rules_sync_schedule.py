"""Applications' shipped rules (never overwriting an admin's edit) and the cron schedule of batch rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.platform.rules.conftest import noise_rule

from digigov.core.errors import Conflict
from digigov.identity.actor import Actor
from digigov.platform.rules import schedule
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Rule, RuleRun, Signal

OP = Actor.operator()


def test_sync_inserts_then_versions_changed_rules(session: Session) -> None:
    shipped = [noise_rule("app.noise"), noise_rule("app.noise2", severity="blue")]
    assert rules.sync_app_rules(session, OP, "minhu", shipped) == 2
    assert rules.sync_app_rules(session, OP, "minhu", shipped) == 0  # unchanged: nothing new
    rule = rules.get_rule(session, OP, "app.noise")
    assert (rule.app, rule.current_version) == ("minhu", 1)
    assert rules.sync_app_rules(session, OP, "minhu", [noise_rule("app.noise", severity="red")]) == 1
    assert (rule.current_version, rule.severity) == (2, "red")
    assert [v.source for v in rules.versions(session, OP, "app.noise")] == ["app", "app"]


def test_sync_keeps_the_console_edit_current(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    rules.sync_app_rules(session, OP, "minhu", [noise_rule("app.noise")])
    rules.save_rule(session, OP, noise_rule("app.noise", app="minhu", severity="yellow"))  # an admin's edit
    rule = rules.get_rule(session, OP, "app.noise")
    assert rule.current_version == 2
    assert rules.sync_app_rules(session, OP, "minhu", [noise_rule("app.noise", severity="red")]) == 1
    assert (rule.current_version, rule.severity) == (2, "yellow")  # the console's version stays current
    history = rules.versions(session, OP, "app.noise")
    assert [(v.version, v.source, v.spec["severity"]) for v in history] == [
        (3, "app", "red"), (2, "console", "yellow"), (1, "app", "orange")]
    assert "kept beside the console" in caplog.text


def test_sync_refuses_another_apps_rule(session: Session) -> None:
    rules.sync_app_rules(session, OP, "minhu", [noise_rule("app.noise")])
    with pytest.raises(Conflict):
        rules.sync_app_rules(session, OP, "other_app", [noise_rule("app.noise", severity="red")])


def test_due_rules_follow_cron_and_last_run(session: Session) -> None:
    rule = rules.save_rule(session, OP, noise_rule(enabled=True, schedule="0 2 * * *"))  # 02:00 Beijing
    rules.save_rule(session, OP, noise_rule("noise.off", schedule="0 2 * * *"))  # disabled
    rules.save_rule(session, OP, noise_rule("noise.manual", enabled=True, schedule=None))  # no schedule
    rule.created_at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 20:00 Beijing on 1 November
    first = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)  # 02:00 Beijing on 2 November
    assert schedule.due_rules(session, first - timedelta(seconds=1)) == []
    assert [r.code for r in schedule.due_rules(session, first)] == ["noise.repeat"]
    rule.last_run_at = first
    assert schedule.due_rules(session, first + timedelta(hours=23)) == []
    assert [r.code for r in schedule.due_rules(session, first + timedelta(days=1))] == ["noise.repeat"]


@pytest.fixture
def factory(connection: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


def test_run_due_runs_each_due_rule_once(session: Session, factory: sessionmaker[Session],
                                         complaints: list[object]) -> None:
    for code in ("noise.a", "noise.b"):
        rules.save_rule(session, OP, noise_rule(code, enabled=True, schedule="*/5 * * * *"))
    rules.save_rule(session, OP, noise_rule("noise.broken", enabled=True, schedule="*/5 * * * *",
                                            sql="SELECT community FROM nowhere"))
    session.commit()
    now = datetime.now(UTC) + timedelta(minutes=6)
    runs = schedule.run_due(factory, now)
    assert sorted((r.rule, r.new_signals, r.error is None) for r in runs) == [
        ("noise.a", 2, True), ("noise.b", 2, True), ("noise.broken", 0, False)]
    assert schedule.run_due(factory, now) == []  # already run for this slot
    session.expire_all()
    assert {r.trigger for r in session.scalars(select(RuleRun))} == {"schedule"}
    assert len(session.scalars(select(Signal)).all()) == 4
    assert all(r.last_run_at is not None for r in session.scalars(select(Rule)))
