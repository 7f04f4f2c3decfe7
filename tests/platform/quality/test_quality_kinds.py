"""Each rule kind on a small DuckDB table built here, with real citizen IDs (GB 11643 check digits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pytest
from stdnum.cn import ric

from digigov.platform.quality.evaluate import EvalContext, RuleResult, evaluate
from digigov.platform.quality.rules import RuleDef

NOW = dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.UTC)


def cid(region: str, birth: str, seq: str) -> str:
    """A citizen ID with a correct check digit; the last digit of `seq` is the gender digit (odd = 男)."""
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character


def make(con: duckdb.DuckDBPyConnection, name: str, cols: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    con.execute(f"CREATE TABLE {name} (_record BIGINT, {', '.join(f'{c} VARCHAR' for c in cols)})")
    con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * (len(cols) + 1))})",
                    [(i, *row) for i, row in enumerate(rows, start=1)])
    return name


def rule(kind: str, **fields: object) -> RuleDef:
    base: dict[str, object] = {"id": f"t.{kind}", "name": kind, "kind": kind}
    base.update(fields)
    return RuleDef.model_validate(base)


def run(con: duckdb.DuckDBPyConnection, table: str, rules: Sequence[RuleDef], mapping: dict[str, str | None],
        **ctx: object) -> list[RuleResult]:
    return evaluate(con, table, rules, EvalContext("ds", mapping, now=NOW, **ctx))  # type: ignore[arg-type]


def failing(con: duckdb.DuckDBPyConnection, result: RuleResult) -> list[int]:
    assert result.failing_sql is not None
    return [row[0] for row in con.execute(result.failing_sql).fetchall()]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_completeness_counts_nulls_and_blanks(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "people", ["name"], [("张三",), (None,), ("  ",), ("李四",)])
    half = rule("completeness", element="person_name", params={"min_rate": 0.5})
    [res] = run(con, t, [half], {"name": "person_name"})
    assert (res.column, res.checked, res.failed, res.pass_rate) == ("name", 4, 2, 0.5)
    assert res.sample_records == [2, 3] and failing(con, res) == [2, 3]
    assert res.passed is True and res.skipped is None
    [strict] = run(con, t, [rule("completeness", element="person_name")], {"name": "person_name"})
    assert strict.passed is False


def test_uniqueness_single_and_combined(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "ent", ["code", "year"], [("A", "2020"), ("A", "2021"), ("B", "2020"), (None, "2020"),
                                            ("B", "2020"), (None, None)])
    single = rule("uniqueness", dataset="ds", field="code")
    combo = rule("uniqueness", id="t.combo", dataset="ds", params={"columns": ["code", "year"]})
    res, both = run(con, t, [single, combo], {"code": "uscc", "year": None})
    assert (res.checked, res.failed, res.sample_records) == (4, 4, [1, 2, 3, 5])
    assert (both.column, both.checked, both.failed, both.sample_records) == (None, 4, 2, [3, 5])
    assert failing(con, both) == [3, 5]


def test_id_birth_date_catches_a_disagreeing_birth_date(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        (cid("330106", "19900101", "123"), "1990-01-01"),  # agrees
        (cid("330106", "19850315", "221"), "1985-03-16"),  # one day off
        ("330106850315221", "1985-03-15"),  # 15-digit ID (19YYMMDD) agrees
        ("330106850315221", "1986-03-15"),  # 15-digit ID disagrees
        ("not an id", "1990-01-01"),  # not judged: validity's business
        (cid("330106", "19900101", "123"), None),  # not judged
    ]
    t = make(con, "hh", ["sfz", "born"], rows)
    r = rule("consistency", element="citizen_id", params={"check": "id_birth_date"})
    [res] = run(con, t, [r], {"sfz": "citizen_id", "born": "birth_date"})
    assert (res.checked, res.failed, res.sample_records) == (4, 2, [2, 4])
    assert "born" in (res.failing_sql or "") and failing(con, res) == [2, 4]


def test_consistency_needs_exactly_one_partner_column(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "hh2", ["sfz", "b1", "b2"], [(cid("330106", "19900101", "123"), "1990-01-01", "1991-01-01")])
    r = rule("consistency", element="citizen_id", params={"check": "id_birth_date"})
    [none] = run(con, t, [r], {"sfz": "citizen_id", "b1": None, "b2": None})
    assert none.skipped == "no column mapped to birth_date"
    [two] = run(con, t, [r], {"sfz": "citizen_id", "b1": "birth_date", "b2": "birth_date"})
    assert two.skipped is not None and "several columns mapped to birth_date" in two.skipped
    named = rule("consistency", element="citizen_id", params={"check": "id_birth_date", "with": "b2"})
    [res] = run(con, t, [named], {"sfz": "citizen_id", "b1": "birth_date", "b2": "birth_date"})
    assert (res.checked, res.failed) == (1, 1)


def test_id_gender_catches_a_disagreeing_gender(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        (cid("330106", "19900101", "123"), "男"),  # 3 odd: 男
        (cid("330106", "19900101", "124"), "男"),  # 4 even: 女, wrong
        (cid("330106", "19900101", "124"), "女"),
        (cid("330106", "19900101", "125"), "女"),  # wrong
        (cid("330106", "19900101", "125"), "未说明"),  # not judged
        ("330106900101125", "男"),  # 15-digit, last digit odd
    ]
    t = make(con, "hh3", ["sfz", "xb"], rows)
    r = rule("consistency", element="citizen_id", params={"check": "id_gender"})
    [res] = run(con, t, [r], {"sfz": "citizen_id", "xb": "gender"})
    assert (res.checked, res.failed, res.sample_records) == (5, 2, [2, 4])


def test_uscc_region_catches_a_hangzhou_code_with_a_wenzhou_address(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        ("91330106MA27XK0L3T", "浙江省杭州市西湖区文三路90号"),  # 330106 西湖区, agrees
        ("91330106MA27XK0L3T", "浙江省温州市鹿城区人民路1号"),  # Hangzhou code, Wenzhou address
        ("91330106MA27XK0L3T", "杭州市滨江区网商路699号"),  # same city, another district: the city name appears
        ("91330100MA27XK0L3T", "余杭区五常街道"),  # city-level code, a county of that city
        ("91330100MA27XK0L3T", "乐清市柳市镇"),  # city-level code (Hangzhou), a Wenzhou county city
        ("91330106MA27XK0L3T", "北京市海淀区中关村大街1号"),  # outside Zhejiang: not judged
        ("91110108MA27XK0L3T", "浙江省温州市鹿城区"),  # a code outside the table: not judged
        ("91330106MA27XK0L3T", "某某路1号"),  # names no Zhejiang place: not judged
        ("91330106MA27XK0L3T", None),
    ]
    t = make(con, "ent2", ["tyshxydm", "zcdz"], rows)
    r = rule("consistency", element="uscc", params={"check": "uscc_region"})
    [res] = run(con, t, [r], {"tyshxydm": "uscc", "zcdz": "address"})
    assert (res.checked, res.failed, res.sample_records) == (5, 2, [2, 5])


def test_expr_rule_and_runtime_errors(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "deaths", ["born", "died", "n"], [("1950-01-01", "2020-01-01", "1"), ("1960-01-01", "1959-12-31",
                                                    "x"), ("1970-01-01", None, "2")])
    ok = rule("consistency", dataset="ds", field="died", params={"expr": "died::DATE >= born::DATE"})
    bad = rule("consistency", id="t.bad", dataset="ds", params={"expr": "n::INTEGER > 0"})
    unknown = rule("consistency", id="t.unknown", dataset="ds", params={"expr": "dead > born"})
    res, err, unk = run(con, t, [ok, bad, unknown], {"born": "birth_date", "died": "death_date", "n": None})
    assert (res.column, res.checked, res.failed, res.sample_records) == ("died", 2, 1, [2])
    assert err.skipped is not None and err.skipped.startswith("error:")  # 'x' cannot be cast, the others still run
    assert unk.skipped == "expr references unknown columns: dead"


def test_referential_finds_orphans(con: duckdb.DuckDBPyConnection) -> None:
    make(con, "enterprises", ["code"], [("A",), ("B",), (None,)])
    t = make(con, "licences", ["holder"], [("A",), ("C",), (None,), ("B",), ("D",)])
    r = rule("referential", dataset="ds", field="holder", params={"dataset": "ent", "column": "code"})
    tables = {"ent": "enterprises"}
    [res] = run(con, t, [r], {"holder": "uscc"}, resolve_table=tables.get)
    assert (res.checked, res.failed, res.sample_records) == (4, 2, [2, 5])
    assert failing(con, res) == [2, 5]
    [gone] = run(con, t, [r], {"holder": "uscc"})
    assert gone.skipped == "dataset ent has no clean table"
    wrong = rule("referential", dataset="ds", field="holder", params={"dataset": "ent", "column": "nope"})
    [col] = run(con, t, [wrong], {"holder": "uscc"}, resolve_table=tables.get)
    assert col.skipped == "no column nope in dataset ent"


def test_allowed_values_range_and_pattern(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "mixed", ["xb", "je", "born", "code"], [
        ("男", "0", "1900-01-01", "AB12"),
        ("M", "-0.01", "1899-12-31", "ab12"),
        ("女", "12.50", "2024-06-02", "AB123"),
        (None, "abc", "not a date", None),
    ])
    rules = [
        rule("allowed_values", element="gender", params={"values": ["男", "女"]}),
        rule("range", element="amount", params={"min": 0}),
        rule("range", id="t.span", element="birth_date", params={"min": "1900-01-01", "max": "2100-12-31"}),
        rule("range", id="t.future", element="birth_date", params={"max": "today"}),
        rule("pattern", dataset="ds", field="code", params={"regex": "[A-Z]{2}[0-9]{2}"}),
    ]
    mapping: dict[str, str | None] = {"xb": "gender", "je": "amount", "born": "birth_date", "code": None}
    allowed, amount, span, future, pattern = run(con, t, rules, mapping)
    assert (allowed.checked, allowed.failed, allowed.sample_records) == (3, 1, [2])
    assert (amount.checked, amount.failed, amount.sample_records) == (3, 1, [2])  # 'abc' is validity's business
    assert (span.checked, span.failed, span.sample_records) == (3, 1, [2])
    assert (future.checked, future.failed, future.sample_records) == (3, 1, [3])  # NOW is 2024-06-01
    assert (pattern.checked, pattern.failed, pattern.sample_records) == (3, 2, [2, 3])


@pytest.mark.parametrize(("frequency", "last", "passed"), [
    ("每日", NOW - dt.timedelta(hours=30), True),  # 24 h + 12 h grace
    ("每日", NOW - dt.timedelta(days=2), False),
    ("每月", NOW - dt.timedelta(days=40), False),  # stale
    ("每月", NOW - dt.timedelta(days=20), True),
    ("每年", None, False),  # never loaded
    ("每日", (NOW - dt.timedelta(hours=2)).replace(tzinfo=None), True),  # naive times are UTC
])
def test_timeliness(con: duckdb.DuckDBPyConnection, frequency: str, last: dt.datetime | None, passed: bool) -> None:
    t = make(con, "loads", ["x"], [("1",)])
    [res] = run(con, t, [rule("timeliness")], {"x": None}, update_frequency=frequency, last_load_at=last)
    assert (res.column, res.checked, res.failed, res.passed) == (None, 1, 0 if passed else 1, passed)
    assert res.sample_records == [] and res.failing_sql is None and res.detail


def test_timeliness_params_and_no_promise(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "loads2", ["x"], [("1",)])
    last = NOW - dt.timedelta(hours=30)
    [tight] = run(con, t, [rule("timeliness", params={"frequency": "每日", "grace_hours": 0})], {}, last_load_at=last,
                  update_frequency="每月")
    assert tight.passed is False
    [none] = run(con, t, [rule("timeliness")], {}, last_load_at=last, update_frequency="不定期")
    assert none.skipped is not None and none.passed is None


def test_samples_are_limited_but_the_query_lists_all(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "many", ["v"], [(None,)] * 120)
    [res] = run(con, t, [rule("completeness", element="person_name")], {"v": "person_name"}, sample_limit=10)
    assert res.failed == 120 and res.sample_records == list(range(1, 11))
    assert len(failing(con, res)) == 120
    [none] = run(con, t, [rule("completeness", element="person_name")], {"v": "person_name"}, sample_limit=0)
    assert none.sample_records == [] and none.failed == 120


def test_missing_columns_and_tables_are_skipped(con: duckdb.DuckDBPyConnection) -> None:
    t = make(con, "small", ["a"], [("1",)])
    [res] = run(con, t, [rule("completeness", element="person_name")], {"gone": "person_name"})
    assert res.skipped == "no column gone in the table"
    [tab] = run(con, "no_such_table", [rule("completeness", element="person_name")], {"a": "person_name"})
    assert tab.skipped == "no table no_such_table"


def test_empty_table_and_typed_columns(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE typed (_record BIGINT, n INTEGER, d DATE)")
    con.execute("INSERT INTO typed VALUES (1, 5, DATE '2000-01-01'), (2, NULL, NULL), (3, -1, DATE '1800-01-01')")
    rules = [rule("completeness", element="amount"), rule("range", id="t.r", element="amount", params={"min": 0}),
             rule("range", id="t.d", element="date", params={"min": "1900-01-01"})]
    comp, rng, day = run(con, "typed", rules, {"n": "amount", "d": "date"})
    assert (comp.failed, rng.failed, day.failed) == (1, 1, 1)
    con.execute("CREATE TABLE nothing (_record BIGINT, n VARCHAR)")
    [empty] = run(con, "nothing", rules[:1], {"n": "amount"})
    assert (empty.checked, empty.failed, empty.pass_rate, empty.passed) == (0, 0, 1.0, True)
