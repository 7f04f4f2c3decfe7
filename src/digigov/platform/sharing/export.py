"""Streamed exports of a shared dataset (CSV, Parquet) from an `ExportPlan`.

The open-data exports (`opendata.serving`) embed a fixed SELECT with no parameters; a grant's row filter is a
parameterised condition, so these generalise them: each batch binds the filter's values along with the cursor.
CSV cells go through `opendata.serving.csv_stream` (formula neutralising) as the open-data downloads do. The
plan already counted (and capped at the day's quota) the rows to send, so a batch never runs past `plan.rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from digigov.platform.opendata.serving import EXPORT_BATCH, csv_stream
from digigov.platform.sharing import reader
from digigov.platform.sharing.serving import ExportPlan
from digigov.platform.standards import sqlfuncs


def batches(plan: ExportPlan, size: int = EXPORT_BATCH) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in `_record` order without `_record`, a warehouse connection per batch, at most `plan.rows`."""
    if plan.table is None or not plan.columns or plan.rows <= 0:
        return
    last, sent = 0, 0
    while sent < plan.rows:
        take = min(size, plan.rows - sent)
        with reader.connect() as con:
            if plan.needs_udf:
                sqlfuncs.register(con)
            batch = con.execute(f"SELECT {plan.select_list} FROM {plan.table} AS t "  # noqa: S608
                                f"WHERE ({plan.where}) AND t._record > ? ORDER BY t._record LIMIT {int(take)}",
                                [*plan.params, last]).fetchall()
        if not batch:
            return
        last = int(batch[-1][0])
        sent += len(batch)
        yield [tuple(r[1:]) for r in batch]
        if len(batch) < take:
            return


def csv_chunks(plan: ExportPlan) -> Iterator[bytes]:
    return csv_stream(plan.columns, batches(plan))


def write_parquet(plan: ExportPlan, path: Path) -> Path:
    """The granted columns (masked as granted) as a Parquet file at `path`, typed as the warehouse holds them."""
    import pyarrow as pa

    if plan.table is None or not plan.columns or plan.rows <= 0:
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in plan.columns}), str(path))
        return path
    with reader.connect() as con:
        if plan.needs_udf:
            sqlfuncs.register(con)
        arrow = con.sql(f"SELECT {plan.select_list} FROM {plan.table} AS t WHERE {plan.where} "  # noqa: S608
                        f"ORDER BY t._record LIMIT {int(plan.rows)}", params=list(plan.params)
                        ).to_arrow_reader(EXPORT_BATCH)
        assert arrow is not None
        writer: pq.ParquetWriter | None = None
        try:
            for rb in arrow:
                table = pa.Table.from_batches([rb]).select(list(plan.columns))
                if writer is None:
                    writer = pq.ParquetWriter(str(path), table.schema)
                writer.write_table(table)
            if writer is None:
                schema = arrow.schema
                pq.write_table(pa.Table.from_batches([], schema=schema).select(list(plan.columns)), str(path))
        finally:
            if writer is not None:
                writer.close()
    return path
