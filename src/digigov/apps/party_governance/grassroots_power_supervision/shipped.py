"""The rules and indicators this application ships (YAML under data/), as the platform stores them.

A rule in data/rules.yaml is a platform batch rule plus three keys of this application: `matter` (which of the
six matters it supervises), `rectify_workdays` (the time the town has to get it rectified and verified on site)
and `params` (thresholds). Its SQL may name the shared `parts` ({cadre_circle}…) and its params ({threshold}…);
`rules()` writes them in, so the platform stores and runs plain SQL, and an edit of a threshold in the YAML
ships as a new version of the rule. Numbers only: a parameter is never text spliced into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
OWN_KEYS = ("matter", "rectify_workdays", "params")


@dataclass(frozen=True)
class RuleMeta:
    code: str
    name: str
    name_en: str
    matter: str
    rectify_workdays: int
    params: dict[str, float | int]
    severity: str
    description: str = ""


@cache
def _rules_file() -> dict[str, Any]:
    with (DATA / "rules.yaml").open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def _render(text: str, values: dict[str, Any]) -> str:
    return text.format_map(values) if "{" in text else text


def _params(raw: dict[str, Any]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for key, value in (raw.get("params") or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"rule {raw.get('code')}: parameter {key} must be a number")
        out[str(key)] = value
    return out


def rules() -> list[dict[str, Any]]:
    """The platform rule specs, with the shared parts and the parameters written into their SQL."""
    data = _rules_file()
    out = []
    for raw in data["rules"]:
        params = _params(raw)
        spec = {k: v for k, v in raw.items() if k not in OWN_KEYS}
        spec["sql"] = _render(raw["sql"], {**data.get("parts", {}), **params})
        spec["description"] = _render(raw.get("description", ""), params)
        out.append(spec)
    return out


@cache
def meta() -> dict[str, RuleMeta]:
    """What the application itself needs of each rule, by code."""
    return {r["code"]: RuleMeta(r["code"], r["name"], r.get("name_en", ""), r["matter"], int(r["rectify_workdays"]),
                                _params(r), r.get("severity", "red"),
                                _render(r.get("description", ""), _params(r)).strip())
            for r in _rules_file()["rules"]}


def indicators() -> list[dict[str, Any]]:
    with (DATA / "indicators.yaml").open(encoding="utf-8") as f:
        return list(yaml.safe_load(f)["indicators"])
