"""The vectorised path: UDFs, SQL normalisers that agree with the Python ones, SQL validation."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digigov.platform.standards import registry, sqlfuncs
from digigov.platform.standards.normalize import NormalizeError, normalize


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    sqlfuncs.register(c)
    yield c
    c.close()


def run(con, values, *exprs):
    """Evaluate each expression over a column "raw" holding ``values``; rows in input order."""
    con.register("raw_input", pa.table({"i": list(range(len(values))), "raw": pa.array(values, type=pa.string())}))
    try:
        sql = f"SELECT {', '.join(exprs)} FROM raw_input ORDER BY i"  # noqa: S608
        return con.execute(sql).fetchall()
    finally:
        con.unregister("raw_input")


def python_side(steps, value):
    try:
        return normalize(steps, value), None
    except NormalizeError as exc:
        return None, exc.reason


def sql_side(con, steps, values):
    normalized = sqlfuncs.normalize_sql(steps, '"raw"')
    error = sqlfuncs.normalize_error_sql(steps, '"raw"', normalized)
    return run(con, values, normalized, error)


def assert_agree(con, steps, values):
    expected = [python_side(steps, v) for v in values]
    got = [tuple(row) for row in sql_side(con, steps, values)]
    for value, want, have in zip(values, expected, got, strict=True):
        assert have == want, f"{steps} on {value!r}: SQL {have} != Python {want}"


def test_register_is_idempotent_and_adds_the_udfs(con):
    sqlfuncs.register(con)
    rows = con.execute("SELECT dg_simplified('臺灣'), dg_hmac('k', 'v'), dg_check('mobile', '13812345678'), "
                       "dg_simplified(NULL), dg_check('mobile', NULL), dg_hmac(NULL, 'v')").fetchall()
    assert rows == [("台湾", "c5d4be1992d50d3b41f9a21292fc67a28a1486fc64a0517d37f9af847e0732de", None, None, None,
                     None)]
    with pytest.raises(duckdb.Error, match="unknown validator"):
        con.execute("SELECT dg_check('shoe_size', 'x')").fetchall()


def test_validate_sql_prefilters_then_checks(con):
    expr = sqlfuncs.validate_sql("citizen_id", '"raw"')
    values = ["11010519491231002X", "110105194912310021", "abc", None]
    assert [r[0] for r in run(con, values, expr)] == [None, "checksum", "format", None]
    # plain 18-character IDs are checked in SQL; anything else goes to the library through the UDF
    assert "regexp_full_match" in expr and "% 11" in expr and "dg_check('citizen_id'" in expr
    assert "dg_check('landline'" in sqlfuncs.validate_sql("landline", '"raw"')  # others call the library
    assert [r[0] for r in run(con, ["13812345678", "12345"], sqlfuncs.validate_sql("mobile", '"raw"'))] == [
        None, "format"]
    with pytest.raises(ValueError, match="unknown validator"):
        sqlfuncs.validate_sql("shoe_size", '"raw"')


def test_examples_through_sql(con):
    values = ["2021-08-05", "2021/8/5", "2021.8.5", "2021年8月5日", "20210805", "2021-08-05 10:00:00", "44413",
              "2021-02-30", "soon", None, "", "  "]
    got = sql_side(con, ["halfwidth", "trim", "date"], values)
    assert [r[0] for r in got] == ["2021-08-05"] * 7 + [None] * 5
    assert [r[1] for r in got] == [None] * 7 + ["date_format", "date_format", None, None, None]
    got = sql_side(con, ["amount"], ["1,234.50", "1234.5元", "12.5万元", "12.5万", "￥1,234", "１２３", "x1"])
    assert got == [("1234.5", None), ("1234.5", None), ("125000", None), ("125000", None), ("1234", None),
                   ("123", None), (None, "amount_format")]
    assert sql_side(con, ["gender"], ["M", "2", "男性", "?"]) == [
        ("男", None), ("女", None), ("男", None), (None, "gender_value")]


def test_element_sql(con):
    normalized, error, check = sqlfuncs.element_sql("mobile", '"raw"')
    rows = run(con, ["+86 138-1234-5678", "1234", None], normalized, error, check)
    assert rows == [("13812345678", None, None), ("1234", None, "format"), (None, None, None)]
    normalized, error, check = sqlfuncs.element_sql("gender", '"raw"')
    assert check is None
    assert run(con, ["Ｆ", "x"], normalized, error) == [("女", None), (None, "gender_value")]


def test_no_failing_step_means_no_error_expression():
    assert sqlfuncs.normalize_error_sql(["trim"], "a", "b") == "CAST(NULL AS VARCHAR)"


# --- property tests: the SQL steps agree with the Python steps ----------------------------------------------

ANY = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=20)
WS = " \t\n\u3000\u00a0"
FULLWIDTH = "０１２３４５６７８９ＡＢＣａｂｃ（）－，．＋"


def _fmt_date(y, m, d, form):
    return form.format(y=y, m=m, d=d)


DATES = st.one_of(
    st.builds(_fmt_date, st.integers(900, 3100), st.integers(0, 13), st.integers(0, 32), st.sampled_from([
        "{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m}.{d}", "{y}年{m}月{d}日", "{y}{m:02d}{d:02d}",
        "{y}-{m:02d}-{d:02d} 10:00:00", "{y}-{m}-{d}T23:59", "{y}-{m}-{d} 24:00", "{y}/{m:02d}-{d}", " {y}-{m}-{d}",
        "{y}年{m}月{d}", "{y}-{m}-{d}.5",
    ])),
    st.integers(-5, 100_000).map(str),
    st.floats(0, 90_000, allow_nan=False).map(lambda f: f"{f:.3f}"),
    st.text(alphabet="0123456789-/.年月日 T:", max_size=20),
    ANY,
)
AMOUNTS = st.one_of(
    st.builds(lambda sign, n, form: sign + form.format(n=n), st.sampled_from(["", "-", "+", "¥", "-￥"]),
              st.decimals(0, 10**16, places=3, allow_nan=False, allow_infinity=False),
              st.sampled_from(["{n}", "{n:,}", "{n}元", "{n}万元", "{n}万", "{n}亿", "{n:,.2f}", "{n:.6f}",
                               "{n:.7f}"])),
    st.text(alphabet="0123456789,.-+¥￥万亿元 ０１２３．，　", max_size=20),
    ANY,
)
PHONES = st.one_of(
    st.text(alphabet="+0123456789-() （）86 \t", max_size=20),
    st.from_regex(r"(\+86|0086)?[ -]?1[3-9][0-9]{9}", fullmatch=True),
    ANY,
)
GENDERS = st.one_of(
    st.sampled_from(["男", "女", "1", "2", "M", "F", "m", "f", "male", "Female", "MALE", "男性", "女性", "0", "9",
                     "未知"]),
    st.text(alphabet="男女性12MFmalefe ", max_size=7),
    ANY,
)
TEXTS = st.one_of(st.text(alphabet=WS + FULLWIDTH + "abcXYZ123中文臺灣，。", max_size=20), ANY)

CASES = {
    "date": DATES, "amount": AMOUNTS, "phone": PHONES, "gender": GENDERS, "halfwidth": TEXTS, "trim": TEXTS,
    "nospace": TEXTS, "upper": TEXTS, "lower": TEXTS, "digits_only": TEXTS, "simplified": TEXTS,
}


@pytest.mark.parametrize("step", sorted(CASES))
def test_sql_step_agrees_with_python(con, step):
    @settings(max_examples=60, deadline=None)
    @given(values=st.lists(CASES[step], min_size=1, max_size=40))
    def check(values):
        assert_agree(con, [step], values)

    check()


@pytest.mark.parametrize("element_id", sorted(registry.elements()))
def test_element_chains_agree(con, element_id):
    steps = registry.element(element_id).normalizer
    strategy = CASES.get(steps[-1], TEXTS) if steps else TEXTS

    @settings(max_examples=15, deadline=None)
    @given(values=st.lists(st.one_of(strategy, TEXTS), min_size=1, max_size=40))
    def check(values):
        assert_agree(con, steps, values)

    check()
