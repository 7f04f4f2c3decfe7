"""The content scan on generated columns: precision and recall per type, look-alikes, typos, names."""

from __future__ import annotations

import random
from collections import Counter

import duckdb
import pyarrow as pa
import pytest
from stdnum import luhn
from stdnum.cn import ric, uscc

from digigov.platform.classify.detect import label_cells, mask, match_sql, scan_table, scan_values, types
from digigov.platform.standards.validators import VALIDATORS, surname_shares, zhejiang_region_codes

SEED = 20240601
N = 400
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌宇浩凯鹏晨婷雪琳欣怡子涵梓轩一诺"
PRODUCTS = [
    "金华火腿", "高压锅", "白酒", "马克杯", "石榴", "方便面", "龙井茶", "万用表", "江米条", "黄酒", "毛巾", "钱包",
    "何首乌", "罗汉果", "史记", "林檎", "叶酸片", "程序", "田螺", "石斑鱼", "金针菇", "雷达", "龙虾", "白糖",
    "高粱", "方糖", "江豆", "黄瓜", "余额宝", "洪水", "江南布衣", "金刚石", "石膏", "白菜", "宋锦", "梁柱",
]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOBILE_PREFIXES = [*(f"13{d}" for d in range(10)), "150", "151", "152", "153", "155", "156", "157", "158", "159",
                   *(f"18{d}" for d in range(10)), "177", "199", "166"]
# area code -> digits of a local number (湖州, 衢州, 丽水 and 舟山 still have 7-digit numbers)
AREA_CODES = {"0571": 8, "0574": 8, "0577": 8, "0573": 8, "0575": 8, "0579": 8, "0576": 8, "0578": 7, "0570": 7,
              "0572": 7, "0580": 7}


def counties() -> list[str]:
    return sorted(c for c in zhejiang_region_codes() if not c.endswith("00"))


def digits(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(n))


def gen_id(r: random.Random) -> str:
    body = f"{r.choice(counties())}{r.randint(1940, 2010)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{digits(r, 3)}"
    return body + ric.calc_check_digit(body + "0")


def gen_name(r: random.Random) -> str:
    shares = surname_shares()
    surname = r.choices(list(shares), weights=list(shares.values()))[0]
    return surname + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))


def gen_mobile(r: random.Random) -> str:
    return r.choice(MOBILE_PREFIXES) + digits(r, 8)


def gen_landline(r: random.Random) -> str:
    area = r.choice(list(AREA_CODES))
    return f"{area}{r.choice(('-', ''))}{r.choice('2345678')}{digits(r, AREA_CODES[area] - 1)}"


