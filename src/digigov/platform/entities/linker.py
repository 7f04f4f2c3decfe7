"""Linking in the warehouse: exact keys first, Splink for the rest, the stewards' decisions last, then the link
and file tables (`entity.<kind>_link`, `entity.<kind>_file`) and the trained model (`entity.<kind>_model`).

1. Mentions with a valid identifier are linked on it: one file per ID / USCC.
2. The others (the residue) are scored by Splink against those files' golden records and against each other;
   each takes its best file at `threshold` or above; the rest cluster among themselves or stand alone.
3. Decisions: `confirm` pins a record to a file, `split` keeps it out of one.
4. Golden records are computed over every linked mention.

File ids are stable: a file anchored on an identifier is `P`/`E` + a keyed hash of the identifier (the ID never
appears in a URL); a file without one is `P`/`E` + `x` + a hash of its first record.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from digigov.core.warehouse import sql_literal, table_ref
from digigov.platform.entities import features, golden, mentions, scoring
from digigov.platform.entities import normalize as nz
from digigov.platform.entities.mentions import first
from digigov.platform.entities.sources import ATTRIBUTES, Source
from digigov.platform.standards.masking import hmac_hex

PREFIX = {"person": "P", "enterprise": "E"}
Progress = Callable[[str, int, int], None]
TRAIN_MENTIONS = 60_000  # at most this many identified mentions train the model


@dataclass(frozen=True)
class Decision:
    action: str  # confirm | split
    fingerprint: str
    file_id: str


@dataclass
class LinkResult:
    kind: str
    mentions: int = 0
    exact: int = 0
    probabilistic: int = 0
    alone: int = 0
    steward: int = 0
    files: int = 0
    residue: int = 0
    trained: bool = False
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


def key_file_id(kind: str, key: str, secret: str) -> str:
    return PREFIX[kind] + hmac_hex(secret, f"{kind}:{key}")[:16]


def cluster_file_id(kind: str, rid: str) -> str:
    return PREFIX[kind] + "x" + hashlib.sha256(rid.encode("utf-8")).hexdigest()[:15]


def link_table(kind: str) -> str:
    return table_ref("entity", f"{kind}_link")


def file_table(kind: str) -> str:
    return table_ref("entity", f"{kind}_file")


def model_table(kind: str) -> str:
    return table_ref("entity", f"{kind}_model")


def _noop(_s: str, _d: int, _t: int) -> None:
    return None


def load_model(con: duckdb.DuckDBPyConnection, kind: str) -> dict[str, Any] | None:
    con.execute("CREATE SCHEMA IF NOT EXISTS entity")
    con.execute(f"CREATE TABLE IF NOT EXISTS {model_table(kind)} (trained_at TIMESTAMP, settings VARCHAR)")
    rows = con.execute(f"SELECT settings FROM {model_table(kind)} ORDER BY trained_at DESC LIMIT 1").fetchall()
    return json.loads(rows[0][0]) if rows else None


def _save_model(con: duckdb.DuckDBPyConnection, kind: str, model: dict[str, Any]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS entity")
    con.execute(f"CREATE OR REPLACE TABLE {model_table(kind)} (trained_at TIMESTAMP, settings VARCHAR)")
    con.execute(f"INSERT INTO {model_table(kind)} VALUES (now(), ?)", [scoring.model_json(model)])


def _attrs(kind: str, prefix: str = "") -> str:
    return ", ".join(prefix + a for a in ATTRIBUTES[kind])


def _train(con: duckdb.DuckDBPyConnection, kind: str, table: str, backend: str) -> dict[str, Any]:
    total = int(first(con.execute(f"SELECT count(*) FROM {table} WHERE key_valid IS NOT NULL"))[0])
    share = min(1.0, TRAIN_MENTIONS / max(total, 1))
    # whole identifiers are sampled (by a hash of the key), so the sample keeps every pair of a sampled person
    sample = con.execute(
        f"SELECT rid, {_attrs(kind)}, key_valid AS label FROM {table} WHERE key_valid IS NOT NULL "
        f"AND (hash(key_valid) % 1000000) < {int(share * 1_000_000)}").df()
    frame = features.BUILDERS[kind](sample, "rid")
    frame["label"] = sample["label"].values
    return scoring.train(kind, frame, backend=backend)


def _candidates(con: duckdb.DuckDBPyConnection, kind: str, files: str, residue: str) -> pd.DataFrame:
    """The files that share a cheap key with some residue record (a superset of what Splink's blocking pairs),
    found with hash semi-joins."""
    if kind == "person":
        keys = ["name", "mobile", "substr(citizen_id, 1, 14)", "right(citizen_id, 8)",
                "substr(name, 1, 1) || coalesce(birth_date, strftime(try_strptime(substr(citizen_id, 7, 8), "
                "'%Y%m%d'), '%Y-%m-%d'), '')"]
        ors = " OR ".join(f"({k}) IN (SELECT {k} FROM {residue} WHERE ({k}) IS NOT NULL)" for k in keys)
        return con.execute(f"SELECT * FROM {files} WHERE {ors}").df()
    # enterprise names compare without their legal form: the keys are computed in Python, once per name
    names = [r[0] for r in con.execute(f"SELECT DISTINCT name FROM {files} WHERE name IS NOT NULL UNION "
                                       f"SELECT DISTINCT name FROM {residue} WHERE name IS NOT NULL").fetchall()]
    con.register("_name_keys", pd.DataFrame({"n": names, "k": [nz.enterprise_name(n) for n in names]},
                                            dtype="object"))
    keys = ["substr(uscc, 1, 10)", "right(uscc, 8)", "legal_representative", "name_key"]
    ors = " OR ".join(f"({k}) IN (SELECT {k} FROM _r WHERE ({k}) IS NOT NULL)" for k in keys)
    frame = con.execute(
        f"WITH _f AS (SELECT f.*, nk.k AS name_key FROM {files} f LEFT JOIN _name_keys nk ON nk.n = f.name), "
        f"_r AS (SELECT r.*, nk.k AS name_key FROM {residue} r LEFT JOIN _name_keys nk ON nk.n = r.name) "
        f"SELECT * EXCLUDE (name_key) FROM _f WHERE {ors}").df()
    con.unregister("_name_keys")
    return frame


def _levels(model: dict[str, Any]) -> list[str]:
    """The comparisons' output columns, in the model's order."""
    return [comp["output_column_name"] for comp in model.get("comparisons", [])]


def _evidence(row: Any, levels: Sequence[str]) -> str:
    """The pair's match probability and each field's match weight (log2 of its Bayes factor, with the
    term-frequency adjustment): positive where the fields agree, negative where they differ."""
    weights: dict[str, float] = {}
    for col in levels:
        bf = getattr(row, f"bf_{col}", None)
        if bf is None or pd.isna(bf):
            continue
        tf = getattr(row, f"bf_tf_adj_{col}", None)
        factor = float(bf) * (float(tf) if tf is not None and not pd.isna(tf) else 1.0)
        if factor > 0 and factor != 1.0:
            weights[col] = round(math.log2(factor), 2)
    return json.dumps({"p": round(float(row.match_probability), 6), "fields": weights}, ensure_ascii=False)


class _Components:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def assign(kind: str, pairs: pd.DataFrame, residue_ids: Sequence[str], file_ids: dict[str, str],
           model: dict[str, Any], threshold: float) -> dict[str, tuple[str, str, float | None, str | None]]:
    """rid -> (file_id, method, weight, evidence) for each residue mention: its best file at `threshold`, else its
    cluster among the residue, else a file of its own."""
    levels = _levels(model)
    best: dict[str, tuple[float, str, float, str]] = {}
    comps = _Components()
    for row in pairs.itertuples(index=False):
        if row.match_probability < threshold:
            continue
        left_res = row.source_dataset_l == "residue"
        right_res = row.source_dataset_r == "residue"
        if left_res and right_res:
            comps.union(str(row.unique_id_l), str(row.unique_id_r))
            continue
        rid, key = (str(row.unique_id_l), str(row.unique_id_r)) if left_res else (str(row.unique_id_r),
                                                                                   str(row.unique_id_l))
        if rid not in best or row.match_weight > best[rid][0]:
            best[rid] = (float(row.match_weight), key, float(row.match_weight), _evidence(row, levels))
    out: dict[str, tuple[str, str, float | None, str | None]] = {}
    for rid in residue_ids:
        if rid in best:
            _w, key, weight, ev = best[rid]
            out[rid] = (file_ids[key], "probabilistic", weight, ev)
    # a residue cluster joins the file one of its members matched; otherwise it is a file of its own
    groups: dict[str, list[str]] = {}
    for rid in residue_ids:
        groups.setdefault(comps.find(rid), []).append(rid)
    for members in groups.values():
        matched = [out[m][0] for m in members if m in out]
        target = matched[0] if matched else cluster_file_id(kind, min(members))
        for m in members:
            if m not in out:
                out[m] = (target, "probabilistic" if len(members) > 1 else "single", None, None)
    return out


def apply_decisions(table: str, decisions: Sequence[Decision], con: duckdb.DuckDBPyConnection, kind: str,
                    alternatives: dict[str, list[str]]) -> int:
    """Rewrite the assignment temp table `table` (rid, fp, file_id, method, weight, evidence) by the decisions;
    how many mentions they moved."""
    moved = 0
    for d in decisions:
        rows = con.execute(f"SELECT rid, file_id FROM {table} WHERE fp = ?", [d.fingerprint]).fetchall()
        for rid, current in rows:
            if d.action == "confirm" and current != d.file_id:
                target = d.file_id
            elif d.action == "split" and current == d.file_id:
                target = next((f for f in alternatives.get(rid, []) if f != d.file_id), cluster_file_id(kind, rid))
            else:
                if d.action == "confirm":
                    con.execute(f"UPDATE {table} SET method = 'steward' WHERE rid = ?", [rid])
                continue
            con.execute(f"UPDATE {table} SET file_id = ?, method = 'steward', weight = NULL, evidence = ? "
                        "WHERE rid = ?", [target, json.dumps({"decision": d.action}), rid])
            moved += 1
    return moved


def link_full(con: duckdb.DuckDBPyConnection, kind: str, sources: Sequence[Source], decisions: Sequence[Decision],
              *, secret: str, threshold: float, retrain: bool = False, backend: str = "duckdb",
              progress: Progress | None = None) -> LinkResult:
    """Link every mention of `kind` from scratch and replace the link and file tables."""
    step = progress or _noop
    label = f"{kind}"
    result = LinkResult(kind=kind)
    started = time.perf_counter()
    mark = started

    def stage(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        result.stages[name] = round(now - mark, 3)
        mark = now

    step(label, 0, 6)
    table = mentions.mention_table(kind)
    result.mentions = mentions.build(con, kind, sources)
    priority = golden.priority_table(con, kind, sources)
    stage("mentions")
    step(label, 1, 6)
    con.execute("CREATE SCHEMA IF NOT EXISTS entity")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind}_keys AS SELECT key_valid AS key, "
                f"{sql_literal(PREFIX[kind])} || substr(dg_hmac({sql_literal(secret)}, "
                f"{sql_literal(kind + ':')} || key_valid), 1, 16) AS file_id "
                f"FROM (SELECT DISTINCT key_valid FROM {table} WHERE key_valid IS NOT NULL)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind}_anchor AS "
                f"{golden.golden_sql(kind, table, 'key_valid', priority)}")
    stage("exact")
    step(label, 2, 6)
    model = None if retrain else load_model(con, kind)
    if model is None:
        model = _train(con, kind, table, backend)
        _save_model(con, kind, model)
        result.trained = True
    stage("train")
    step(label, 3, 6)
    residue = con.execute(f"SELECT rid, {_attrs(kind)} FROM {table} WHERE key_valid IS NULL").df()
    result.residue = len(residue)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _{kind}_residue AS SELECT rid, {_attrs(kind)} FROM {table} "
                "WHERE key_valid IS NULL")
    anchored = first(con.execute(f"SELECT count(*) FROM _{kind}_anchor"))[0]
    files_frame = _candidates(con, kind, f"(SELECT file AS key, * EXCLUDE (file) FROM _{kind}_anchor)",
                              f"_{kind}_residue")
    file_ids = dict(con.execute(f"SELECT key, file_id FROM _{kind}_keys").fetchall())
    pairs = scoring.score(kind, model, features.BUILDERS[kind](files_frame, "key"),
                          features.BUILDERS[kind](residue, "rid"), backend=backend,
                          prior=1.0 / max(int(anchored), 2), min_probability=min(0.5, threshold))
    stage("score")
    step(label, 4, 6)
    res_ids = [str(r) for r in residue["rid"]]
    assigned = assign(kind, pairs, res_ids, file_ids, model, threshold)
    alternatives = _alternatives(pairs, file_ids, threshold)
    frame = pd.DataFrame(
        [(rid, f, m, w, e) for rid, (f, m, w, e) in assigned.items()],
        columns=["rid", "file_id", "method", "weight", "evidence"]).astype(
        {"rid": "object", "file_id": "object", "method": "object", "weight": "float64", "evidence": "object"})
    con.register("_residue_assigned", frame)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _{kind}_assign AS "
        f"SELECT m.rid, m.fp, coalesce(a.file_id, k.file_id) AS file_id, "
        f"CASE WHEN k.file_id IS NOT NULL THEN 'id' ELSE a.method END AS method, "
        f"a.weight AS weight, CASE WHEN k.file_id IS NOT NULL THEN '{{\"key\": true}}' ELSE a.evidence END "
        f"AS evidence FROM {table} m LEFT JOIN _{kind}_keys k ON k.key = m.key_valid "
        f"LEFT JOIN _residue_assigned a ON a.rid = m.rid")
    con.unregister("_residue_assigned")
    result.steward = apply_decisions(f"_{kind}_assign", decisions, con, kind, alternatives)
    stage("decisions")
    step(label, 5, 6)
    _write(con, kind, table, f"_{kind}_assign", priority)
    counts = dict(con.execute(f"SELECT method, count(*) FROM {link_table(kind)} GROUP BY 1").fetchall())
    result.exact = int(counts.get("id", 0))
    result.probabilistic = int(counts.get("probabilistic", 0))
    result.alone = int(counts.get("single", 0))
    result.files = int(first(con.execute(f"SELECT count(*) FROM {file_table(kind)}"))[0])
    stage("write")
    step(label, 6, 6)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _alternatives(pairs: pd.DataFrame, file_ids: dict[str, str], threshold: float) -> dict[str, list[str]]:
    """rid -> its matching files, best first (where a split sends a record next)."""
    out: dict[str, list[tuple[float, str]]] = {}
    for row in pairs.itertuples(index=False):
        if row.match_probability < threshold or (row.source_dataset_l == "residue") == (
                row.source_dataset_r == "residue"):
            continue
        rid, key = ((str(row.unique_id_l), str(row.unique_id_r)) if row.source_dataset_l == "residue"
                    else (str(row.unique_id_r), str(row.unique_id_l)))
        out.setdefault(rid, []).append((float(row.match_weight), file_ids[key]))
    return {rid: [f for _w, f in sorted(v, reverse=True)] for rid, v in out.items()}


def _write(con: duckdb.DuckDBPyConnection, kind: str, mentions_table: str, assign_table: str, priority: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _{kind}_linked AS SELECT m.*, a.file_id, a.method, a.weight, a.evidence "
        f"FROM {mentions_table} m JOIN {assign_table} a ON a.rid = m.rid")
    con.execute(
        f"CREATE OR REPLACE TABLE {link_table(kind)} AS SELECT dataset, record, role, layer, file_id, method, "
        f"weight, evidence, fp FROM _{kind}_linked ORDER BY file_id, dataset, record")
    con.execute(
        f"CREATE OR REPLACE TABLE {file_table(kind)} AS SELECT file AS file_id, * EXCLUDE (file) FROM "
        f"({golden.golden_sql(kind, f'_{kind}_linked', 'file_id', priority)}) ORDER BY file_id")
