"""The parts of the demo department data: dates, identifiers, place names and each kind of noise."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from stdnum.cn import ric, uscc

from digigov.demo.govdata.enterprises import make_uscc, org_check_char
from digigov.demo.govdata.noise import (
    DATE_FORMATS,
    FULLWIDTH,
    INVALID_CHECKSUM,
    LOWERCASE_X,
    MISSING,
    TRADITIONAL,
    Noiser,
    Roles,
    format_date,
    parse_date,
)
from digigov.demo.govdata.reference import World, excel_serial, short_name

HEADERS = ("姓名", "身份证号", "信用代码", "手机", "地址", "日期")
ROLES = Roles(names=("姓名",), addresses=("地址",), citizen_ids=("身份证号",), usccs=("信用代码",), phones=("手机",),
              optional=("手机", "地址"), spaces=("姓名",), dates={"日期": "cn"})
ROW = ["张伟", "11010519491231002X", "91110000600037341L", "13812345678", "杭州市西湖区文三路12号", "2021年8月5日"]


def test_dates_round_trip() -> None:
    day = dt.date(2021, 8, 5)
    expected = ["2021-08-05", "2021/8/5", "2021年8月5日", "20210805", "2021.8.5"]
    assert [format_date(day, f) for f in DATE_FORMATS] == expected
    for fmt in DATE_FORMATS:
        assert parse_date(format_date(day, fmt), fmt) == day
    assert excel_serial(day) == 44413 and parse_date(44413, "serial") == day


def test_identifiers() -> None:
    assert org_check_char("60003734") == "1"  # 91110000600037341L, stdnum's example
    rng = random.Random(1)
    for established in (dt.date(2003, 5, 1), dt.date(2019, 5, 1)):
        code = make_uscc(rng, "1", "330106", established, individual=False)
        assert uscc.is_valid(code) and code[:8] == "91330106"
        assert code[8:10] == "MA" if established.year > 2015 else code[8:16].isdigit()
        assert org_check_char(code[8:16]) == code[16]
    assert ric.calc_check_digit(ROW[1]) == "X"  # the function ignores the last character it is given


def test_place_names() -> None:
    assert [short_name(n) for n in ("西湖区", "景宁畲族自治县", "杭州市", "江北区", "义乌市")] == [
        "西湖", "景宁", "杭州", "江北", "义乌"]
    world = World(2021)
    assert len(world.counties) == 90 and world.by_code["330106"].prefix == "杭州市西湖区"
    rng = random.Random(5)
    cities = Counter(world.home(rng).city_name for _ in range(20_000))
    assert cities.most_common(1)[0][0] == "杭州市" and cities["舟山市"] < cities["宁波市"] / 5


@pytest.mark.parametrize("seed", range(3))
def test_each_kind_changes_what_it_reports(seed: int) -> None:
    noiser = Noiser(HEADERS, ROLES, scale=15.0, rng=random.Random(seed))
    seen: Counter[str] = Counter()
    for _ in range(3_000):
        row = list(ROW)
        kinds, fields = noiser.apply(row)
        seen.update(kinds)
        changed = {HEADERS[i] for i in range(len(ROW)) if row[i] != ROW[i]}
        assert changed == {f for f in fields if f}, (kinds, fields, row)
        for kind, field in zip(kinds, fields, strict=True):
            value = row[HEADERS.index(field)] if field else ""
            if kind == INVALID_CHECKSUM:
                if field == "身份证号":
                    assert ric.calc_check_digit(value.upper()) != value[-1].upper()
                else:
                    assert not uscc.is_valid(value)
            elif kind == FULLWIDTH:
                assert any("０" <= ch <= "９" for ch in value)
            elif kind == TRADITIONAL:
                assert set(value) & set("張偉區號")
            elif kind == MISSING:
                assert value == ""
            elif kind == LOWERCASE_X:
                assert value.endswith(("x", "ｘ"))
    assert set(seen) >= {"typo", "swap", TRADITIONAL, FULLWIDTH, MISSING, INVALID_CHECKSUM, "whitespace",
                         "date_format", "duplicate", LOWERCASE_X}
