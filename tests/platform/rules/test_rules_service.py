"""Batch rules: saving with versions, checks, dry runs that write nothing, runs that raise and dedupe signals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.platform.rules.conftest import NOISE_SQL, noise_rule

from digigov.audit.model import AuditRecord
from digigov.core.bus_model import OutboxEvent
from digigov.core.errors import Conflict, InvalidInput, PermissionDenied
from digigov.core.warehouse import get_warehouse
from digigov.identity.actor import Actor
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import RuleRun, Signal

OP = Actor.operator()


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_save_keeps_every_version(session: Session) -> None:
    rule = rules.save_rule(session, OP, noise_rule())
    assert (rule.current_version, rule.kind, rule.severity, rule.enabled) == (1, "sql", "orange", False)
    rules.save_rule(session, OP, noise_rule())  # the same text again: no new version
    assert rule.current_version == 1
    rules.save_rule(session, OP, noise_rule(severity="red"))
    assert (rule.current_version, rule.severity) == (2, "red")
    history = rules.versions(session, OP, "noise.repeat")
    assert [(v.version, v.spec["severity"], v.source) for v in history] == [
        (2, "red", "console"), (1, "orange", "console")]
    actions = session.scalars(select(AuditRecord.action).where(AuditRecord.object_id == "noise.repeat")).all()
    assert actions.count("rule.save") == 2


def test_yaml_text_is_kept_as_written(session: Session) -> None:
    text = ("code: noise.yaml\nname: 噪音\nkind: sql\nsubject: community\nseverity: blue\n"
            "department: 330106-housing\n# 说明：每天凌晨两点\nschedule: '0 2 * * *'\n"
            f"sql: \"{NOISE_SQL}\"\n")
    rule = rules.save_rule(session, OP, text)
    assert rule.department is not None and rule.department.code == "330106-housing"
    assert "# 说明" in rules.versions(session, OP, "noise.yaml")[0].text


@pytest.mark.parametrize(("change", "problem"), [
    ({"sql": "DELETE FROM topic.complaints"}, "only a SELECT"),
    ({"sql": "SELECT 1; SELECT 2"}, "exactly one SQL statement"),
    ({"sql": "SELEC community FROM x"}, "does not parse"),
    ({"sql": "COPY topic.complaints TO 'x.csv'"}, "only a SELECT"),
    ({"schedule": "every day"}, "cron"),
    ({"severity": "purple"}, "severity"),
    ({"subject": None}, "subject"),
    ({"department": "330106-nowhere"}, "no department"),
    ({"title": "{community.__class__}"}, "plain column names"),
])
def test_invalid_rules_are_refused_with_a_reason(session: Session, change: dict[str, object], problem: str) -> None:
    spec = {k: v for k, v in {**noise_rule(), **change}.items() if v is not None}
    with pytest.raises(InvalidInput) as err:
        rules.save_rule(session, OP, spec)
    assert err.value.key == "rule_invalid"
    assert problem in str(err.value.detail["problem"])


def test_cel_compile_error_is_refused(session: Session) -> None:
    spec = {"code": "ev.bad", "name": "坏表达式", "kind": "event", "subjects": "case.opened",
            "condition": "event.category == "}
    with pytest.raises(InvalidInput) as err:
        rules.save_rule(session, OP, spec)
    assert "CEL does not compile" in str(err.value.detail["problem"])


def test_dry_run_shows_hits_and_writes_nothing(session: Session, complaints: list[object]) -> None:
    rules.save_rule(session, OP, noise_rule())
    audit_before = count(session, AuditRecord)
    result = rules.dry_run(session, OP, "noise.repeat")
    assert result.error is None
    assert [r["community"] for r in result.rows] == ["文新社区", "翠苑一区"]
    assert {h.subject_key: h.title for h in result.signals} == {"文新社区": "文新社区：4起噪音投诉",
                                                                "翠苑一区": "翠苑一区：3起噪音投诉"}
    assert result.new_signals == 2
    assert count(session, Signal) == 0 and count(session, RuleRun) == 0 and count(session, OutboxEvent) == 0
    assert count(session, AuditRecord) == audit_before + 1  # the dry run's own record only


def test_dry_run_of_an_unsaved_spec(session: Session, complaints: list[object]) -> None:
    result = rules.dry_run(session, OP, noise_rule("noise.draft", sql=NOISE_SQL.replace(">= 3", ">= 4")))
    assert [h.subject_key for h in result.signals] == ["文新社区"]


def test_rule_sql_cannot_change_or_read_files(session: Session, complaints: list[object], tmp_path: object) -> None:
    spec = noise_rule("noise.files", sql="SELECT * FROM read_csv('/etc/hostname') AS f(community)")
    result = rules.dry_run(session, OP, spec)
    assert result.error is not None and "disabled" in result.error.lower()
    with get_warehouse().connect() as con:
        assert con.execute("SELECT count(*) FROM topic.complaints").fetchone() == (len(complaints),)


def test_run_raises_signals_with_evidence_and_department(session: Session, complaints: list[object]) -> None:
    rule = rules.save_rule(session, OP, noise_rule(enabled=True))
    result = rules.run_rule(session, OP, "noise.repeat")
    assert (result.rows, result.hits, result.new_signals, result.updated_signals, result.error) == (2, 2, 2, 0, None)
    signals = {s.subject_key: s for s in session.scalars(select(Signal))}
    wx = signals["文新社区"]
    assert (wx.severity, wx.status, wx.title, wx.rule_version) == ("orange", "open", "文新社区：4起噪音投诉", 1)
    assert wx.department is not None and wx.department.code == "330106-urban_management"
    assert wx.region_code == "330106"
    assert wx.evidence == [{"community": "文新社区", "n": 4, "department_code": "330106-urban_management"}]
    assert signals["翠苑一区"].department.code == "330106-housing"  # type: ignore[union-attr]
    run = session.scalars(select(RuleRun)).one()
    assert (run.rows, run.hits, run.new_signals, run.trigger, run.error) == (2, 2, 2, "manual", None)
    assert rule.last_run_at is not None


def test_signal_raised_is_published_in_the_same_transaction(session: Session, complaints: list[object]) -> None:
    rules.save_rule(session, OP, noise_rule(enabled=True))
    session.commit()
    outer = session.begin_nested()
    rules.run_rule(session, OP, "noise.repeat")
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.subject == "signal.raised")).all()
    assert len(events) == 2
    sig = session.get(Signal, events[0].payload["signal_id"])
    assert sig is not None and events[0].key == f"signal-{sig.id}"
    payload = events[0].payload
    assert payload["rule_code"] == "noise.repeat" and payload["case_type"] == "noise_complaint"
    assert payload["severity"] == "orange" and payload["evidence_count"] == 1 and payload["evidence"]
    assert payload["department_code"] in ("330106-housing", "330106-urban_management")
    outer.rollback()  # the run rolled back: neither the signals nor their events remain
    assert count(session, Signal) == 0 and count(session, OutboxEvent) == 0


def test_rerun_updates_open_signals_instead_of_duplicating(session: Session, complaints: list[object]) -> None:
    rules.save_rule(session, OP, noise_rule(enabled=True))
    rules.run_rule(session, OP, "noise.repeat")
    with get_warehouse().connect() as con:
        con.execute("INSERT INTO topic.complaints VALUES ('翠苑一区', '噪音扰民', '330106-housing', '2026-11-20')")
    second = rules.run_rule(session, OP, "noise.repeat")
    assert (second.new_signals, second.updated_signals) == (0, 2)
    signals = {s.subject_key: s for s in session.scalars(select(Signal))}
    assert len(signals) == 2
    assert signals["翠苑一区"].hit_count == 2 and signals["翠苑一区"].title == "翠苑一区：4起噪音投诉"
    assert count(session, OutboxEvent) == 2  # no event for an updated signal
    # a closed signal does not swallow a new hit: the subject gets a new signal
    signals["翠苑一区"].status = "closed"
    third = rules.run_rule(session, OP, "noise.repeat")
    assert (third.new_signals, third.updated_signals) == (1, 1)
    # a subject that stops hitting keeps its open signal
    with get_warehouse().connect() as con:
        con.execute("DELETE FROM topic.complaints WHERE community = '文新社区'")
    rules.run_rule(session, OP, "noise.repeat")
    assert session.scalars(select(Signal.status).where(Signal.subject_key == "文新社区")).all() == ["open"]


def test_signals_record_their_rule_version(session: Session, complaints: list[object]) -> None:
    rules.save_rule(session, OP, noise_rule(enabled=True))
    rules.run_rule(session, OP, "noise.repeat")
    rules.save_rule(session, OP, noise_rule(severity="red"))
    rules.run_rule(session, OP, "noise.repeat")
    assert set(session.scalars(select(Signal.rule_version))) == {2}
    assert set(session.scalars(select(Signal.severity))) == {"red"}


def test_evidence_rows_grouped_by_subject_and_capped(session: Session, complaints: list[object]) -> None:
    sql = ("SELECT c.community, c.category, c.day, 'red' AS severity FROM topic.complaints c "
           "CROSS JOIN range(30) ORDER BY c.day")
    rules.save_rule(session, OP, noise_rule("noise.rows", sql=sql, severity="column", department="330106-housing",
                                            enabled=True, title="{community}：{n}条"))
    result = rules.run_rule(session, OP, "noise.rows")
    assert (result.rows, result.new_signals) == (270, 3)
    sig = session.scalars(select(Signal).where(Signal.subject_key == "文新社区")).one()
    assert (sig.evidence_count, len(sig.evidence), sig.severity, sig.title) == (120, 50, "red", "文新社区：120条")
    assert sig.evidence[0]["day"] == "2026-11-04"


def test_run_error_is_recorded_not_raised(session: Session) -> None:
    rules.save_rule(session, OP, noise_rule(enabled=True))  # no complaints table in this warehouse
    result = rules.run_rule(session, OP, "noise.repeat")
    assert result.error is not None and "complaints" in result.error
    run = session.scalars(select(RuleRun)).one()
    assert run.error == result.error and count(session, Signal) == 0


def test_disabled_and_event_rules_are_not_run_on_demand(session: Session) -> None:
    rules.save_rule(session, OP, noise_rule())
    with pytest.raises(Conflict):
        rules.run_rule(session, OP, "noise.repeat")
    rules.save_rule(session, OP, {"code": "ev.x", "name": "事件", "kind": "event", "subjects": "case.opened",
                                  "condition": "true", "enabled": True})
    with pytest.raises(Conflict):
        rules.run_rule(session, OP, "ev.x")


def test_batched_run_of_many_rules(session: Session, complaints: list[object]) -> None:
    for i, threshold in enumerate((1, 3, 4, 5)):
        rules.save_rule(session, OP, noise_rule(f"noise.t{i}", enabled=True,
                                                sql=NOISE_SQL.replace(">= 3", f">= {threshold}")))
    rules.save_rule(session, OP, noise_rule("noise.broken", enabled=True, sql="SELECT community FROM nowhere"))
    results = {r.rule: r for r in rules.run_rules(session, OP)}
    assert {k: r.new_signals for k, r in results.items()} == {
        "noise.broken": 0, "noise.t0": 3, "noise.t1": 2, "noise.t2": 1, "noise.t3": 0}
    assert results["noise.broken"].error is not None and results["noise.t0"].error is None


def test_officer_cannot_manage_or_run(session: Session, actor_of: Callable[[str], Actor],
                                      complaints: list[object]) -> None:
    officer = actor_of("hz_civil_officer")
    with pytest.raises(PermissionDenied):
        rules.save_rule(session, officer, noise_rule())
    rules.save_rule(session, OP, noise_rule(enabled=True))
    with pytest.raises(PermissionDenied):
        rules.set_enabled(session, officer, "noise.repeat", False)
    with pytest.raises(PermissionDenied):
        rules.run_rule(session, officer, "noise.repeat")
    with pytest.raises(PermissionDenied):
        rules.dry_run(session, officer, "noise.repeat")
    assert rules.get_rule(session, officer, "noise.repeat").code == "noise.repeat"  # staff may view
    steward = actor_of("zj_bigdata_steward")  # the data authority's steward manages rules
    rules.set_enabled(session, steward, "noise.repeat", False)


def test_signal_visibility_follows_department_and_region(session: Session, actor_of: Callable[[str], Actor],
                                                         complaints: list[object]) -> None:
    rules.save_rule(session, OP, noise_rule(enabled=True))
    rules.run_rule(session, OP, "noise.repeat")
    housing = actor_of("xh_housing_officer")
    assert [s.subject_key for s in rules.list_signals(session, housing)] == ["翠苑一区"]
    wx = session.scalars(select(Signal).where(Signal.subject_key == "文新社区")).one()
    with pytest.raises(PermissionDenied):
        rules.get_signal(session, housing, wx.id)
    assert rules.get_signal(session, actor_of("xh_urban_officer"), wx.id).id == wx.id
    authority = actor_of("hz_bigdata_approver")  # Hangzhou's data authority covers 330106
    assert len(rules.list_signals(session, authority)) == 2
    assert rules.list_signals(session, actor_of("hz_civil_officer")) == []
    assert len(rules.list_signals(session, OP, severity="orange", status="open", rule="noise.repeat")) == 2
    assert len(rules.list_signals(session, OP, department="330106-housing")) == 1
