"""Serving an open dataset's rows: the datastore query, the page preview and the streamed exports.

Only the open fields are ever selected: the serving SELECT is `warehouse.service.select_sql` over the open
fields, named one by one, and every filter, sort, text search or field list must name one of them (anything
else is "there is no field X", as for a column that does not exist). Values are bound parameters; column names
are quoted identifiers. The callers in `service` count each public read.
"""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digigov.core.errors import InvalidInput
from digigov.core.warehouse import get_warehouse, ident, sql_literal
from digigov.platform.warehouse import service as warehouse

if TYPE_CHECKING:
    from digigov.platform.opendata.service import OpenDataset

PREVIEW_ROWS = 20
MAX_ROWS = 32_000  # CKAN's ckan.datastore.search.rows_max
EXPORT_BATCH = 5_000
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _base_sql(view: OpenDataset) -> str:
    """The serving SELECT of the open fields only (`_record` and each open column, named one by one)."""
    wanted = {f.column for f in view.fields}
    return warehouse.select_sql(view.dataset, [f for f in view.dataset.fields if f.column in wanted], masked=False)


def column_types(view: OpenDataset) -> dict[str, str]:
    """The warehouse type (DuckDB's name) of each open column."""
    with get_warehouse().connect() as con:
        described = con.execute(f"DESCRIBE {_base_sql(view)}").fetchall()
    return {str(row[0]): str(row[1]) for row in described if row[0] != "_record"}


def json_value(value: Any) -> Any:
    """A warehouse value as JSON: dates as ISO text, decimals as numbers, bytes and NaN as null."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@dataclass(frozen=True)
class RowQuery:
    """A datastore read: equality filters (field -> accepted values), free text `q` over every field or
    per field, the fields to return (None: all open ones), sort and paging."""

    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    q: str = ""
    q_fields: Mapping[str, str] = field(default_factory=dict)
    fields: Sequence[str] | None = None
    sort: Sequence[tuple[str, bool]] = ()
    limit: int = 100
    offset: int = 0


@dataclass
class RowPage:
    fields: list[tuple[str, str]]  # (name, warehouse type), `_id` first
    records: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


ROW_ID = "_id"


def _known(view: OpenDataset, name: object, what: str) -> str:
    if not isinstance(name, str) or (name != ROW_ID and name not in {f.column for f in view.fields}):
        raise InvalidInput(f"{what}: there is no field {str(name)[:64]!r}", key="open_unknown_field",
                           field=what, name=str(name)[:64])
    return name


def _ref(name: str) -> str:
    return "t._record" if name == ROW_ID else f"t.{ident(name)}"


def read(view: OpenDataset, rq: RowQuery) -> RowPage:
    """A page of the open fields' rows: only open columns are ever selected, whatever the query names."""
    names = [f.column for f in view.fields]
    chosen = [_known(view, n, "fields") for n in rq.fields] if rq.fields is not None else [ROW_ID, *names]
    if ROW_ID not in chosen:
        chosen = [ROW_ID, *chosen]
    where: list[str] = []
    params: list[Any] = []
    for name, values in rq.filters.items():
        col = _ref(_known(view, name, "filters"))
        values = list(values)
        if not values:
            continue
        where.append(f"CAST({col} AS VARCHAR) IN ({', '.join('?' for _ in values)})")
        params += [str(v) for v in values]
    if rq.q:
        where.append("(" + " OR ".join(f"contains(lower(CAST(t.{ident(n)} AS VARCHAR)), ?)" for n in names) + ")")
        params += [rq.q.lower()] * len(names)
    for name, text in rq.q_fields.items():
        where.append(f"contains(lower(CAST({_ref(_known(view, name, 'q'))} AS VARCHAR)), ?)")
        params.append(str(text).lower())
    order = [f"{_ref(_known(view, n, 'sort'))} {'DESC' if desc else 'ASC'} NULLS LAST" for n, desc in rq.sort]
    limit, offset = max(0, min(int(rq.limit), MAX_ROWS)), max(0, int(rq.offset))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    select_list = ", ".join(f"{_ref(n)} AS {ident(n)}" for n in chosen)
    base = _base_sql(view)
    with get_warehouse().connect() as con:
        # identifiers are open columns quoted by ident(); every value is a bound parameter
        counted = con.execute(f"SELECT count(*) FROM ({base}) AS t{clause}", params).fetchone()  # noqa: S608
        got = con.execute(f"SELECT {select_list} FROM ({base}) AS t{clause} ORDER BY "  # noqa: S608
                          f"{', '.join([*order, 't._record'])} LIMIT {limit} OFFSET {offset}", params).fetchall()
        described = con.execute(f"DESCRIBE SELECT {select_list} FROM ({base}) AS t").fetchall()  # noqa: S608
    total = int(counted[0]) if counted else 0
    types = {str(r[0]): str(r[1]) for r in described}
    return RowPage(fields=[(n, types.get(n, "VARCHAR")) for n in chosen],
                   records=[{n: json_value(v) for n, v in zip(chosen, row, strict=True)} for row in got],
                   total=total, limit=limit, offset=offset)


