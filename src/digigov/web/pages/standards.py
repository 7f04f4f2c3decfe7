"""The standards page (数据标准): terms of the definition sets by system with a term's detail and related terms,
the data elements with their grades and masking, and the grading scheme with the ZJ ↔ GB/T 43697 crosswalk.
The JSON twins are under /api/v1/standards.

`gov_helpers` gives every data-governance page the same words for grades, levels, elements and tags.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from digigov.core.errors import NotFound
from digigov.core.http import DB, Lang
from digigov.core.i18n import translate
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import require
from digigov.platform.standards import masking, registry, scheme
from digigov.web.pages.common import render

router = APIRouter(include_in_schema=False)

SOURCES = ("header", "content", "both", "remembered", "none")


def gov_helpers(lang: str) -> dict[str, Any]:
    """Template helpers: grade, GB level, element, masking, frequency and tag labels in the page language."""
    sch = registry.scheme()
    levels: dict[str, Any] = {lv.id: lv for lv in sch.levels}
    tag_en = {v.zh: v.en for d in sch.dimensions for a in d.attributes for v in a.values}
    dims = {d.id: d for d in sch.dimensions}
    els = registry.elements()
    en = lang == "en"

    def grade_short(grade: str | None) -> str:
        level = levels.get(grade or "")
        return "" if level is None else (level.name_en if en else level.short)

    def grade_label(grade: str | None) -> str:
        return scheme.grade_label(grade, lang) if grade in levels else ""

    def gb_label(level: str | None) -> str:
        return scheme.gb_label(level, lang) if level in scheme.GB_LEVELS else ""

    def el_name(element: str | None) -> str:
        if not element:
            return ""
        if element in els:
            return els[element].label(lang)
        key = f"dtype.{element}"
        text = translate(key, lang)
        return element if text == key else text

    def mask_label(rule: str | None) -> str:
        found = masking.RULES.get(rule or "")
        return "" if found is None else (found.name_en if en else found.name)

    def freq_label(freq: str | None) -> str:
        return (tag_en.get(freq or "", freq or "") if en else (freq or "")) or "—"

    def dim_label(dim: str) -> str:
        found = dims.get(dim)
        return dim if found is None else (found.name_en if en else found.name)

    def tag_label(value: str) -> str:
        return tag_en.get(value, value) if en else value

    def handling_label(kind: str) -> str:
        return scheme.handling_label(kind, lang)

    def source_label(source: str | None) -> str:
        return translate(f"gov.source.{source or 'none'}", lang)

    def reason_label(reason: str) -> str:
        """A quarantine reason "<header>:<code>" (or a reader's "<code>") in words."""
        header, _, code = reason.rpartition(":")
        key = f"gov.reason.{code}"
        text = translate(key, lang)
        text = code if text == key else text
        return f"{header}{'：' if not en else ': '}{text}" if header else text

    def tx(zh: str | None, en_text: str | None) -> str:
        """The English text on an English page when there is one, else the Chinese."""
        return (en_text or zh or "") if en else (zh or "")

    return {"grade_short": grade_short, "grade_label": grade_label, "gb_label": gb_label, "el_name": el_name,
            "mask_label": mask_label, "freq_label": freq_label, "dim_label": dim_label, "tag_label": tag_label,
            "handling_label": handling_label, "source_label": source_label, "reason_label": reason_label,
            "tx": tx, "grades": scheme.GRADES}


@router.get("/standards")
def standards_page(
    request: Request, actor: CurrentActor, session: DB, lang: Lang,
    q: Annotated[str, Query(max_length=100)] = "",
    term: Annotated[str, Query(max_length=64, pattern=r"^([a-z][a-z0-9_]*)?$")] = "",
) -> Response:
    require(actor, "standards.view")
    found = registry.search_terms(q)
    by_system: OrderedDict[str, list[registry.Term]] = OrderedDict((s, []) for s in registry.SYSTEMS)
    for t in found:
        by_system[t.system].append(t)
    selected = None
    related: list[registry.Term] = []
    if term:
        try:
            selected = registry.term(term)
        except NotFound:
            selected = None
        else:
            related = [registry.term(r) for r in selected.related]
            related += [t for t in registry.terms() if selected.id in t.related and t not in related]
    sch = registry.scheme()
    return render(
        request,
        "standards.html",
        {
            "q": q,
            "groups": [(s, registry.system_label(s, lang), terms) for s, terms in by_system.items() if terms],
            "found": len(found),
            "selected": selected,
            "related": related,
            "elements": list(registry.elements().values()),
            "rules": masking.RULES,
            "scheme": sch,
            "crosswalk": {row.grade: row for row in sch.crosswalk},
            "versions": registry.versions(),
            **gov_helpers(lang),
        },
        actor=actor,
        session=session,
        lang=lang,
    )
