"""JSON readers: NDJSON (one object per line; a bad line is a reject) and a JSON document (an array of
objects, or an object holding one array of objects, possibly a few levels down such as {"data": {"rows":
[...]}}), streamed element by element with the standard library's decoder, so a 5 GB array never sits in
memory. Numbers keep their written form; nested values become their JSON text; a column is added the
first time a key appears. A document that is malformed is refused with the line and column."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import IO, Any

import duckdb

from digigov.platform.ingest.formats import RECORD_COLUMN, FileRefused, Reject, fold, truncate
from digigov.platform.ingest.structured import Loaded, StagingWriter

MAX_RECORD_CHARS = 64 << 20  # one JSON record (or NDJSON line) larger than this is not read
RECORD_PREVIEW = 2000
_READ_CHARS = 1 << 20


class _Number(str):
    """A JSON number kept as written (1.10 stays 1.10, big integers stay exact)."""


_DECODER = json.JSONDecoder(parse_float=_Number, parse_int=_Number, parse_constant=_Number)
_SURROGATE = re.compile(r"[\udc80-\udcff]")  # bytes the file's encoding could not decode
_WS = re.compile(r"[ \t\r\n]*")


def _json_text(v: Any) -> str:
    if isinstance(v, _Number):
        return str.__str__(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_json_text(x)}" for k, x in v.items()) + "}"
    return "[" + ",".join(_json_text(x) for x in v) + "]"


def value_text(v: Any) -> str | None:
    """A field's value as text: strings as they are (empty is NULL), numbers as written, true/false,
    nested values as compact JSON text."""
    if v is None:
        return None
    if isinstance(v, _Number):
        return str.__str__(v)
    if isinstance(v, str):
        return v or None
    if isinstance(v, bool):
        return "true" if v else "false"
    return _json_text(v)


def _kind(v: Any) -> str:
    if isinstance(v, list):
        return "an array"
    if isinstance(v, _Number):
        return "a number"
    if isinstance(v, str):
        return "a string"
    return "null" if v is None else "true/false"


class _RecordStager:
    """JSON objects to staging rows; a key seen for the first time adds a column."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        self.writer = StagingWriter(con, table, [])
        self.headers: list[str] = []
        self.position: dict[str, int] = {}  # trimmed key -> column index
        self.folded: dict[str, int] = {}  # ASCII-folded trimmed key -> column index
        self.record = 0
        self.rejects: list[Reject] = []
        self.empty_arrays: list[str] = []  # members that are empty arrays (an empty record list, perhaps)

    def _column_for(self, key: str) -> int:
        trimmed = key.strip()
        at = self.position.get(trimmed)
        if at is not None:
            return at
        at = len(self.headers)
        folded = fold(trimmed)
        if trimmed and folded in self.folded:
            first = self.folded[folded] + 1
            name = f"{self.headers[first - 1]}/{trimmed}"
            raise FileRefused("duplicate_header", f"Column {name} appears twice (columns {first} and {at + 1})",
                              name=name, first=first, second=at + 1)
        column = trimmed if trimmed and folded != RECORD_COLUMN else f"column_{at + 1}"
        taken = {fold(c) for c in self.writer.columns} | {RECORD_COLUMN}
        while fold(column) in taken:  # only a name made up for an empty key can be taken
            column += "_"
        self.writer.add_column(column)
        self.headers.append(trimmed)
        self.position[trimmed] = at
        if trimmed:
            self.folded[folded] = at
        return at

    def add(self, value: Any, raw: Callable[[], str], where: Callable[[], str]) -> None:
        self.record += 1
        if not isinstance(value, dict):
            self.rejects.append(Reject(self.record, "not_an_object",
                                       f"{where()}: expected an object, found {_kind(value)}", truncate(raw())))
            return
        row: list[str | None] = [None] * len(self.headers)
        filled: set[int] = set()
        for key, v in value.items():
            at = self._column_for(key)
            if at >= len(row):
                row.extend([None] * (at + 1 - len(row)))
            if at in filled:
                self.rejects.append(Reject(self.record, "duplicate_key",
                                           f"{where()}: two keys name column {self.headers[at] or at + 1}",
                                           truncate(raw())))
                return
            filled.add(at)
            row[at] = value_text(v)
        self.writer.add(self.record, row)

    def reject(self, reason: str, detail: str, raw: str) -> None:
        self.record += 1
        self.rejects.append(Reject(self.record, reason, detail, truncate(raw)))

    def done(self) -> Loaded:
        if self.record == 0:
            raise FileRefused("no_records", "The file holds no records")
        self.writer.flush()
        return Loaded(list(self.headers), list(self.writer.columns), self.record, self.rejects)


