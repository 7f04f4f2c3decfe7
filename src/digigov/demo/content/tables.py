"""The literal tables of the demo catalogue, read once from the JSON files in `digigov/demo/data/`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def table(filename: str) -> dict[str, Any]:
    """The parsed JSON of `data/<filename>` (cached: treat it as read-only)."""
    text = resources.files("digigov.demo").joinpath("data", filename).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
