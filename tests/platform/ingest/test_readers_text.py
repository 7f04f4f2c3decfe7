"""The reading stage on well-formed delimited text: every encoding it detects, the dialect it sniffs,
headers, values, record numbers, progress and the file's fingerprint."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from reader_helpers import load

from digigov.platform.ingest import encoding
from digigov.platform.ingest.readers import read_into

HEADERS = ["编号", "姓名", "身份证号", "地址", "备注"]
ROWS = [
    ["1", "张三", "330106199001011234", "浙江省杭州市西湖区文三路 100 号", "含逗号, 和“引号”"],
    ["2", "李四", "33010619900101123X", "宁波市鄞州区", ""],
    ["3", "王五", "", "温州市\n鹿城区", '他说 "好"'],
]



def write_csv(rows: list[list[str]], delimiter: str = ",", terminator: str = "\n") -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    w.writerows(rows)
    return out.getvalue()


def expected(rows: list[list[str]]) -> list[tuple]:
    return [(i, *[v or None for v in row]) for i, row in enumerate(rows, start=1)]


@pytest.mark.parametrize("delimiter", [",", "\t"])
@pytest.mark.parametrize(("codec", "reported"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gbk"), ("gb18030", "gb18030"),
])
def test_every_encoding_and_delimiter(con, tmp_path, codec, reported, delimiter):
    rows = [list(r) for r in ROWS]
    if codec == "gb18030":  # characters GBK does not have: detection must say gb18030, not gbk
        rows[1][4] = "𠮷䶮"
    text = write_csv([HEADERS, *rows], delimiter)
    path = tmp_path / ("data.tsv" if delimiter == "\t" else "data.csv")
    path.write_bytes(text.encode(codec))
    info, staged = load(con, path)
    assert info.encoding == reported
    assert info.delimiter == delimiter
    assert info.format == ("tsv" if delimiter == "\t" else "csv")
    assert info.headers == HEADERS and info.columns == HEADERS
    assert staged == expected(rows)
    assert info.rows_in == 3 and info.rejects == []
    assert info.bytes == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    types = con.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'staging' "
                        "ORDER BY ordinal_position").fetchall()
    assert types[0] == ("BIGINT",) and set(types[1:]) == {("VARCHAR",)}


@pytest.mark.parametrize("delimiter", [";", "|"])
def test_other_delimiters_are_sniffed(con, tmp_path, delimiter):
    path = tmp_path / "semi.csv"
    path.write_text(write_csv([HEADERS, *ROWS], delimiter), encoding="utf-8")
    info, staged = load(con, path)
    assert info.delimiter == delimiter
    assert staged == expected(ROWS)


def test_semicolon_file_with_decimal_commas(con, tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("名称;金额;比例\n甲;1,5;0,25\n乙;2,75;0,5\n", encoding="utf-8")
    info, staged = load(con, path)
    assert info.delimiter == ";"
    assert staged == [(1, "甲", "1,5", "0,25"), (2, "乙", "2,75", "0,5")]


def test_excel_sep_hint_line(con, tmp_path):
    path = tmp_path / "hint.csv"
    path.write_text("sep=|\na|b\n1|2\n", encoding="utf-8")
    info, staged = load(con, path)
    assert info.delimiter == "|" and info.headers == ["a", "b"]
    assert staged == [(1, "1", "2")]


def test_crlf_and_a_trailing_empty_line(con, tmp_path):
    path = tmp_path / "win.csv"
    path.write_bytes((write_csv([HEADERS, *ROWS], terminator="\r\n") + "\r\n").encode("gbk"))
    info, staged = load(con, path)
    assert [r[1:3] for r in staged] == [("1", "张三"), ("2", "李四"), ("3", "王五")]
    assert info.rows_in == 3


def test_utf8_crlf_keeps_line_breaks_inside_values(con, tmp_path):
    path = tmp_path / "win8.csv"
    path.write_bytes(write_csv([["a", "b"], ["1", "x\r\ny"], ["2", "z"]], terminator="\r\n").encode())
    _, staged = load(con, path)
    assert staged == [(1, "1", "x\r\ny"), (2, "2", "z")]


def test_utf16_unicode_text_from_excel(con, tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(write_csv([HEADERS, *ROWS], "\t", "\r\n").encode("utf-16"))
    info, staged = load(con, path)
    assert info.encoding == "utf-16" and info.format == "tsv"
    assert [r[2] for r in staged] == ["张三", "李四", "王五"]


def test_empty_values_are_null_and_spaces_are_kept(con, tmp_path):
    path = tmp_path / "nulls.csv"
    path.write_text('a,b,c\n,"", \n', encoding="utf-8")
    _, staged = load(con, path)
    assert staged == [(1, None, None, " ")]


def test_headers_are_trimmed_and_empty_ones_named(con, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(" 姓名 ,,_record,column_2\n1,2,3,4\n", encoding="utf-8")
    info, staged = load(con, path)
    assert info.headers == ["姓名", "", "_record", "column_2"]
    assert info.columns == ["姓名", "column_2_2", "column_3", "column_2"]
    assert staged == [(1, "1", "2", "3", "4")]


def test_multi_line_header_and_values(con, tmp_path):
    path = tmp_path / "ml.csv"
    path.write_text('"名\n称",b\n"x\ny\nz",2\n3,4\n', encoding="utf-8")
    info, staged = load(con, path)
    assert info.headers == ["名\n称", "b"]
    assert staged == [(1, "x\ny\nz", "2"), (2, "3", "4")]


def test_single_column_txt(con, tmp_path):
    path = tmp_path / "ids.txt"
    path.write_text("身份证号\n330106199001011234\n33010619900101123X\n", encoding="utf-8")
    info, staged = load(con, path)
    assert info.format == "csv" and info.columns == ["身份证号"]
    assert [r[1] for r in staged] == ["330106199001011234", "33010619900101123X"]


def test_unknown_extension_with_delimited_content(con, tmp_path):
    path = tmp_path / "export.dat"
    path.write_text("a\tb\n1\t2\n", encoding="utf-8")
    info, _ = load(con, path)
    assert info.format == "tsv"


def test_ascii_head_then_gbk_far_down_is_detected(con, tmp_path):
    head = "id,name\n" + "".join(f"{i},ascii\n" for i in range(200_000))  # > 1 MB of plain ASCII
    path = tmp_path / "late.csv"
    path.write_bytes((head + "200000,张三\n").encode("gbk"))
    info, staged = load(con, path)
    assert info.encoding == "gbk"
    assert staged[-1] == (200_001, "200000", "张三")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7])
def test_gbk_character_split_across_transcoding_chunks(con, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    text = "a名,b\n张三丰,𠮷\n李,四\n"
    path = tmp_path / "split.csv"
    path.write_bytes(text.encode("gb18030"))
    info, staged = load(con, path)
    assert info.encoding == "gb18030"
    assert staged == [(1, "张三丰", "𠮷"), (2, "李", "四")]


def test_transcode_is_exact_for_every_chunk_size(tmp_path):
    text = "表头,列\r\n" + "".join(f"张三{i},“值”{i}\r\n" for i in range(50))
    src = tmp_path / "g.csv"
    src.write_bytes(text.encode("gbk"))
    for size in range(1, 12):
        out = tmp_path / f"out{size}.csv"
        lines = encoding.transcode(src, out, "gb18030", escape='"', on_fraction=lambda f: None, chunk_size=size)
        assert out.read_bytes().decode("utf-8") == text
        assert lines.newlines == 51 and lines.physical == 51


def test_progress_is_monotonic_and_ends_at_total(con, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(write_csv([HEADERS, *ROWS * 2000]), encoding="utf-8")
    seen: list[tuple[int, int]] = []
    query = "SELECT current_setting('enable_progress_bar'), current_setting('progress_bar_time')"
    before = con.execute(query).fetchall()
    load(con, path, progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert seen and seen[-1] == (size, size)
    assert all(b[0] >= a[0] and b[1] == size for a, b in zip(seen, seen[1:], strict=False))
    assert con.execute(query).fetchall() == before  # DuckDB's settings are put back


def test_quoted_table_name_and_new_schema(con, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    info = read_into(con, path, 'raw."ps_household__l1"')
    assert info.rows_in == 1
    assert con.execute('SELECT * FROM raw."ps_household__l1"').fetchall() == [(1, "1")]


def test_an_existing_table_is_not_replaced(con, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    con.execute("CREATE TABLE keep (x INTEGER)")
    with pytest.raises(ValueError, match="exists"):
        read_into(con, path, "keep")
    with pytest.raises(ValueError, match="not a table name"):
        read_into(con, path, "x; DROP TABLE keep")
    assert con.execute("SELECT count(*) FROM keep").fetchall() == [(0,)]


def test_transcoded_copy_goes_to_temp_dir_and_is_removed(con, tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes("a,b\n张,三\n".encode("gbk"))
    temp = tmp_path / "warehouse.tmp"
    load(con, path, temp_dir=temp)
    assert temp.is_dir() and list(temp.iterdir()) == []
