"""Score arithmetic and the console's dry run."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from digigov.core.errors import InvalidInput
from digigov.platform.quality.evaluate import EvalContext, RuleResult, dry_run, evaluate, score
from digigov.platform.quality.rules import RuleDef


def rule(rule_id: str, kind: str = "completeness", weight: float = 1.0, **fields: object) -> RuleDef:
    base: dict[str, object] = {"id": rule_id, "name": rule_id, "kind": kind, "weight": weight,
                               "element": "person_name"}
    base.update(fields)
    return RuleDef.model_validate(base)


def result(rule_id: str, column: str | None, kind: str, checked: int, failed: int,
           skipped: str | None = None) -> RuleResult:
    rate = (checked - failed) / checked if checked else 1.0
    return RuleResult(rule_id, column, kind, checked, failed, rate, [], None, skipped=skipped)


def test_score_is_the_weighted_mean_pass_rate() -> None:
    rules = [rule("r1", weight=2), rule("r2", "validity"), rule("r3"), rule("r4", "timeliness", 3, element=None),
             rule("r5", "validity"), rule("r6", "range", params={"min": 0})]
    results = [
        result("r1", "a", "completeness", 4, 1),  # 0.75, weight 2
        result("r2", "a", "validity", 10, 0),  # 1.0, weight 1
        result("r3", "b", "completeness", 4, 2),  # 0.5, weight 1
        result("r4", None, "timeliness", 1, 1),  # 0.0, weight 3, dataset-level
        result("r5", "b", "validity", 0, 0, skipped="no validator"),  # ignored
        result("r6", "c", "range", 0, 0),  # judged nothing: ignored
        result("unknown", "c", "pattern", 2, 1),  # a rule not in `rules` weighs 1
    ]
    s = score(results, rules)
    assert s.fields == {"a": round(100 * (2 * 0.75 + 1.0) / 3, 2), "b": 50.0, "c": 50.0}
    assert s.dataset == round(100 * (2 * 0.75 + 1.0 + 0.5 + 0.0 + 0.5) / (2 + 1 + 1 + 3 + 1), 2) == 43.75
    assert s.by_kind == {"completeness": round(100 * (1.5 + 0.5) / 3, 2), "validity": 100.0, "timeliness": 0.0,
                         "pattern": 50.0}


def test_score_of_nothing_is_full() -> None:
    assert score([], []).dataset == 100.0
    assert score([result("x", "a", "validity", 0, 0, skipped="why")], []).fields == {}


def test_scores_from_an_evaluation() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT range AS _record, CASE WHEN range % 4 = 0 THEN NULL ELSE '张三' END AS name,"
                " CASE WHEN range % 2 = 0 THEN '男' ELSE 'M' END AS xb FROM range(1, 101)")
    rules = [rule("name.complete", weight=3),
             rule("xb.allowed", "allowed_values", element="gender", params={"values": ["男", "女"]})]
    results = evaluate(con, "p", rules, EvalContext("p", {"name": "person_name", "xb": "gender"}))
    s = score(results, rules)
    assert s.fields == {"name": 75.0, "xb": 50.0}
    assert s.dataset == (3 * 75.0 + 50.0) / 4


def make_people(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE people (_record BIGINT, name VARCHAR, born VARCHAR, died VARCHAR)")
    con.execute("INSERT INTO people VALUES (1, '张三', '1950-01-01', '2020-01-01'), (2, NULL, '1960-01-01', "
                "'1959-01-01'), (3, '李四', '2090-01-01', NULL)")


def test_dry_run_of_a_disabled_rule_returns_its_hits() -> None:
    con = duckdb.connect()
    make_people(con)
    ctx = EvalContext("deaths", {"name": "person_name", "born": "birth_date", "died": "death_date"},
                      now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    draft = rule("deaths.order", "consistency", element=None, dataset="deaths", enabled=False,
                 params={"expr": "died >= born"})
    assert evaluate(con, "people", [draft], ctx) == []  # disabled: not part of a normal run
    [res] = dry_run(con, "people", draft, ctx)
    assert (res.rule_id, res.checked, res.failed, res.sample_records) == ("deaths.order", 2, 1, [2])
    future = rule("born.future", "range", element="birth_date", enabled=False, params={"max": "today"})
    [hit] = dry_run(con, "people", future, ctx)
    assert (hit.column, hit.failed, hit.sample_records) == ("born", 1, [3])


def test_dry_run_rejects_what_the_table_cannot_answer() -> None:
    con = duckdb.connect()
    make_people(con)
    ctx = EvalContext("deaths", {"name": "person_name", "born": "birth_date", "died": "death_date"})
    unknown = rule("x", "consistency", element=None, dataset="deaths", params={"expr": "dead >= born"})
    with pytest.raises(InvalidInput) as info:
        dry_run(con, "people", unknown, ctx)
    assert info.value.key == "quality_rule_invalid" and "unknown columns: dead" in str(info.value.detail["problem"])
    missing = rule("y", "uniqueness", element=None, dataset="deaths", field="id_no")
    with pytest.raises(InvalidInput, match="no column id_no"):
        dry_run(con, "people", missing, ctx)
    other = rule("z", element=None, dataset="births", field="name")
    with pytest.raises(InvalidInput) as info:
        dry_run(con, "people", other, ctx)
    assert info.value.key == "quality_rule_other_dataset"
