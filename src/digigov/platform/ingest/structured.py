"""The staging writer that row-by-row readers share (rows go to DuckDB in batches through pyarrow, so
memory holds one batch, not the file), the XLSX reader (openpyxl in read-only mode), and the CSV reader
of last resort (Python's csv module)."""

from __future__ import annotations

import csv
import io
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa

from digigov.platform.ingest.formats import (
    RECORD_COLUMN,
    FileRefused,
    Reject,
    name_columns,
    quote_ident,
    truncate,
)

BATCH_ROWS = 20_000
BATCH_CHARS = 64 << 20
_SURROGATES = re.compile(r"[\udc80-\udcff]")  # bytes the file's encoding could not decode


@dataclass
class Loaded:
    headers: list[str]
    columns: list[str]
    rows_in: int
    rejects: list[Reject]
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


class StagingWriter:
    """Creates the staging table and appends rows to it a batch at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, columns: list[str], *,
                 batch_rows: int = BATCH_ROWS) -> None:
        self.con, self.table, self.batch_rows = con, table, batch_rows
        self.columns = list(columns)
        defs = "".join(f", {quote_ident(c)} VARCHAR" for c in columns)
        con.execute(f"CREATE TABLE {table} ({RECORD_COLUMN} BIGINT{defs})")
        self._records: list[int] = []
        self._values: list[list[str | None]] = [[] for _ in columns]
        self._chars = 0

    def add_column(self, name: str) -> None:
        self.con.execute(f"ALTER TABLE {self.table} ADD COLUMN {quote_ident(name)} VARCHAR")
        self.columns.append(name)
        self._values.append([None] * len(self._records))

    def add(self, record: int, values: list[str | None]) -> None:
        """`values` has one entry per column, in order (shorter lists are padded with NULL)."""
        self._records.append(record)
        for i, col in enumerate(self._values):
            v = values[i] if i < len(values) else None
            col.append(v)
            if v:
                self._chars += len(v)
        if len(self._records) >= self.batch_rows or self._chars >= BATCH_CHARS:
            self.flush()

    def flush(self) -> None:
        if not self._records:
            return
        arrays = [pa.array(self._records, pa.int64())] + [pa.array(v, pa.large_string()) for v in self._values]
        batch = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
        name = f"_ingest_batch_{uuid.uuid4().hex}"
        targets = ", ".join([RECORD_COLUMN] + [quote_ident(c) for c in self.columns])
        self.con.register(name, batch)
        try:
            self.con.execute(f"INSERT INTO {self.table} ({targets}) SELECT * FROM {name}")  # noqa: S608
        finally:
            self.con.unregister(name)
        self._records = []
        self._values = [[] for _ in self.columns]
        self._chars = 0


def _csv_line(values: list[str | None]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(["" if v is None else v for v in values])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- XLSX


def cell_text(v: object) -> str | None:
    """An openpyxl cell value as text: dates as ISO text (a midnight datetime as a date), integers
    without ".0", other numbers as Excel shows them (15 significant digits), booleans as true/false."""
    if v is None:
        return None
    if isinstance(v, str):
        return v or None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return number_text(v)
    if isinstance(v, datetime):
        if v.tzinfo is None and v.time() == time(0):
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, date | time):
        return v.isoformat()
    if isinstance(v, timedelta):
        seconds = int(v.total_seconds())
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(v)


def number_text(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = f"{x:.15g}"
    if "e" in text:
        d = Decimal(text)
        if -7 <= d.adjusted() < 21:
            return format(d, "f")
    return text


def load_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str, sheet: str | None,
              on_fraction: Callable[[float], None]) -> Loaded:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
            raise _unreadable_xlsx(exc) from None
    try:
        names = list(wb.sheetnames)
        if sheet is not None and sheet not in names:
            raise FileRefused("no_such_sheet", f"The workbook has no sheet named {sheet} (it has: {', '.join(names)})",
                              sheet=sheet, sheets=names)
        ws = wb[sheet] if sheet is not None else (wb.worksheets[0] if wb.worksheets else None)
        if ws is None or not hasattr(ws, "reset_dimensions"):
            raise FileRefused("unreadable_xlsx", "The Excel file cannot be read: it has no worksheet",
                              problem="it has no worksheet")
        estimate = ws.max_row if isinstance(ws.max_row, int) and ws.max_row > 0 else 0
        ws.reset_dimensions()  # the stored dimensions may be wrong; read every cell there is
        return _stage_sheet(con, table, ws.title, _sheet_rows(ws), estimate, on_fraction)
    finally:
        wb.close()


def _unreadable_xlsx(exc: Exception) -> FileRefused:
    problem = f"{type(exc).__name__}: {exc}"[:300]
    return FileRefused("unreadable_xlsx", f"The Excel file cannot be read: {problem}", problem=problem)


def _sheet_rows(ws: Any) -> Iterator[tuple[Any, ...]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = ws.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - damaged sheet XML
                raise _unreadable_xlsx(exc) from None
            yield row


def _stage_sheet(con: duckdb.DuckDBPyConnection, table: str, title: str, rows: Iterator[tuple[Any, ...]],
                 estimate: int, on_fraction: Callable[[float], None]) -> Loaded:
    excel_row = 0
    header: list[str | None] = []
    for row in rows:
        excel_row += 1
        header = [cell_text(v) for v in row]
        if any(h is not None and h.strip() for h in header):
            break
    else:
        raise FileRefused("no_header", "The first row (the header) is empty, so the columns have no names")
    while header and (header[-1] is None or not header[-1].strip()):
        header.pop()
    headers, columns = name_columns([h or "" for h in header])
    width = len(columns)
    writer = StagingWriter(con, table, columns)
    record = 0
    rejects: list[Reject] = []
    for row in rows:
        excel_row += 1
        values = [cell_text(v) for v in row]
        if not any(v is not None for v in values):
            continue  # an empty row is not a record
        record += 1
        extra = [i for i in range(width, len(values)) if values[i] is not None]
        if extra:
            rejects.append(Reject(record, "too_many_columns",
                                  f"row {excel_row} of sheet {title}: expected {width} columns, found a value in "
                                  f"column {extra[-1] + 1}", truncate(_csv_line(values[: extra[-1] + 1]))))
        else:
            writer.add(record, values[:width])
        if estimate and record % 5000 == 0:
            on_fraction(min(1.0, excel_row / estimate))
    writer.flush()
    return Loaded(headers, columns, record, rejects, sheet=title)


# ---------------------------------------------------------------------------------------------- CSV, by Python

_FIELD_LIMIT = 64 << 20


class _Lines:
    """The lines csv.reader asks for, kept until the record they make is taken, as its raw text."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.taken: list[str] = []
        self.count = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline()
        if not line:
            raise StopIteration
        self.count += 1
        self.taken.append(line)
        return line

    def take(self) -> str:
        raw = "".join(self.taken).rstrip("\r\n")
        self.taken = []
        return raw


