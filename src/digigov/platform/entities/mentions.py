"""Mentions: every row of every source that names a person or an enterprise, as one table of comparable
columns (in the warehouse connection doing the linking).

A mention is (dataset, role, layer, record). Rows come from the dataset's current clean table and, for the
identifier, from its quarantine too: a row quarantined only because its ID or USCC failed the checksum still
belongs to somebody, and linking it is how the steward learns whose it is. Quarantined values are raw, so
they go through their data element's normalisers in SQL first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from digigov.core.warehouse import ident, sql_literal, table_ref
from digigov.platform.entities.sources import ATTRIBUTES, KEY_ATTRIBUTE, Source
from digigov.platform.standards import sqlfuncs

#: The data element each attribute's raw values are normalised and validated as.
ELEMENTS: dict[str, dict[str, str | None]] = {
    "person": {"citizen_id": "citizen_id", "name": "person_name", "gender": "gender", "birth_date": "birth_date",
               "address": "address", "mobile": "mobile", "death_date": "death_date"},
    "enterprise": {"uscc": "uscc", "name": "enterprise_name", "legal_representative": "legal_representative",
                   "address": "address", "phone": "mobile", "status": None},
}
VALIDATOR = {"person": "citizen_id", "enterprise": "uscc"}


def first(cursor: duckdb.DuckDBPyConnection) -> Any:
    """The first row of a result, fetched whole (DuckDB refuses other work on a connection whose result is
    still open), or None."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def mention_table(kind: str) -> str:
    return f"_{kind}_mention"


def _select(src: Source, layer: str, records: Sequence[int] | None) -> str:
    kind = src.kind
    key = KEY_ATTRIBUTE[kind]
    table = table_ref(src.layer if layer == "clean" else "quarantine", f"{src.dataset}__v{src.version}")
    cols = []
    for attr in ATTRIBUTES[kind]:
        column = src.columns.get(attr)
        if column is None:
            cols.append(f"CAST(NULL AS VARCHAR) AS {attr}")
            continue
        if layer == "clean":
            cols.append(f"nullif(trim(CAST({ident(column)} AS VARCHAR)), '') AS {attr}")
            continue
        raw = f"json_extract_string(_raw, {sql_literal('$.' + ident(column))})"
        element = ELEMENTS[kind][attr]
        expr = sqlfuncs.element_sql(element, raw)[0] if element else f"nullif(trim({raw}), '')"
        cols.append(f"{expr} AS {attr}")
    where = [f"({src.row_filter})"] if src.row_filter and layer == "clean" else []
    if layer == "quarantine":
        id_col = src.columns.get(key)
        if id_col is None:
            return ""
        prefix = sql_literal(id_col + ":")
        where.append(f"list_bool_and(list_transform(string_split(_reasons, '; '), lambda x: starts_with(x, {prefix})))")
    if records is not None:
        where.append(f"_record IN ({', '.join(str(int(r)) for r in records) or 'NULL'})")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return (f"SELECT {sql_literal(src.dataset)} AS dataset, {sql_literal(src.role)} AS role, {sql_literal(layer)} "
            f"AS layer, CAST(_record AS BIGINT) AS record, {', '.join(cols)} FROM {table}{clause}")


def build(con: duckdb.DuckDBPyConnection, kind: str, sources: Sequence[Source], *,
          records: Mapping[str, Sequence[int]] | None = None, table: str | None = None) -> int:
    """Create the temp table of `kind`'s mentions from `sources` (only `records[dataset]` when given);
    how many mentions it holds. Columns: the mention key, the attributes, `key_valid` (the identifier when its
    checksum holds, else NULL) and `rid` (one string naming the mention)."""
    sqlfuncs.register(con)
    parts = []
    quarantined = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'quarantine'").fetchall()}
    for src in sources:
        wanted = None if records is None else records.get(src.dataset)
        if records is not None and not wanted:
            continue
        parts.append(_select(src, "clean", wanted))
        if f"{src.dataset}__v{src.version}" in quarantined:
            q = _select(src, "quarantine", wanted)
            if q:
                parts.append(q)
    key = KEY_ATTRIBUTE[kind]
    name = table or mention_table(kind)
    attrs = ", ".join(ATTRIBUTES[kind])
    if not parts:
        body = ("SELECT ''::VARCHAR AS dataset, ''::VARCHAR AS role, ''::VARCHAR AS layer, 0::BIGINT AS record, "
                + ", ".join(f"''::VARCHAR AS {a}" for a in ATTRIBUTES[kind]) + " WHERE false")
    else:
        body = " UNION ALL ".join(parts)
    check = sqlfuncs.validate_sql(VALIDATOR[kind], f"m.{key}")
    values = ", ".join(f"coalesce({a}, {sql_literal(chr(0))})" for a in ATTRIBUTES[kind])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT dataset, role, layer, record, {attrs}, "
        f"CASE WHEN m.{key} IS NOT NULL AND {check} IS NULL THEN m.{key} END AS key_valid, "
        f"dataset || '|' || role || '|' || layer || '|' || CAST(record AS VARCHAR) AS rid, "
        f"md5(concat_ws('|', dataset, role, {values})) AS fp FROM ({body}) m")
    return int(first(con.execute(f"SELECT count(*) FROM {name}"))[0])
