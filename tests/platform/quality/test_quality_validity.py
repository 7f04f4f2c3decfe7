"""Validity rules run the standards' validators in SQL (standards.sqlfuncs: pattern prefilter, then dg_check)."""

from __future__ import annotations

import duckdb
import pytest
from stdnum.cn import ric, uscc

from digigov.platform.quality.evaluate import EvalContext, evaluate
from digigov.platform.quality.rules import RuleDef, default_rules

pytest.importorskip("digigov.platform.standards.sqlfuncs")


def cid(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")  # stdnum reads the number with its check digit slot


def wrong_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


GOOD_ID = cid("33010619900101123")
GOOD_USCC = "91330106" + "MA27XK0L" + "3"
GOOD_USCC += uscc.calc_check_digit(GOOD_USCC)


def test_validity_flags_bad_check_digits_and_formats() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (_record BIGINT, sfz VARCHAR, code VARCHAR, born VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [
        (1, GOOD_ID, GOOD_USCC, "1990-01-01"),
        (2, wrong_digit(GOOD_ID), wrong_digit(GOOD_USCC), "1990-02-30"),
        (3, "12345", "not a code", "someday"),
        (4, None, None, None),
    ])
    mapping: dict[str, str | None] = {"sfz": "citizen_id", "code": "uscc", "born": "birth_date"}
    rules = [r for r in default_rules() if r.kind == "validity"]
    results = {r.rule_id: r for r in evaluate(con, "t", rules, EvalContext("t", mapping))}
    assert set(results) == {"citizen_id.valid", "uscc.valid", "birth_date.valid"}
    for res in results.values():
        assert res.skipped is None, res.skipped
        assert (res.checked, res.failed, res.sample_records) == (3, 2, [2, 3]), res.rule_id
    rows = con.execute(results["citizen_id.valid"].failing_sql or "").fetchall()
    assert rows == [(2, wrong_digit(GOOD_ID), "checksum"), (3, "12345", "format")]
    assert con.execute(results["birth_date.valid"].failing_sql or "").fetchall()[0][2] == "calendar"


def test_validator_named_in_params_and_unknown_validators() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t2 AS SELECT 1::BIGINT AS _record, 'x' AS v")
    named = RuleDef(id="v.mobile", name="手机", kind="validity", dataset="t2", field="v",
                    params={"validator": "mobile"})
    none = RuleDef(id="v.none", name="无", kind="validity", element="diagnosis")
    died = RuleDef(id="v.died", name="死亡日期", kind="validity", element="death_date")  # registry: validator date
    unmapped = RuleDef(id="v.unmapped", name="无", kind="validity", dataset="t2", field="v")
    res, skipped, unknown = evaluate(con, "t2", [named, none, unmapped], EvalContext("t2", {"v": "diagnosis"}))
    [day] = evaluate(con, "t2", [died], EvalContext("t2", {"v": "death_date"}))
    assert (day.checked, day.failed, day.skipped) == (1, 1, None)
    assert (res.checked, res.failed) == (1, 1)
    assert skipped.skipped == "no validator diagnosis"
    assert unknown.skipped == "no validator diagnosis"
