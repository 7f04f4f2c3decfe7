"""Linking new records into the existing files without re-running everything: a record with a valid identifier
joins (or opens) its file; one without is scored by the stored model against the files it shares a blocking
key with. The golden records of the files that changed are recomputed; nothing else is touched."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from digigov.core.warehouse import sql_literal
from digigov.platform.entities import features, golden, mentions, scoring
from digigov.platform.entities.linker import (
    PREFIX,
    Decision,
    LinkResult,
    _alternatives,
    _attrs,
    _candidates,
    apply_decisions,
    assign,
    file_table,
    link_table,
)
from digigov.platform.entities.mentions import first
from digigov.platform.entities.sources import Source


def linked(con: duckdb.DuckDBPyConnection, kind: str) -> bool:
    """Whether a full link has written this kind's tables."""
    rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'entity' "
                       "AND table_name = ?", [f"{kind}_file"]).fetchall()
    return bool(rows[0][0])


def link_new(con: duckdb.DuckDBPyConnection, kind: str, sources: Sequence[Source], decisions: Sequence[Decision],
             model: dict[str, Any], *, secret: str, threshold: float,
             records: dict[str, Sequence[int]] | None = None, reload: Sequence[str] = ()) -> LinkResult:
    """Link the mentions of `records` (dataset -> record numbers; None: every mention not linked yet). The
    datasets in `reload` have a new version: their old links are dropped and all their rows linked again."""
    started = time.perf_counter()
    result = LinkResult(kind=kind)
    new = f"_{kind}_new"
    dropped: set[str] = set()
    if reload:
        marks = ", ".join("?" for _ in reload)
        dropped = {str(r[0]) for r in con.execute(
            f"SELECT DISTINCT file_id FROM {link_table(kind)} WHERE dataset IN ({marks})", list(reload)).fetchall()}
        con.execute(f"DELETE FROM {link_table(kind)} WHERE dataset IN ({marks})", list(reload))
        mentions.build(con, kind, [s for s in sources if s.dataset in reload], table=new)
    else:
        mentions.build(con, kind, sources, records=records, table=new)
    if records is None:
        con.execute(f"DELETE FROM {new} n WHERE EXISTS (SELECT 1 FROM {link_table(kind)} l WHERE "
                    "l.dataset = n.dataset AND l.role = n.role AND l.layer = n.layer AND l.record = n.record)")
    result.mentions = int(first(con.execute(f"SELECT count(*) FROM {new}"))[0])
    if not result.mentions:
        refresh_files(con, kind, sources, dropped)
        result.seconds = round(time.perf_counter() - started, 3)
        return result
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind}_newkeys AS SELECT key_valid AS key, "
                f"{sql_literal(PREFIX[kind])} || substr(dg_hmac({sql_literal(secret)}, "
                f"{sql_literal(kind + ':')} || key_valid), 1, 16) AS file_id "
                f"FROM (SELECT DISTINCT key_valid FROM {new} WHERE key_valid IS NOT NULL)")
    residue = con.execute(f"SELECT rid, {_attrs(kind)} FROM {new} WHERE key_valid IS NULL").df()
    result.residue = len(residue)
    assigned: dict[str, tuple[str, str, float | None, str | None]] = {}
    alternatives: dict[str, list[str]] = {}
    if len(residue):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind}_newres AS SELECT rid, {_attrs(kind)} FROM {new} "
                    "WHERE key_valid IS NULL")
        files_frame = _candidates(con, kind, f"(SELECT file_id AS key, * EXCLUDE (file_id, records) FROM "
                                  f"{file_table(kind)})", f"_{kind}_newres")
        total = int(first(con.execute(f"SELECT count(*) FROM {file_table(kind)}"))[0])
        ids = {str(k): str(k) for k in files_frame["key"]}
        pairs = scoring.score(kind, model, features.BUILDERS[kind](files_frame, "key"),
                              features.BUILDERS[kind](residue, "rid"), prior=1.0 / max(total, 2),
                              min_probability=min(0.5, threshold))
        assigned = assign(kind, pairs, [str(r) for r in residue["rid"]], ids, model, threshold)
        alternatives = _alternatives(pairs, ids, threshold)
    frame = pd.DataFrame([(rid, f, m, w, e) for rid, (f, m, w, e) in assigned.items()],
                         columns=["rid", "file_id", "method", "weight", "evidence"]).astype(
        {"rid": "object", "file_id": "object", "method": "object", "weight": "float64", "evidence": "object"})
    con.register("_new_assigned", frame)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _{kind}_newassign AS SELECT m.rid, m.fp, coalesce(a.file_id, k.file_id) "
        f"AS file_id, CASE WHEN k.file_id IS NOT NULL THEN 'id' ELSE a.method END AS method, a.weight AS weight, "
        f"CASE WHEN k.file_id IS NOT NULL THEN '{{\"key\": true}}' ELSE a.evidence END AS evidence FROM {new} m "
        f"LEFT JOIN _{kind}_newkeys k ON k.key = m.key_valid LEFT JOIN _new_assigned a ON a.rid = m.rid")
    con.unregister("_new_assigned")
    result.steward = apply_decisions(f"_{kind}_newassign", decisions, con, kind, alternatives)
    before = con.execute(f"SELECT DISTINCT l.file_id FROM {link_table(kind)} l JOIN {new} n ON l.dataset = n.dataset "
                         "AND l.role = n.role AND l.layer = n.layer AND l.record = n.record").fetchall()
    con.execute(f"DELETE FROM {link_table(kind)} l WHERE EXISTS (SELECT 1 FROM {new} n WHERE l.dataset = n.dataset "
                "AND l.role = n.role AND l.layer = n.layer AND l.record = n.record)")
    con.execute(f"INSERT INTO {link_table(kind)} SELECT m.dataset, m.record, m.role, m.layer, a.file_id, a.method, "
                f"a.weight, a.evidence, m.fp FROM {new} m JOIN _{kind}_newassign a ON a.rid = m.rid")
    touched = dropped | {str(r[0]) for r in before} | {str(r[0]) for r in con.execute(
        f"SELECT DISTINCT file_id FROM _{kind}_newassign").fetchall()}
    refresh_files(con, kind, sources, touched)
    counts = dict(con.execute(f"SELECT method, count(*) FROM _{kind}_newassign GROUP BY 1").fetchall())
    result.exact, result.probabilistic = int(counts.get("id", 0)), int(counts.get("probabilistic", 0))
    result.alone, result.files = int(counts.get("single", 0)), len(touched)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def refresh_files(con: duckdb.DuckDBPyConnection, kind: str, sources: Sequence[Source], file_ids: set[str]) -> None:
    """Recompute the golden records of `file_ids` from their current links (a file left empty is removed)."""
    if not file_ids:
        return
    ids = pd.DataFrame({"file_id": sorted(file_ids)})
    con.register("_touched", ids)
    rows = con.execute(f"SELECT dataset, record FROM {link_table(kind)} WHERE file_id IN "
                       "(SELECT file_id FROM _touched)").fetchall()
    wanted: dict[str, list[int]] = {}
    for dataset, record in rows:
        wanted.setdefault(str(dataset), []).append(int(record))
    members = f"_{kind}_members"
    mentions.build(con, kind, sources, records=wanted, table=members)
    priority = golden.priority_table(con, kind, sources)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind}_memlinked AS SELECT m.*, l.file_id FROM {members} m "
                f"JOIN {link_table(kind)} l ON l.dataset = m.dataset AND l.role = m.role AND l.layer = m.layer "
                "AND l.record = m.record WHERE l.file_id IN (SELECT file_id FROM _touched)")
    con.execute(f"DELETE FROM {file_table(kind)} WHERE file_id IN (SELECT file_id FROM _touched)")
    con.execute(f"INSERT INTO {file_table(kind)} SELECT file AS file_id, * EXCLUDE (file) FROM "
                f"({golden.golden_sql(kind, f'_{kind}_memlinked', 'file_id', priority)})")
    con.unregister("_touched")
