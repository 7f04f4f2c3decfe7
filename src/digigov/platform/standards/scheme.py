"""Grades and levels: Zhejiang's four grades (分级, DB33/T 2351: L1 不敏感 … L4 敏感) and the national levels of
GB/T 43697 (核心 > 重要 > 一般4级 … 一般1级), the crosswalk between them and the rule "就高从严" (when in
doubt, the stricter level wins).

The constants live here; the labels, handling and crosswalk rows are data in ``data/scheme.yaml`` read through
the registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

GRADES: tuple[str, ...] = ("L1", "L2", "L3", "L4")
#: GB/T 43697 levels, strictest first.
GB_LEVELS: tuple[str, ...] = ("core", "important", "general_4", "general_3", "general_2", "general_1")
#: Levels that forbid opening whatever the Zhejiang grade says.
BLOCKING_GB_LEVELS: frozenset[str] = frozenset({"core", "important"})

Lang = Literal["zh", "en"]


def _check_grade(grade: str) -> str:
    if grade not in GRADES:
        raise ValueError(f"unknown grade {grade!r}; expected one of {GRADES}")
    return grade


def _check_gb(gb_level: str) -> str:
    if gb_level not in GB_LEVELS:
        raise ValueError(f"unknown GB/T 43697 level {gb_level!r}; expected one of {GB_LEVELS}")
    return gb_level


def grade_rank(grade: str) -> int:
    """1 for L1 … 4 for L4; ValueError for anything else."""
    return GRADES.index(_check_grade(grade)) + 1


def gb_rank(gb_level: str) -> int:
    """1 for general_1 … 4 for general_4, 5 for important, 6 for core."""
    return len(GB_LEVELS) - GB_LEVELS.index(_check_gb(gb_level))


def max_grade(grades: Iterable[str]) -> str:
    """The strictest grade ("就高从严"); ``"L1"`` for an empty iterable."""
    return max(grades, key=grade_rank, default="L1")


def max_gb_level(levels: Iterable[str]) -> str:
    """The strictest GB/T 43697 level; ``"general_1"`` for an empty iterable."""
    return max(levels, key=gb_rank, default="general_1")


def crosswalk() -> dict[str, str]:
    """Zhejiang grade -> the GB/T 43697 level it corresponds to (from ``scheme.yaml``)."""
    from .registry import scheme

    return {row.grade: row.gb_level for row in scheme().crosswalk}


def gb_for(grade: str) -> str:
    """The GB/T 43697 level a Zhejiang grade corresponds to (L4 -> general_4 … L1 -> general_1)."""
    return crosswalk()[_check_grade(grade)]


def grade_for_gb(gb_level: str) -> str:
    """The Zhejiang grade a GB/T 43697 level implies: important and core data count as L4."""
    _check_gb(gb_level)
    if gb_level in BLOCKING_GB_LEVELS:
        return "L4"
    back = {gb: grade for grade, gb in crosswalk().items()}
    return back[gb_level]


def effective_grade(grade: str, gb_level: str) -> str:
    """The stricter of the Zhejiang grade and the grade implied by the national level ("就高从严")."""
    return max_grade((_check_grade(grade), grade_for_gb(gb_level)))


def handling(grade: str, gb_level: str | None = None) -> str:
    """How data may be opened: ``open`` (L1 only), ``restricted`` (L2/L3: sandbox, approval and consent) or
    ``closed`` (L4, important, core)."""
    from .registry import scheme

    eff = _check_grade(grade) if gb_level is None else effective_grade(grade, gb_level)
    if gb_level in BLOCKING_GB_LEVELS:
        return "closed"
    return next(level.handling for level in scheme().levels if level.id == eff)


def is_open_allowed(grade: str, gb_level: str) -> bool:
    """True when a field may go to the open-data portal unconditionally: L1, and nothing stricter under
    GB/T 43697 (important or core data never open; general_2 and above make it L2 or stricter)."""
    return handling(grade, gb_level) == "open"


def grade_label(grade: str, lang: str = "zh") -> str:
    """``不敏感数据`` / ``Not sensitive`` for L1, and so on."""
    from .registry import scheme

    level = next(level for level in scheme().levels if level.id == _check_grade(grade))
    return level.name if lang == "zh" else level.name_en


def gb_label(gb_level: str, lang: str = "zh") -> str:
    """``一般数据3级`` / ``General data level 3`` for general_3, and so on."""
    from .registry import scheme

    info = next(info for info in scheme().gb_levels if info.id == _check_gb(gb_level))
    return info.name if lang == "zh" else info.name_en


def handling_label(kind: str, lang: str = "zh") -> str:
    """``无条件开放`` / ``Open`` for ``open``, and so on."""
    from .registry import scheme

    label = scheme().handling[kind]  # type: ignore[index]
    return label.name if lang == "zh" else label.name_en
