"""read_into: a department's file into a DuckDB staging table of text columns, streaming, with every
record the file holds either staged or rejected with a reason.

CSV and TSV are read by DuckDB itself (see `delimited`); a file DuckDB cannot read as it is (GBK,
GB18030, UTF-16, …) is first transcoded in chunks to a temporary UTF-8 file. XLSX, JSON and NDJSON go
through Python in batches (`structured`, `jsonfiles`); Parquet through read_parquet."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from digigov.platform.ingest.delimited import Meter, duckdb_progress, first, read_delimited
from digigov.platform.ingest.encoding import (
    Digest,
    Head,
    decode_head,
    detect_encoding,
    read_head,
)
from digigov.platform.ingest.formats import (
    RECORD_COLUMN,
    FileRefused,
    Reject,
    SourceInfo,
    detect_format,
    json_document_kind,
    name_columns,
    quote_ident,
    sniff_dialect,
    sniff_text_kind,
)
from digigov.platform.ingest.jsonfiles import load_json, load_ndjson
from digigov.platform.ingest.structured import load_xlsx

__all__ = ["FileRefused", "Reject", "SourceInfo", "read_into"]

_NAME_PART = r'(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\x00-\x1f]|"")+")'
_TABLE_NAME = re.compile(rf"{_NAME_PART}(?:\.{_NAME_PART}){{0,2}}")


def read_into(con: duckdb.DuckDBPyConnection, path: Path, table: str, *, format: str | None = None,
              sheet: str | None = None, progress: Callable[[int, int], None] | None = None,
              temp_dir: Path | None = None) -> SourceInfo:
    """Create `table` (a new, possibly schema-qualified name) holding `_record BIGINT` (the 1-based data
    record number) and one VARCHAR column per header, from the file at `path`.

    `format` overrides detection (csv, tsv, xlsx, json, ndjson, parquet); `sheet` names the worksheet of
    an XLSX file (default: the first). `progress(bytes_done, bytes_total)` is called now and then; while
    DuckDB itself reads, it is called from a helper thread. `temp_dir` is where a transcoded copy goes
    (default: beside the warehouse's temporary directory, else the system's).

    Raises FileRefused, with nothing left behind, for a file that cannot be read as a whole. Run it
    outside an explicit transaction: it recovers from some DuckDB errors by reading the file another way."""
    path = Path(path)
    if not _TABLE_NAME.fullmatch(table):
        raise ValueError(f"not a table name: {table!r}")
    size = path.stat().st_size
    if size == 0:
        raise FileRefused("empty_file", "The file is empty (0 bytes)")
    _prepare_table(con, table)
    meter = Meter(progress, size)
    digest = Digest(path)
    digest.start()
    try:
        head = read_head(path)
        kind = detect_format(path, head.head, format)
        if kind == "xlsx":
            loaded = load_xlsx(con, path, table, sheet, meter.phase(0.0, 1.0))
            info = SourceInfo("xlsx", None, None, loaded.headers, loaded.columns, loaded.rows_in, loaded.rejects,
                              "", size, sheet=loaded.sheet)
        elif kind == "parquet":
            info = _read_parquet(con, path, table, meter.phase(0.0, 1.0), meter.active)
        else:
            info = _read_text(con, path, table, kind, head, meter, temp_dir, digest)
        if info.rows_in == 0:
            raise FileRefused("header_only", "The file has a header but no data rows")
        info.sha256 = digest.result()
    except BaseException:
        digest.cancelled.set()
        with contextlib.suppress(duckdb.Error):  # keep the first error, not one about an aborted transaction
            con.execute(f"DROP TABLE IF EXISTS {table}")
        raise
    meter.finish()
    return info


def _prepare_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    try:
        con.execute(f"SELECT 1 FROM {table} LIMIT 0").fetchall()  # noqa: S608
    except duckdb.CatalogException:
        pass
    else:
        raise ValueError(f"table {table} exists already")
    parts = re.findall(_NAME_PART, table)
    if len(parts) > 1:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {'.'.join(parts[:-1])}")


# ---------------------------------------------------------------------------------------------- text


def _read_text(con: duckdb.DuckDBPyConnection, path: Path, table: str, kind: str, head: Head,
               meter: Meter, temp_dir: Path | None, digest: Digest) -> SourceInfo:
    enc = detect_encoding(head)
    text = decode_head(head, enc)
    if not text.strip():
        raise FileRefused("blank", "The file has no content (only a byte-order mark or blank lines)")
    ext = path.suffix.lower()
    if kind == "text":
        kind = sniff_text_kind(text) or "delimited"
    elif kind == "json" and ext == ".json":  # a .json file may hold one object per line
        kind = json_document_kind(text)
    if kind in ("json", "ndjson"):
        with path.open("rb") as raw:
            stream = io.TextIOWrapper(raw, encoding=enc.codec, errors="surrogateescape", newline="")
            loader = load_json if kind == "json" else load_ndjson
            loaded = loader(con, table, stream, lambda: raw.tell() / head.size, meter.phase(0.0, 1.0))
        return SourceInfo(kind, enc.name, None, loaded.headers, loaded.columns, loaded.rows_in, loaded.rejects,
                          "", head.size)
    dialect = sniff_dialect(text, prefer_tab=kind == "tsv", complete=len(head.head) >= head.size)
    if kind == "delimited" and ext != ".txt" and len(dialect.header) < 2:
        raise FileRefused("unknown_format", f"The format of {path.name} is not recognised; send CSV, TSV, XLSX, "
                          "JSON, NDJSON or Parquet", name=path.name)
    headers, columns = name_columns(dialect.header)
    staged, rejects, notes = read_delimited(con, path, table, enc, text, dialect, columns, meter, temp_dir, digest)
    return SourceInfo("tsv" if dialect.delimiter == "\t" else "csv", enc.name, dialect.delimiter, headers, columns,
                      staged + len(rejects), rejects, "", head.size, notes=notes)


# ---------------------------------------------------------------------------------------------- parquet

_NESTED = re.compile(r"^(STRUCT|MAP|UNION)\(|\]$")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str,
                  on_fraction: Callable[[float], None], active: bool) -> SourceInfo:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except (OSError, ValueError, pa.ArrowException, duckdb.Error) as exc:
        problem = f"{exc}".split("\n")[0][:300]
        raise FileRefused("unreadable_parquet", f"The Parquet file cannot be read: {problem}",
                          problem=problem) from None
    headers, columns = name_columns(list(names))
    exprs = []
    for (source, typ, *_), column in zip(described, columns, strict=True):
        value = f"to_json({quote_ident(source)})" if _NESTED.search(str(typ)) else quote_ident(source)
        exprs.append(f"NULLIF(CAST({value} AS VARCHAR), '') AS {quote_ident(column)}")
    select = "".join(f", {e}" for e in exprs)
    try:
        with duckdb_progress(con, on_fraction, active):
            con.execute(f"CREATE TABLE {table} AS SELECT file_row_number + 1 AS {RECORD_COLUMN}{select} "  # noqa: S608
                        f"FROM read_parquet(?, file_row_number = true)", [str(path)])
    except duckdb.InvalidInputException as exc:
        problem = f"{exc}".split("\n")[0][:300]
        raise FileRefused("unreadable_parquet", f"The Parquet file cannot be read: {problem}",
                          problem=problem) from None
    on_fraction(1.0)
    count = first(con, f"SELECT count(*) FROM {table}")  # noqa: S608
    rows = int(count[0]) if count else 0
    return SourceInfo("parquet", None, None, headers, columns, rows, [], "", path.stat().st_size)
