"""Benchmark: a signed, verified and logged federation round trip against the same call unsigned.

Two live instances in one process, each with its own SQLite store, keys and web app served by uvicorn on a
free local port (zj-quzhou and fj-nanping, trusting each other through the anchors they serve at
`GET /federation/v1/anchor`). Each round trip is a `ping` from quzhou to nanping:

- ours: `federation.send` in its own transaction: the request signed (Ed25519), POSTed to
  `/federation/v1/messages`, where nanping checks trust, signature, body hash, recipient, freshness and
  nonce, answers with a signed envelope, logs both envelopes in its hash-chained message log and writes an
  audit record, and commits; back at quzhou the answer is verified, both envelopes logged, the exchange
  audited, and the transaction committed.
- baseline: the same ping body POSTed as plain JSON to a bare endpoint added to the same nanping app, which
  parses it and runs the same `ping` handler, with no signing, verification, logging or store at all.

Both use a keep-alive HTTP connection, are warmed up, and run interleaved in rounds so that the machine's
load falls on both alike. The ratio is the median signed call over the median unsigned call.

    python bench/federation.py [--size small|large]

small = 400 calls of each (well under a minute), large = 4,000. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from rich.console import Console

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import Settings
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.federation import service as federation
from digigov.web.app import create_app

SIZES = {"small": 400, "large": 4000}
ROUNDS = 20
TARGET_RATIO = 2.0
BARE_PATH = "/bench/federation/bare-ping"
BODY = {"echo": "衢州呼叫南平 ping"}


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def add_bare_ping(app: FastAPI, instance_id: str) -> None:
    """The unsigned baseline in the same app: parse the JSON body, run the same ping handler, answer JSON."""

    async def bare(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        message = federation.Inbound(None, None, Actor(username="anonymous"), "", "", "", "ping", "",  # type: ignore[arg-type]
                                     instance_id, body)
        return JSONResponse(federation.ping(message))

    app.add_api_route(BARE_PATH, bare, methods=["POST"], include_in_schema=False)


def instance(stack: ExitStack, tmp: Path, instance_id: str) -> dict[str, Any]:
    url = f"sqlite:///{tmp / instance_id}.db"
    engine = make_engine(url)
    stack.callback(engine.dispose)
    upgrade(engine)
    factory = make_session_factory(engine)
    settings = Settings(var_dir=tmp / instance_id, secret_key="bench", database_url=url, worker_in_process=False)
    app = create_app(settings, session_factory=factory)
    add_bare_ping(app, instance_id)
    base = stack.enter_context(serving(app))
    op = Actor.operator()
    with unit_of_work(factory) as s:
        identity.seed_regions_and_departments(s, op, kinds=["public_security"])
        federation.init(s, op, instance_id=instance_id, name=instance_id, base_url=base, settings=settings)
        dept = identity.get_department(s, "330800-public_security")
        officer = Actor(username="bench_officer", roles=frozenset({"officer"}), department_id=dept.id,
                        department_name=dept.name)
    return {"id": instance_id, "factory": factory, "settings": settings, "url": base, "officer": officer}


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


def bare_call(client: httpx.Client, url: str) -> float:
    t0 = time.perf_counter()
    response = client.post(url, content=json.dumps(BODY, ensure_ascii=False).encode("utf-8"),
                           headers={"Content-Type": "application/json"})
    answer = response.json()
    seconds = time.perf_counter() - t0
    if response.status_code != 200 or answer["echo"] != BODY["echo"]:
        raise SystemExit(f"bare ping failed: {response.status_code}")
    return seconds


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"calls": len(ms), "median_ms": round(statistics.median(ms), 3), "mean_ms": round(statistics.fmean(ms), 3),
            "p90_ms": round(ms[int(len(ms) * 0.9)], 3), "calls_per_s": round(len(ms) / (sum(ms) / 1000), 1)}


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
        bare_url = b["url"] + BARE_PATH
        for _ in range(30):  # warm-up: connections, caches, the first request's lazy imports
            signed_call(a, b)
            bare_call(client, bare_url)
        signed: list[float] = []
        bare: list[float] = []
        with err.status(f"{calls} signed and {calls} unsigned round trips, interleaved in {ROUNDS} rounds …"):
            for _ in range(ROUNDS):
                signed += [signed_call(a, b) for _ in range(calls // ROUNDS)]
                bare += [bare_call(client, bare_url) for _ in range(calls // ROUNDS)]
        with unit_of_work(a["factory"]) as s:
            logged_a = federation_log_check(s)
        with unit_of_work(b["factory"]) as s:
            logged_b = federation_log_check(s)
    ours, base = summary(signed), summary(bare)
    ratio = round(ours["median_ms"] / base["median_ms"], 2)
    err.print(f"signed, verified, logged: {ours['median_ms']} ms per call (mean {ours['mean_ms']}); "
              f"unsigned: {base['median_ms']} ms (mean {base['mean_ms']}); ratio {ratio}×; "
              f"message logs verified: {logged_a} + {logged_b} rows")
    result = {
        "bench": "federation", "size": args.size,
        "ours": {"name": "federation.send ping: Ed25519-signed envelope, verified (trust, signature, body hash, "
                         "recipient, freshness, nonce) and answered signed, both envelopes in each side's "
                         "hash-chained log and audited, one transaction per side", **ours,
                 "log_rows": {"zj-quzhou": logged_a, "fj-nanping": logged_b}},
        "baseline": {"name": "the same ping body as plain JSON to a bare endpoint in the same app (same handler; "
                             "no signature, verification, log or store)", **base},
        "ratio": ratio, "target": f"signed round trip <= {TARGET_RATIO}x the unsigned one (median per call)",
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
