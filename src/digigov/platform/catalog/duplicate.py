"""The duplicate-construction check (应用查重), free of I/O.

A proposed application's functions are compared with every existing application's functions by TF-IDF
cosine similarity over jieba words and character bigrams, the IDF taken over the catalogue's functions.
The name and description are compared the same way, as a weaker signal that only orders the matches.

Verdict:
- coverage of an application = share of the proposed functions that one of its functions matches
  (similarity >= `function_match`);
- the best single application's coverage >= `reject` -> "reject" (主要功能重复，不予立项);
- else the share of proposed functions matched by ANY application >= `reduce` -> "reduce_budget"
  (部分功能重复，核减预算), the suggested cut being the budget times that share;
- else "pass".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from digigov.platform.catalog.text import features

TEXT_WEIGHT = 0.2  # how much the name/description similarity adds to an application's score
MAX_MATCHES = 10


@dataclass(frozen=True)
class ExistingApp:
    code: str
    name: str
    owner: str
    description: str = ""
    functions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    function_match: float = 0.55
    reject: float = 0.6
    reduce: float = 0.25


@dataclass(frozen=True)
class Overlap:
    proposed: str
    existing: str
    similarity: float


@dataclass
class AppMatch:
    code: str
    name: str
    owner: str
    score: float
    coverage: float
    text_similarity: float
    overlaps: list[Overlap] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code, "name": self.name, "owner": self.owner, "score": self.score,
            "coverage": self.coverage, "text_similarity": self.text_similarity,
            "overlaps": [{"proposed": o.proposed, "existing": o.existing, "similarity": o.similarity}
                         for o in self.overlaps],
        }


@dataclass
class Outcome:
    verdict: str
    score: float  # share of proposed functions some existing application already has
    best_coverage: float  # the best single application's coverage
    matches: list[AppMatch]
    covered: list[str]  # proposed functions already built somewhere

    def suggested_cut(self, budget_wan: float | None) -> float | None:
        """Budget to cut (万元) for a partial overlap: the budget times the covered share."""
        if budget_wan is None or self.verdict != "reduce_budget":
            return None
        return round(budget_wan * self.score, 2)


@lru_cache(maxsize=200_000)
def _counts(text: str) -> dict[str, int]:
    return dict(Counter(features(text)))


class _Space:
    """TF-IDF weights with the IDF over a corpus of documents (the catalogue's functions)."""

    def __init__(self, documents: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for doc in documents:
            df.update(_counts(doc).keys())
            n += 1
        self.df = df
        self.n = n

    def idf(self, feature: str) -> float:
        return math.log((self.n + 1) / (self.df.get(feature, 0) + 1)) + 1.0

    def vector(self, text: str) -> dict[str, float]:
        """The L2-normalised TF-IDF vector of `text` (empty for text with no features)."""
        weights = {f: tf * self.idf(f) for f, tf in _counts(text).items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {f: w / norm for f, w in weights.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[f] for f, w in a.items() if f in b)


def _clean(functions: Sequence[str]) -> list[str]:
    out: list[str] = []
    for f in functions:
        f = f.strip()
        if f and f not in out:
            out.append(f)
    return out


def check(name: str, description: str, functions: Sequence[str], apps: Sequence[ExistingApp],
          thresholds: Thresholds) -> Outcome:
    """Compare a proposal with the existing applications and give the verdict with its evidence."""
    proposed = _clean(functions)
    if not proposed:
        return Outcome("pass", 0.0, 0.0, [], [])
    existing = [(i, f) for i, app in enumerate(apps) for f in app.functions if f.strip()]
    space = _Space(f for _, f in existing)
    p_vectors = [space.vector(p) for p in proposed]
    p_features = set().union(*p_vectors)

    # best[app index][proposed index] = (similarity, existing function)
    best: dict[int, dict[int, tuple[float, str]]] = {}
    for app_index, func in existing:
        if p_features.isdisjoint(_counts(func)):
            continue
        e_vector = space.vector(func)
        for pi, pv in enumerate(p_vectors):
            sim = cosine(pv, e_vector)
            if sim >= thresholds.function_match:
                slot = best.setdefault(app_index, {})
                if sim > slot.get(pi, (0.0, ""))[0]:
                    slot[pi] = (sim, func)

    text_vector = space.vector(f"{name} {description}")
    matches: list[AppMatch] = []
    covered_any: set[int] = set()
    for app_index, slot in best.items():
        app = apps[app_index]
        covered_any.update(slot)
        coverage = len(slot) / len(proposed)
        text_sim = cosine(text_vector, space.vector(f"{app.name} {app.description}"))
        overlaps = [Overlap(proposed[pi], ef, round(sim, 4)) for pi, (sim, ef) in sorted(slot.items())]
        score = (1 - TEXT_WEIGHT) * coverage + TEXT_WEIGHT * text_sim
        matches.append(AppMatch(app.code, app.name, app.owner, round(score, 4), round(coverage, 4),
                                round(text_sim, 4), overlaps))
    matches.sort(key=lambda m: (-m.coverage, -m.score, m.code))
    best_coverage = matches[0].coverage if matches else 0.0
    share = len(covered_any) / len(proposed)
    if best_coverage >= thresholds.reject:
        verdict = "reject"
    elif share >= thresholds.reduce:
        verdict = "reduce_budget"
    else:
        verdict = "pass"
    covered = [proposed[i] for i in sorted(covered_any)]
    return Outcome(verdict, round(share, 4), best_coverage, matches[:MAX_MATCHES], covered)
