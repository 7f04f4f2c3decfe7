"""Suggest a data element for each column from its header and its content scan (字段映射建议).

The header is looked up in the standards' alias index (exact, then the alias that ends the header, since a
Chinese header's head noun comes last: 联系人手机 is a phone number); the content is the scan's best type.
They agree when the header's element is the content type or validates with it (出生日期 holds dates). When
they disagree, content that is at least 90 % one type wins and the suggestion says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from digigov.platform.classify.detect import GRADE_HINTS, FieldScan
from digigov.platform.standards.registry import DataElement, alias_index, elements, normalize_header

Source = Literal["header", "content", "both", "none"]
CONTENT_WINS = 0.9
EXACT, SUFFIX, INSIDE = 0.9, 0.75, 0.6
_CJK = re.compile(r"[㐀-䶿一-鿿]")
# header words that pick a more specific element for a content type (出生 + dates = birth_date …)
_REFINE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("date", ("出生", "生日"), "birth_date"),
    ("date", ("死亡",), "death_date"),
    ("person_name", ("法定代表", "法人"), "legal_representative"),
)
# header words that let a weak content type become the element
_WEAK: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("性别",), ("gender", "gender_code"), "gender"),
    (("金额", "元", "费", "价", "款"), ("amount",), "amount"),
    (("许可", "执照", "证号", "证书"), ("licence_number",), "licence_number"),
)


@dataclass
class Suggestion:
    element: str | None
    confidence: float
    source: Source
    alternatives: list[str] = field(default_factory=list)
    why: str = ""
    why_en: str = ""
    grade_hint: str | None = None  # for detected types that are not elements (financial -> L3)


def header_element(header: str) -> tuple[str | None, float]:
    """The element a header names and how sure that is (exact alias 0.9, alias ending it 0.75, inside 0.6)."""
    index = alias_index()
    key = normalize_header(header)
    if not key:
        return None, 0.0
    if key in index:
        return index[key], EXACT
    for token in re.split(r"[^0-9a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", header).lower()):
        if len(token) >= 3 and token in index:
            return index[token], SUFFIX
    best: tuple[int, int, str] | None = None
    for alias, element_id in index.items():
        if len(alias) < 2 or not _CJK.search(alias):
            continue
        at = key.rfind(alias)
        if at >= 0:
            rank = (at + len(alias), len(alias), element_id)
            best = rank if best is None or rank[:2] > best[:2] else best
    if best is None:
        return None, 0.0
    return best[2], SUFFIX if best[0] == len(key) else INSIDE


def _agrees(element: DataElement, content: str) -> bool:
    return content in (element.id, element.validator) or (element.id == "gender" and content == "gender_code")


def _content_element(header: str, content: str) -> str:
    for kind, words, refined in _REFINE:
        if content == kind and any(word in header for word in words):
            return refined
    return content


def _name(element_id: str) -> str:
    el = elements().get(element_id)
    return el.name if el else element_id


def suggest_one(header: str, scan: FieldScan | None) -> Suggestion:
    """The suggestion for one column."""
    els = elements()
    h_id, h_conf = header_element(header)
    h_el = els.get(h_id) if h_id else None
    content = scan.best if scan else None
    c_rate = scan.rate(content) if scan and content else 0.0
    alternatives = [hit.element for hit in scan.hits if hit.element != content and hit.rate >= 0.3] if scan else []

    if content in GRADE_HINTS:
        label = "金融用语" if content == "financial" else content
        return Suggestion(
            h_id, h_conf, "header" if h_id else "none", [content, *alternatives],
            f"内容 {c_rate:.0%} 为{label}(不是数据元，建议分级 {GRADE_HINTS[content]})",
            f"{c_rate:.0%} of the values are {content} terms (not a data element; grade hint {GRADE_HINTS[content]})",
            GRADE_HINTS[content],
        )
    if h_el is not None and content is not None:
        if _agrees(h_el, content):
            conf = round(1 - (1 - h_conf) * (1 - c_rate), 3)
            chosen = _content_element(header, content) if h_el.id == content else h_el.id
            return Suggestion(chosen, conf, "both", alternatives,
                              f"表头“{header}”与内容({c_rate:.0%} {content})一致",
                              f"header {header!r} and content ({c_rate:.0%} {content}) agree")
        c_id = _content_element(header, content)
        if c_rate >= CONTENT_WINS:
            return Suggestion(c_id, round(c_rate * 0.95, 3), "content", [h_el.id, *alternatives],
                              f"表头“{header}”提示为{h_el.name}，但内容 {c_rate:.0%} 为{_name(c_id)}，以内容为准",
                              f"header {header!r} suggests {h_el.id} but {c_rate:.0%} of the values are {c_id}: "
                              "content wins")
        return Suggestion(h_el.id, round(h_conf * 0.8, 3), "header", [c_id, *alternatives],
                          f"表头为{h_el.name}；内容 {c_rate:.0%} 像{_name(c_id)}，不足 90%，以表头为准",
                          f"header says {h_el.id}; {c_rate:.0%} of values look like {c_id}, below 90 %: header kept")
    if h_el is not None:
        check = h_el.validator or ("gender" if h_el.id == "gender" else None)
        support = max((scan.rate(k) for k in (check, h_el.id, "gender_code" if h_el.id == "gender" else "")
                       if k), default=0.0) if scan else 0.0
        if support >= 0.6:
            return Suggestion(h_el.id, round(1 - (1 - h_conf) * (1 - support), 3), "both", alternatives,
                              f"表头“{header}”与内容({support:.0%})一致", f"header and content ({support:.0%}) agree")
        if scan is not None and scan.non_empty and check:
            return Suggestion(h_el.id, round(h_conf * 0.7, 3), "header", alternatives,
                              f"按表头“{header}”映射为{h_el.name}；内容只有 {support:.0%} 符合",
                              f"mapped by header {header!r}; only {support:.0%} of the values fit")
        return Suggestion(h_el.id, h_conf, "header", alternatives, f"按表头“{header}”映射为{h_el.name}",
                          f"mapped by header {header!r}")
    if content is not None:
        c_id = _content_element(header, content)
        return Suggestion(c_id, round(c_rate * 0.9, 3), "content", alternatives,
                          f"内容 {c_rate:.0%} 为{_name(c_id)}", f"{c_rate:.0%} of the values are {c_id}")
    if scan is not None:
        for words, kinds, element_id in _WEAK:
            rate = max(scan.rate(k) for k in kinds)
            if any(word in header for word in words) and rate >= 0.6:
                return Suggestion(element_id, round(0.6 + 0.3 * rate, 3), "both", alternatives,
                                  f"表头含“{'/'.join(words)}”且内容 {rate:.0%} 相符",
                                  f"header mentions {'/'.join(words)} and {rate:.0%} of the values fit")
    return Suggestion(None, 0.0, "none", alternatives, "表头与内容均无法判断", "neither header nor content decides")


def _tidy(suggestion: Suggestion) -> Suggestion:
    seen = dict.fromkeys(a for a in suggestion.alternatives if a != suggestion.element)
    suggestion.alternatives = list(seen)
    return suggestion


def suggest_mapping(headers: Sequence[str], scans: Mapping[str, FieldScan]) -> dict[str, Suggestion]:
    """A suggestion per header, from the header aliases and the content scans (``scans`` keyed by header)."""
    return {header: _tidy(suggest_one(header, scans.get(header))) for header in headers}