def gen_uscc(r: random.Random) -> str:
    body = "91" + r.choice(counties()) + "".join(r.choice(ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body + "0")


def gen_card(r: random.Random) -> str:
    body = r.choice(("622202", "621700", "622848", "436742")) + digits(r, r.choice((9, 12)))
    return body + luhn.calc_check_digit(body)


def typo(r: random.Random, key: str, value: str) -> str:
    """Change one character until the validator rejects the value."""
    while True:
        at = r.randrange(len(value))
        wrong = value[:at] + r.choice("0123456789") + value[at + 1 :]
        if VALIDATORS[key](wrong) is not None:
            return wrong


GENERATORS = {
    "citizen_id": gen_id,
    "person_name": gen_name,
    "mobile": gen_mobile,
    "landline": gen_landline,
    "uscc": gen_uscc,
    "bank_card": gen_card,
    "email": lambda r: f"user{r.randint(1, 99999)}@{r.choice(('zj.gov.cn', 'example.com', '163.com'))}",
    "ip_address": lambda r: ".".join(str(r.randint(1, 254)) for _ in range(4)),
    "plate_number": lambda r: "浙" + r.choice("ABCDEFGHJ") + "".join(r.choices("0123456789ABCDEFGHJK", k=5)),
    "date": lambda r: f"{r.randint(1990, 2024)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "coordinates": lambda r: f"{r.uniform(118, 123):.6f},{r.uniform(27, 31.2):.6f}",
    "address": lambda r: (
        f"浙江省杭州市{r.choice(('西湖区', '上城区', '临平区'))}{r.choice('文三学院教工')}路{r.randint(1, 500)}号"
    ),
}
DECOYS = {
    "order_no": lambda r: "2024" + digits(r, 14),
    "card_lookalike": lambda r: "62" + digits(r, r.choice((14, 17))),
    "product": lambda r: r.choice(PRODUCTS) + r.choice(("", "", "王", "礼盒")),
    "random_digits": lambda r: digits(r, r.choice((8, 11, 12, 15, 18))),
    "bad_ids": lambda r: typo(r, "citizen_id", gen_id(r)),
}
CHECKSUM_TYPES = ("citizen_id", "uscc", "bank_card", "mobile", "landline")


def build_table() -> tuple[duckdb.DuckDBPyConnection, dict[str, list[str | None]]]:
    """One column per type and per decoy; 5 % of each type column is noise (empty or free text)."""
    r = random.Random(SEED)
    data: dict[str, list[str | None]] = {}
    truth: dict[str, list[str | None]] = {}
    for key, gen in GENERATORS.items():
        values: list[str | None] = []
        labels: list[str | None] = []
        for _ in range(N):
            roll = r.random()
            if roll < 0.03:
                values.append(r.choice((None, "", "无", "见附件", "不详")))
                labels.append(None)
            else:
                values.append(gen(r))
                labels.append(key)
        data[key], truth[key] = values, labels
    for key, gen in DECOYS.items():
        data[key] = [gen(r) for _ in range(N)]
        truth[key] = [None] * N
    con = duckdb.connect()
    con.register("src", pa.table({k: pa.array(v, pa.string()) for k, v in data.items()}))
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    return con, truth


@pytest.fixture(scope="module")
def table() -> tuple[duckdb.DuckDBPyConnection, dict[str, list[str | None]]]:
    return build_table()


def test_every_type_column_is_recognised_and_decoys_are_not(table) -> None:
    con, _ = table
    scans = scan_table(con, "t")
    for key in GENERATORS:
        assert scans[key].best == key, (key, scans[key])
        assert scans[key].rate(key) >= 0.95
    assert sum(scans[key].non_empty for key in GENERATORS) < N * len(GENERATORS)  # placeholders do not count
    for key in DECOYS:
        assert scans[key].best is None, (key, scans[key])
    assert "bank_card" in scans["card_lookalike"].coincidental
    assert scans["product"].notes  # name-shaped, but the surnames are not distributed like a population's


def test_cell_precision_and_recall_per_type(table) -> None:
    con, truth = table
    scans = scan_table(con, "t")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for column, expected in truth.items():
        got = label_cells(con, "t", column, scan=scans[column])
        for want, have in zip(expected, got, strict=True):
            if have is not None and have == want:
                tp[have] += 1
            else:
                if have is not None:
                    fp[have] += 1
                if want is not None:
                    fn[want] += 1
    for key in GENERATORS:
        precision = tp[key] / max(1, tp[key] + fp[key])
        recall = tp[key] / max(1, tp[key] + fn[key])
        floor = 0.95 if key in CHECKSUM_TYPES else 0.9
        assert precision >= floor and recall >= floor, (key, precision, recall, fp[key], fn[key])


def test_cell_labels_without_context_are_fooled_by_lookalikes(table) -> None:
    con, _ = table
    alone = label_cells(con, "t", "card_lookalike", context=False)
    assert 0 < alone.count("bank_card") < N * 0.2  # Luhn passes one time in ten by chance
    assert label_cells(con, "t", "card_lookalike").count("bank_card") == 0
    assert label_cells(con, "t", "product", context=False).count("person_name") > 0
    assert label_cells(con, "t", "product").count("person_name") == 0


def test_udf_and_distinct_methods_agree(table) -> None:
    con, _ = table
    for column in ("citizen_id", "address", "bad_ids", "person_name"):
        assert label_cells(con, "t", column, method="udf") == label_cells(con, "t", column)


def test_ids_with_typos_are_still_citizen_ids() -> None:
    r = random.Random(7)
    values = [gen_id(r) for _ in range(1000)]
    for i in r.sample(range(1000), 30):
        values[i] = typo(r, "citizen_id", values[i])
    scan = scan_values(values, "zjhm")
    assert scan.best == "citizen_id"
    assert scan.hits[0].valid == 970 and scan.hits[0].matched >= 970
    assert scan.hits[0].why.startswith("970/1,000 个值符合18位身份证格式且校验位正确")


def test_names_with_and_without_header() -> None:
    r = random.Random(3)
    names = [gen_name(r) for _ in range(300)]
    assert scan_values(names, "姓名").best == "person_name"
    assert scan_values(names, "col_7").best == "person_name"
    products = [r.choice(PRODUCTS) for _ in range(300)]
    scan = scan_values(products, "品名")
    assert scan.best is None and scan.rate("person_name") == 0
    # a handful of names repeated over many rows: rejected without a header, accepted with one
    few = [r.choice(["陈建国", "王芳", "李娜"]) for _ in range(1000)]
    assert scan_values(few, "x").best is None
    assert scan_values(few, "联系人").best == "person_name"
    con = duckdb.connect()
    con.register("src", pa.table({"c3": few}))
    assert scan_table(con, "src")["c3"].best is None
    assert scan_table(con, "src", headers={"c3": "联系人"})["c3"].best == "person_name"


def test_medical_financial_enterprise_and_region_columns() -> None:
    assert scan_values(["高血压", "2型糖尿病", "冠心病", "I10", "E11.9"] * 20).best == "diagnosis"
    fin = scan_values(["账户余额不足", "贷款逾期", "转账交易", "信用卡还款"] * 20)
    assert fin.best == "financial"
    firms = ["杭州某某科技有限公司", "宁波港五金厂", "临安山核桃专业合作社", "西湖区社区卫生服务中心"] * 10
    assert scan_values(firms).best == "enterprise_name"
    assert scan_values(["330106", "330102", "330212", "331082"] * 10).best == "region_code"
    assert scan_values([f"{n:06d}" for n in random.Random(1).sample(range(10**6), 200)]).best is None


def test_full_width_values_and_placeholders_are_normalised() -> None:
    scan = scan_values(["１３８１２３４５６７８", " 13912345678 ", "无", "-", None])
    assert scan.non_empty == 2 and scan.rows == 5
    assert scan.best == "mobile"


def test_evidence_is_masked() -> None:
    r = random.Random(5)
    values = [gen_id(r) for _ in range(50)]
    hit = scan_values(values).hits[0]
    assert 1 <= len(hit.evidence) <= 3
    for shown in hit.evidence:
        assert shown not in values and shown[3:-2] == "*" * 13
    assert mask("张伟") == "张*"
    assert mask("13812345678") == "138******78"


def test_sampling_and_bounded_distinct_values() -> None:
    r = random.Random(11)
    con = duckdb.connect()
    con.register("src", pa.table({"phone": [gen_mobile(r) for _ in range(5000)]}))
    con.execute("CREATE TABLE p AS SELECT * FROM src")
    sampled = scan_table(con, "p", sample_rows=500)["phone"]
    assert sampled.rows == 500 and sampled.best == "mobile"
    bounded = scan_table(con, "p", max_distinct=300)["phone"]
    assert bounded.best == "mobile" and bounded.hits[0].valid == bounded.non_empty
    assert "抽样推算" in bounded.hits[0].why


def test_free_text_column_with_a_few_phone_numbers() -> None:
    values = ["请尽快处理", "已电话联系", "13812345678", "客户不在家", "0571-87654321"] * 4
    scan = scan_values(values, "备注")
    assert scan.best is None
    con = duckdb.connect()
    con.register("src", pa.table({"备注": values}))
    labels = label_cells(con, "src", "备注")
    assert labels.count("mobile") == 4 and labels.count("landline") == 4


def test_gates_never_reject_a_pattern_match(table) -> None:
    con, _ = table
    extra = ["+86 138-1234-5678", "(0571)87654321-8001", "2001:db8::1", "120.1，30.2", "沪B·8K2M3", "2024年3月1日",
             "EA1234567", "JY13301060012345", "-135.123", "¥1,234.50元", "买买提·艾力", "I10", "E11.9"]
    con.register("extra", pa.table({"v": extra}))
    for column in [*GENERATORS, *DECOYS, "extra"]:
        source = "extra" if column == "extra" else "t"
        name = "v" if column == "extra" else column
        for kind in types():
            plain = f"count_if(regexp_full_match(\"{name}\", '{kind.pattern.replace(chr(39), chr(39) * 2)}'))"
            gated = f"count_if({match_sql(chr(34) + name + chr(34), kind)})"
            row = con.execute(f"SELECT {plain}, {gated} FROM {source}").fetchall()[0]
            assert row[0] == row[1], (column, kind.id)
