"""Rule definitions: YAML parsing, validation messages, the shipped defaults, which rules apply."""

from __future__ import annotations

import pytest

from digigov.core.errors import InvalidInput
from digigov.core.i18n import error_text
from digigov.platform.quality.compile import check_rule
from digigov.platform.quality.rules import (
    KINDS,
    RuleDef,
    applicable,
    default_rules,
    load_rules,
    parse_expr,
)


def one(**fields: object) -> RuleDef:
    base: dict[str, object] = {"id": "r1", "name": "规则", "kind": "completeness", "element": "citizen_id"}
    base.update(fields)
    return RuleDef.model_validate(base)


def problem(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        load_rules(text)
    return info.value


def test_load_rules_reads_a_full_rule() -> None:
    rules = load_rules("""
rules:
  - id: citizen_id.valid
    name: 公民身份号码校验位正确
    name_en: Citizen ID checksum is correct
    kind: validity
    element: citizen_id
    dataset: null
    field: null
    params: {}
    weight: 1.0
    severity: high
    enabled: true
  - {id: hh.born, name: 出生日期范围, kind: range, dataset: hh, field: born, params: {min: 1900-01-01, max: today}}
""")
    assert [r.id for r in rules] == ["citizen_id.valid", "hh.born"]
    assert rules[0].scope == "element" and rules[0].severity == "high"
    assert rules[1].scope == "dataset" and rules[1].params == {"min": "1900-01-01", "max": "today"}  # dates as text
    assert rules[1].weight == 1.0 and rules[1].enabled and rules[1].severity == "medium"


def test_empty_text_is_no_rules() -> None:
    assert load_rules("") == [] and load_rules("rules: []") == []


@pytest.mark.parametrize(("text", "rule", "words"), [
    ("rules:\n  - {id: Bad Id, name: x, kind: completeness, element: uscc}", "Bad Id", "id: String should match"),
    ("rules:\n  - {id: a, name: x, kind: freshness, element: uscc}", "a", "kind: Input should be"),
    ("rules:\n  - {id: a, name: x, kind: completeness}", "a", "set element"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc, dataset: d}", "a", "not both"),
    ("rules:\n  - {id: a, name: x, kind: range, element: amount}", "a", "range needs min, max or both"),
    ("rules:\n  - {id: a, name: x, kind: range, element: amount, params: {min: 5, max: 1}}", "a",
     "min is greater than max"),
    ("rules:\n  - {id: a, name: x, kind: range, element: amount, params: {min: 0, max: 2020-01-01}}", "a",
     "both be numbers or both be dates"),
    ("rules:\n  - {id: a, name: x, kind: range, element: amount, params: {min: ten}}", "a", "min must be a number"),
    ("rules:\n  - {id: a, name: x, kind: range, element: amount, params: {max: .inf}}", "a", "max must be a number"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc, params: {min_rate: 2}}", "a",
     "min_rate must be a number from 0 to 1"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc, params: {threshold: 1}}", "a",
     "unknown params for completeness: threshold"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc, weight: true}", "a", "weight"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc, weight: 0}", "a", "weight"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc, colour: red}", "a", "colour: Extra inputs"),
    ("rules:\n  - {id: a, name: x, kind: consistency, element: uscc, params: {check: id_gender}}", "a",
     "applies to element citizen_id, not uscc"),
    ("rules:\n  - {id: a, name: x, kind: consistency, element: uscc}", "a", "exactly one of check"),
    ("rules:\n  - {id: a, name: x, kind: consistency, element: uscc, params: {expr: 'a > 1'}}", "a",
     "set dataset"),
    ("rules:\n  - {id: a, name: x, kind: timeliness, params: {frequency: hourly}}", "a", "frequency must be one of"),
    ("rules:\n  - {id: a, name: x, kind: timeliness, element: uscc}", "a", "no element or field"),
    ("rules:\n  - {id: a, name: x, kind: referential, element: uscc, params: {dataset: ent}}", "a",
     "params.column"),
    ("rules:\n  - {id: a, name: x, kind: allowed_values, element: gender, params: {values: []}}", "a",
     "non-empty list"),
    ("rules:\n  - {id: a, name: x, kind: pattern, element: uscc, params: {regex: '(unclosed'}}", "a",
     "regex does not compile"),
    ("rules:\n  - {id: a, name: x, kind: uniqueness, dataset: d}", "a", "needs field"),
    ("rules:\n  - {name: x, kind: uniqueness, element: uscc}", "#1", "id: Field required"),
    ("rules:\n  - {id: a, name: x, kind: completeness, element: uscc}\n  - {id: a, name: y, kind: completeness,"
     " element: citizen_id}", "a", "used by another rule"),
    ("rules:\n  - just text", "#1", "must be a mapping"),
])
def test_invalid_rules_name_the_rule_and_the_problem(text: str, rule: str, words: str) -> None:
    exc = problem(text)
    assert exc.key == "quality_rule_invalid"
    assert exc.detail["rule"] == rule
    assert words in str(exc.detail["problem"]), exc.detail["problem"]
    assert f"quality rule {rule}:" in exc.message
    assert error_text(exc, "zh").startswith(f"质量规则“{rule}”无效：")
    assert error_text(exc, "en").startswith(f"Quality rule {rule} is invalid: ")


