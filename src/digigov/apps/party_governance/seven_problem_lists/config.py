"""The configured lists, root causes and follow-up interval (data/config.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class ProblemList:
    code: str
    name: str
    name_en: str
    owner_kind: str  # the department kind that keeps the list at the problem's tier
    workdays: int  # default rectification time


@dataclass(frozen=True)
class RootCause:
    code: str
    name: str
    name_en: str


@cache
def _raw() -> dict[str, Any]:
    return dict(yaml.safe_load((Path(__file__).parent / "data" / "config.yaml").read_text(encoding="utf-8")))


def lists() -> dict[str, ProblemList]:
    return {d["code"]: ProblemList(d["code"], d["name"], d["name_en"], d["owner_kind"], int(d["workdays"]))
            for d in _raw()["lists"]}


def root_causes() -> dict[str, RootCause]:
    return {d["code"]: RootCause(d["code"], d["name"], d["name_en"]) for d in _raw()["root_causes"]}


def follow_up_months() -> int:
    return int(_raw().get("follow_up_months", 3))
