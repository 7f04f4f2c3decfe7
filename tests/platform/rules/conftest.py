"""Fixtures of the rules tests: a complaints table in the test's warehouse, a rule's YAML."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digigov.core.warehouse import get_warehouse
from digigov.platform.rules import events

COMPLAINTS = [
    # community, category, department_code, day
    ("翠苑一区", "噪音扰民", "330106-housing", "2026-11-01"),
    ("翠苑一区", "噪音扰民", "330106-housing", "2026-11-02"),
    ("翠苑一区", "噪音扰民", "330106-housing", "2026-11-03"),
    ("文新社区", "噪音扰民", "330106-urban_management", "2026-11-04"),
    ("文新社区", "噪音扰民", "330106-urban_management", "2026-11-05"),
    ("文新社区", "噪音扰民", "330106-urban_management", "2026-11-06"),
    ("文新社区", "噪音扰民", "330106-urban_management", "2026-11-07"),
    ("古荡新村", "噪音扰民", "330106-housing", "2026-11-08"),
    ("古荡新村", "占道经营", "330106-urban_management", "2026-11-09"),
]

NOISE_SQL = ("SELECT community, count(*) AS n, max(department_code) AS department_code "
             "FROM topic.complaints WHERE category = '噪音扰民' GROUP BY community HAVING count(*) >= 3 "
             "ORDER BY community")


def noise_rule(code: str = "noise.repeat", **over: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "code": code, "name": "同一小区噪音投诉多发", "name_en": "Repeated noise complaints", "kind": "sql",
        "severity": "orange", "department": "column", "case_type": "noise_complaint", "subject": "community",
        "title": "{community}：{n}起噪音投诉", "schedule": "0 2 * * *", "sql": NOISE_SQL,
    }
    spec.update(over)
    return spec


@pytest.fixture
def complaints() -> list[tuple[str, str, str, str]]:
    with get_warehouse().connect() as con:
        con.execute("CREATE TABLE topic.complaints (community VARCHAR, category VARCHAR, department_code VARCHAR,"
                    " day DATE)")
        con.executemany("INSERT INTO topic.complaints VALUES (?, ?, ?, ?)", COMPLAINTS)
    return COMPLAINTS


@pytest.fixture(autouse=True)
def fresh_rule_caches() -> Iterator[None]:
    events.clear_caches()
    yield
    events.clear_caches()
