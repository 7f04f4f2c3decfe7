"""Benchmark: person linkage (一人一档) over the records of five departments, against a naive exact-key baseline.

Data: the demo generator (`digigov.demo.govdata`) with a known truth: 公安 household register, 民政 deaths and
subsistence allowances, 人力社保 contributions, 医保 claims, with realistic noise (typos, sound-alike and
traditional characters, full-width digits, missing IDs, IDs with a mistyped digit or a wrong check digit,
duplicates). large: 350,000 people, about 1,000,000 person records; small: 2,000 people, about 5,800.
The files go through the platform's own ingest (not timed), so quarantined rows (bad IDs) are where a
department's data really leaves them.

- ours: `entities.service.link(kind="person", full=True)`: mentions, exact links on valid IDs, Splink
  (training on the identified records, then scoring the rest against the files), golden records, link tables.
  Timed in a child process, whose peak RSS is reported.
- baseline (naive exact key): records linked when their cleaned ID is equal; a record without a valid ID stays
  alone. Timed on the same warehouse (one GROUP BY in DuckDB).

Both are scored against the truth with pairwise precision, recall and F1. The incremental path is timed too:
records removed from the links and linked again one at a time (`entities.link_records`), median and max.

    python bench/linkage.py [--size small|large] [--dir DIR]

Targets (issue): large in at most 5 minutes, F1 at least 0.97. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIGOV_MASKING_KEY", "bench-masking-key")

import pandas as pd  # noqa: E402
from rich.console import Console  # noqa: E402

from digigov.core.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from digigov.core.warehouse import Warehouse, get_warehouse, set_warehouse  # noqa: E402
from digigov.demo import govdata  # noqa: E402
from digigov.demo.govdata import catalog  # noqa: E402
from digigov.identity import service as identity  # noqa: E402
from digigov.identity.actor import Actor  # noqa: E402
from digigov.migrations.runner import upgrade  # noqa: E402
from digigov.platform.entities import linker  # noqa: E402
from digigov.platform.entities import service as entities  # noqa: E402
from digigov.platform.ingest import service as ingest  # noqa: E402

PEOPLE = {"small": 2_000, "large": 350_000}
DATASETS = ("ps_household", "ca_death", "ca_subsistence", "hr_contribution", "ms_claim")
console = Console(stderr=True)


def _factory(directory: Path) -> Any:
    engine = make_engine(f"sqlite:///{directory}/store.db")
    upgrade(engine)
    set_warehouse(Warehouse(directory / "warehouse.duckdb"))
    return make_session_factory(engine)


def prepare(directory: Path, size: str) -> int:
    """Generate and ingest the five person datasets; how many rows went in."""
    catalog.SIZES[f"bench_{size}"] = PEOPLE[size]
    data = govdata.generate(directory / "files", size=f"bench_{size}", seed=2021)
    factory = _factory(directory)
    op = Actor.operator()
    rows = 0
    with unit_of_work(factory) as s:
        identity.seed_regions_and_departments(s, op)
    for f in data.files:
        if f.dataset not in DATASETS:
            continue
        with unit_of_work(factory) as s:
            ingest.ensure_dataset(s, op, ingest.DatasetSpec(
                code=f.dataset, name=f.name, name_en=f.name_en, description=f.description,
                department=f"{f.region_code}-{f.department_kind}", update_frequency=f.update_frequency,
                key_columns=list(f.key)))
            result = ingest.ingest(s, op, f.dataset, f.path, mapping=dict(f.mapping), file_name=f.path.name)
            rows += result.rows_in
            console.print(f"  ingested {f.dataset}: {result.rows_in:,} rows ({result.quarantined:,} quarantined)")
    return rows


def link_child(directory: Path) -> None:
    """The timed part, in its own process: print seconds, stages and peak RSS as JSON."""
    factory = _factory(directory)
    started = time.perf_counter()
    with unit_of_work(factory) as s:
        result = entities.link(s, Actor.operator(), kind="person", full=True, retrain=True)[0]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "mentions": result.mentions,
                      "stages": result.stages, "files": result.files}))


def _truth(directory: Path) -> pd.DataFrame:
    parts = []
    for ds in DATASETS:
        t = pd.read_parquet(directory / "files" / "truth" / f"{ds}.parquet", columns=["record", "entity_key"])
        parts.append(t.assign(dataset=ds))
    return pd.concat(parts)


def score(file_column: str, truth: pd.DataFrame) -> dict[str, float]:
    with get_warehouse().connect() as con:
        con.register("truth", truth)
        tp, pp, ap = con.execute(f"""
            WITH j AS (SELECT l.{file_column} AS f, t.entity_key AS e FROM main._scored l JOIN truth t
                       ON t.dataset = l.dataset AND t.record = l.record AND l.role = ''),
            tp AS (SELECT sum(n * (n - 1) / 2) v FROM (SELECT count(*) n FROM j GROUP BY f, e)),
            pp AS (SELECT sum(n * (n - 1) / 2) v FROM (SELECT count(*) n FROM j GROUP BY f)),
            ap AS (SELECT sum(n * (n - 1) / 2) v FROM (SELECT count(*) n FROM j GROUP BY e))
            SELECT tp.v, pp.v, ap.v FROM tp, pp, ap""").fetchall()[0]
    p, r = float(tp) / float(pp), float(tp) / float(ap)
    return {"precision": round(p, 5), "recall": round(r, 5), "f1": round(2 * p * r / (p + r), 5)}


def baseline(directory: Path) -> float:
    """The naive exact-key linkage: equal cleaned IDs share a file; seconds."""
    union = " UNION ALL ".join(
        f"SELECT '{ds}' AS dataset, _record AS record, upper(trim(\"{col}\")) AS id FROM clean.\"{ds}__v1\""
        for ds, col in (("ps_household", "公民身份号码"), ("ca_death", "身份证号码"), ("ca_subsistence", "身份证号"),
                        ("hr_contribution", "身份证号"), ("ms_claim", "证件号码")))
    started = time.perf_counter()
    with get_warehouse().connect() as con:
        con.execute(f"CREATE OR REPLACE TABLE main.naive AS SELECT dataset, record, coalesce(id, dataset || record) "
                    f"AS naive_file FROM ({union})")
    return time.perf_counter() - started


def incremental(directory: Path, count: int = 20) -> list[float]:
    factory = _factory(directory)
    with get_warehouse().connect() as con:
        rows = con.execute(f"SELECT dataset, record FROM {linker.link_table('person')} WHERE method <> 'id' "
                           "AND role = '' AND layer = 'clean' ORDER BY hash(dataset || record) "
                           f"LIMIT {count}").fetchall()
        rows += con.execute(f"SELECT dataset, record FROM {linker.link_table('person')} WHERE method = 'id' "
                            f"AND role = '' ORDER BY hash(dataset || record) LIMIT {count}").fetchall()
    times = []
    for i, (dataset, record) in enumerate([rows[0], *rows]):  # the first call warms the imports up, untimed
        with get_warehouse().connect() as con:
            con.execute(f"DELETE FROM {linker.link_table('person')} WHERE dataset = ? AND record = ? AND role = ''",
                        [dataset, record])
        with unit_of_work(factory) as s:
            started = time.perf_counter()
            entities.link_records(s, Actor.operator(), dataset, [int(record)], kind="person")
            if i:
                times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(PEOPLE), default="small")
    parser.add_argument("--dir", type=Path, default=None, help="keep (and reuse) the data in this directory")
    parser.add_argument("--link-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.link_only:
        link_child(args.link_only)
        return
    directory = args.dir or Path(tempfile.mkdtemp(prefix="digigov-linkage-"))
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "warehouse.duckdb").exists():
        console.print(f"preparing {args.size} ({PEOPLE[args.size]:,} people) in {directory.name} …")
        rows = prepare(directory, args.size)
    else:
        rows = -1
    console.print("linking (child process) …")
    child = subprocess.run([sys.executable, __file__, "--link-only", str(directory)], capture_output=True, text=True,
                           check=True)
    ours = json.loads(child.stdout.strip().splitlines()[-1])
    _factory(directory)
    base_seconds = baseline(directory)
    truth = _truth(directory)
    with get_warehouse().connect() as con:
        con.execute(f"CREATE OR REPLACE TABLE main._scored AS SELECT l.*, n.naive_file FROM "
                    f"{linker.link_table('person')} l LEFT JOIN main.naive n ON n.dataset = l.dataset "
                    "AND n.record = l.record AND l.layer = 'clean'")
        con.execute("UPDATE main._scored SET naive_file = dataset || '|q|' || record WHERE naive_file IS NULL")
    ours_score = score("file_id", truth)
    base_score = score("naive_file", truth)
    latencies = incremental(directory)
    result = {
        "benchmark": "linkage", "size": args.size, "people": PEOPLE[args.size], "records": ours["mentions"],
        "rows_ingested": rows,
        "ours": {"seconds": round(ours["seconds"], 2), "peak_mib": round(ours["peak_mib"]), **ours_score,
                 "files": ours["files"], "stages": ours["stages"]},
        "baseline_exact_key": {"seconds": round(base_seconds, 2), **base_score},
        "incremental_seconds": {"median": round(statistics.median(latencies), 3), "max": round(max(latencies), 3),
                                "records": len(latencies)},
        "ratio_seconds": round(ours["seconds"] / max(base_seconds, 1e-9), 1),
        "targets": {"seconds_le_300": ours["seconds"] <= 300, "f1_ge_0_97": ours_score["f1"] >= 0.97,
                    "incremental_lt_1s": max(latencies) < 1.0},
    }
    console.print(f"ours: {result['ours']['seconds']} s, F1 {ours_score['f1']} (P {ours_score['precision']}, "
                  f"R {ours_score['recall']}), peak {result['ours']['peak_mib']} MiB; "
                  f"exact key: {result['baseline_exact_key']['seconds']} s, F1 {base_score['f1']}; "
                  f"incremental median {result['incremental_seconds']['median']} s")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
