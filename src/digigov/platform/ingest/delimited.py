"""CSV and TSV through DuckDB: read_csv with the dialect sniffed here, strict quoting and a reject table;
a check that its result accounts for every line of the file (it can lose records around damaged
quoting, and it skips blank lines while still counting them); a normalised UTF-8 copy when the file
cannot be read as it is; Python's csv module as the last resort. Also the small helpers the readers
share: the progress meter, DuckDB's query progress, the temporary directory."""

from __future__ import annotations

import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from digigov.platform.ingest.encoding import (
    Digest,
    Encoding,
    Lines,
    decode_head,
    read_head,
    transcode,
)
from digigov.platform.ingest.formats import (
    RAW_LIMIT,
    RECORD_COLUMN,
    Dialect,
    FileRefused,
    Reject,
    quote_ident,
    sniff_dialect,
    truncate,
)
from digigov.platform.ingest.structured import load_csv_python

MAX_LINE_BYTES = 8 << 20  # a CSV record longer than this is rejected (line_too_long)
BUFFER_BYTES = 32 << 20  # DuckDB's read buffer (its default grows with max_line_size, past a small memory_limit)


def first(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    """The first row of a query, with the result consumed (the connection refuses other work until then)."""
    rows = con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else None


class Meter:
    """Maps each phase's own fraction onto one monotonic bytes_done out of the file's size."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0
        self.last = 0.0

    @property
    def active(self) -> bool:
        return self.callback is not None

    def phase(self, start: float, end: float) -> Callable[[float], None]:
        def report(fraction: float) -> None:
            if self.callback is None:
                return
            value = int(self.total * (start + (end - start) * min(1.0, max(0.0, fraction))))
            now = time.monotonic()
            if value > self.done and (now - self.last >= 0.1 or value >= self.total):
                self.done, self.last = value, now
                self.callback(value, self.total)
        return report

    def finish(self) -> None:
        if self.callback is not None and self.done < self.total:
            self.done = self.total
            self.callback(self.total, self.total)


@contextmanager
def duckdb_progress(con: duckdb.DuckDBPyConnection, on_fraction: Callable[[float], None],
                     active: bool) -> Iterator[None]:
    """While DuckDB runs one statement, a helper thread passes its query progress on."""
    if not active:
        yield
        return
    names = ("progress_bar_time", "enable_progress_bar_print", "enable_progress_bar")  # restored in this order:
    # setting progress_bar_time switches the progress bar on
    row = first(con, "SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
    before = dict(zip(names, row or (), strict=False))
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    con.execute("SET progress_bar_time = 0")
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.25):
            try:
                percent = con.query_progress()
            except duckdb.Error:
                return
            if percent >= 0:
                on_fraction(percent / 100)

    watcher = threading.Thread(target=poll, name="ingest-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        for name, value in before.items():
            literal = str(value).lower() if isinstance(value, bool) else str(value)
            con.execute(f"SET {name} = {literal}")


def temp_directory(con: duckdb.DuckDBPyConnection, given: Path | None) -> Path:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        return given
    row = first(con, "SELECT current_setting('temp_directory'), (SELECT path FROM duckdb_databases() "
                 "WHERE database_name = current_database())")
    if row and row[0] and row[1]:  # a file-backed warehouse: beside its temporary directory
        beside = Path(str(row[0])).parent
        if beside.is_dir():
            return beside
    return Path(tempfile.gettempdir())


def read_delimited(con: duckdb.DuckDBPyConnection, path: Path, table: str, enc: Encoding, text: str,
                   dialect: Dialect, columns: list[str], meter: Meter, temp_dir: Path | None,
                   digest: Digest) -> tuple[int, list[Reject], list[str]]:
    """DuckDB reads the file as it is when it can (UTF-8, LF or CRLF line endings, no leading blank
    lines). Otherwise, or when its result does not account for every line of the file, it reads a
    normalised UTF-8 copy, in parallel and then, if need be, in one thread (its parallel reader can lose
    records around damaged quoting); when that does not add up either, Python's csv module reads it."""
    notes: list[str] = []
    parallel = True
    normalize = "\n" not in text and "\r" in text  # old Mac line endings
    if not enc.native:
        notes.append(f"transcoded from {enc.name} to UTF-8")
    elif normalize or text[:1] in ("\r", "\n"):
        notes.append("read from a normalised copy (blank lines before the header, or old Mac line endings)")
    else:
        try:
            read = _attempt(con, table, path, dialect, columns, enc, meter.phase(0.0, 1.0), meter.active, True,
                            digest.line_count)
        except _ParserStuck:
            read, normalize = None, True
        if read is not None:
            return read[0], _renumbered(con, table, read[0], read[1], notes), notes
        if not normalize:
            notes.append("read again from a copy (DuckDB's first reading did not account for every line)")
        parallel = False
    copy = _temp_file(con, temp_dir)
    try:
        while True:
            if normalize:
                notes.append("line endings made \\n (the file mixes them, or has a stray carriage return)")
            lines = transcode(path, copy, enc.codec, escape=dialect.escape, normalize_newlines=normalize,
                              on_fraction=meter.phase(0.0, 0.4))
            copy_head = read_head(copy)
            again = sniff_dialect(decode_head(copy_head, _UTF8), prefer_tab=False, delimiter=dialect.delimiter,
                                  complete=len(copy_head.head) >= copy_head.size, escape=dialect.escape)
            try:
                for in_parallel in (True, False) if parallel else (False,):
                    read = _attempt(con, table, copy, again, columns, enc, meter.phase(0.4, 1.0), meter.active,
                                    in_parallel, lines)
                    if read is not None:
                        return read[0], _renumbered(con, table, read[0], read[1], notes), notes
            except _ParserStuck:
                if not normalize:
                    normalize = True
                    continue
            break
        notes.append("DuckDB's reader could not account for every line (damaged quoting?): read with Python's csv")
        loaded = load_csv_python(con, table, copy, delimiter=again.delimiter, escape=again.escape, skip=again.skip,
                                 columns=columns, on_fraction=meter.phase(0.4, 1.0))
        return loaded.rows_in - len(loaded.rejects), loaded.rejects, notes
    finally:
        copy.unlink(missing_ok=True)


def _attempt(con: duckdb.DuckDBPyConnection, table: str, source: Path, dialect: Dialect, columns: list[str],
             enc: Encoding, on_fraction: Callable[[float], None], active: bool, parallel: bool,
             lines: Lines | Callable[[], Lines]) -> tuple[int, list[Reject]] | None:
    """One DuckDB read, kept only if it accounts for every line of `source` (raises _ParserStuck)."""
    staged, rejects, in_rejects = _load_csv(con, table, source, dialect, columns, enc, on_fraction, active, parallel)
    counted = lines if isinstance(lines, Lines) else lines()
    if _unaccounted(con, table, columns, counted, dialect.skip, staged, rejects, in_rejects) == 0:
        return staged, rejects
    con.execute(f"DROP TABLE {table}")  # noqa: S608
    return None


_UTF8 = Encoding("utf-8", "utf-8", True)


def _unaccounted(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], lines: Lines, skip: int,
                 staged: int, rejects: list[Reject], in_rejects: int) -> int:
    """Physical lines of the file that are in no staged row, no reject and not the header: blank lines
    (DuckDB skips them) or lines DuckDB lost (it can, around damaged quoting). 0 means all is there."""
    gap = lines.physical - skip - staged - len(rejects) - in_rejects
    if gap > 0:  # line breaks inside quoted values
        total = " + ".join(f"coalesce(sum(length({quote_ident(c)}) - length(replace({quote_ident(c)}, chr(10), "
                           "''))), 0)" for c in columns)
        row = first(con, f"SELECT {total} FROM {table}")  # noqa: S608
        gap -= int(row[0]) if row else 0
    return gap


