"""The reading stage on XLSX, JSON, NDJSON and Parquet files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reader_helpers import load

from digigov.platform.ingest import jsonfiles
from digigov.platform.ingest.readers import FileRefused, read_into
from digigov.platform.ingest.structured import cell_text, number_text


def refuse(con: duckdb.DuckDBPyConnection, path: Path, **kw: object) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        read_into(con, path, "staging.refused", **kw)  # type: ignore[arg-type]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'refused'").fetchall() == [(0,)]
    return caught.value


# ---------------------------------------------------------------------------------------------- XLSX


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人口"
    ws.append(["姓名", "出生日期", "登记时间", "人数", "金额", "序列号", "在册", "备注"])
    ws.append(["张三", dt.date(1990, 1, 5), dt.datetime(2024, 1, 5, 8, 30), 3, 1.5, 45292, True, None])
    ws.append(["李四", dt.datetime(1985, 12, 31), None, 3.0, 0.1 + 0.2, None, False, ""])
    ws.append([None] * 8)  # an empty row is not a record
    ws.append(["王五", None, dt.time(8, 30), 1234567890123, 1e20, 12.0, None, "含\n换行"])
    ws.append(["赵六", None, None, None, None, None, None, None, None, "stray"])
    second = wb.create_sheet("第二页")
    second.append(["a", "b"])
    second.append([1, "x"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_xlsx_first_sheet(con, workbook):
    info, rows = load(con, workbook)
    assert info.format == "xlsx" and info.encoding is None and info.delimiter is None and info.sheet == "人口"
    assert info.headers == ["姓名", "出生日期", "登记时间", "人数", "金额", "序列号", "在册", "备注"]
    assert rows == [
        (1, "张三", "1990-01-05", "2024-01-05T08:30:00", "3", "1.5", "45292", "true", None),
        (2, "李四", "1985-12-31", None, "3", "0.3", None, "false", None),
        (3, "王五", None, "08:30:00", "1234567890123", "100000000000000000000", "12", None, "含\n换行"),
    ]
    assert [(r.record, r.reason) for r in info.rejects] == [(4, "too_many_columns")]
    assert "row 6 of sheet 人口" in info.rejects[0].detail and "stray" in info.rejects[0].raw


def test_xlsx_named_sheet(con, workbook):
    info, rows = load(con, workbook, sheet="第二页")
    assert info.sheet == "第二页" and rows == [(1, "1", "x")]


def test_xlsx_missing_sheet(con, workbook):
    exc = refuse(con, workbook, sheet="不存在")
    assert exc.reason == "no_such_sheet" and "人口" in exc.message and "第二页" in exc.message


def test_xlsx_header_below_empty_rows_and_empty_header_cells(con, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])
    ws.append([None, None])
    ws.append(["编号", None, "名称", None])
    ws.append([1, 2, 3])
    path = tmp_path / "b.xlsx"
    wb.save(path)
    info, rows = load(con, path)
    assert info.headers == ["编号", "", "名称"] and info.columns == ["编号", "column_2", "名称"]
    assert rows == [(1, "1", "2", "3")]


def test_xlsx_header_only_and_empty(con, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    path = tmp_path / "h.xlsx"
    wb.save(path)
    assert refuse(con, path).reason == "header_only"
    empty = tmp_path / "e.xlsx"
    openpyxl.Workbook().save(empty)
    assert refuse(con, empty).reason == "no_header"


def test_xlsx_duplicate_headers(con, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话", "姓名"])
    wb.active.append([1, 2, 3])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    exc = refuse(con, path)
    assert exc.reason == "duplicate_header" and exc.detail == {"name": "姓名", "first": 1, "second": 3}


def test_xlsx_that_is_damaged(con, tmp_path, workbook):
    data = workbook.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert refuse(con, path).reason in ("unreadable_xlsx", "binary")


@pytest.mark.parametrize(("value", "text"), [
    (3, "3"), (3.0, "3"), (-2.0, "-2"), (1.5, "1.5"), (0.1 + 0.2, "0.3"), (1e20, "100000000000000000000"),
    (1.23e-9, "1.23e-09"), (123456789012345678.0, "123456789012346000"), (True, "true"), ("", None),
    (dt.datetime(2024, 2, 29), "2024-02-29"), (dt.datetime(2024, 2, 29, 23, 59, 1), "2024-02-29T23:59:01"),
    (dt.timedelta(hours=30, minutes=5), "30:05:00"), ("#N/A", "#N/A"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_number_text_is_what_excel_shows():
    assert number_text(45292.0) == "45292" and number_text(999999999999999.0) == "999999999999999"
    assert number_text(float(2**52)) == "4503599627370500"  # Excel keeps 15 significant digits


# ---------------------------------------------------------------------------------------------- JSON


def test_json_array(con, tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"姓名": "张三", "年龄": 30, "金额": 1.10, "标签": ["a", 1], "住址": {"市": "杭州"}},\n'
                    ' {"姓名": "李四", "在册": true, "备注": null, "空": ""},\n'
                    ' [1, 2], "text", {"年龄": 12345678901234567890}]', encoding="utf-8")
    info, rows = load(con, path)
    assert info.format == "json" and info.encoding == "utf-8"
    assert info.headers == ["姓名", "年龄", "金额", "标签", "住址", "在册", "备注", "空"]
    assert rows == [
        (1, "张三", "30", "1.10", '["a",1]', '{"市":"杭州"}', None, None, None),
        (2, "李四", None, None, None, None, "true", None, None),
        (5, None, "12345678901234567890", None, None, None, None, None, None),
    ]
    assert [(r.record, r.reason, r.raw) for r in info.rejects] == [
        (3, "not_an_object", "[1, 2]"), (4, "not_an_object", '"text"')]
    assert info.rejects[0].detail == "line 3: expected an object, found an array"


def test_json_object_holding_an_array(con, tmp_path):
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"code": 0, "msg": "ok", "columns": ["a", "b"],
                                "data": {"total": 2, "rows": [{"a": 1}, {"b": "x"}]}}), encoding="utf-8")
    info, rows = load(con, path)
    assert rows == [(1, "1", None), (2, None, "x")]


def test_json_shapes_that_are_refused(con, tmp_path):
    cases = {
        "two.json": ({"a": [{"x": 1}], "b": [{"y": 2}]}, "json_shape"),
        "none.json": ({"a": 1, "b": [1, 2]}, "json_shape"),
        "scalar.json": (42, "json_shape"),
        "empty.json": ([], "no_records"),
        "emptydata.json": ({"data": []}, "no_records"),
    }
    for name, (doc, reason) in cases.items():
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        assert refuse(con, path).reason == reason, name


@pytest.mark.parametrize(("text", "line"), [
    ('[{"a": 1},\n {"a": 2,}\n]', 2),
    ('[{"a": 1},\n {"a": 2}', 2),
    ('[{"a": 1}] trailing', 1),
    ('{"data": [{"a": 1}], "x": }', 1),
])
def test_malformed_json_is_refused_with_its_place(con, tmp_path, text, line):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    exc = refuse(con, path)
    assert exc.reason == "invalid_json" and exc.detail["line"] == line and f"line {line}" in exc.message


def test_json_elements_across_reads(con, tmp_path, monkeypatch):
    monkeypatch.setattr(jsonfiles, "_READ_CHARS", 7)
    records = [{"id": i, "名": "张" * (i % 13), "n": i * 1.25, "deep": {"x": [i, {"y": None}]}} for i in range(300)]
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"data": records}, ensure_ascii=False, indent=1), encoding="utf-8")
    info, rows = load(con, path)
    assert info.rows_in == 300
    assert rows[123] == (124, "123", "张" * (123 % 13) or None, "153.75", '{"x":[123,{"y":null}]}')


def test_json_in_gbk(con, tmp_path):
    path = tmp_path / "g.json"
    path.write_bytes(json.dumps([{"姓名": "张三"}], ensure_ascii=False).encode("gbk"))
    info, rows = load(con, path)
    assert info.encoding == "gbk" and rows == [(1, "张三")]


def test_json_keys_differing_in_case(con, tmp_path):
    path = tmp_path / "c.json"
    path.write_text('[{"Name": 1}, {"name": 2}]', encoding="utf-8")
    assert refuse(con, path).reason == "duplicate_header"


# ---------------------------------------------------------------------------------------------- NDJSON


def test_ndjson_with_a_bad_line(con, tmp_path):
    path = tmp_path / "e.ndjson"
    path.write_text('{"a": 1, "b": "x"}\n\n{"a": 2,\n[1]\n{"b": {"c": [1.0]}}\r\n', encoding="utf-8")
    info, rows = load(con, path)
    assert info.format == "ndjson" and info.headers == ["a", "b"]
    assert rows == [(1, "1", "x"), (4, None, '{"c":[1.0]}')]
    assert [(r.record, r.reason, r.raw) for r in info.rejects] == [
        (2, "invalid_json", '{"a": 2,'), (3, "not_an_object", "[1]")]
    assert info.rejects[0].detail.startswith("line 3, column 9:")


def test_ndjson_in_a_json_file_and_bad_bytes(con, tmp_path):
    path = tmp_path / "lines.json"
    path.write_bytes(b'{"a": "\xe4\xbd\xa0"}\n{"a": "\xff"}\n{"a": "ok"}\n')
    info, rows = load(con, path)
    assert info.format == "ndjson"
    assert rows == [(1, "你"), (3, "ok")]
    assert [(r.record, r.reason) for r in info.rejects] == [(2, "undecodable")]


def test_ndjson_with_only_blank_lines(con, tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text("\n \n", encoding="utf-8")
    assert refuse(con, path).reason == "blank"


# ---------------------------------------------------------------------------------------------- Parquet


def test_parquet(con, tmp_path):
    table = pa.table({
        "编号": pa.array([1, 2, None], pa.int64()),
        "金额": [1.5, 2.0, None],
        "名称": ["甲", "", None],
        "标签": [[1, 2], None, []],
        "住址": [{"市": "杭州"}, None, {"市": "宁波"}],
        "日期": [dt.date(2024, 1, 5), None, dt.date(2024, 2, 29)],
        "在册": [True, False, None],
    })
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    info, rows = load(con, path)
    assert info.format == "parquet" and info.encoding is None and info.headers == list(table.column_names)
    assert rows == [
        (1, "1", "1.5", "甲", "[1,2]", '{"市":"杭州"}', "2024-01-05", "true"),
        (2, "2", "2.0", None, None, None, None, "false"),
        (3, None, None, None, "[]", '{"市":"宁波"}', "2024-02-29", None),
    ]


def test_parquet_damaged_and_empty(con, tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + bytes(100) + b"PAR1")
    assert refuse(con, path).reason == "unreadable_parquet"
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), empty)
    assert refuse(con, empty).reason == "header_only"
