"""Bytes to text: the head of the file and the character encoding detected on it rather than assumed,
the file's SHA-256 (in a thread beside the reading), and a chunked transcoder that writes any encoding
out as UTF-8 for DuckDB.

Detection order: a byte-order mark; strict UTF-8; strict GBK (reported "gbk"), then strict GB18030 (a
superset of GBK: reported "gb18030"), both decoded with the GB18030 codec; charset-normalizer last. A
file none of them decodes is refused."""

from __future__ import annotations

import codecs
import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from digigov.platform.ingest.formats import FileRefused, refuse_binary

HEAD_BYTES = 1 << 20  # decoded for the header and the dialect
SAMPLE_BYTES = 256 << 10  # where the encoding is tested when the head is plain ASCII
CHUNK_BYTES = 4 << 20
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass
class Head:
    size: int
    head: bytes  # the first HEAD_BYTES
    sample: bytes  # where the encoding is tested: the head, or from the first non-ASCII byte when the head is ASCII


@dataclass
class Lines:
    """Line feeds in a file, and whether it ends with one: its physical lines, for the accounting."""

    newlines: int = 0
    ends_with_newline: bool = True
    trailing: int = 0  # line feeds in the run of line endings that ends the file

    @property
    def physical(self) -> int:
        """Lines, not counting empty lines at the end of the file."""
        if self.trailing:
            return self.newlines - self.trailing + 1
        return self.newlines + (0 if self.ends_with_newline else 1)


@dataclass
class Encoding:
    name: str  # as reported in SourceInfo.encoding
    codec: str  # the Python codec that decodes the file
    native: bool  # DuckDB reads the bytes as they are (UTF-8, with or without a BOM)