# ---------------------------------------------------------------------------------------------- NDJSON


def load_ndjson(con: duckdb.DuckDBPyConnection, table: str, text: IO[str],
                fraction: Callable[[], float], on_fraction: Callable[[float], None]) -> Loaded:
    stager = _RecordStager(con, table)
    line_no = 0
    while line := text.readline(MAX_RECORD_CHARS):
        line_no += 1
        if len(line) >= MAX_RECORD_CHARS and not line.endswith(("\n", "\r")):
            head = line[:RECORD_PREVIEW]
            while line and not line.endswith(("\n", "\r")):
                line = text.readline(MAX_RECORD_CHARS)
            stager.reject("line_too_long", f"line {line_no}: longer than {MAX_RECORD_CHARS >> 20} M characters", head)
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if _SURROGATE.search(stripped):
            stager.reject("undecodable", f"line {line_no}: bytes that are not valid in the file's encoding",
                          _SURROGATE.sub("\ufffd", stripped))
            continue
        try:
            value = _DECODER.decode(stripped)
        except json.JSONDecodeError as exc:
            stager.reject("invalid_json", f"line {line_no}, column {exc.colno}: {exc.msg}", stripped)
            continue
        except RecursionError:
            stager.reject("invalid_json", f"line {line_no}: nested too deeply", stripped)
            continue
        stager.add(value, lambda: stripped, lambda: f"line {line_no}")  # noqa: B023 - called at once
        if line_no % 20_000 == 0:
            on_fraction(fraction())
    return stager.done()


# ---------------------------------------------------------------------------------------------- JSON document


