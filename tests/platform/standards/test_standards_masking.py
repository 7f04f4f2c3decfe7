"""Masking rules: Python and SQL give the same text, and the documented examples hold."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digigov.platform.standards import masking, sqlfuncs
from digigov.platform.standards.masking import RULES

KEY = "demo-key"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    sqlfuncs.register(c)
    yield c
    c.close()


def sql_mask(con, rule_id, values):
    """Mask ``values`` in SQL, in order."""
    con.register("mask_input", pa.table({"i": list(range(len(values))), "v": pa.array(values, type=pa.string())}))
    key_sql = masking.sql_literal(KEY) if RULES[rule_id].needs_key else None
    expr = RULES[rule_id].sql('"v"', key_sql)
    rows = con.execute(f"SELECT {expr} FROM mask_input ORDER BY i").fetchall()  # noqa: S608
    con.unregister("mask_input")
    return [r[0] for r in rows]


EXAMPLES = {
    "keep_first6_last4": [("330106199001011234", "330106********1234"), ("33010619900101123X", "330106********123X"),
                          ("1234567890", "**********"), ("12345678901", "123456*8901")],
    "surname_only": [("张三", "张*"), ("欧阳娜娜", "欧阳**"), ("王小明", "王**"), ("欧阳", "欧*"), ("诸葛亮", "诸葛*"),
                     ("诸明", "诸*"), ("张", "张"), ("阿依古丽·买买提", "阿*******")],
    "keep_first3_last4": [("13812345678", "138****5678"), ("1381234", "*******"), ("+8613812345678", "+86*******5678")],
    "to_district": [("浙江省杭州市西湖区文三路100号", "浙江省杭州市西湖区"), ("杭州市上城区解放路1号", "杭州市上城区"),
                    ("浙江省义乌市稠城街道工人北路5号", "浙江省义乌市"), ("宁波市鄞州区首南街道", "宁波市鄞州区"),
                    ("浙江省温州市苍南县灵溪镇", "浙江省温州市苍南县"), ("上海市浦东新区世纪大道", "上海市浦东新区"),
                    ("浙江省温州市苍南县灵溪镇工业区", "浙江省温州市苍南县"), ("杭州市某某小区3幢", "杭州市"),
                    ("建德市新安江街道白沙社区", "建德市"), ("文三路100号2幢", "文三路100***"), ("文三路", "文***")],
    "last4": [("6222021234567891234", "***************1234"), ("1234", "****"), ("12345", "*2345")],
    "keep_first1_last3": [("E12345678", "E*****678"), ("G1234", "G*234"), ("E123", "****")],
    "plate": [("浙A12345", "浙A****5"), ("浙AD12345", "浙A*****5"), ("浙A1", "***")],
    "email": [("zhangsan@example.com", "z***@example.com"), ("a@b.cn", "a***@b.cn"), ("@x.com", "******"),
              ("not-an-email", "******")],
    "ip_prefix": [("10.1.23.45", "10.1.*.*"), ("2001:db8:85a3::8a2e:370:7334", "2001:db8:*"), ("localhost", "******")],
    "area_code_only": [("0571-88888888", "0571-********"), ("010-12345678", "010-********"),
                       ("(0571)8888888", "0571-*******"), ("057188888888", "0571-********"), ("88888888", "******")],
    "year_only": [("1990-05-17", "1990"), ("19900517", "1990"), ("5月17日", "******")],
    "round_2": [("120.15507,30.27408", "120.16,30.27"), ("120.155,30.275", "120.16,30.28"), ("120.1", "120.10"),
                ("-0.001", "0.00"), ("120.15507，30.27408", "120.16,30.27"), ("north", "******")],
    "redact": [("高血压", "******"), ("x", "******")],
}


def test_every_rule_has_examples():
    assert set(EXAMPLES) | {"pseudonym"} == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_examples_in_python_and_sql(con, rule_id):
    raw = [r for r, _ in EXAMPLES[rule_id]] + [None, ""]
    expected = [m for _, m in EXAMPLES[rule_id]] + [None, ""]
    assert [RULES[rule_id].python(v) for v in raw] == expected
    assert sql_mask(con, rule_id, raw) == expected


def test_rule_examples_of_the_catalogue_hold():
    for rule in RULES.values():
        if not rule.needs_key:
            assert rule.python(rule.example[0]) == rule.example[1], rule.id


def test_pseudonym_is_keyed_and_stable(con):
    rule = RULES["pseudonym"]
    a = rule.python("张三", KEY)
    assert a == rule.python("张三", KEY) and len(a) == 64
    assert a != rule.python("张三", "other-key") and a != rule.python("李四", KEY)
    assert sql_mask(con, "pseudonym", ["张三", None]) == [a, None]
    with pytest.raises(ValueError, match="needs a key"):
        rule.python("张三")
    with pytest.raises(ValueError, match="needs a key"):
        rule.sql('"v"')


def test_sql_masks_non_text_columns(con):
    year = RULES["year_only"].sql("DATE '1990-05-17'")
    assert con.execute(f"SELECT {year}").fetchall() == [("1990",)]
    card = RULES["last4"].sql("6222021234567891234::BIGINT")
    assert con.execute(f"SELECT {card}").fetchall() == [("***************1234",)]
    assert RULES["year_only"].python(dt.date(1990, 5, 17)) == "1990"


def test_compound_surnames_come_from_the_shared_table():
    compounds = masking.compound_surnames()
    assert {"欧阳", "司马", "诸葛", "上官"} <= set(compounds)
    assert all(len(c) == 2 for c in compounds)


TEXT = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=24)
SHAPED = st.one_of(
    TEXT,
    st.text(alphabet="0123456789-.:,，@()abcXYZ 浙A省市区县路号欧阳张小社", max_size=24),
    st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,3}\.[0-9]{1,12},-?[0-9]{1,2}\.[0-9]{1,12}", fullmatch=True),
)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(SHAPED, min_size=1, max_size=30))
def test_python_and_sql_agree_on_any_text(con, values):
    for rule_id in RULES:
        key = KEY if RULES[rule_id].needs_key else None
        assert sql_mask(con, rule_id, values) == [RULES[rule_id].python(v, key) for v in values], rule_id
