"""The SQL twins of the validators give exactly the Python validators' answers."""

from __future__ import annotations

import random

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric, uscc

from digigov.platform.standards import sqlchecks, sqlfuncs, validators


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    sqlfuncs.register(c)
    return c


def sql_answers(con: duckdb.DuckDBPyConnection, key: str, values: list[str]) -> list[str | None]:
    con.execute("CREATE OR REPLACE TEMP TABLE v (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(values)))
    return [r[0] for r in con.execute(f"SELECT {sqlchecks.EXACT[key]('x')} FROM v ORDER BY i").fetchall()]


def corrupt(rng: random.Random, value: str) -> str:
    i = rng.randrange(len(value))
    return value[:i] + rng.choice("0123456789X") + value[i + 1:]


def ids(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        body = f"{rng.choice(['110105', '330106', '330381', '999999'])}{rng.randint(1880, 2030)}" \
               f"{rng.randint(1, 13):02d}{rng.randint(1, 31):02d}{rng.randint(0, 999):03d}"
        good = body + ric.calc_check_digit(body + "0")
        out.append(good if rng.random() < 0.5 else corrupt(rng, good))
    return out


def usccs(rng: random.Random, n: int) -> list[str]:
    alphabet = sqlchecks.USCC_ALPHABET
    out = []
    for _ in range(n):
        body = "91" + rng.choice(["330106", "330000", "110000"]) + "".join(rng.choice(alphabet) for _ in range(9))
        good = body + uscc.calc_check_digit(body + "0")
        out.append(good if rng.random() < 0.5 else corrupt(rng, good))
    return out


def cards(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        body = rng.choice("3456") + "".join(rng.choice("0123456789") for _ in range(rng.randint(14, 18)))
        good = body + luhn.calc_check_digit(body)
        out.append(good if rng.random() < 0.5 else corrupt(rng, good))
    return out


def mobiles(rng: random.Random, n: int) -> list[str]:
    return [f"1{rng.randint(30, 99)}{rng.randint(0, 99_999_999):08d}" for _ in range(n)] + ["1740000000"]


def dates(rng: random.Random, n: int) -> list[str]:
    return [f"{rng.randint(1860, 2110)}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}" for _ in range(n)]


@pytest.mark.parametrize(("key", "make"), [("citizen_id", ids), ("uscc", usccs), ("bank_card", cards),
                                           ("mobile", mobiles), ("date", dates)])
def test_sql_twin_agrees_with_the_library_on_valid_and_corrupted_values(con, key, make) -> None:
    values = make(random.Random(2021), 3000)
    got = sql_answers(con, key, values)
    want = [validators.VALIDATORS[key](v) for v in values]
    wrong = [(v, g, w) for v, g, w in zip(values, got, want, strict=True) if g != w]
    assert not wrong, wrong[:5]
    assert None in want and any(w is not None for w in want)  # both kinds were exercised


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="0123456789Xx -ABC", min_size=0, max_size=22))
def test_sql_twins_agree_on_arbitrary_strings(con, text: str) -> None:
    for key in sqlchecks.EXACT:
        assert sql_answers(con, key, [text]) == [validators.VALIDATORS[key](text)], (key, text)
