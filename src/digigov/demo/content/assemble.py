"""The demo catalogue put together for a scale and a seed, and the checks run on it."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from digigov.demo.content.applications import applications, real_application_count, templates
from digigov.demo.content.regions import region
from digigov.demo.content.resources import cloud_resources, components, datasets
from digigov.demo.content.specs import DEFAULT_SEED, SCALES, AppSpec, Catalogue


def catalogue(scale: str = "medium", seed: int = DEFAULT_SEED) -> Catalogue:
    """The demo catalogue for `scale` (small / medium / large); the same seed always gives the same one."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
    # One random stream per kind, independent of the scale, so that the sizes nest: every resource of
    # small is in medium, and every resource of medium is in large.
    clouds = cloud_resources(scale, random.Random(f"{seed}:cloud"))
    comps = components()
    data = datasets(scale, random.Random(f"{seed}:datasets"), clouds)
    apps = applications(scale, random.Random(f"{seed}:applications"), data)
    return Catalogue(
        scale=scale, seed=seed, components=comps, cloud_resources=clouds, datasets=data, applications=apps
    )


def core_applications() -> list[AppSpec]:
    """The applications present at every scale: the real ones and one anchored instance per template."""
    return catalogue("small").applications[: real_application_count() + len(templates())]


def dependency_problems(cat: Catalogue) -> list[str]:
    """Dependencies that do not name a resource of the right kind in `cat` (empty when all resolve)."""
    by_kind = {
        "cloud_resource": {c.name for c in cat.cloud_resources},
        "component": {c.name for c in cat.components},
        "dataset": {d.name for d in cat.datasets},
    }
    problems: list[str] = []

    def check(owner: str, names: Iterable[str], kinds: tuple[str, ...]) -> None:
        for n in names:
            if not any(n in by_kind[k] for k in kinds):
                problems.append(f"{owner}: {n}")

    for c in cat.components:
        check(c.name, c.cloud, ("cloud_resource",))
    for d in cat.datasets:
        check(d.name, d.cloud, ("cloud_resource",))
    for a in cat.applications:
        check(a.name, a.datasets, ("dataset",))
        check(a.name, a.components, ("component",))
    return problems


def summary(cat: Catalogue) -> dict[str, Any]:
    """Counts per kind, per system and per tier: what a report or a test prints."""
    tiers = Counter(region(a.owner.split("-")[0]).level for a in cat.applications)
    return {
        "counts": cat.counts(),
        "systems": dict(Counter(a.system for a in cat.applications)),
        "tiers": dict(tiers),
    }
