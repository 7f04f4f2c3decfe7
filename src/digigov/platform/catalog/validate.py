"""Input checks shared by the catalogue's use cases: each returns the cleaned value or raises InvalidInput."""

from __future__ import annotations

import math
from collections.abc import Sequence

from digigov.core.errors import InvalidInput


def text(value: object, field: str, *, max_len: int, required: bool = False) -> str:
    """A stripped string without NUL characters, within `max_len`; InvalidInput otherwise."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", key="not_text", field=field)
    value = value.strip()
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", key="bad_characters", field=field)
    if required and not value:
        raise InvalidInput(f"{field} is required", key="required", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters", key="too_long", field=field,
                           max_len=max_len)
    return value


def texts(values: Sequence[str] | None, field: str, *, max_items: int = 100,
           max_len: int = 200) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        raise InvalidInput(f"{field} must be a list of text", key="not_list", field=field)
    out: list[str] = []
    for v in values:
        t = text(v, field, max_len=max_len)
        if t and t not in out:
            out.append(t)
    if len(out) > max_items:
        raise InvalidInput(f"{field} has more than {max_items} entries", key="too_many", field=field,
                           max_items=max_items)
    return out


def choice(value: str | None, allowed: Sequence[str], field: str, *, optional: bool = False) -> str | None:
    if value is None or value == "":
        if optional:
            return None
        raise InvalidInput(f"{field} is required", key="required", field=field)
    if value not in allowed:
        raise InvalidInput(f"{field} must be one of {', '.join(allowed)}", key="choice", field=field)
    return value


def budget(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidInput("budget_wan must be a non-negative number", key="budget", field="budget_wan")
    return float(value)
