"""Whatever comes in, rows in = accepted + quarantined, and every quarantined row says why."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from digigov.platform.ingest import clean, readers

HEADERS = ["身份证号", "手机", "日期", "金额", "姓名", "备注"]
MAPPING = {"身份证号": "citizen_id", "手机": "mobile", "日期": "date", "金额": "amount", "姓名": "person_name",
           "备注": None}


def valid_id(n: int) -> str:
    body = f"330106{1950 + n % 60}0{1 + n % 9}1{n % 9}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


cell = st.one_of(
    st.just(""), st.text(max_size=12), st.builds(valid_id, st.integers(0, 10_000)),
    st.sampled_from(["13812345678", "１３８１２３４５６７８", "12345", "2021年8月5日", "2021/2/30", "44413",
                     "12.5万元", "1,234.50", "abc元", "张三", "陳六", "x" * 70_000, '"', "a,b", "line\nbreak"]),
)
row = st.lists(cell, min_size=4, max_size=8)  # sometimes ragged: fewer or more fields than the header


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=25), st.booleans())
def test_counts_balance_for_any_file(rows: list[list[str]], gbk: bool) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    w.writerows(rows)
    text = buf.getvalue()
    encoding = "gbk" if gbk else "utf-8"
    data = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        con = duckdb.connect()
        for schema in ("raw", "clean", "quarantine"):
            con.execute(f"CREATE SCHEMA {schema}")
        try:
            info = readers.read_into(con, path, "raw.f", temp_dir=Path(tmp))
        except readers.FileRefused:
            return  # a refused file is a clear error, not a partial load
        rejects = None
        if info.rejects:
            con.execute("CREATE TABLE raw.rj (record BIGINT, reason VARCHAR, detail VARCHAR, raw VARCHAR)")
            con.executemany("INSERT INTO raw.rj VALUES (?, ?, ?, ?)",
                            [[r.record, r.reason, r.detail, r.raw] for r in info.rejects])
            rejects = "raw.rj"
        result = clean.clean(con, "raw.f", "clean.f", "quarantine.f", columns=info.columns, headers=info.headers,
                             mapping={c: MAPPING.get(h) for c, h in zip(info.columns, info.headers, strict=True)},
                             rejects_table=rejects, max_chars=65_536)
        assert result.accepted + result.quarantined == info.rows_in
        reasons = con.execute("SELECT count(*) FROM quarantine.f WHERE _reason IS NULL OR _reason = ''").fetchone()
        assert reasons == (0,)
        records = con.execute("SELECT _record FROM clean.f UNION ALL SELECT _record FROM quarantine.f").fetchall()
        assert sorted(r[0] for r in records) == list(range(1, info.rows_in + 1))  # each record exactly once
