"""Benchmark: a signed, verified and logged federation round trip against the same call unsigned.

Two live instances in one process, each with its own SQLite store, keys and web app served by uvicorn on a
free local port (zj-quzhou and fj-nanping, trusting each other through the anchors they serve at
`GET /federation/v1/anchor`). Each round trip is a `ping` from quzhou to nanping:

- ours: `federation.send` in its own transaction: the request signed (Ed25519), POSTed to
  `/federation/v1/messages`, where nanping checks trust, signature, body hash, recipient, freshness and
  nonce, answers with a signed envelope, logs both envelopes in its hash-chained message log and writes an
  audit record, and commits; back at quzhou the answer is verified, both envelopes logged, the exchange
  audited, and the transaction committed.
- baseline, the same call unsigned: the same ping body POSTed as plain JSON, with a bearer token, to an
  endpoint added to the same nanping app and served as the federation endpoint is (body read, the store
  work in one worker-thread call, one transaction). It does what an authenticated API call of the platform
  does anyway: the token looked up (`identity.resolve_token`, as every API call's is), the same `ping`
  handler run, one audit record written, committed. No signature, verification, nonce or message log.
- bare (for reference only, not the target): the same ping to an endpoint that only parses the body and
  runs the handler, with no token, audit record or store at all: what HTTP and the app cost by themselves.

All three use a keep-alive HTTP connection, are warmed up, and run interleaved in rounds so that the
machine's load falls on all alike. The ratio is the median signed call over the median unsigned call
(baseline); `ratio_vs_bare` is over the bare one. After the timed calls, the SQL statements of a few more
calls are counted on each side with a `before_cursor_execute` listener (BEGIN and COMMIT included).

    python bench/federation.py [--size small|large]

small = 400 calls of each (about a minute), large = 4,000. The last line printed is one JSON object. The
endpoint's rate limit is raised for the run: one client sends every message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from rich.console import Console
from sqlalchemy import event
from starlette.concurrency import run_in_threadpool

from digigov.audit import service as audit
from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.federation import service as federation
from digigov.web.app import create_app
from digigov.web.local_server import serve

SIZES = {"small": 400, "large": 4000}
ROUNDS = 20
TARGET_RATIO = 2.0
BASELINE_PATH = "/bench/federation/api-ping"
BARE_PATH = "/bench/federation/bare-ping"
BODY = {"echo": "衢州呼叫南平 ping"}


serving = serve  # the app on a free local port, served by uvicorn in a thread


def add_unsigned_pings(app: FastAPI, instance_id: str) -> None:
    """The unsigned baseline in the same app, served as the federation endpoint serves a message (the body
    read, the store work done in one worker-thread call): the caller's bearer token looked up as every API
    call's is (`identity.resolve_token`), the same ping handler run, one audit record written, committed."""
    settings = app.state.settings

    def serve(raw: bytes, secret: str) -> dict[str, Any]:
        with unit_of_work(app.state.session_factory) as session:
            actor = Actor.from_user(identity.resolve_token(session, secret), via="api")
            body = json.loads(raw)
            message = federation.Inbound(session, settings, actor, "", actor.department_name, "", "ping", "",
                                         instance_id, body)
            answer = federation.ping(message)
            audit.record(session, actor, "bench.ping", "bench", instance_id, purpose="性能测试 benchmark",
                         detail={"echo": answer["echo"][:64]})
            return answer

    async def bare(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() != "bearer ":
            return JSONResponse({"error": "not_authenticated"}, status_code=401)
        answer = await run_in_threadpool(serve, await request.body(), auth[7:].strip())
        return JSONResponse(answer)

    async def bare_ping(request: Request) -> JSONResponse:  # reference only: no token, audit or store
        body = json.loads(await request.body())
        message = federation.Inbound(cast(Any, None), settings, Actor(username="anonymous"), "", "", "", "ping", "",
                                     instance_id, body)
        return JSONResponse(federation.ping(message))

    app.add_api_route(BASELINE_PATH, bare, methods=["POST"], include_in_schema=False)
    app.add_api_route(BARE_PATH, bare_ping, methods=["POST"], include_in_schema=False)


def instance(stack: ExitStack, tmp: Path, instance_id: str) -> dict[str, Any]:
    url = f"sqlite:///{tmp / instance_id}.db"
    engine = make_engine(url)
    stack.callback(engine.dispose)
    upgrade(engine)
    factory = make_session_factory(engine)
    settings = Settings(var_dir=tmp / instance_id, secret_key="bench", database_url=url, worker_in_process=False,
                        federation_rate_per_minute=10**6, federation_rate_burst=10**6)  # one client sends them all
    app = create_app(settings, session_factory=factory)
    add_unsigned_pings(app, instance_id)
    base = stack.enter_context(serving(app))
    op = Actor.operator()
    with unit_of_work(factory) as s:
        identity.seed_regions_and_departments(s, op, kinds=["public_security"])
        federation.init(s, op, instance_id=instance_id, name=instance_id, base_url=base, settings=settings)
        dept = identity.get_department(s, "330800-public_security")
        officer = Actor(username="bench_officer", roles=frozenset({"officer"}), department_id=dept.id,
                        department_name=dept.name)
        identity.create_user(s, op, username="bench_caller", display_name="接口调用方 API caller",
                             password="bench-Passw0rd!", department=dept.code, roles=["officer"])
        _, token = identity.create_token(s, op, "bench_caller", name="bench")
    return {"id": instance_id, "engine": engine, "factory": factory, "settings": settings, "url": base,
            "officer": officer, "token": token}


def trust(me: dict[str, Any], other: dict[str, Any]) -> None:
    anchor = httpx.get(other["url"] + federation.ANCHOR_PATH, timeout=10).content
    with unit_of_work(me["factory"]) as s:
        federation.import_anchor(s, Actor.operator(), anchor, settings=me["settings"])


def signed_call(a: dict[str, Any], b: dict[str, Any]) -> float:
    t0 = time.perf_counter()
    with unit_of_work(a["factory"]) as s:
        reply = federation.send(s, a["officer"], b["id"], "ping", BODY, "性能测试 benchmark", settings=a["settings"])
    seconds = time.perf_counter() - t0
    if not reply.ok or reply.body["echo"] != BODY["echo"]:
        raise SystemExit(f"signed ping failed: {reply.reason} {reply.message}")
    return seconds


def unsigned_call(client: httpx.Client, url: str, token: str = "") -> float:
    t0 = time.perf_counter()
    response = client.post(url, content=json.dumps(BODY, ensure_ascii=False).encode("utf-8"),
                           headers={"Content-Type": "application/json",
                                    **({"Authorization": f"Bearer {token}"} if token else {})})
    answer = response.json()
    seconds = time.perf_counter() - t0
    if response.status_code != 200 or answer["echo"] != BODY["echo"]:
        raise SystemExit(f"unsigned ping to {url} failed: {response.status_code}")
    return seconds


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"calls": len(ms), "median_ms": round(statistics.median(ms), 3), "mean_ms": round(statistics.fmean(ms), 3),
            "p90_ms": round(ms[int(len(ms) * 0.9)], 3), "calls_per_s": round(len(ms) / (sum(ms) / 1000), 1)}


