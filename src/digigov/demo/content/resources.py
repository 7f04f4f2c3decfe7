"""Cloud resources (云资源), components (组件) and datasets (数据) of the demo catalogue.

The tables are in `digigov/demo/data/` (cloud.json, components.json, datasets.json).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from digigov.demo.content.regions import cities, city_of, counties, region
from digigov.demo.content.specs import MEDIUM_DATASETS, CloudSpec, ComponentSpec, DatasetSpec
from digigov.demo.content.tables import table
from digigov.identity.regions import RegionRow

P_NODE = "省政务云（华东节点）"
P_NODE2 = "省政务云（灾备节点）"


# ---------------------------------------------------------------- cloud resources (云资源)


def cloud_resources(scale: str, rng: random.Random) -> list[CloudSpec]:
    tables = table("cloud.json")
    out = [
        CloudSpec(
            c["name"],
            c["name_en"],
            c["description"],
            c["owner"],
            c["resource_type"],
            c["node"],
            c["vcpu"],
            c["memory_gb"],
            c["storage_gb"],
            c["spec"],
            tags=("政务云", c["resource_type"]),
        )
        for c in tables["core"]
    ]
    names = {c.name for c in out}

    def add(r: RegionRow, tmpl: dict[str, Any]) -> None:
        node = f"{city_of(r).name}政务云"
        name = f"{r.name}政务云-{tmpl['suffix']}"
        if name in names:
            return
        names.add(name)
        out.append(
            CloudSpec(
                name,
                f"{r.name_en} {tmpl['name_en']}",
                f"{r.name}{tmpl['description']}（{node}）",
                f"{r.code}-big_data",
                tmpl["resource_type"],
                node,
                tmpl["vcpu"],
                tmpl["memory_gb"],
                tmpl["storage_gb"],
                tmpl["spec"],
                tags=("政务云", tmpl["resource_type"]),
            )
        )

    if scale == "small":
        return out
    city_cloud, county_cloud = tables["city"], tables["county"]
    some_cities = [c for c in cities() if c.code not in ("330100", "330200", "330700")]
    for city in some_cities:  # 8 cities x 1-2 -> about 30 at medium
        add(city, city_cloud[0])
        add(city, city_cloud[1])
    if scale == "medium":
        return out[:30]
    for city in cities():
        for tmpl in city_cloud:
            add(city, tmpl)
    for county in counties():
        for tmpl in county_cloud:
            add(county, tmpl)
    return out


def hosting_for(r: RegionRow, clouds: Sequence[CloudSpec]) -> tuple[str, ...]:
    """The cloud resources an application or dataset of region `r` most plausibly runs on."""
    names = {c.name for c in clouds}
    for rr in (r, city_of(r)):
        for suffix in ("应用托管ECS",):
            name = f"{rr.name}政务云-{suffix}"
            if name in names:
                return (name,)
    return ("省政务云-应用托管ECS集群",)


def storage_for(r: RegionRow, clouds: Sequence[CloudSpec]) -> tuple[str, ...]:
    names = {c.name for c in clouds}
    for rr in (r, city_of(r)):
        name = f"{rr.name}政务云-业务库RDS"
        if name in names:
            return (name,)
    return ("省政务云-数据仓RDS（PostgreSQL）",)


# ---------------------------------------------------------------- components (组件)


def components() -> list[ComponentSpec]:
    out = []
    for i, c in enumerate(table("components.json")["components"]):
        version = f"v{1 + i % 3}.{(i * 7) % 10}.{(i * 3) % 5}"
        out.append(
            ComponentSpec(
                c["name"],
                c["name_en"],
                c["description"],
                c["owner"],
                tuple(c["functions"]),
                version,
                c["api_style"],
                c["sla"],
                tags=("公共组件", "一地创新全省共享"),
                cloud=tuple(c["cloud"]),
            )
        )
    return out


# ---------------------------------------------------------------- datasets (数据)


def _region_dataset(r: RegionRow, tmpl: dict[str, Any], clouds: Sequence[CloudSpec]) -> DatasetSpec:
    population_10k: dict[str, int] = table("datasets.json")["population_10k"]
    pop = population_10k.get(r.code, population_10k.get(city_of(r).code, 500) // 8)
    return DatasetSpec(
        name=f"{r.name}{tmpl['suffix']}",
        name_en=f"{r.name_en} {tmpl['name_en']}",
        description=f"{r.name}{tmpl['description']}",
        owner=f"{r.code}-{tmpl['kind']}",
        update_frequency=tmpl["update_frequency"],
        share_attribute=tmpl["share_attribute"],
        open_attribute=tmpl["open_attribute"],
        grade=tmpl["grade"],
        record_count=int(tmpl["records_per_10k"] * pop),
        fields=tuple(tmpl["fields"]),
        tags=tuple(tmpl["tags"]),
        cloud=storage_for(r, clouds),
    )


def datasets(scale: str, rng: random.Random, clouds: Sequence[CloudSpec]) -> list[DatasetSpec]:
    tables = table("datasets.json")
    out = []
    for d in tables["core"]:
        out.append(
            DatasetSpec(
                d["name"],
                d["name_en"],
                d["description"],
                d["owner"],
                d["update_frequency"],
                d["share_attribute"],
                d["open_attribute"],
                d["grade"],
                d["record_count"],
                tuple(d["fields"]),
                tuple(d["tags"]),
                cloud=storage_for(region(d["owner"].split("-")[0]), clouds),
            )
        )
    per_region: list[dict[str, Any]] = tables["per_region"]
    by_suffix = {t["suffix"]: t for t in per_region}
    for core in tables["core_per_region"]:
        out.append(_region_dataset(region(core["region"]), by_suffix[core["suffix"]], clouds))
    names = {d.name for d in out}
    if scale == "small":
        return out
    # every (region, template) pair allowed at this scale, in a seeded order
    pairs: list[tuple[RegionRow, dict[str, Any]]] = []
    where = cities() if scale == "medium" else [*cities(), *counties()]
    for r in where:
        for tmpl in per_region:
            if r.level in tmpl["levels"] and f"{r.name}{tmpl['suffix']}" not in names:
                pairs.append((r, tmpl))
    if scale == "medium":
        rng.shuffle(pairs)
        pairs = sorted(pairs[: max(0, MEDIUM_DATASETS - len(out))], key=lambda p: (p[0].code, p[1]["suffix"]))
    for r, tmpl in pairs:
        out.append(_region_dataset(r, tmpl, clouds))
    return out