@pytest.mark.parametrize("text", [
    "rules: [", "- a\n- b", "rules: {a: 1}", "rules: []\nextra: 1",
    "rules:\n  - {id: a, name: x, kind: range, element: date, params: {max: 2023-02-30}}",  # not a day: PyYAML fails
])
def test_unreadable_text(text: str) -> None:
    exc = problem(text)
    assert exc.key == "quality_rules_unreadable"
    assert error_text(exc, "zh").startswith("质量规则文本无法读取")


@pytest.mark.parametrize(("expr", "words"), [
    ("age > 1; DROP TABLE t", "';'"),
    ("age IN (SELECT 1)", "subquery"),
    ("EXISTS (FROM other)", "subquery"),
    ("age > (SELECT max(age) FROM t)", "subquery"),
    ("t.age > 1", "without a table"),
    ("age > 1) AS x, (2", "one boolean expression"),
    ("age > 1) FROM other WHERE (1 = 1", "does not parse"),
    ("age >", "does not parse"),
    ("row_number() OVER () > 1", "window"),
])
def test_expr_rules_reject_subqueries_and_statements(expr: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_expr(expr)
    exc = problem(f"rules:\n  - id: a\n    name: x\n    kind: consistency\n    dataset: d\n    params:\n"
                  f"      expr: \"{expr}\"")
    assert words.strip("'") in str(exc.detail["problem"])


def test_expr_columns_are_checked_against_the_table() -> None:
    assert parse_expr("death_date >= birth_date AND list_any(list_transform([1], lambda x: x > 0))") == {
        "death_date", "birth_date"}
    rule = one(id="d.order", kind="consistency", element=None, dataset="d",
               params={"expr": "death_date >= birth_date"})
    check_rule(rule, ["_record", "death_date", "birth_date"])
    with pytest.raises(InvalidInput) as info:
        check_rule(rule, ["_record", "death_date", "born"])
    assert "unknown columns: birth_date" in str(info.value.detail["problem"])
    bad_type = one(id="d.t", kind="consistency", element=None, dataset="d", params={"expr": "length(death_date)"})
    with pytest.raises(InvalidInput, match="not a valid boolean"):
        check_rule(bad_type, ["death_date"])
    no_fn = one(id="d.f", kind="consistency", element=None, dataset="d", params={"expr": "no_such_fn(death_date)"})
    with pytest.raises(InvalidInput, match="not a valid boolean"):
        check_rule(no_fn, ["death_date"])
    missing = one(id="d.u", kind="uniqueness", element=None, dataset="d", params={"columns": ["a", "b"]})
    with pytest.raises(InvalidInput, match="no column b"):
        check_rule(missing, ["a"])


def test_default_rules_cover_the_elements() -> None:
    rules = default_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    assert all(r.scope in ("element", "global") and r.kind in KINDS for r in rules)
    by_kind: dict[str, set[str]] = {}
    for r in rules:
        by_kind.setdefault(r.kind, set()).add(r.element or "")
    assert by_kind["completeness"] == {"citizen_id", "uscc", "person_name", "enterprise_name"}
    assert {"citizen_id", "uscc", "mobile", "bank_card", "birth_date", "amount", "region_code"} <= by_kind["validity"]
    assert "uniqueness" not in by_kind
    checks = {(r.element, r.params.get("check")) for r in rules if r.kind == "consistency"}
    assert checks == {("citizen_id", "id_birth_date"), ("citizen_id", "id_gender"), ("uscc", "uscc_region")}
    gender = next(r for r in rules if r.kind == "allowed_values" and r.element == "gender")
    assert gender.params["values"] == ["男", "女"]
    ranges = {(r.element, r.params.get("min"), r.params.get("max")) for r in rules if r.kind == "range"}
    assert {("amount", 0, None), ("birth_date", "1900-01-01", "2100-12-31"), ("birth_date", None, "today")} <= ranges


def test_default_validators_exist() -> None:
    from digigov.platform.quality.compile import validator_key
    from digigov.platform.standards.validators import VALIDATORS

    for rule in default_rules():
        if rule.kind == "validity":
            assert validator_key(rule, "c", {"c": rule.element}) in VALIDATORS, rule.id


def test_applicable_pairs_rules_with_columns() -> None:
    rules = [
        one(id="e", element="citizen_id"),
        one(id="off", element="citizen_id", enabled=False),
        one(id="mine", element=None, dataset="hh", field="name"),
        one(id="theirs", element=None, dataset="other", field="name"),
        one(id="combo", kind="uniqueness", element=None, dataset="hh", params={"columns": ["a", "b"]}),
        one(id="timely", kind="timeliness", element=None),
    ]
    mapping = {"id_a": "citizen_id", "id_b": "citizen_id", "name": "person_name", "note": None}
    pairs = [(r.id, c) for r, c in applicable(rules, "hh", mapping)]
    assert pairs == [("e", "id_a"), ("e", "id_b"), ("mine", "name"), ("combo", None), ("timely", None)]