def _temp_file(con: duckdb.DuckDBPyConnection, given: Path | None) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="digigov-ingest-", suffix=".csv",  # noqa: SIM115
                                         dir=temp_directory(con, given), delete=False)
    handle.close()
    return Path(handle.name)


class _ParserStuck(Exception):
    """DuckDB's strict CSV parser gave up on the whole file (mixed line endings, a stray carriage return)."""


def _unreadable(message: str) -> FileRefused:
    problem = message.split("\n")[0][:300]
    return FileRefused("unreadable", f"The file cannot be read: {problem}", problem=problem)


# DuckDB's reject error types, most telling first, and the reason each becomes.
_REASONS = {
    "INVALID ENCODING": "undecodable",
    "UNQUOTED VALUE": "malformed_quotes",
    "INVALID STATE": "malformed_quotes",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
    "TOO MANY COLUMNS": "too_many_columns",
    "MISSING COLUMNS": "too_few_columns",
    "CAST": "cast",
}
_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _load_csv(con: duckdb.DuckDBPyConnection, table: str, source: Path, dialect: Dialect, columns: list[str],
              enc: Encoding, on_fraction: Callable[[float], None], active: bool,
              parallel: bool) -> tuple[int, list[Reject], int]:
    """Read the UTF-8 file with DuckDB: staged rows numbered 1.. in file order, rejects numbered by
    DuckDB's record count, and the line breaks inside the rejected records."""
    tag = uuid.uuid4().hex
    rejects_table, scans_table = f"_ingest_rejects_{tag}", f"_ingest_scans_{tag}"
    struct = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns))) + "}"
    select = ", ".join(f"c{i} AS {quote_ident(c)}" for i, c in enumerate(columns))
    sql = (f"CREATE TABLE {table} AS SELECT row_number() OVER () AS {RECORD_COLUMN}, {select} FROM read_csv(?, "  # noqa: S608
           f"auto_detect = false, header = false, skip = {dialect.skip}, columns = {struct}, delim = ?, "
           f"quote = '\"', escape = ?, strict_mode = true, null_padding = false, encoding = 'utf-8', "
           f"max_line_size = {MAX_LINE_BYTES}, store_rejects = true, rejects_table = '{rejects_table}', "
           f"rejects_scan = '{scans_table}', rejects_line_size_limit = {MAX_LINE_BYTES}, "
           f"buffer_size = {BUFFER_BYTES}, parallel = {str(parallel).lower()})")
    order = first(con, "SELECT current_setting('preserve_insertion_order')")
    keep_order = bool(order and order[0])
    try:
        if not keep_order:  # row_number() follows the file only while insertion order is kept
            con.execute("SET preserve_insertion_order = true")
        with duckdb_progress(con, on_fraction, active):
            con.execute(sql, [str(source), dialect.delimiter, dialect.escape])
        count = first(con, f"SELECT count(*) FROM {table}")  # noqa: S608
        staged = int(count[0]) if count else 0
        rejects, in_rejects = _collect_rejects(con, rejects_table, dialect.skip, enc)
    except duckdb.InvalidInputException as exc:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        if "state machine reached an invalid state" in str(exc):
            raise _ParserStuck(str(exc)) from None
        raise _unreadable(str(exc)) from None
    finally:
        if not keep_order:
            con.execute("SET preserve_insertion_order = false")
        con.execute(f"DROP TABLE IF EXISTS {rejects_table}")
        con.execute(f"DROP TABLE IF EXISTS {scans_table}")
    return staged, rejects, in_rejects


