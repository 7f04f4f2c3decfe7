"""Benchmark: the duplicate-construction check (应用查重; ours: TF-IDF cosine over jieba words and character
bigrams) against difflib.SequenceMatcher ratio per pair of functions with the same coverage/verdict rules and
thresholds, on the demo catalogue (built by digigov.demo.builder in a temp SQLite store) and the 62 Jinhua
review proposals, each scored against its `expected` verdict.

    python bench/duplicate_check.py [--size small|large] [--seed 2021]

small = demo scale "small" (120 applications, under a minute), large = "large" (2,000). The last line
printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core.db import make_engine, make_session_factory, unit_of_work
from digigov.core.settings import get_settings
from digigov.demo import content
from digigov.demo.builder import build
from digigov.identity.actor import Actor
from digigov.migrations.runner import upgrade
from digigov.platform.catalog import service as catalog
from digigov.platform.catalog.duplicate import Thresholds
from digigov.platform.catalog.model import Resource

SIZES = ("small", "large")  # --size is the demo scale
TARGET_MS = 1000.0
TARGET_AGREEMENT = 0.9
VERDICTS = ("reject", "reduce_budget", "pass")
Checker = Callable[[Session, content.Proposal], str]


def ours(session: Session, p: content.Proposal) -> str:
    return str(catalog.check_duplicates(
        session, Actor.operator(), name=p.name, description=p.description, functions=p.functions,
        proposer_department=p.department, budget_wan=p.budget_wan, save=False).verdict)


def verdict(best_coverage: float, share: float, th: Thresholds) -> str:
    """The rules of duplicate.check (not exposed there as a function): best app's coverage, then any-app share."""
    if best_coverage >= th.reject:
        return "reject"
    return "reduce_budget" if share >= th.reduce else "pass"


def difflib_check(session: Session, p: content.Proposal, th: Thresholds) -> str:
    """The obvious approach: SequenceMatcher.ratio() of each proposed function with each existing one.

    real_quick_ratio/quick_ratio are upper bounds of ratio (the get_close_matches idiom): same answers, faster.
    """
    proposed = list(dict.fromkeys(f.strip() for f in p.functions if f.strip()))
    if not proposed:
        return "pass"
    rows = session.execute(select(Resource.id, Resource.functions)  # the same applications the service reads
                           .where(Resource.kind == "application", Resource.status != "retired")).all()
    matched: dict[int, set[int]] = {}
    sm = SequenceMatcher(autojunk=False)
    cut = th.function_match
    for app_id, functions in rows:
        for func in (f for f in functions or () if f.strip()):
            sm.set_seq2(func)
            for i, f in enumerate(proposed):
                sm.set_seq1(f)
                if sm.real_quick_ratio() >= cut and sm.quick_ratio() >= cut and sm.ratio() >= cut:
                    matched.setdefault(app_id, set()).add(i)
    best = max((len(s) for s in matched.values()), default=0) / len(proposed)
    share = len(set().union(*matched.values())) / len(proposed)
    return verdict(round(best, 4), share, th)


def percentiles(samples: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": round(qs[49], 2), "p95_ms": round(qs[94], 2)}


def timed(fn: Checker, session: Session, props: Sequence[content.Proposal], progress: Progress,
          label: str) -> dict[str, Any]:
    fn(session, props[0])  # warm up: jieba's dictionary, caches
    times, got = [], []
    for p in progress.track(props, description=label):
        t0 = time.perf_counter()
        got.append(fn(session, p))
        times.append((time.perf_counter() - t0) * 1000)
    wrong = [f"{p.name}: {p.expected}->{v}" for p, v in zip(props, got, strict=True) if v != p.expected]
    if wrong:
        progress.console.print(f"[dim]{label} disagrees on {len(wrong)}: {'; '.join(wrong)}[/dim]")
    counts = Counter(got)
    return {"agreement": round(1 - len(wrong) / len(props), 4), **percentiles(times),
            "verdicts": {v: counts[v] for v in VERDICTS}}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--seed", type=int, default=content.DEFAULT_SEED)
    args = parser.parse_args(argv)
    s = get_settings()
    th = Thresholds(s.duplicate_function_match, s.duplicate_reject, s.duplicate_reduce)
    props = content.proposals(args.seed)
    err = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp, Progress(console=err, transient=True) as progress:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        factory = make_session_factory(engine)
        task = progress.add_task("build", total=None)

        def step(name: str, done: int, total: int) -> None:
            progress.update(task, description=f"build: {name}", completed=done, total=total)

        t0 = time.perf_counter()
        with unit_of_work(factory) as session:
            report = build(session, Actor.operator(), scale=args.size, seed=args.seed, progress=step)
        n_apps = report.counts["application"]
        err.print(f"built {n_apps} applications in {time.perf_counter() - t0:.1f}s")
        with factory() as session:
            mine = timed(ours, session, props, progress, "ours (tf-idf)")
            base = timed(lambda ss, p: difflib_check(ss, p, th), session, props, progress, "difflib")
        engine.dispose()

    table = Table(title=f"duplicate check, {len(props)} proposals vs {n_apps} applications ({args.size})")
    for col in ("", "agreement", "p50 ms", "p95 ms", *VERDICTS):
        table.add_column(col, justify="left" if not col else "right")
    expected = Counter(p.expected for p in props)
    table.add_row("expected", "", "", "", *(str(expected[v]) for v in VERDICTS))
    for label, r in (("ours", mine), ("difflib", base)):
        table.add_row(label, f"{r['agreement']:.3f}", f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}",
                      *(str(r["verdicts"][v]) for v in VERDICTS))
    Console(width=120).print(table)
    p95 = mine["p95_ms"]
    result = {
        "bench": "duplicate_check", "size": args.size, "applications": n_apps, "proposals": len(props),
        "ours": mine,
        "baseline": {"name": "difflib_sequence_matcher", **base},
        "ratio": round(base["p95_ms"] / p95, 2) if p95 else None,
        "target": "agreement >= 0.9 and p95 < 1000 ms at 2,000 applications",
        "met": mine["agreement"] >= TARGET_AGREEMENT and p95 < TARGET_MS,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
