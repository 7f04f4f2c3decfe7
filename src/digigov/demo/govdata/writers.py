"""Streaming writers of the department files (CSV, TSV, XLSX, JSON, NDJSON, Parquet) and of the truth.

Every writer takes rows as lists in header order, counts them, and writes byte-identical output for
identical rows: XLSX archives are rewritten with fixed timestamps, Parquet carries no timestamps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

FIXED_TIME = (2021, 9, 1, 0, 0, 0)
FIXED_STAMP = "2021-09-01T00:00:00Z"


class RowWriter(Protocol):
    rows: int

    def write(self, row: list[Any]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class DelimitedWriter:
    """CSV or TSV in any encoding; errors are strict, so a GBK file never holds a character GBK lacks."""

    def __init__(self, path: Path, headers: tuple[str, ...], encoding: str, delimiter: str = ",",
                 lineterminator: str = "\n") -> None:
        self.file = path.open("w", encoding=encoding, newline="", errors="strict")
        self.writer = csv.writer(self.file, delimiter=delimiter, lineterminator=lineterminator)
        self.writer.writerow(headers)
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        self.writer.writerow(row)
        self.rows += 1

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class JsonWriter:
    """NDJSON (one object a line) or a JSON array with one object a line."""

    def __init__(self, path: Path, headers: tuple[str, ...], *, array: bool) -> None:
        self.file = path.open("w", encoding="utf-8", newline="\n")
        self.headers = headers
        self.array = array
        self.rows = 0
        if array:
            self.file.write("[")

    def write(self, row: list[Any]) -> None:
        text = json.dumps(dict(zip(self.headers, row, strict=True)), ensure_ascii=False)
        if self.array:
            self.file.write(("\n  " if self.rows == 0 else ",\n  ") + text)
        else:
            self.file.write(text + "\n")
        self.rows += 1

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        if self.array:
            self.file.write("\n]\n" if self.rows else "]\n")
        self.file.close()


class XlsxWriter:
    """One sheet written with openpyxl's write-only mode; dates become Excel date serials."""

    def __init__(self, path: Path, headers: tuple[str, ...], sheet: str) -> None:
        self.path = path
        self.book = Workbook(write_only=True)
        self.book.properties.creator = "digigov demo"
        self.book.properties.created = dt.datetime(2021, 9, 1)
        self.sheet = self.book.create_sheet(sheet)
        self.sheet.append(list(headers))
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        self.sheet.append([None if value == "" else value for value in row])
        self.rows += 1

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.book.save(self.path)
        normalise_zip(self.path)


def normalise_zip(path: Path) -> None:
    """Rewrite an OOXML archive with fixed entry times and a fixed modified stamp (reproducible bytes)."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_STAMP.encode(), data)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


class ParquetRowWriter:
    """Buffers rows and writes a row group at each flush."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.buffer: list[list[Any]] = []
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        self.buffer.append(row)
        self.rows += 1

    def flush(self) -> None:
        if self.buffer:
            rows = self.buffer
            arrays = [_array([row[i] for row in rows], f.type) for i, f in enumerate(self.schema)]
            self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
            self.buffer = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def _array(values: list[Any], kind: pa.DataType) -> pa.Array:
    """A column as an Arrow array; list columns through offsets (pyarrow converts empty lists slowly)."""
    if not pa.types.is_list(kind):
        return pa.array(values, type=kind)
    offsets, flat = [0], []
    for items in values:
        flat.extend(items)
        offsets.append(len(flat))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, kind.value_type))


TRUTH_SCHEMA = pa.schema([
    ("record", pa.int64()),  # 1-based data row number in the file (header and JSON brackets not counted)
    ("entity_kind", pa.string()),  # person / enterprise
    ("entity_key", pa.string()),  # P0000001 / E000001: the entity the row is about
    ("person_key", pa.string()),  # the person named in the row (the entity itself, a legal representative)
    ("enterprise_key", pa.string()),  # the enterprise named in the row (the entity itself, an employer, a winner)
    ("official_key", pa.string()),  # the village cadre named in the row (负责人, 经办人)
    ("noise", pa.list_(pa.string())),  # noise kinds applied to the row
    ("noise_fields", pa.list_(pa.string())),  # the header each kind touched ("" for a duplicate)
    ("duplicate_of", pa.int64()),  # for a duplicate, the record it copies
    ("anomaly", pa.string()),  # a planted business anomaly (after_death, cadre_employer), else null
])


class TruthWriter(ParquetRowWriter):
    def __init__(self, path: Path) -> None:
        super().__init__(path, TRUTH_SCHEMA)


def write_parquet(path: Path, columns: dict[str, list[Any]], schema: pa.Schema) -> None:
    table = pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)
    pq.write_table(table, path, compression="zstd")