def read_head(path: Path, chunk_size: int = CHUNK_BYTES) -> Head:
    """The head of the file, and the sample to detect its encoding on. A file whose head is plain ASCII
    is read on to its first non-ASCII byte (ASCII text decodes as anything; the rest may not)."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
        sample = head
        if head.isascii() and len(head) == HEAD_BYTES:
            offset = len(head)
            while chunk := f.read(chunk_size):
                if not chunk.isascii():
                    found = _NON_ASCII.search(chunk)
                    f.seek(offset + (found.start() if found else 0))
                    sample = f.read(SAMPLE_BYTES)
                    break
                offset += len(chunk)
    return Head(size=path.stat().st_size, head=head, sample=sample)


class Digest(threading.Thread):
    """The file's SHA-256 and its count of line feeds, computed beside the reading (hashlib lets other
    threads run meanwhile). The count checks that DuckDB accounted for every line."""

    def __init__(self, path: Path, chunk_size: int = CHUNK_BYTES) -> None:
        super().__init__(name="ingest-sha256", daemon=True)
        self.path, self.chunk_size = path, chunk_size
        self.cancelled = threading.Event()
        self.hexdigest = ""
        self.lines = Lines()
        self.error: OSError | None = None

    def run(self) -> None:
        digest = hashlib.sha256()
        newlines = trailing = 0
        try:
            with self.path.open("rb") as f:
                while not self.cancelled.is_set() and (chunk := f.read(self.chunk_size)):
                    digest.update(chunk)
                    newlines += chunk.count(b"\n")
                    content = chunk.rstrip(b"\r\n")
                    trailing = chunk.count(b"\n", len(content)) + (0 if content else trailing)
        except OSError as exc:
            self.error = exc
        self.hexdigest = digest.hexdigest()
        self.lines = Lines(newlines, trailing > 0, trailing)

    def line_count(self) -> Lines:
        self.join()
        return self.lines

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise self.error
        return self.hexdigest


def detect_encoding(scan: Head) -> Encoding:
    head = scan.head
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "utf-8-sig", True)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return Encoding("utf-32", "utf-32", False)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", "utf-16", False)
    if b"\x00" in head:
        raise refuse_binary("a binary file (it contains NUL bytes)")
    sample = scan.sample
    candidates = (("utf-8", "utf-8", True), ("gbk", "gbk", False), ("gb18030", "gb18030", False))
    errors: dict[str, int] = {}
    for name, test, native in candidates:
        decoder = codecs.getincrementaldecoder(test)("replace")
        text = decoder.decode(sample, final=False)
        errors[name] = text.count("\ufffd") - _replacement_chars(sample, test)
        if errors[name] == 0:
            _refuse_control_characters(text)
            return Encoding(name, "utf-8" if native else "gb18030", native)
    # A few bad bytes (a damaged record) do not make a UTF-8 or GBK file something else: its bad records
    # are rejected one by one. Many do.
    name = min(errors, key=lambda n: errors[n])
    if errors[name] <= max(2, len(sample) // 1000):
        native = name == "utf-8"
        if name == "gbk" and errors["gb18030"] < errors["gbk"]:
            name = "gb18030"
        text = sample.decode("utf-8" if native else "gb18030", errors="replace")
        _refuse_control_characters(text)
        return Encoding(name, "utf-8" if native else "gb18030", native)
    best = charset_normalizer.from_bytes(sample).best()
    if best is None or best.encoding is None:
        raise FileRefused("undecodable", "The file's character encoding is not recognised (tried UTF-8, GBK, "
                          "GB18030 and others)")
    codec = codecs.lookup(best.encoding).name
    _refuse_control_characters(sample.decode(codec, errors="replace"))
    return Encoding(codec, codec, False)


def _replacement_chars(sample: bytes, codec: str) -> int:
    """U+FFFD characters the sample itself holds (so they are not counted as decoding errors)."""
    marker = "\ufffd".encode(codec) if codec != "gbk" else b""
    return sample.count(marker) if marker else 0


def _refuse_control_characters(text: str) -> None:
    if text and len(_CONTROL.findall(text[:65536])) > max(2, len(text[:65536]) // 100):
        raise refuse_binary("a binary file (it is full of control characters)")


def decode_head(scan: Head, encoding: Encoding) -> str:
    """The head as text (a character cut at the end of the head is left out; bad bytes become U+FFFD)."""
    decoder = codecs.getincrementaldecoder(encoding.codec)("replace")
    return str(decoder.decode(scan.head, final=len(scan.head) >= scan.size))


# ---------------------------------------------------------------------------------------------- transcoding

_BLANK_RUN = re.compile(r"(?:\r\n|\r|\n)((?:\r\n|\r|\n)+)")
_LEADING_NEWLINES = re.compile(r"\A(?:\r\n|\r|\n)+")
_BLANK_TEXT = ("\n\n", "\n\r\n", "\r\r")


class _BlankLineDropper:
    """Drops empty lines that are not inside a quoted value, chunk by chunk: DuckDB skips empty lines
    but still counts them, which would put staged rows and rejects out of step."""

    def __init__(self, escape: str) -> None:
        self.in_quotes = False
        self.at_line_start = True
        self.escape = escape

    def _quotes(self, text: str, start: int, end: int) -> int:
        n = text.count('"', start, end)
        if self.escape == "\\":
            n -= text.count('\\"', start, end)
        return n

    def feed(self, text: str) -> str:
        if not text:
            return text
        if not (text[0] in "\r\n" and self.at_line_start) and not any(p in text for p in _BLANK_TEXT):
            if self._quotes(text, 0, len(text)) % 2:  # the common case: no empty line in this chunk
                self.in_quotes = not self.in_quotes
            self.at_line_start = text[-1] in "\r\n"
            return text
        parts: list[str] = []
        pos = 0
        if self.at_line_start and not self.in_quotes:
            lead = _LEADING_NEWLINES.match(text)
            if lead:
                pos = lead.end()
        scanned = pos
        for m in _BLANK_RUN.finditer(text, pos):
            if self._quotes(text, scanned, m.start(1)) % 2:
                self.in_quotes = not self.in_quotes
            scanned = m.start(1)
            if not self.in_quotes:
                parts.append(text[pos: m.start(1)])
                pos = m.end(1)
        if self._quotes(text, scanned, len(text)) % 2:
            self.in_quotes = not self.in_quotes
        parts.append(text[pos:])
        out = "".join(parts)
        if out:
            self.at_line_start = out[-1] in "\r\n"
        return out


def transcode(path: Path, out: Path, codec: str, *, escape: str, on_fraction: Callable[[float], None],
              normalize_newlines: bool = False, chunk_size: int | None = None) -> Lines:
    """Write `path` decoded with `codec` to `out` as UTF-8, without blank lines between records, and with
    every line ending made "\\n" if `normalize_newlines` (DuckDB's strict parser stops at a file that mixes
    line endings or has a stray carriage return outside quotes; this changes line breaks inside quoted
    values too). Bytes the codec cannot decode are written through unchanged, so DuckDB rejects their
    record as invalid UTF-8 and it is accounted for; a character split across two chunks is decoded
    whole. Returns the line count of the copy."""
    chunk_size = chunk_size or CHUNK_BYTES
    decoder = codecs.getincrementaldecoder(codec)("surrogateescape")
    dropper = _BlankLineDropper(escape)
    size = path.stat().st_size or 1
    done = newlines = trailing = 0
    pending = ""
    with path.open("rb") as src, out.open("wb") as dst:
        while True:
            chunk = src.read(chunk_size)
            final = not chunk
            text = pending + decoder.decode(chunk, final=final)
            pending = ""
            if not final and text.endswith("\r"):  # "\r" + "\n" may be split across chunks
                text, pending = text[:-1], "\r"
            if normalize_newlines and "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            text = dropper.feed(text)
            if text:
                newlines += text.count("\n")
                content = text.rstrip("\r\n")
                trailing = text.count("\n", len(content)) + (0 if content else trailing)
                dst.write(text.encode("utf-8", "surrogateescape"))
            if final:
                break
            done += len(chunk)
            on_fraction(done / size)
    return Lines(newlines, trailing > 0, trailing)
