"""Performance smoke: ~20 rules over a 1M-row clean table in one pass (target: a few seconds).

The budget is on CPU seconds (all threads), not wall time, so that a busy machine running other suites at the
same time does not fail it; both are printed (`pytest -s`)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import time

import duckdb
import pytest

from digigov.platform.quality.evaluate import EvalContext, evaluate, score
from digigov.platform.quality.rules import default_rules, load_rules

ROWS = 1_000_000
VALIDITY_ROWS = 200_000
BUDGET_S = 10.0
HAS_SQLFUNCS = importlib.util.find_spec("digigov.platform.standards.sqlfuncs") is not None

EXTRA = """
rules:
  - {id: hh.id_unique, name: 身份证号唯一, kind: uniqueness, dataset: hh, field: sfz}
  - {id: hh.key, name: 户号与姓名唯一, kind: uniqueness, dataset: hh, params: {columns: [hh_no, xm]}}
  - {id: hh.hh_no, name: 户号格式, kind: pattern, dataset: hh, field: hh_no, params: {regex: 'H[0-9]{7}'}}
  - {id: hh.region, name: 行政区划在户籍表中, kind: referential, dataset: hh, field: qh,
     params: {dataset: regions, column: code}}
  - {id: hh.order, name: 登记晚于出生, kind: consistency, dataset: hh, field: djrq, params: {expr: "djrq >= csrq"}}
  - {id: hh.xm_present, name: 姓名完整, kind: completeness, dataset: hh, field: xm, params: {min_rate: 0.99}}
"""


def build(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    # Citizen IDs with a real check digit (ISO 7064 MOD 11-2), birth dates that mostly agree, genders
    # that mostly agree, Zhejiang USCCs and addresses, amounts, a few NULLs and duplicates.
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    body = ("'3301' || lpad(CAST(6 + (i % 5) AS VARCHAR), 2, '0') || strftime(DATE '1950-01-01' + CAST(i % 20000 AS "
            "INTEGER), '%Y%m%d') || lpad(CAST(i % 1000 AS VARCHAR), 3, '0')")
    total = " + ".join(f"CAST(substr(body, {k + 1}, 1) AS INTEGER) * {w}" for k, w in enumerate(weights))
    con.execute(f"""
        CREATE TABLE hh AS
        WITH b AS (SELECT range AS i, {body} AS body FROM range({rows}))
        SELECT i + 1 AS _record,
               CASE WHEN i % 997 = 0 THEN NULL ELSE body || substr('10X98765432', ({total}) % 11 + 1, 1) END AS sfz,
               CASE WHEN i % 50 = 0 THEN NULL ELSE '张' || chr(19968 + CAST(i % 500 AS INTEGER)) END AS xm,
               CASE WHEN i % 301 = 0 THEN '2001-01-01' ELSE strftime(DATE '1950-01-01' + CAST(i % 20000 AS INTEGER),
                    '%Y-%m-%d') END AS csrq,
               CASE WHEN i % 401 = 0 THEN '未知' WHEN (i % 1000) % 2 = 1 THEN '男' ELSE '女' END AS xb,
               CASE WHEN i % 3 = 0 THEN '杭州市西湖区文三路' || i || '号' ELSE '温州市鹿城区' END AS dz,
               '91' || '33010' || CAST(6 + (i % 3) AS VARCHAR) || 'MA2' || lpad(CAST(i % 100000 AS VARCHAR), 6, '0')
                    || 'X' AS tyshxydm,
               CASE WHEN i % 17 = 0 THEN '-1.00' ELSE CAST(i % 10000 AS VARCHAR) || '.50' END AS je,
               'H' || lpad(CAST(i // 3 AS VARCHAR), 7, '0') AS hh_no,
               '33010' || CAST(6 + (i % 4) AS VARCHAR) AS qh,
               strftime(DATE '1950-01-01' + CAST(i % 20000 AS INTEGER) + 30, '%Y-%m-%d') AS djrq
        FROM b""")
    con.execute("CREATE TABLE regions AS SELECT * FROM (VALUES ('330106'), ('330108'), ('330109')) AS v(code)")


MAPPING: dict[str, str | None] = {
    "sfz": "citizen_id", "xm": "person_name", "csrq": "birth_date", "xb": "gender", "dz": "address",
    "tyshxydm": "uscc", "je": "amount", "hh_no": None, "qh": "region_code", "djrq": "date",
}


def context() -> EvalContext:
    return EvalContext("hh", MAPPING, now=dt.datetime(2024, 6, 1, tzinfo=dt.UTC), update_frequency="每日",
                       last_load_at=dt.datetime(2024, 5, 31, tzinfo=dt.UTC), resolve_table={"regions": "regions"}.get)


def test_one_million_rows_in_a_few_seconds() -> None:
    """Every kind but validity (whose cost is the validators' Python checksums, measured below)."""
    con = duckdb.connect()
    build(con, ROWS)
    rules = [r for r in default_rules() + load_rules(EXTRA) if r.kind != "validity"]
    started, cpu_started = time.perf_counter(), time.process_time()
    results = evaluate(con, "hh", rules, context())
    elapsed = time.perf_counter() - started
    judged = [r for r in results if r.skipped is None]
    cpu = time.process_time() - cpu_started
    print(f"\n{ROWS} rows, {len(judged)} checks: {elapsed:.2f} s wall, {cpu:.2f} s CPU")
    assert cpu < BUDGET_S
    assert len(judged) == len(results) == 17, [(r.rule_id, r.skipped) for r in results if r.skipped]
    by_id = {r.rule_id: r for r in results}
    assert by_id["citizen_id.complete"].failed == len(range(0, ROWS, 997))
    assert by_id["citizen_id.birth_date"].failed > 0 and by_id["citizen_id.gender"].failed == 0
    # USCC region 330106 with a Hangzhou address passes, 330108 with a Wenzhou one fails, 330107 is not a code
    assert by_id["uscc.region"].checked == len(range(0, ROWS, 3)) + len(range(2, ROWS, 3))
    assert by_id["uscc.region"].failed == len(range(2, ROWS, 3))
    assert by_id["amount.non_negative"].failed == len(range(0, ROWS, 17))
    assert by_id["hh.region"].failed == ROWS // 4
    assert 0 < score(results, rules).dataset < 100


@pytest.mark.skipif(not HAS_SQLFUNCS, reason="standards.sqlfuncs is not there yet")
def test_validity_on_200k_rows() -> None:
    """The shipped validity rules but address.valid (cpca parses each address in Python: ~0.2 ms a row)."""
    con = duckdb.connect()
    build(con, VALIDITY_ROWS)
    rules = [r for r in default_rules() if r.kind == "validity" and r.id != "address.valid"]
    started, cpu_started = time.perf_counter(), time.process_time()
    results = evaluate(con, "hh", rules, context())
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(f"\n{VALIDITY_ROWS} rows, {len(results)} validity checks: {elapsed:.2f} s wall, {cpu:.2f} s CPU")
    assert all(r.skipped is None for r in results), [(r.rule_id, r.skipped) for r in results]
    by_id = {r.rule_id: r for r in results}
    assert by_id["citizen_id.valid"].failed == 0 and by_id["uscc.valid"].failed > 0
    assert cpu < BUDGET_S
