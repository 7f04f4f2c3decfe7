"""Grading (分级) a field from its data element and what the value scan found, "就高从严".

A field takes the highest grade among its confirmed data element and every type the scan found in at
least `threshold` of its values: a column headed 备注 that holds mobile numbers is graded as mobile
numbers. Classification tags (DB33/T 2351's four dimensions) are the union of those elements' tags.
A steward's override replaces the computed grade; it is kept by the field and survives re-loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from digigov.platform.standards import registry, scheme

# Detected types that are not data elements, with the grade they imply.
TYPE_GRADES = {"financial": ("L3", "general_3")}


@dataclass
class Grading:
    grade: str
    gb_level: str
    tags: dict[str, list[str]] = field(default_factory=dict)
    because: list[str] = field(default_factory=list)  # element ids / types that set the grade


def _merge_tags(into: dict[str, list[str]], tags: Mapping[str, Sequence[str]]) -> None:
    for dimension, values in tags.items():
        bucket = into.setdefault(dimension, [])
        for value in values:
            if value not in bucket:
                bucket.append(value)


def grade_field(element_id: str | None, hits: Iterable[Mapping[str, Any]], threshold: float) -> Grading:
    """The grade of a field mapped to `element_id` whose scan found `hits` ({element, rate, ...})."""
    sources: list[tuple[str, str, str, Mapping[str, Sequence[str]]]] = []
    elements = registry.elements()
    candidates = [element_id] if element_id else []
    candidates += [str(h["element"]) for h in hits if float(h.get("rate", 0)) >= threshold]
    for name in candidates:
        if name in elements:
            el = elements[name]
            sources.append((name, el.grade, el.gb_level, el.tags))
        elif name in TYPE_GRADES:
            grade, gb = TYPE_GRADES[name]
            sources.append((name, grade, gb, {}))
    if not sources:
        return Grading(grade="L1", gb_level="general_1")
    grade = scheme.max_grade(s[1] for s in sources)
    gb_level = scheme.max_gb_level(s[2] for s in sources)
    because = sorted({s[0] for s in sources if s[1] == grade})
    # Tags describe what the field is: its confirmed element's, else those of the type that set its grade
    # (merging several elements' tags would say both 每日 and 不定期, both 需脱敏 and 无需脱敏).
    tagged = [s for s in sources if s[0] == element_id] or [s for s in sources if s[0] in because][:1]
    tags: dict[str, list[str]] = {}
    for _name, _g, _gb, t in tagged:
        _merge_tags(tags, t)
    return Grading(grade=grade, gb_level=gb_level, tags=tags, because=because)


def dataset_grading(fields: Iterable[tuple[str, str, Mapping[str, Sequence[str]]]]) -> Grading:
    """A dataset's grade is the highest of its fields' (grade, gb_level, tags)."""
    items = list(fields)
    if not items:
        return Grading(grade="L1", gb_level="general_1")
    tags: dict[str, list[str]] = {}
    for _g, _gb, t in items:
        _merge_tags(tags, t)
    return Grading(grade=scheme.max_grade(g for g, _gb, _t in items),
                   gb_level=scheme.max_gb_level(gb for _g, gb, _t in items), tags=tags)