def load_csv_python(con: duckdb.DuckDBPyConnection, table: str, source: Path, *, delimiter: str, escape: str,
                    skip: int, columns: list[str], on_fraction: Callable[[float], None]) -> Loaded:
    """Read a UTF-8 CSV file with Python's csv module (strict quoting): the fallback when DuckDB's reader
    cannot account for every line of a file whose quoting is damaged. Slower, but every line ends up in
    a staged row or a reject."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    width = len(columns)
    size = source.stat().st_size or 1
    with source.open("r", encoding="utf-8", errors="surrogateescape", newline="") as text:
        lines = _Lines(text)
        for _ in range(skip):
            next(lines, None)
        lines.take()
        options: dict[str, Any] = {"delimiter": delimiter, "quotechar": '"', "strict": True}
        if escape == "\\":
            options.update(escapechar="\\", doublequote=False)
        reader = csv.reader(lines, **options)
        writer = StagingWriter(con, table, columns)
        record = 0
        rejects: list[Reject] = []
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record += 1
                rejects.append(Reject(record, "malformed_quotes", f"a quoted value is not closed properly ({exc})",
                                      truncate(lines.take())))
                continue
            raw = lines.take()
            if not fields:
                continue  # a blank line
            record += 1
            if len(fields) > width and not any(fields[width:]):
                fields = fields[:width]  # empty fields past the last column, as DuckDB takes them
            if len(fields) != width:
                reason = "too_many_columns" if len(fields) > width else "too_few_columns"
                rejects.append(Reject(record, reason, f"expected {width} columns, found {len(fields)}", truncate(raw)))
            elif any(_SURROGATES.search(f) for f in fields):
                rejects.append(Reject(record, "undecodable", "the record has bytes that are not valid in the "
                                      "file's encoding", truncate(_SURROGATES.sub("\ufffd", raw))))
            else:
                writer.add(record, [f or None for f in fields])
            if record % 20_000 == 0:
                on_fraction(min(1.0, text.tell() / size) if text.seekable() else 0.0)
        writer.flush()
    return Loaded(columns, columns, record, rejects)
