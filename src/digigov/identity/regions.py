"""The region tree (GB/T 2260) and the department kinds, read from the data files shipped here."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class DepartmentKind:
    kind: str
    name: str
    name_en: str
    suffix: dict[str, str]
    is_data_authority: bool


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("digigov.identity").joinpath("data", filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


def zhejiang_regions() -> list[RegionRow]:
    """浙江省: 1 province, 11 cities, 90 county-level divisions, parents before children."""
    return [
        RegionRow(r["code"], r["name"], r["name_en"], r["level"], r["parent_code"] or None)
        for r in _rows("zhejiang_regions.csv")
    ]


def department_kinds() -> list[DepartmentKind]:
    return [
        DepartmentKind(
            kind=r["kind"],
            name=r["name"],
            name_en=r["name_en"],
            suffix={"province": r["province_suffix"], "city": r["city_suffix"], "county": r["county_suffix"]},
            is_data_authority=r["is_data_authority"] == "1",
        )
        for r in _rows("department_kinds.csv")
    ]


def department_name(region: RegionRow, kind: DepartmentKind) -> str:
    """e.g. 浙江省公安厅, 杭州市公安局, 西湖区公安分局."""
    return region.name + kind.suffix[region.level]


def department_code(region_code: str, kind: str) -> str:
    return f"{region_code}-{kind}"