def statements_per_call(a: dict[str, Any], b: dict[str, Any], client: httpx.Client,
                        calls: int = 10) -> dict[str, float]:
    """SQL statements per call on each side (BEGIN and COMMIT included), counted over `calls` more calls."""
    counts = {"quzhou": 0, "nanping": 0}

    def counter(side: str) -> Callable[..., None]:
        def count(*_: Any) -> None:
            counts[side] += 1
        return count

    listeners = [(a["engine"], counter("quzhou")), (b["engine"], counter("nanping"))]
    for engine, fn in listeners:
        event.listen(engine, "before_cursor_execute", fn)
        event.listen(engine, "commit", fn)
    try:
        for _ in range(calls):
            signed_call(a, b)
        signed = {f"signed_{side}": n / calls for side, n in counts.items()}
        counts.update(quzhou=0, nanping=0)
        for _ in range(calls):
            unsigned_call(client, b["url"] + BASELINE_PATH, b["token"])
    finally:
        for engine, fn in listeners:
            event.remove(engine, "before_cursor_execute", fn)
            event.remove(engine, "commit", fn)
    return {**signed, "baseline_nanping": counts["nanping"] / calls}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="small")
    args = parser.parse_args(argv)
    calls = SIZES[args.size]
    err = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        with err.status("starting two instances (zj-quzhou, fj-nanping) and exchanging anchors …"):
            a, b = instance(stack, tmp, "zj-quzhou"), instance(stack, tmp, "fj-nanping")
            trust(a, b)
            trust(b, a)
        client = stack.enter_context(httpx.Client(timeout=10))
        baseline_url, bare_url = b["url"] + BASELINE_PATH, b["url"] + BARE_PATH
        for _ in range(30):  # warm-up: connections, caches, the first request's lazy imports
            signed_call(a, b)
            unsigned_call(client, baseline_url, b["token"])
            unsigned_call(client, bare_url)
        signed: list[float] = []
        baseline: list[float] = []
        bare: list[float] = []
        n = calls // ROUNDS
        with err.status(f"{calls} signed, {calls} unsigned and {calls} bare round trips, interleaved in {ROUNDS} "
                        "rounds …"):
            for _ in range(ROUNDS):
                signed += [signed_call(a, b) for _ in range(n)]
                baseline += [unsigned_call(client, baseline_url, b["token"]) for _ in range(n)]
                bare += [unsigned_call(client, bare_url) for _ in range(n)]
        statements = statements_per_call(a, b, client)
        with unit_of_work(a["factory"]) as s:
            logged_a = federation_log_check(s)
        with unit_of_work(b["factory"]) as s:
            logged_b = federation_log_check(s)
    ours, base, plain = summary(signed), summary(baseline), summary(bare)
    ratio = round(ours["median_ms"] / base["median_ms"], 2)
    ratio_bare = round(ours["median_ms"] / plain["median_ms"], 2)
    err.print(f"signed, verified, logged: {ours['median_ms']} ms per call (mean {ours['mean_ms']}); "
              f"unsigned: {base['median_ms']} ms (mean {base['mean_ms']}); ratio {ratio}×; "
              f"bare: {plain['median_ms']} ms, ratio {ratio_bare}×; SQL statements per call {statements}; "
              f"message logs verified: {logged_a} + {logged_b} rows")
    result = {
        "bench": "federation", "size": args.size,
        "ours": {"name": "federation.send ping: Ed25519-signed envelope, verified (trust, signature, body hash, "
                         "recipient, freshness, nonce) and answered signed, both envelopes in each side's "
                         "hash-chained log and audited, one transaction per side", **ours,
                 "log_rows": {"zj-quzhou": logged_a, "fj-nanping": logged_b}},
        "baseline": {"name": "the same ping unsigned as an authenticated API call in the same app: bearer token "
                             "looked up, same handler, one audit record, one transaction", **base},
        "bare": {"name": "reference only: the same ping to a bare endpoint in the same app (same handler; no "
                         "token, audit record or store)", **plain},
        "sql_statements_per_call": statements,
        "ratio": ratio, "ratio_vs_bare": ratio_bare,
        "target": f"signed round trip <= {TARGET_RATIO}x the unsigned one (median per call)",
        "met": ratio <= TARGET_RATIO,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


def federation_log_check(session: Any) -> int:
    from digigov.platform.federation import log

    result = log.verify(session, Actor.operator())
    if not result.ok:
        raise SystemExit(f"message log broken at {result.first_bad_seq}: {result.reason}")
    return result.checked


if __name__ == "__main__":
    main()