class _Reader:
    """A window on the text: decodes one value at a time, reading more when a value runs past the end."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line_base = 1  # the line number of buf[0]

    def fill(self) -> int:
        """Read more; returns how far positions moved left (consumed text is dropped), -1 at the end."""
        if self.eof:
            return -1
        shift = 0
        if self.pos > _READ_CHARS and self.pos * 2 > len(self.buf):
            self.line_base += self.buf.count("\n", 0, self.pos)
            self.buf, shift, self.pos = self.buf[self.pos:], self.pos, 0
        data = self.text.read(max(_READ_CHARS, len(self.buf) - self.pos))
        if not data:
            self.eof = True
            return -1
        self.buf += data
        return shift

    def peek(self) -> str:
        """The next non-blank character ("" at the end), leaving pos on it."""
        while True:
            m = _WS.match(self.buf, self.pos)
            self.pos = m.end() if m else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.fill() < 0:
                return ""

    def peek_after(self, opener: str) -> str:
        """The first non-blank character after the `opener` at pos, without moving pos."""
        i = self.pos + len(opener)
        while True:
            m = _WS.match(self.buf, i)
            i = m.end() if m else i
            if i < len(self.buf):
                return self.buf[i]
            shift = self.fill()
            if shift < 0:
                return ""
            i -= shift

    def value(self) -> tuple[Any, int, int]:
        """The value at pos, with its start and end in buf (valid until the next read)."""
        while True:
            try:
                v, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.buf) - 16
                if cut and not self.eof:
                    self._more()
                    continue
                raise self.invalid(exc.msg, exc.pos) from None
            except RecursionError:
                raise self.invalid("nested too deeply", self.pos) from None
            if end >= len(self.buf) and not self.eof:  # a number or literal may go on in the next read
                self._more()
                continue
            start, self.pos = self.pos, end
            return v, start, end

    def _more(self) -> None:
        if len(self.buf) - self.pos > MAX_RECORD_CHARS:
            line = self.line_at(self.pos)
            raise FileRefused("too_large_record", f"A record is larger than {MAX_RECORD_CHARS >> 20} MB (from "
                              f"line {line}) and cannot be read", limit_mb=MAX_RECORD_CHARS >> 20, line=line)
        self.fill()

    def line_at(self, i: int) -> int:
        return self.line_base + self.buf.count("\n", 0, i)

    def invalid(self, problem: str, at: int) -> FileRefused:
        line = self.line_at(at)
        column = at - self.buf.rfind("\n", 0, at)
        return FileRefused("invalid_json", f"The JSON is malformed at line {line}, column {column}: {problem}",
                           line=line, column=column, problem=problem)


def _shape(problem: str) -> FileRefused:
    return FileRefused("json_shape", "The JSON should be an array of objects, or an object holding one array of "
                       f"objects: {problem}", problem=problem)


def load_json(con: duckdb.DuckDBPyConnection, table: str, text: IO[str],
              fraction: Callable[[], float], on_fraction: Callable[[float], None]) -> Loaded:
    reader = _Reader(text)
    stager = _RecordStager(con, table)
    first = reader.peek()
    if first == "[":
        reader.pos += 1
        _stream_array(reader, stager, fraction, on_fraction)
    elif first == "{":
        found = _walk_object(reader, stager, "", 0, fraction, on_fraction)
        if found is None:
            if stager.empty_arrays:
                raise FileRefused("no_records", "The file holds no records")
            raise _shape("the object holds no array of objects")
    elif first == "":
        raise FileRefused("blank", "The file has no content (only a byte-order mark or blank lines)")
    else:
        value, _, _ = reader.value()
        raise _shape(f"the document is {_kind(value)}")
    if reader.peek() != "":
        raise reader.invalid("extra data after the end of the document", reader.pos)
    return stager.done()


def _stream_array(reader: _Reader, stager: _RecordStager, fraction: Callable[[], float],
                  on_fraction: Callable[[float], None]) -> None:
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        reader.peek()
        value, start, end = reader.value()
        if _SURROGATE.search(reader.buf, start, end):
            stager.reject("undecodable", f"line {reader.line_at(start)}: bytes that are not valid in the file's "
                          "encoding", _SURROGATE.sub("\ufffd", reader.buf[start: start + RECORD_PREVIEW]))
        else:
            stager.add(value, lambda: reader.buf[start:end], lambda: f"line {reader.line_at(start)}")  # noqa: B023 - called at once
        if stager.record % 20_000 == 0:
            on_fraction(fraction())
        c = reader.peek()
        if c == ",":
            reader.pos += 1
            continue
        if c == "]":
            reader.pos += 1
            return
        raise reader.invalid("expected ',' or ']' after an array element", reader.pos)


def _walk_object(reader: _Reader, stager: _RecordStager, path: str, depth: int,
                 fraction: Callable[[], float], on_fraction: Callable[[float], None]) -> str | None:
    """Walk the object at pos; stream the one member that is an array of objects. Returns its path."""
    reader.pos += 1
    found: str | None = None
    c = reader.peek()
    if c == "}":
        reader.pos += 1
        return None
    while True:
        if c != '"':
            raise reader.invalid("expected a key in double quotes", reader.pos)
        key, _, _ = reader.value()
        if reader.peek() != ":":
            raise reader.invalid("expected ':' after a key", reader.pos)
        reader.pos += 1
        member = f"{path}.{key}" if path else str(key)
        c = reader.peek()
        inner: str | None = None
        if c == "[" and reader.peek_after("[") == "{":
            if found is not None:
                raise _shape(f"it holds more than one array of objects ({found}, {member})")
            reader.pos += 1
            _stream_array(reader, stager, fraction, on_fraction)
            inner = member
        elif c == "[" and reader.peek_after("[") == "]":
            stager.empty_arrays.append(member)
            reader.value()
        elif c == "{" and depth < 3:
            inner = _walk_object(reader, stager, member, depth + 1, fraction, on_fraction)
        else:
            reader.value()  # a scalar, or an array of something else: skipped
        if inner is not None:
            if found is not None:
                raise _shape(f"it holds more than one array of objects ({found}, {inner})")
            found = inner
        c = reader.peek()
        if c == ",":
            reader.pos += 1
            c = reader.peek()
            continue
        if c == "}":
            reader.pos += 1
            return found
        raise reader.invalid("expected ',' or '}' after a member", reader.pos)
