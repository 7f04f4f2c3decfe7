"""Duplicate suggestion helpers: near-identical ticket texts and "within 50 m".

Similarity is the Jaccard index of character bigram sets after dropping punctuation, whitespace and the
frames operators and callers put around every ticket (市民来电反映 …, 再次来电, 谢谢), so a repeat call
worded the same way scores near 1 whatever its opening. At a few thousand open tickets a pairwise scan is
fast enough; MinHash/LSH would only pay off well beyond that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

EARTH_RADIUS_M = 6_371_008.8
_FRAMES = re.compile(
    r"市民来电反映|来电人反映|市民来电称|市民来电|来电人[\u4e00-\u9fff]{1,3}(先生|女士)反[映应]|来电人要求尽快处理|"
    r"来电人情绪较激动|再次来电反映|又来反映|之前反映过|尊敬的(领导|市长|有关部门)|领导您好|市长您好|您好|你好|"
    r"此致敬礼|望回复为盼|盼复|谢谢"
)
_DROP = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)
def shingles(text: str, k: int = 2) -> frozenset[str]:
    """The set of character k-grams of the text's content (frames and punctuation removed)."""
    core = _DROP.sub("", _FRAMES.sub("", text))
    if len(core) <= k:
        return frozenset({core}) if core else frozenset()
    return frozenset(core[i:i + k] for i in range(len(core) - k + 1))


def similar(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' character bigrams, 0..1."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def near_duplicates(text: str, candidates: Iterable[tuple[object, str]],
                    threshold: float = 0.8) -> list[tuple[object, float]]:
    """(id, similarity) of the candidates at least `threshold` similar to `text`, most similar first."""
    scored = [(ident, similar(text, other)) for ident, other in candidates]
    return sorted(((i, s) for i, s in scored if s >= threshold), key=lambda p: -p[1])


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def within_metres(lon1: float, lat1: float, lon2: float, lat2: float, m: float = 50) -> bool:
    return distance_m(lon1, lat1, lon2, lat2) <= m


def nearby(lon: float, lat: float, points: Sequence[tuple[object, float, float]],
           m: float = 50) -> list[tuple[object, float]]:
    """(id, metres) of the points (id, lon, lat) within `m` metres, nearest first."""
    found = [(ident, distance_m(lon, lat, x, y)) for ident, x, y in points]
    return sorted(((i, d) for i, d in found if d <= m), key=lambda p: p[1])
