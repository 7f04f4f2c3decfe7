"""Benchmark: `GET /api/v1/shared/{dataset}` (bearer token, grant check, masking, row filter, usage counter
and audit record committed per call) against a bare endpoint in the same app that returns the same rows from the
same warehouse table with none of that.

One app, one SQLite store and one DuckDB warehouse in a temporary directory; a 杭州市公安局 dataset of people
(small: 5,000 rows, large: 200,000) with graded fields; 杭州市民政局 holds a grant for five of its fields (name, phone
and address masked), filtered to 西湖区 (`region_code prefix 330106`). Each call reads one page of 50 rows.

- ours: `GET /api/v1/shared/bench_people?limit=50&offset=k` with the officer's bearer token: the token resolved
  (one query), the active grant, the dataset's version and fields and today's usage read (one query), the
  compiled grant taken from the cache, the masked, filtered SELECT run in DuckDB, the usage counter upserted and
  the audit record appended (tail read, insert), committed before the answer.
- baseline: `GET /bench/sharing/bare?limit=50&offset=k`, mounted by this script only: the same five columns of
  the same table with the same filter (bound parameter), in clear, as JSON; no token, grant, masking, usage or
  audit.

Measured in process through httpx's ASGI transport (no sockets: what is measured is the app), one request at a
time, warmed up, interleaved in rounds so that the machine's load falls on both alike. Requests/s is calls over
wall time; the ratio is ours' mean latency over the baseline's. The store statements of one call are counted
(a `before_cursor_execute` listener) and reported; `--profile` also prints a cProfile of ours' loop to stderr.

Runs on SQLite, and on PostgreSQL too (in a schema of its own, dropped afterwards) when `--postgres URL` is given
or DIGIGOV_TEST_POSTGRES_URL is set.

    python bench/sharing.py [--size small|large] [--postgres URL] [--profile]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import os
import pstats
import random
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import Response
from rich.console import Console
from sqlalchemy import event, select, text

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.core.warehouse import Warehouse, get_warehouse, ident, set_warehouse, table_ref
from digigov.demo.people import seed_users
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.model import Department
from digigov.migrations.runner import upgrade
from digigov.platform.catalog import service as catalog
from digigov.platform.opendata.serving import json_value
from digigov.platform.sharing import reader
from digigov.platform.sharing import service as sharing
from digigov.platform.standards import scheme
from digigov.platform.warehouse.model import Dataset, DatasetField
from digigov.web.app import create_app

SIZES = {"small": (5_000, 1_000), "large": (200_000, 3_000)}  # rows, calls of each
ROUNDS = 10
PAGE = 50
TARGET_RATIO = 1.5
TARGET_RPS = 500
CODE = "bench_people"
COLS = [("id_number", "L4", "citizen_id"), ("name", "L3", "person_name"), ("phone", "L2", "mobile"),
        ("region_code", "L1", None), ("age", "L1", None), ("address", "L2", "address")]
GRANTED = ["name", "phone", "region_code", "age", "address"]
FILTER = [{"column": "region_code", "op": "prefix", "value": "330106"}]
BARE_PATH = "/bench/sharing/bare"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
REGIONS = ["330102", "330105", "330106", "330108", "330106"]


def build(var: Path, rows: int, database_url: str = "") -> tuple[Settings, str]:
    settings = Settings(var_dir=var, secret_key="bench-secret", worker_in_process=False, masking_key="bench",
                        database_url=database_url)
    set_warehouse(Warehouse(settings.effective_warehouse_path))
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(2021)
    with unit_of_work(factory) as s:
        op = Actor.operator()
        identity.seed_regions_and_departments(s, op)
        seed_users(s, op)
        dept = s.scalar(select(Department).where(Department.code == "330100-public_security"))
        assert dept is not None
        res = catalog.create_resource(s, op, kind="dataset", name="杭州市人口基础信息（基准）",
                                      owner_department=dept.id)
        ds = Dataset(code=CODE, name=res.name, owner_department_id=dept.id, owner=dept, resource_id=res.id,
                     resource=res, current_version=1, row_count=rows, grade="L4")
        ds.fields = [DatasetField(position=i, column=c, header=c, grade=g, detected_grade=g, gb_level=scheme.gb_for(g),
                                  element_id=e, mapping_confirmed=True) for i, (c, g, e) in enumerate(COLS)]
        s.add(ds)
        s.flush()
    with get_warehouse().connect() as con:
        table = table_ref("clean", f"{CODE}__v1")
        con.execute(f"CREATE TABLE {table} (_record BIGINT, id_number VARCHAR, name VARCHAR, phone VARCHAR, "
                    "region_code VARCHAR, age INTEGER, address VARCHAR)")
        data = []
        for i in range(1, rows + 1):
            region = rng.choice(REGIONS)
            data.append((i, f"{region}19{rng.randint(50, 99)}0101{i % 10000:04d}",
                         rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋") + rng.choice(["", "华", "明"]),
                         f"13{rng.randint(100000000, 999999999)}", region, rng.randint(1, 99),
                         f"浙江省杭州市西湖区文三路{i}号"))
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?)", data)
    with unit_of_work(factory) as s:
        officer = Actor.from_user(identity.get_user(s, "hz_civil_officer"))
        steward = Actor.from_user(identity.get_user(s, "hz_police_steward"))
        authority = Actor.from_user(identity.get_user(s, "hz_bigdata_approver"))
        req = sharing.submit_request(s, officer, dataset=CODE, purpose="性能测试 benchmark", fields=GRANTED,
                                     row_filter=FILTER, expires=date.today() + timedelta(days=30))
        sharing.decide(s, steward, req.id, approve=True)
        sharing.decide(s, authority, req.id, approve=True)
        _, secret = identity.create_token(s, op, "hz_civil_officer", name="bench")
    engine.dispose()
    return settings, secret


def add_bare(app: FastAPI) -> None:
    """The baseline in the same app: the same columns, table and filter, in clear; nothing else."""
    table = table_ref("clean", f"{CODE}__v1")
    cols = ", ".join(f"t.{ident(c)}" for c in GRANTED)

    def bare(limit: int = PAGE, offset: int = 0) -> Response:
        with reader.connect() as con:  # the same warehouse access as the serving path
            rows = con.execute(f"SELECT t._record, {cols} FROM {table} AS t WHERE starts_with(CAST(t.region_code "
                               f"AS VARCHAR), ?) ORDER BY t._record LIMIT {int(limit)} OFFSET {int(offset)}",
                               ["330106"]).fetchall()
        records = [{"_id": r[0], **{c: json_value(v) for c, v in zip(GRANTED, r[1:], strict=True)}} for r in rows]
        return Response(json.dumps({"records": records}, ensure_ascii=False, separators=(",", ":")),
                        media_type="application/json")

    app.add_api_route(BARE_PATH, bare, methods=["GET"], include_in_schema=False)


async def run(app: FastAPI, secret: str, calls: int, profile: bool = False) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    engine = app.state.session_factory.kw["bind"]
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        statements.append(" ".join(statement.split())[:120])
    ours_t: list[float] = []
    base_t: list[float] = []
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        async def one(url: str, hdrs: dict[str, str], offset: int) -> tuple[float, Any]:
            started = time.perf_counter()
            r = await client.get(url, params={"limit": PAGE, "offset": offset}, headers=hdrs)
            elapsed = time.perf_counter() - started
            if r.status_code != 200:
                raise RuntimeError(f"{url}: {r.status_code} {r.text[:300]}")
            return elapsed, r.json()

        ours_first = (await one(f"/api/v1/shared/{CODE}", headers, 0))[1]
        base_first = (await one(BARE_PATH, {}, 0))[1]
        assert len(ours_first["records"]) == len(base_first["records"]) == PAGE
        assert [r["_id"] for r in ours_first["records"]] == [r["_id"] for r in base_first["records"]]
        assert all("*" in r["phone"] for r in ours_first["records"])  # masked in ours, clear in the baseline
        for _ in range(50):  # warm-up
            await one(f"/api/v1/shared/{CODE}", headers, 0)
            await one(BARE_PATH, {}, 0)
        event.listen(engine, "before_cursor_execute", count)
        await one(f"/api/v1/shared/{CODE}", headers, PAGE)
        event.remove(engine, "before_cursor_execute", count)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            for i in range(min(calls, 300)):
                await one(f"/api/v1/shared/{CODE}", headers, (i * PAGE) % 1000)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
            Console(stderr=True).print("statements of one call:\n  " + "\n  ".join(statements), out.getvalue(),
                                       markup=False, highlight=False)
        per_round = max(1, calls // ROUNDS)
        wall_ours = wall_base = 0.0
        for r in range(ROUNDS):
            started = time.perf_counter()
            for i in range(per_round):
                ours_t.append((await one(f"/api/v1/shared/{CODE}", headers, (i * PAGE) % 1000))[0])
            wall_ours += time.perf_counter() - started
            started = time.perf_counter()
            for i in range(per_round):
                base_t.append((await one(BARE_PATH, {}, (i * PAGE) % 1000))[0])
            wall_base += time.perf_counter() - started
            del r
    return {"ours": {**_stats(ours_t, wall_ours), "statements": len(statements)}, "base": _stats(base_t, wall_base)}


def _stats(times: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(times)
    return {"calls": len(times), "rps": round(len(times) / wall, 1),
            "mean_ms": round(statistics.fmean(times) * 1000, 3),
            "median_ms": round(statistics.median(times) * 1000, 3),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3)}


def measure(label: str, rows: int, calls: int, database_url: str, profile: bool, err: Console) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="digigov-bench-sharing-") as tmp:
        err.print(f"{label}: building {rows:,} rows …")
        settings, secret = build(Path(tmp), rows, database_url)
        app = create_app(settings)
        add_bare(app)
        err.print(f"{label}: {calls:,} calls of each, {ROUNDS} interleaved rounds …")
        try:
            figures = asyncio.run(run(app, secret, calls, profile))
        finally:
            app.state.session_factory.kw["bind"].dispose()
            reader.reader.close()
    ours, base = figures["ours"], figures["base"]
    ratio = round(ours["mean_ms"] / base["mean_ms"], 2)
    err.print(f"{label}: shared (grant, masking, usage, audit): {ours['rps']} req/s, p99 {ours['p99_ms']} ms, "
              f"{ours['statements']} store statements a call; bare: {base['rps']} req/s, p99 {base['p99_ms']} ms; "
              f"ratio {ratio}×")
    return {"ours": ours, "base": base, "ratio": ratio,
            "met": ratio <= TARGET_RATIO and ours["rps"] >= TARGET_RPS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--postgres", default=os.environ.get("DIGIGOV_TEST_POSTGRES_URL", ""),
                        help="also run on this PostgreSQL database (in a schema of its own)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of ours' loop to stderr")
    args = parser.parse_args()
    rows, calls = SIZES[args.size]
    err = Console(stderr=True)
    logging.getLogger("digigov.access").setLevel(logging.WARNING)
    results = {"sqlite": measure("sqlite", rows, calls, "", args.profile, err)}
    if args.postgres:
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = make_engine(args.postgres)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.postgres else "?"
        try:
            results["postgresql"] = measure("postgresql", rows, calls,
                                            f"{args.postgres}{sep}options=-csearch_path%3D{schema}", args.profile,
                                            err)
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    main_result = results.get("postgresql", results["sqlite"])
    print(json.dumps({
        "bench": "sharing", "size": args.size,
        "ours": {"name": "GET /api/v1/shared/{dataset}: bearer token, active grant, masking, row filter, "
                         "usage counter and audit record committed per call", "rows": rows, "page": PAGE,
                 **{k: v["ours"] for k, v in results.items()}},
        "baseline": {"name": "bare endpoint in the same app: same columns, table and filter, in clear, no "
                             "token, grant, masking, usage or audit", **{k: v["base"] for k, v in results.items()}},
        "ratio": main_result["ratio"], "ratios": {k: v["ratio"] for k, v in results.items()},
        "target": f"ratio <= {TARGET_RATIO} (mean latency) and >= {TARGET_RPS} req/s, on each backend",
        "met": all(v["met"] for v in results.values()),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