def preview(view: OpenDataset, limit: int = PREVIEW_ROWS) -> RowPage:
    """The first rows for the portal's dataset page (a look, not a download: not counted)."""
    return read(view, RowQuery(limit=limit))


# ---- exports ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    """Everything a streamed download needs, fixed before the response starts (no store access after)."""

    code: str
    columns: tuple[str, ...]
    base_sql: str


def export_of(view: OpenDataset) -> Export:
    return Export(view.code, tuple(f.column for f in view.fields), _base_sql(view))


def _batches(export: Export, size: int = EXPORT_BATCH) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in `_record` order, a batch per warehouse connection (so no connection spans a network send)."""
    cols = ", ".join(f"t.{ident(c)}" for c in export.columns)
    last = 0
    while True:
        with get_warehouse().connect() as con:
            batch = con.execute(f"SELECT t._record, {cols} FROM ({export.base_sql}) AS t WHERE t._record > ? "  # noqa: S608
                                f"ORDER BY t._record LIMIT {int(size)}", [last]).fetchall()
        if not batch:
            return
        last = int(batch[-1][0])
        yield [tuple(r[1:]) for r in batch]
        if len(batch) < size:
            return


def csv_cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_CSV_FORMULA):
        return "'" + value
    return value


def csv_stream(columns: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Chinese right), header first, one chunk per batch."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in columns])
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")
    for batch in batches:
        buf.seek(0)
        buf.truncate()
        writer.writerows([csv_cell(v) for v in row] for row in batch)
        yield buf.getvalue().encode("utf-8")


def csv_chunks(export: Export) -> Iterator[bytes]:
    return csv_stream(export.columns, _batches(export))


def json_chunks(export: Export) -> Iterator[bytes]:
    """A JSON array of one object per row, streamed."""
    yield b"["
    first = True
    for batch in _batches(export):
        parts = [json.dumps({c: json_value(v) for c, v in zip(export.columns, row, strict=True)},
                            ensure_ascii=False) for row in batch]
        yield (("" if first else ",") + "\n" + ",\n".join(parts)).encode("utf-8")
        first = False
    yield b"\n]\n"


def write_parquet(export: Export, path: Path) -> Path:
    """The open columns as a Parquet file at `path` (written by DuckDB, then streamed from disk)."""
    cols = ", ".join(f"t.{ident(c)}" for c in export.columns)
    with get_warehouse().connect() as con:
        con.execute(f"COPY (SELECT {cols} FROM ({export.base_sql}) AS t ORDER BY t._record) "  # noqa: S608
                    f"TO {sql_literal(str(path))} (FORMAT PARQUET)")
    return path
