"""The data-element validators and their prefilter patterns, on real values."""

from __future__ import annotations

import re

import duckdb
import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from digigov.platform.standards import validators as v
from digigov.platform.standards.validators import PATTERNS, VALIDATORS


def make_id(prefix17: str) -> str:
    return prefix17 + ric.calc_check_digit(prefix17 + "0")


def make_uscc(prefix17: str) -> str:
    return prefix17 + uscc.calc_check_digit(prefix17 + "0")


def make_card(body: str) -> str:
    return body + luhn.calc_check_digit(body)


XIHU_ID = make_id("33010619900307123")  # 西湖区, 1990-03-07, odd 17th digit: male
FULL_WIDTH_ID = "".join(chr(ord(c) + 0xFEE0) for c in XIHU_ID)
USCC = make_uscc("91330106MA27U8Q65")
CARD = make_card("622202100112345678")

VALID: dict[str, list[str]] = {
    "citizen_id": [XIHU_ID, make_id("33108220000229002"), XIHU_ID.lower(), FULL_WIDTH_ID],
    "person_name": ["张伟", "欧阳娜娜", "诸葛亮", "买买提·艾力", "王小明"],
    "mobile": ["13812345678", "+86 138 1234 5678", "19912345678", "15057112345"],
    "landline": ["0571-87654321", "057187654321", "(0571)87654321", "010-62345678"],
    "address": ["浙江省杭州市西湖区文三路100号", "宁波鄞州区天童南路", "杭州市上城区解放路1号"],
    "uscc": [USCC, USCC.lower()],
    "bank_card": [make_card("622202100112345678"), make_card("621700123456789"), make_card("4367421234567890")],
    "passport": ["E12345678", "G12345678", "EA1234567", "P1234567"],
    "plate_number": ["浙A12345", "浙AD12345", "沪B·8K2M3", "浙A1234学"],
    "email": ["someone@example.com", "a.b+c@mail.zj.gov.cn"],
    "ip_address": ["192.168.1.1", "10.0.0.255", "2001:db8::1", "::1"],
    "coordinates": ["120.153576,30.287459", "120.15, 30.28", "121.5,31.2"],
    "longitude": ["120.153576", "73.500", "135.000"],
    "latitude": ["30.287459", "4.000", "53.500"],
    "licence_number": ["JY13301060012345", "ZJ2020ABC1234"],
    "amount": ["1,234.50", "100", "-3.5", "¥12.00", "500元"],
    "date": ["2024-02-29", "2024/3/1", "2024年3月1日", "20240301"],
    "region_code": ["330106", "330000", "110101", "510000"],
}

INVALID: dict[str, list[tuple[str, str]]] = {
    "citizen_id": [
        (XIHU_ID[:-1] + ("0" if XIHU_ID[-1] != "0" else "1"), "checksum"),
        (make_id("33010619900230123"), "birth_date"),
        (make_id("33010629900101123"), "format"),
        ("33010619900307123", "format"),
        ("abc", "format"),
    ],
    "person_name": [("苹果手机", "surname"), ("张", "format"), ("John Smith", "format")],
    "mobile": [("12812345678", "format"), ("1381234567", "format"), ("0571-87654321", "format")],
    "landline": [("87654321", "format"), ("13812345678", "format")],
    "address": [("苹果手机", "format"), ("幸福路12号", "region")],
    "uscc": [(USCC[:-1] + ("0" if USCC[-1] != "0" else "1"), "checksum"), ("9133010", "format")],
    "bank_card": [(CARD[:-1] + str((int(CARD[-1]) + 1) % 10), "checksum"), ("12345", "format")],
    "passport": [("123456789", "format"), ("ABC1234567", "format")],
    "plate_number": [("AB12345", "format"), ("浙I12345", "format")],
    "email": [("not an email", "format"), ("a@b", "format"), ("a..b@example.com", "format")],
    "ip_address": [("256.1.1.1", "range"), ("12:30:00", "range"), ("hello", "format")],
    "coordinates": [("0.1,0.2", "range"), ("120.1", "format")],
    "longitude": [("30.123", "range"), ("120", "format")],
    "latitude": [("60.123", "range")],
    "licence_number": [("JY93301060012345", "format"), ("12345678", "format")],
    "amount": [("abc", "format"), ("1e5", "format")],
    "date": [("2023-02-29", "calendar"), ("2024-13-01", "calendar"), ("hello", "format")],
    "region_code": [("990000", "region"), ("33010", "format")],
}


