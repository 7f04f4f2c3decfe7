"""Applications (应用) of the demo catalogue: the real ones and those filled from per-domain templates.

The tables are in `digigov/demo/data/` (applications.json, app_templates.json).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from digigov.demo.content.regions import city_of, region, regions
from digigov.demo.content.specs import APP_COUNTS, AppSpec, DatasetSpec
from digigov.demo.content.tables import table
from digigov.identity.regions import RegionRow


@dataclass(frozen=True)
class AppTemplate:
    key: str
    pattern: str  # "{r}智慧停车"; {r} is the region's name
    name_en: str  # "{r} Smart Parking"; {r} is the region's English name
    system: str
    kind: str  # owner department kind
    levels: tuple[str, ...]  # where it is built
    anchor: str  # region code of the anchored instance present at every scale
    functions: tuple[str, ...]  # the pool; an instance uses 4-8 of them
    description: str
    tags: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()  # core dataset names, or "{city}…" resolved when present
    components: tuple[str, ...] = ()


@cache
def templates() -> tuple[AppTemplate, ...]:
    return tuple(
        AppTemplate(
            key=t["key"],
            pattern=t["pattern"],
            name_en=t["name_en"],
            system=t["system"],
            kind=t["kind"],
            levels=tuple(t["levels"]),
            anchor=t["anchor"],
            functions=tuple(t["functions"]),
            description=t["description"],
            tags=tuple(t["tags"]),
            datasets=tuple(t["datasets"]),
            components=tuple(t["components"]),
        )
        for t in table("app_templates.json")["templates"]
    )


def real_application_count() -> int:
    return len(table("applications.json")["applications"])


def _tier_budget(rng: random.Random, level: str) -> float:
    low, high = {"province": (800, 3000), "city": (200, 1500), "county": (50, 600)}[level]
    return float(round(rng.uniform(low, high) / 10) * 10)


def _template_app(
    t: AppTemplate,
    r: RegionRow,
    functions: Sequence[str],
    budget: float,
    status: str,
    datasets: set[str],
) -> AppSpec:
    city = city_of(r)
    deps: list[str] = []
    for d in t.datasets:
        name = d.replace("{city}", city.name).replace("{r}", r.name)
        if name in datasets and name not in deps:
            deps.append(name)
    return AppSpec(
        name=t.pattern.replace("{r}", r.name),
        name_en=t.name_en.replace("{r}", r.name_en),
        description=t.description.replace("{r}", r.name),
        system=t.system,
        owner=f"{r.code}-{t.kind}",
        functions=tuple(functions),
        budget_wan=budget,
        status=status,
        tags=t.tags,
        datasets=tuple(deps),
        components=t.components,
        template=t.key,
    )


_STATUS_WEIGHTS = (("online", 84), ("building", 9), ("planned", 3), ("offline", 3), ("retired", 1))


def _status(rng: random.Random) -> str:
    return rng.choices([s for s, _ in _STATUS_WEIGHTS], weights=[w for _, w in _STATUS_WEIGHTS])[0]


def applications(scale: str, rng: random.Random, datasets: Sequence[DatasetSpec]) -> list[AppSpec]:
    dataset_names = {d.name for d in datasets}
    out: list[AppSpec] = []
    for a in table("applications.json")["applications"]:
        out.append(
            AppSpec(
                a["name"],
                a["name_en"],
                a["description"],
                a["system"],
                a["owner"],
                tuple(a["functions"]),
                float(a["budget_wan"]),
                "online",
                tuple(a["tags"]),
                tuple(d for d in a["datasets"] if d in dataset_names),
                tuple(a["components"]),
                real=True,
            )
        )
    # one anchored instance per template, with the first seven functions of its pool
    for t in templates():
        anchor = region(t.anchor)
        budget = {"city": 900.0, "county": 320.0}[anchor.level]
        out.append(_template_app(t, anchor, t.functions[:7], budget, "online", dataset_names))
    used = {a.name for a in out}
    target = APP_COUNTS[scale]
    pairs = [
        (t, r)
        for t in templates()
        for r in regions()
        if r.level in t.levels and t.pattern.replace("{r}", r.name) not in used
    ]
    rng.shuffle(pairs)
    for t, r in pairs[: max(0, target - len(out))]:
        k = rng.randint(4, min(8, len(t.functions)))
        picked = sorted(rng.sample(range(len(t.functions)), k))
        out.append(
            _template_app(
                t,
                r,
                [t.functions[i] for i in picked],
                _tier_budget(rng, r.level),
                _status(rng),
                dataset_names,
            )
        )
    return out
