"""One department file being written: its writer, its noise, its truth and its duplicates."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from digigov.demo.govdata.catalog import Spec
from digigov.demo.govdata.noise import DUPLICATE, Noiser
from digigov.demo.govdata.writers import (
    DelimitedWriter,
    JsonWriter,
    ParquetRowWriter,
    RowWriter,
    TruthWriter,
    XlsxWriter,
)


def make_writer(spec: Spec, path: Path, schema: pa.Schema | None = None) -> RowWriter:
    if spec.format in ("csv", "tsv"):
        assert spec.encoding
        return DelimitedWriter(path, spec.headers, spec.encoding, "\t" if spec.format == "tsv" else ",",
                               "\r\n" if spec.encoding == "gbk" else "\n")
    if spec.format == "xlsx":
        return XlsxWriter(path, spec.headers, spec.sheet)
    if spec.format in ("json", "ndjson"):
        return JsonWriter(path, spec.headers, array=spec.format == "json")
    if spec.format == "parquet":
        assert schema is not None
        return ParquetRowWriter(path, schema)
    raise ValueError(spec.format)


class Sink:
    """Rows go in clean; they come out noised, numbered, recorded in the truth, some of them twice.

    A duplicate copy is written at the next :meth:`flush` (the end of a chunk), so it lands a little after
    its original, as re-sent rows do.
    """

    def __init__(self, spec: Spec, directory: Path, truth_dir: Path, seed: int,
                 schema: pa.Schema | None = None) -> None:
        self.spec = spec
        self.path = directory / spec.filename
        self.writer = make_writer(spec, self.path, schema)
        self.truth = TruthWriter(truth_dir / f"{spec.dataset}.parquet")
        rng = random.Random(f"{seed}:noise:{spec.dataset}")
        self.noiser = Noiser(spec.headers, spec.roles, spec.scale, rng, spec.encoding)
        self.pending: list[tuple[list[Any], list[Any]]] = []
        self.noise_counts: Counter[str] = Counter()
        self.anomalies: Counter[str] = Counter()

    @property
    def rows(self) -> int:
        return self.writer.rows

    def emit(self, row: list[Any], entity_key: str, *, person: str | None = None, enterprise: str | None = None,
             official: str | None = None, anomaly: str | None = None, entity_kind: str | None = None) -> None:
        kinds, fields = self.noiser.apply(row)
        duplicate = DUPLICATE in kinds
        if duplicate:
            at = kinds.index(DUPLICATE)
            del kinds[at], fields[at]
        self.writer.write(row)
        record = self.writer.rows
        truth = [record, entity_kind or self.spec.entity_kind, entity_key, person, enterprise, official, kinds, fields,
                 None, anomaly]
        self._record(truth)
        if duplicate:
            copy = [None, truth[1], entity_key, person, enterprise, official, [*kinds, DUPLICATE], [*fields, ""],
                    record, anomaly]
            self.pending.append((list(row), copy))

    def _record(self, truth: list[Any]) -> None:
        self.truth.write(truth)
        if truth[6]:
            self.noise_counts.update(truth[6])
        if truth[9]:
            self.anomalies[truth[9]] += 1

    def flush(self) -> None:
        for row, truth in self.pending:
            self.writer.write(row)
            truth[0] = self.writer.rows
            self._record(truth)
        self.pending.clear()
        self.writer.flush()
        self.truth.flush()

    def close(self) -> int:
        self.flush()
        self.writer.close()
        self.truth.close()
        return self.writer.rows