def test_keys_are_exactly_the_contract() -> None:
    expected = {
        "citizen_id", "person_name", "mobile", "landline", "address", "uscc", "bank_card", "passport",
        "plate_number", "email", "ip_address", "coordinates", "longitude", "latitude", "licence_number",
        "amount", "date", "region_code",
    }
    assert set(VALIDATORS) == expected
    assert set(PATTERNS) == expected


@pytest.mark.parametrize(("key", "value"), [(k, x) for k, xs in VALID.items() for x in xs])
def test_valid_values_pass(key: str, value: str) -> None:
    assert VALIDATORS[key](value) is None


@pytest.mark.parametrize(("key", "value", "reason"), [(k, x, r) for k, xs in INVALID.items() for x, r in xs])
def test_invalid_values_give_their_reason(key: str, value: str, reason: str) -> None:
    assert VALIDATORS[key](value) == reason


def test_patterns_are_re2_and_full_match_valid_values_in_duckdb() -> None:
    con = duckdb.connect()
    for key, values in VALID.items():
        for value in values:
            row = con.execute("SELECT regexp_full_match(?, ?)", [v.normalise(value), PATTERNS[key]]).fetchone()
            assert row is not None and row[0], (key, value)
            assert re.fullmatch(PATTERNS[key], v.normalise(value)), (key, value)  # the same pattern in Python


def test_citizen_id_ignores_the_birth_year_region_check_of_stdnum() -> None:
    # 330110 (余杭区) was created in 2001; stdnum's is_valid rejects someone born there in 1990
    number = make_id("33011019900101123")
    assert not ric.is_valid(number)
    assert v.citizen_id(number) is None
    # an unknown county code is evidence, not a failure
    unknown = make_id("33999919900101123")
    assert v.citizen_id(unknown) is None
    assert not v.citizen_id_region_known(unknown)
    assert v.citizen_id_region_known(XIHU_ID)


def test_citizen_id_facts() -> None:
    facts = v.citizen_id_facts(XIHU_ID)
    assert facts == {"birth_date": "1990-03-07", "gender": "男", "region_code": "330106", "region_known": True}
    assert v.citizen_id_facts(make_id("33010619900307124"))["gender"] == "女"


def test_future_birth_date_is_rejected() -> None:
    assert v.citizen_id(make_id("33010620990101123")) == "birth_date"


def test_surname_table_and_compound_surnames() -> None:
    shares = v.surname_shares()
    assert shares["王"] > shares["楼"] > 0
    assert v.surname_of("欧阳娜娜") == "欧阳"
    assert v.surname_of("诸葛") == "诸"  # two characters: the one-character surname 诸 plus a given name
    assert v.surname_of("苹果") is None


def test_person_name_length_limit() -> None:
    assert v.person_name("阿" * 8 + "·" + "买" * 8) == "format"


def test_validate_reports_empty() -> None:
    assert v.validate("mobile", None) == "empty"
    assert v.validate("mobile", "  ") == "empty"
    assert v.validate("mobile", "13812345678") is None


def test_parse_date_forms() -> None:
    assert str(v.parse_date("2024年3月1日")) == "2024-03-01"
    assert str(v.parse_date("20240301")) == "2024-03-01"
    assert v.parse_date("2024-02-30") is None
