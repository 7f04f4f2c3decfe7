"""Golden records (一数一源): for each attribute of a file, the value from the source that is authoritative for
it; failing that, from the best-ranked source, the most frequent value first. Every other value stays in the
links as history (the file page lists them with their sources)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from digigov.core.warehouse import sql_literal
from digigov.platform.entities.sources import ATTRIBUTES, KEY_ATTRIBUTE, Source


def priority_table(con: duckdb.DuckDBPyConnection, kind: str, sources: Sequence[Source]) -> str:
    """A temp table (dataset, role, attribute, prio): 0 for the authoritative source, else the source's rank."""
    name = f"_{kind}_priority"
    rows = [f"({sql_literal(s.dataset)}, {sql_literal(s.role)}, {sql_literal(a)}, "
            f"{0 if a in s.authoritative else max(1, s.rank)})"
            for s in sources for a in ATTRIBUTES[kind] if a in s.columns]
    values = ", ".join(rows) or "('', '', '', 0)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM (VALUES {values}) "
                "AS t(dataset, role, attribute, prio)")
    return name


def golden_sql(kind: str, mentions: str, group: str, priority: str) -> str:
    """SELECT `group` AS file, one column per attribute, and `records` (mentions in the file), from `mentions`
    (which has a column `group`)."""
    attrs = ATTRIBUTES[kind]
    # the identifier only as a valid one (a mistyped ID in the authoritative source is history, not the file's)
    column = {a: ("key_valid" if a == KEY_ATTRIBUTE[kind] else a) for a in attrs}
    unpivot = " UNION ALL ".join(
        f"SELECT {group} AS file, dataset, role, {sql_literal(a)} AS attribute, CAST({column[a]} AS VARCHAR) AS value "
        f"FROM {mentions} WHERE {column[a]} IS NOT NULL AND {group} IS NOT NULL" for a in attrs)
    pick = ", ".join(f"max(value) FILTER (WHERE attribute = {sql_literal(a)}) AS {a}" for a in attrs)
    return (
        f"WITH v AS ({unpivot}), "
        f"c AS (SELECT v.file, v.attribute, v.value, min(coalesce(p.prio, 1000)) AS prio, count(*) AS n "
        f"FROM v LEFT JOIN {priority} p ON p.dataset = v.dataset AND p.role = v.role AND p.attribute = v.attribute "
        f"GROUP BY 1, 2, 3), "
        f"r AS (SELECT file, attribute, value, row_number() OVER (PARTITION BY file, attribute "
        f"ORDER BY prio, n DESC, value) AS rn FROM c), "
        f"g AS (SELECT file, {pick} FROM r WHERE rn = 1 GROUP BY file), "
        f"k AS (SELECT {group} AS file, count(*) AS records FROM {mentions} WHERE {group} IS NOT NULL GROUP BY 1) "
        f"SELECT k.file, {', '.join('g.' + a for a in attrs)}, k.records FROM k LEFT JOIN g ON g.file = k.file"
    )