def _collect_rejects(con: duckdb.DuckDBPyConnection, rejects_table: str, skip: int,
                     enc: Encoding) -> tuple[list[Reject], int]:
    """One Reject per rejected record (DuckDB may log several errors for one: one per extra column, say)."""
    cursor = con.execute(
        f"SELECT line, list(error_type::VARCHAR ORDER BY byte_position), "  # noqa: S608
        f"arg_min(left(csv_line, {2 * RAW_LIMIT + 16}), byte_position), list(error_message ORDER BY byte_position), "
        f"arg_min(length(trim(csv_line, chr(10) || chr(13))) - length(replace(trim(csv_line, chr(10) || chr(13)), "
        f"chr(10), '')), byte_position) FROM {rejects_table} GROUP BY line ORDER BY line")
    rank = list(_REASONS)
    rejects: list[Reject] = []
    breaks = 0
    while batch := cursor.fetchmany(10_000):
        for line, types, raw, messages, inner in batch:
            breaks += int(inner or 0)
            kind = min(types, key=lambda t: rank.index(t) if t in rank else len(rank))
            reason = _REASONS.get(kind, "malformed")
            raw_text = (raw or "").lstrip("\r\n")
            same = [m or "" for t, m in zip(types, messages, strict=True) if t == kind]
            rejects.append(Reject(int(line) - skip, reason, _detail(reason, same, raw_text, enc), truncate(raw_text)))
    return rejects, breaks


