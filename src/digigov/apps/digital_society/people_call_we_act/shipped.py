"""The rules and indicators 民呼我为 ships (YAML under data/), loaded into the store by the platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"


def _load(name: str, key: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return list(yaml.safe_load(f)[key])


def rules() -> list[dict[str, Any]]:
    return _load("rules.yaml", "rules")


def indicators() -> list[dict[str, Any]]:
    return _load("indicators.yaml", "indicators")
