"""The regions of the demo province (浙江省) as the catalogue content sees them."""

from __future__ import annotations

from functools import lru_cache

from digigov.identity.regions import RegionRow, department_kinds, zhejiang_regions


@lru_cache(maxsize=1)
def regions() -> tuple[RegionRow, ...]:
    return tuple(zhejiang_regions())


def region(code: str) -> RegionRow:
    for r in regions():
        if r.code == code:
            return r
    raise KeyError(code)


def cities() -> list[RegionRow]:
    return [r for r in regions() if r.level == "city"]


def counties() -> list[RegionRow]:
    return [r for r in regions() if r.level == "county"]


def city_of(r: RegionRow) -> RegionRow:
    if r.level == "county" and r.parent_code:
        return region(r.parent_code)
    return r


def department_codes() -> set[str]:
    """Every department code of the demo province (region × kind)."""
    return {f"{r.code}-{k.kind}" for r in regions() for k in department_kinds()}