def _detail(reason: str, messages: list[str], raw: str, enc: Encoding) -> str:
    counts = [(int(m.group(1)), int(m.group(2))) for m in map(_COUNTS.search, messages) if m]
    if counts and reason == "too_many_columns":  # one error per extra column: the last says how many
        return f"expected {counts[0][0]} columns, found {max(c[1] for c in counts)}"
    if counts and reason == "too_few_columns":
        return f"expected {counts[0][0]} columns, found {min(c[1] for c in counts)}"
    if reason == "malformed_quotes":
        lines = raw.count("\n") + 1
        run = f" (the record runs over {lines} lines)" if lines > 1 else ""
        return f"a quoted value is not closed properly{run}"
    if reason == "undecodable":
        return f"the record has bytes that are not valid {enc.name}"
    if reason == "line_too_long":
        return f"the record is longer than {MAX_LINE_BYTES >> 20} MB"
    return (messages[0] if messages else "").split("\n")[0][:300]


def _renumbered(con: duckdb.DuckDBPyConnection, table: str, staged: int, rejects: list[Reject],
                notes: list[str]) -> list[Reject]:
    warning = _renumber(con, table, staged, rejects)
    if warning:
        notes.append(warning)
    return rejects


def _renumber(con: duckdb.DuckDBPyConnection, table: str, staged: int, rejects: list[Reject]) -> str:
    """Staged rows were numbered 1..staged in file order; shift them past the rejected record numbers so
    the two together number the file's records 1..rows_in."""
    if not rejects:
        return ""
    total = staged + len(rejects)
    if rejects[-1].record > total or rejects[0].record < 1:
        return "record numbers of rejected records are approximate"
    lows: list[int] = []
    shifts: list[int] = []
    for i, r in enumerate(rejects, start=1):
        before = r.record - i  # staged rows that come before this reject
        if lows and lows[-1] == before:
            shifts[-1] = i
        else:
            lows.append(before)
            shifts.append(i)
    highs = lows[1:] + [staged]
    ranges = [(lo, hi, s) for lo, hi, s in zip(lows, highs, shifts, strict=True) if hi > lo]
    if not ranges:
        return ""
    name = f"_ingest_ranges_{uuid.uuid4().hex}"
    arrow = pa.table({"lo": [r[0] for r in ranges], "hi": [r[1] for r in ranges], "shift": [r[2] for r in ranges]})
    con.register(name, arrow)
    try:
        con.execute(f"UPDATE {table} AS t SET {RECORD_COLUMN} = t.{RECORD_COLUMN} + r.shift FROM {name} AS r "  # noqa: S608
                    f"WHERE t.{RECORD_COLUMN} > r.lo AND t.{RECORD_COLUMN} <= r.hi")
    finally:
        con.unregister(name)
    return ""
