"""What a department's file is: the reading stage's result types, its refusals (with their Chinese and
English messages), and the sniffing that needs no decoding beyond the head of the file: the format from
the extension and magic bytes, the CSV dialect, and the header row."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from digigov.core.errors import InvalidInput
from digigov.core.i18n import register

FORMATS = ("csv", "tsv", "xlsx", "json", "ndjson", "parquet")
RAW_LIMIT = 2000  # characters of a rejected record kept in Reject.raw
RECORD_COLUMN = "_record"


@dataclass
class Reject:
    """A data record that could not be staged, and why."""

    record: int  # 1-based data record number (header not counted); staged rows and rejects share the numbering
    reason: str  # malformed_quotes, too_many_columns, too_few_columns, invalid_json, not_an_object, undecodable, …
    detail: str  # English, e.g. "expected 6 columns, found 8"
    raw: str  # the record as text, at most RAW_LIMIT characters


@dataclass
class SourceInfo:
    """What read_into found in the file. `rows_in == staged rows + len(rejects)` always."""

    format: str  # csv | tsv | xlsx | json | ndjson | parquet
    encoding: str | None  # utf-8 | utf-8-sig | gbk | gb18030 | another codec name | None for binary formats
    delimiter: str | None
    headers: list[str]  # as in the file, trimmed, in order
    columns: list[str]  # the staging table's column names after _record, same order as headers
    rows_in: int
    rejects: list[Reject]
    sha256: str
    bytes: int
    sheet: str | None = None  # the worksheet read, for xlsx
    notes: list[str] = field(default_factory=list)  # English remarks on how the file was read

    @property
    def staged(self) -> int:
        return self.rows_in - len(self.rejects)


class FileRefused(InvalidInput):
    """The file as a whole cannot be read; nothing was staged. `key` is file_refused_<reason>."""

    def __init__(self, reason: str, message: str, **detail: object) -> None:
        super().__init__(message, key=f"file_refused_{reason}", **detail)
        self.reason = reason


register({
    "error.file_refused_empty_file": ("文件是空的（0 字节）", "The file is empty (0 bytes)"),
    "error.file_refused_blank": ("文件里没有内容（只有字节顺序标记或空行）",
                                 "The file has no content (only a byte-order mark or blank lines)"),
    "error.file_refused_no_header": ("文件第一行（表头）是空的，无法确定列名",
                                     "The first row (the header) is empty, so the columns have no names"),
    "error.file_refused_header_only": ("文件只有表头，没有数据行", "The file has a header but no data rows"),
    "error.file_refused_no_records": ("文件里没有数据记录", "The file holds no records"),
    "error.file_refused_duplicate_header": ("列名“{name}”出现了两次（第 {first} 列和第 {second} 列）",
                                            "Column {name} appears twice (columns {first} and {second})"),
    "error.file_refused_unknown_format": ("无法识别文件格式（{name}）；"
                                          "请提供 CSV、TSV、XLSX、JSON、NDJSON 或 Parquet 文件",
                                          "The format of {name} is not recognised; send CSV, TSV, XLSX, JSON, "
                                          "NDJSON or Parquet"),
    "error.file_refused_binary": ("这不是数据表文件，而是{what}", "This is not a data file but {what}"),
    "error.file_refused_old_excel": ("这是旧版 Excel（.xls）文件；请另存为 .xlsx 或 CSV 后再提交",
                                     "This is an old Excel (.xls) file; save it as .xlsx or CSV and send it again"),
    "error.file_refused_undecodable": ("无法识别文件的字符编码（已尝试 UTF-8、GBK、GB18030 等）",
                                       "The file's character encoding is not recognised (tried UTF-8, GBK, GB18030 "
                                       "and others)"),
    "error.file_refused_unreadable": ("无法读取这个文件：{problem}", "The file cannot be read: {problem}"),
    "error.file_refused_unreadable_xlsx": ("无法读取这个 Excel 文件：{problem}",
                                           "The Excel file cannot be read: {problem}"),
    "error.file_refused_unreadable_parquet": ("无法读取这个 Parquet 文件：{problem}",
                                              "The Parquet file cannot be read: {problem}"),
    "error.file_refused_no_such_sheet": ("工作簿里没有名为“{sheet}”的工作表（现有：{sheets}）",
                                         "The workbook has no sheet named {sheet} (it has: {sheets})"),
    "error.file_refused_invalid_json": ("JSON 格式错误（第 {line} 行第 {column} 列）：{problem}",
                                        "The JSON is malformed at line {line}, column {column}: {problem}"),
    "error.file_refused_json_shape": ("JSON 应当是对象数组，或只含一个对象数组的对象：{problem}",
                                      "The JSON should be an array of objects, or an object holding one array of "
                                      "objects: {problem}"),
    "error.file_refused_too_large_record": ("有一条记录超过 {limit_mb} MB（第 {line} 行起），无法读取",
                                            "A record is larger than {limit_mb} MB (from line {line}) and cannot be "
                                            "read"),
})


def refuse_binary(what: str) -> FileRefused:
    return FileRefused("binary", f"This is not a data file but {what}", what=what)


# ---------------------------------------------------------------------------------------------- format

_EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json",
    ".ndjson": "ndjson", ".jsonl": "ndjson", ".parquet": "parquet", ".pq": "parquet",
}
_OLD_EXCEL = (".xls", ".et")
_MAGIC = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"), (b"\x7fELF", "a program"), (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"), (b"RIFF", "a media file"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_format(path: Path, head: bytes, requested: str | None) -> str:
    """The reader for the file: the requested one, else what the magic bytes say, else the extension;
    "text" when only the decoded content can tell (a .txt or unknown extension)."""
    if requested is not None:
        if requested not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {requested!r}")
        return requested
    ext = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        if _is_xlsx(path):
            return "xlsx"
        if _EXTENSIONS.get(ext) == "xlsx":
            problem = "it is a ZIP archive without a workbook inside"
            raise FileRefused("unreadable_xlsx", f"The Excel file cannot be read: {problem}", problem=problem)
        raise refuse_binary("a ZIP archive that is not an Excel workbook")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_OLE):
        if ext in _OLD_EXCEL or ext not in _EXTENSIONS:
            raise _old_excel()
        raise refuse_binary("an old Microsoft Office document")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise refuse_binary(what)
    if ext in _OLD_EXCEL:
        raise _old_excel()
    return _EXTENSIONS.get(ext, "text")


def _old_excel() -> FileRefused:
    return FileRefused("old_excel", "This is an old Excel (.xls) file; save it as .xlsx or CSV and send it again")


def _is_xlsx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def sniff_text_kind(text: str) -> str | None:
    """For a file whose extension does not say: json, ndjson, or None (maybe delimited text)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return json_document_kind(stripped)
    return None


