"""Reading a file into a fresh staging table and checking what every reader promises on the way."""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb

from digigov.platform.ingest.readers import SourceInfo, read_into

_counter = itertools.count()


def load(con: duckdb.DuckDBPyConnection, path: Path, **kw: object) -> tuple[SourceInfo, list[tuple]]:
    """Read `path`; assert rows in = staged + rejects and that record numbers run 1..rows in exactly once."""
    table = f"staging.t{next(_counter)}"
    info = read_into(con, path, table, **kw)  # type: ignore[arg-type]
    rows = con.execute(f"SELECT * FROM {table} ORDER BY _record").fetchall()
    assert info.rows_in == len(rows) + len(info.rejects)
    numbers = sorted([r[0] for r in rows] + [r.record for r in info.rejects])
    assert numbers == list(range(1, info.rows_in + 1))
    return info, rows
