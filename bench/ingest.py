"""Benchmark: a department file loaded through digigov's ingestion (read, map, normalise, validate with
checksums, quarantine, classify and grade, quality rules, a new dataset version in the warehouse, the store
and audit records) against DuckDB's own `CREATE TABLE t AS SELECT * FROM read_csv(...)` of the same file.

    python bench/ingest.py [--size small|large] [--seed 2021]

small = 100,000 rows (under a minute), large = 1,000,000 rows. Ten columns of a household register with
about 1% invalid ID checksums and mixed date forms. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import Progress
from stdnum.cn import ric

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import get_settings
from digigov.core.warehouse import Warehouse, set_warehouse
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.ingest import service as ingest

SIZES = {"small": 100_000, "large": 1_000_000}
TARGET_RATIO = 2.5
HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "手机号码", "户籍地址", "户号", "登记日期", "补贴金额", "备注"]
COUNTIES = ["330102", "330105", "330106", "330108", "330110", "330203", "330212", "330302", "330402", "330602"]
PLACES = ["杭州市上城区", "杭州市拱墅区", "杭州市西湖区", "杭州市滨江区", "杭州市余杭区", "宁波市海曙区",
          "宁波市鄞州区", "温州市鹿城区", "嘉兴市南湖区", "绍兴市越城区"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌"


def write_file(path: Path, rows: int, seed: int, progress: Progress) -> None:
    rng = random.Random(seed)
    task = progress.add_task("generate", total=rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for i in range(rows):
            c = rng.randrange(len(COUNTIES))
            y, m, d = rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28)
            seq = rng.randint(0, 999)
            body = f"{COUNTIES[c]}{y}{m:02d}{d:02d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if rng.random() < 0.01:
                number = number[:-1] + ("1" if number[-1] != "1" else "2")
            birth = rng.choice((f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}年{m}月{d}日", f"{y}{m:02d}{d:02d}"))
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", rng.choice(GIVEN)))
            w.writerow([name, number,
                        "男" if seq % 2 else "女", birth, f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                        f"{PLACES[c]}{rng.choice('文解中人建')}{rng.choice('三放山民设')}路{rng.randint(1, 999)}号",
                        f"H{rng.randint(0, 10**9):010d}", f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        f"{rng.randint(100, 2000)}.{rng.randint(0, 99):02d}",
                        rng.choice(("", "", "迁入", "新生儿登记"))])
            if i % 50_000 == 0:
                progress.update(task, completed=i)
    progress.update(task, completed=rows)


def baseline(path: Path, tmp: Path) -> float:
    con = duckdb.connect(str(tmp / "baseline.duckdb"))
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def ours(path: Path, tmp: Path, progress: Progress) -> tuple[float, dict[str, object]]:
    os.environ["DIGIGOV_VAR_DIR"] = str(tmp)
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    set_warehouse(Warehouse(tmp / "warehouse.duckdb"))
    with unit_of_work(factory) as s:
        identity.seed_regions_and_departments(s, Actor.operator(), kinds=["public_security"])
        ingest.ensure_dataset(s, Actor.operator(), ingest.DatasetSpec(
            code="bench_household", name="户籍人口（基准）", department="330000-public_security"))
    task = progress.add_task("digigov ingest", total=None)

    def step(name: str, done: int, total: int) -> None:
        progress.update(task, description=f"digigov ingest: {name}", completed=done, total=total)

    t0 = time.perf_counter()
    with unit_of_work(factory) as s:
        load = ingest.ingest(s, Actor.operator(), "bench_household", path, progress=step)
        report = {"rows_in": load.rows_in, "accepted": load.accepted, "quarantined": load.quarantined,
                  "reasons": load.reasons, "timings": {k: v for k, v in load.report.items() if k.endswith("_seconds")},
                  "mapping": dict(load.mapping)}
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds, report


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)
    rows = SIZES[args.size]
    err = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp_name, Progress(console=err, transient=True) as progress:
        tmp = Path(tmp_name)
        path = tmp / "household.csv"
        write_file(path, rows, args.seed, progress)
        size_mb = path.stat().st_size / 1e6
        base = baseline(path, tmp)
        mine, report = ours(path, tmp, progress)
    err.print(f"{rows:,} rows, {size_mb:.0f} MB: read_csv {base:.2f}s, digigov {mine:.2f}s "
              f"(ratio {mine / base:.2f}); {report['accepted']:,} accepted + {report['quarantined']:,} quarantined; "
              f"stages {report['timings']}")
    ratio = round(mine / base, 2)
    result = {
        "bench": "ingest", "size": args.size, "rows": rows, "megabytes": round(size_mb, 1),
        "ours": {"seconds": round(mine, 3), "rows_per_s": round(rows / mine), **report},
        "baseline": {"name": f"duckdb {duckdb.__version__} CREATE TABLE AS SELECT * FROM read_csv",
                     "seconds": round(base, 3), "rows_per_s": round(rows / base)},
        "ratio": ratio, "target": f"<= {TARGET_RATIO}x read_csv", "met": ratio <= TARGET_RATIO,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
