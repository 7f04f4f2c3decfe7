"""Benchmark: cases driven from intake to closed through the full case engine (permission checks, the
BPMN process run by SpiffWorkflow and its state stored with the case, deadlines on the working-day
calendar, history, audit chain and bus outbox, one transaction per step as a web request would do)
against the floor: the same seven transitions written as plain SQL (one INSERT and six UPDATEs of one
row, one transaction per step, nothing else).

    python bench/cases.py [--size small|large] [--postgres URL]

small = 300 cases, large = 3,000. Runs on SQLite (a file) and, when a PostgreSQL URL is given (or
DIGIGOV_TEST_POSTGRES_URL is set), on PostgreSQL in a schema of its own. The last line printed is one JSON
object; `ratio` is ours/floor in cases per second on PostgreSQL when measured (else SQLite); the target is
≥ 200 cases/s end to end on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, text

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.cases import service, types
from digigov.platform.cases.types import CaseType, Category, StepSLA

SIZES = {"small": 300, "large": 3000}
TARGET = 200.0
TYPE = CaseType(code="bench.ticket", name="压测工单", name_en="Bench ticket", app="bench",
                owner_department="330100-hotline", prefix="B",
                categories=(Category("noise", "噪音", "Noise", "urban_management", "county", 5),),
                sla={"triage": StepSLA(hours=2), "accept": StepSLA(workdays=1)})
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def prepare(url: str) -> tuple[Engine, Actor, Actor]:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        op = Actor.operator()
        identity.seed_regions_and_departments(s, op, kinds=["hotline", "urban_management", "big_data"])
        hotline = identity.get_department(s, "330100-hotline")
        urban = identity.get_department(s, "330106-urban_management")
    dispatcher = Actor(username="bench_dispatcher", roles=frozenset({"officer"}), department_id=hotline.id,
                       department_name=hotline.name, department_kind="hotline", region_code="330100",
                       region_level="city", via="system")
    handler = Actor(username="bench_handler", roles=frozenset({"officer"}), department_id=urban.id,
                    department_name=urban.name, department_kind="urban_management", region_code="330106",
                    region_level="county", via="system")
    return engine, dispatcher, handler


def ours(engine: Engine, dispatcher: Actor, handler: Actor, n: int) -> float:
    factory = make_session_factory(engine)
    started = time.perf_counter()
    for i in range(n):
        now = T0 + timedelta(minutes=i)
        with unit_of_work(factory) as s:
            case_id = service.open_case(s, service.citizen(), TYPE.code, title="夜间施工噪音", region_code="330106",
                                        now=now).id
        with unit_of_work(factory) as s:
            service.triage(s, dispatcher, case_id, category="noise", now=now)
        with unit_of_work(factory) as s:
            service.assign(s, dispatcher, case_id, "330106-urban_management", now=now)
        with unit_of_work(factory) as s:
            service.accept(s, handler, case_id, now=now)
        with unit_of_work(factory) as s:
            service.respond(s, handler, case_id, "已处理", now=now + timedelta(hours=3))  # + automatic verification
        with unit_of_work(factory) as s:
            case = service.get(s, dispatcher, case_id)
            service.rate(s, service.citizen(), case, "satisfied", now=now + timedelta(hours=5))
    return n / (time.perf_counter() - started)


def floor(engine: Engine, n: int) -> float:
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, status VARCHAR(20), "
                       "category VARCHAR(40), department VARCHAR(60), response TEXT, rating VARCHAR(20), "
                       "updated_at VARCHAR(40))"))
        c.execute(text("DELETE FROM bench_floor"))
    steps = [("status", "triaged"), ("department", "330106-urban_management"), ("status", "in_progress"),
             ("response", "已处理"), ("status", "verified"), ("rating", "satisfied")]
    started = time.perf_counter()
    for i in range(n):
        with engine.begin() as c:
            c.execute(text("INSERT INTO bench_floor (id, status, updated_at) VALUES (:i, 'intake', :t)"),
                      {"i": i, "t": str(T0)})
        for column, value in steps:
            with engine.begin() as c:
                c.execute(text(f"UPDATE bench_floor SET {column} = :v, updated_at = :t WHERE id = :i"),  # noqa: S608
                          {"v": value, "t": str(T0), "i": i})
    return n / (time.perf_counter() - started)


def run(label: str, url: str, n: int, console: Console) -> dict[str, float]:
    engine, dispatcher, handler = prepare(url)
    try:
        ours(engine, dispatcher, handler, min(20, n))  # warm up: parse the process, compile the statements
        o = ours(engine, dispatcher, handler, n)
        f = floor(engine, n)
    finally:
        engine.dispose()
    console.print(f"{label}: engine {o:.1f} cases/s, plain SQL {f:.1f} cases/s, ratio {o / f:.3f}")
    return {"cases_per_s": round(o, 1), "floor_cases_per_s": round(f, 1), "ratio": round(o / f, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=tuple(SIZES), default="small")
    parser.add_argument("--postgres", default=os.environ.get("DIGIGOV_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    n = SIZES[args.size]
    console = Console(stderr=True)
    types.register(TYPE)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", n, console)
    if args.postgres:
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = make_engine(args.postgres)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.postgres else "?"
        try:
            results["postgresql"] = run("postgresql", f"{args.postgres}{sep}options=-csearch_path%3D{schema}", n,
                                        console)
        finally:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    main_result = results.get("postgresql", results["sqlite"])
    print(json.dumps({
        "bench": "cases", "size": args.size, "cases": n,
        "ours": {k: {"cases_per_s": v["cases_per_s"]} for k, v in results.items()},
        "baseline": {"name": "the same transitions as plain SQL updates (floor)",
                     **{k: {"cases_per_s": v["floor_cases_per_s"]} for k, v in results.items()}},
        "ratio": main_result["ratio"], "target": f">= {TARGET:.0f} cases/s end to end on PostgreSQL",
        "met": "postgresql" in results and results["postgresql"]["cases_per_s"] >= TARGET,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
