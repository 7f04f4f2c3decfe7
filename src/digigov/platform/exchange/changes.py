"""What a load changed: the rows inserted, updated and deleted between two versions of a dataset.

Computed in the warehouse when a version is committed, while the previous version still exists, and kept
as a table of its own next to the version (`clean."households__c4"`: the changes that made version 4), so
the change feed can deliver them later without the old version. Rows are matched on the dataset's key
columns; a dataset without keys, or whose keys repeat within a version, is compared as a multiset of
whole rows (inserts and deletes only). When the columns themselves changed, every old row is deleted and
every new one inserted. Each change row carries `_op` ('insert', 'update', 'delete') and the row's values
(the new ones; the old ones for a delete).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from digigov.core.warehouse import ident, table_ref

OPS = ("insert", "update", "delete")
INTERNAL = ("_record",)


@dataclass(frozen=True)
class ChangeSet:
    table: str  # the warehouse table holding the changes
    inserts: int
    updates: int
    deletes: int
    columns: tuple[str, ...]
    keyed: bool  # matched on key columns (else as whole rows)

    @property
    def total(self) -> int:
        return self.inserts + self.updates + self.deletes

    def counts(self) -> dict[str, int]:
        return {"insert": self.inserts, "update": self.updates, "delete": self.deletes}


def change_table(layer: str, code: str, version: int) -> str:
    return table_ref(layer, f"{code}__c{version}")


def _columns(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> list[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                       "AND table_name = ? ORDER BY ordinal_position", [layer, name]).fetchall()
    return [r[0] for r in rows if r[0] not in INTERNAL]


def _exists(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                            "AND table_name = ?", [layer, name]).fetchone()[0])  # type: ignore[index]


def _unique(con: duckdb.DuckDBPyConnection, table: str, keys: Sequence[str]) -> bool:
    cols = ", ".join(ident(k) for k in keys)
    row = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY {cols} "  # noqa: S608
                      "HAVING count(*) > 1)").fetchone()
    return not row or row[0] == 0


def compute(con: duckdb.DuckDBPyConnection, layer: str, code: str, version: int,
            keys: Sequence[str]) -> ChangeSet:
    """Write the changes from version `version - 1` (nothing, for the first) to `version` into the change
    table of `version` and count them. Both versions must still be in the warehouse."""
    new_name, old_name = f"{code}__v{version}", f"{code}__v{version - 1}"
    new, out = table_ref(layer, new_name), change_table(layer, code, version)
    columns = _columns(con, layer, new_name)
    cols = ", ".join(ident(c) for c in columns)
    has_old = version > 1 and _exists(con, layer, old_name)
    old = table_ref(layer, old_name) if has_old else None
    old_columns = _columns(con, layer, old_name) if has_old else []
    keyed = bool(keys) and set(keys) <= set(columns)
    if old is None:
        sql = f"SELECT 'insert' AS _op, {cols} FROM {new}"  # noqa: S608
        keyed = False
    elif old_columns != columns:
        old_cols = ", ".join(ident(c) for c in old_columns)
        sql = (f"SELECT 'delete' AS _op, {old_cols} FROM {old} "  # noqa: S608
               f"UNION ALL BY NAME SELECT 'insert' AS _op, {cols} FROM {new}")
        keyed = False
    elif keyed and _unique(con, new, keys) and _unique(con, old, keys):
        using = ", ".join(ident(k) for k in keys)
        data = [c for c in columns if c not in keys]
        differs = " OR ".join(f"n.{ident(c)} IS DISTINCT FROM o.{ident(c)}" for c in data) or "FALSE"
        n_cols = ", ".join(f"n.{ident(c)}" for c in columns)
        sql = (f"SELECT 'insert' AS _op, {cols} FROM {new} ANTI JOIN {old} USING ({using}) "  # noqa: S608
               f"UNION ALL SELECT 'update' AS _op, {n_cols} FROM {new} n JOIN {old} o USING ({using}) "
               f"WHERE {differs} "
               f"UNION ALL SELECT 'delete' AS _op, {cols} FROM {old} ANTI JOIN {new} USING ({using})")
    else:
        keyed = False
        sql = (f"SELECT 'insert' AS _op, * FROM (SELECT {cols} FROM {new} EXCEPT ALL "  # noqa: S608
               f"SELECT {cols} FROM {old}) "
               f"UNION ALL SELECT 'delete' AS _op, * FROM (SELECT {cols} FROM {old} EXCEPT ALL "
               f"SELECT {cols} FROM {new})")
    con.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT row_number() OVER () AS _change, * FROM ({sql})")  # noqa: S608
    counts = dict(con.execute(f"SELECT _op, count(*) FROM {out} GROUP BY _op").fetchall())  # noqa: S608
    return ChangeSet(out, int(counts.get("insert", 0)), int(counts.get("update", 0)),
                     int(counts.get("delete", 0)), tuple(columns), keyed)


def read(con: duckdb.DuckDBPyConnection, layer: str, code: str, version: int, *, after: int = 0,
         limit: int = 500) -> list[dict[str, Any]]:
    """Change rows of `version` in order, `limit` at a time after change number `after`."""
    out = change_table(layer, code, version)
    cur = con.execute(f"SELECT * FROM {out} WHERE _change > ? ORDER BY _change LIMIT ?",  # noqa: S608
                      [after, limit])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