def json_document_kind(text: str) -> str:
    """"ndjson" when the text starts with one complete object followed by another, else "json"."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return "json"
    try:
        _, end = json.JSONDecoder().raw_decode(stripped)
    except (ValueError, RecursionError):
        return "json"
    rest = stripped[end:]
    first_break = re.search(r"[\r\n]", rest)
    if first_break is None or rest[: first_break.start()].strip():
        return "json"
    return "ndjson" if rest.lstrip().startswith("{") else "json"


# ---------------------------------------------------------------------------------------------- CSV dialect

_DELIMITERS = (",", "\t", ";", "|")
_SNIFF_RECORDS = 200
_SEP_LINE = re.compile(r"\A[ \t]*sep=(.)[ \t]*(\r\n|\r|\n)")
_BLANK_LEAD = re.compile(r"\A(?:\r\n|\r|\n)+")


@dataclass
class Dialect:
    delimiter: str
    escape: str  # '"' (quotes doubled) or '\\'
    skip: int  # physical lines before the first data record: blank lines, a "sep=" line, the header
    header: list[str]  # raw header fields


def sniff_dialect(text: str, *, prefer_tab: bool, complete: bool, delimiter: str | None = None,
                  escape: str | None = None) -> Dialect:
    """The delimiter, escape and header from the decoded head of a file (`complete` when it is the whole
    file; otherwise its last line may be cut). `delimiter` and `escape` force those."""
    if not complete:  # leave out the possibly cut last line
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut > 0 else text
    lead = _BLANK_LEAD.match(text)
    skip = text.count("\n", 0, lead.end()) + text.count("\r", 0, lead.end()) - text.count("\r\n", 0, lead.end()) \
        if lead else 0
    body = text[lead.end():] if lead else text
    sep = _SEP_LINE.match(body)
    if sep and sep.group(1) in _DELIMITERS:  # Excel's "sep=;" hint line
        delimiter = delimiter or sep.group(1)
        skip, body = skip + 1, body[sep.end():]
    escape = escape or _sniff_escape(body)
    if delimiter is None:
        delimiter = _sniff_delimiter(body, escape, prefer_tab)
    records = _records(body, delimiter, escape, 1)
    if not records:
        raise FileRefused("no_header", "The first row (the header) is empty, so the columns have no names")
    header, lines = records[0]
    return Dialect(delimiter=delimiter, escape=escape, skip=skip + lines, header=header)


def _sniff_delimiter(text: str, escape: str, prefer_tab: bool) -> str:
    """The candidate that splits the header into the most columns that the rows below agree with."""
    first_line = re.split(r"\r\n|\r|\n", text.lstrip("\r\n"), maxsplit=1)[0]
    order = ("\t", ",", ";", "|") if prefer_tab else _DELIMITERS
    best: tuple[float, int, int] | None = None
    chosen = order[0]
    for rank, cand in enumerate(order):
        if cand not in first_line:
            continue
        counts = [len(rec) for rec, _ in _records(text, cand, escape, _SNIFF_RECORDS)]
        if not counts or counts[0] < 2:
            continue
        below = counts[1:] or counts
        score = (sum(c == counts[0] for c in below) / len(below), counts[0], -rank)
        if best is None or score > best:
            best, chosen = score, cand
    return chosen


def _sniff_escape(text: str) -> str:
    sample = text[:65536]
    backslashed = len(re.findall(r'\\"(?![,\t;|\r\n])', sample))
    doubled = len(re.findall(r'[^,\t;|\r\n]""(?![,\t;|\r\n])', sample))
    return "\\" if backslashed and not doubled else '"'


def _records(text: str, delimiter: str, escape: str, limit: int) -> list[tuple[list[str], int]]:
    """Up to `limit` non-empty records parsed the way DuckDB will, each with the physical lines read so
    far (blank lines are skipped, as DuckDB does)."""
    stream = io.StringIO(text, newline="")
    if escape == "\\":
        reader = csv.reader(stream, delimiter=delimiter, quotechar='"', escapechar="\\", doublequote=False)
    else:
        reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True)
    out: list[tuple[list[str], int]] = []
    try:
        for rec in reader:
            if rec:
                out.append((rec, reader.line_num))
                if len(out) >= limit:
                    break
    except csv.Error:  # a field longer than the csv module allows: keep what came before it
        pass
    return out


# ---------------------------------------------------------------------------------------------- headers


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(name: str) -> str:
    """A column name as DuckDB compares it: ASCII letters without case, everything else as it is."""
    return name.translate(_ASCII_LOWER)


def name_columns(raw: list[str]) -> tuple[list[str], list[str]]:
    """Trimmed headers and the staging column names. Refuses an empty header row and two columns with the
    same name (DuckDB compares names without ASCII letter case, so "Name" and "name" are the same)."""
    headers = [h.strip().lstrip("\ufeff").strip() for h in raw]
    if not any(headers):
        raise FileRefused("no_header", "The first row (the header) is empty, so the columns have no names")
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, start=1):
        if not h:
            continue
        key = fold(h)
        if key in seen:
            first = seen[key]
            name = h if headers[first - 1] == h else f"{headers[first - 1]}/{h}"
            raise FileRefused("duplicate_header", f"Column {name} appears twice (columns {first} and {i})",
                              name=name, first=first, second=i)
        seen[key] = i
    columns: list[str] = []
    taken = set(seen) | {RECORD_COLUMN}
    for i, h in enumerate(headers, start=1):
        if h and fold(h) != RECORD_COLUMN:
            columns.append(h)
            continue
        name, n = f"column_{i}", 1
        while fold(name) in taken:
            n += 1
            name = f"column_{i}_{n}"
        taken.add(fold(name))
        columns.append(name)
    return headers, columns


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def truncate(raw: str) -> str:
    return raw if len(raw) <= RAW_LIMIT else raw[:RAW_LIMIT]
