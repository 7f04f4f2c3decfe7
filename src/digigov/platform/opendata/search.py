"""Searching the open catalogue: a small Solr-style query language over dataset documents, sorting and facets.

CKAN clients (and CKAN harvesters) speak Solr: `q=name:abc 食品`, `fq=organization:a OR organization:b
-tags:x metadata_modified:[2026-01-01T00:00:00Z TO *]`, `sort=metadata_modified desc`. This module parses
that much of the syntax into clauses and evaluates them against one document per open dataset (a dict of
field -> values, built by `service.document`). No I/O here: the service hands documents in, gets matches out.

Semantics, as in Solr with CKAN's defaults: terms are ANDed; `OR` joins the terms beside it into one
disjunction; `-` negates a term, `+` is the default; a value may be quoted, a `(a OR b)` group, a `*`
wildcard (the field has any value), a trailing-`*` prefix, or an inclusive `[low TO high]` range (`*` for an
open end). Free words (not `field:value`) must all occur in the document's text. Values compare
case-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from digigov.core.errors import InvalidInput

#: Fields a query may name, with the document key each reads (CKAN's index field names).
FIELDS = frozenset({
    "id", "name", "title", "notes", "organization", "owner_org", "tags", "groups", "res_format", "license_id",
    "update_frequency", "region", "metadata_modified", "metadata_created", "num_resources", "num_tags", "text",
    "state", "dataset_type", "type", "capacity", "res_name",
})
#: Fields every open dataset answers the same way (CKAN adds them to its own queries).
CONSTANTS = {"state": "active", "dataset_type": "dataset", "type": "dataset", "capacity": "public"}
SORT_KEYS = frozenset({"score", "id", "name", "title", "title_string", "metadata_modified", "metadata_created",
                       "num_resources", "num_tags"})
DEFAULT_SORT: tuple[tuple[str, bool], ...] = (("score", True), ("metadata_modified", True))

_TERM = re.compile(r'''
    (?P<op>[-+!]?)
    (?:(?P<key>[A-Za-z_][A-Za-z0-9_.]*):)?
    (?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|[^\s()]+)
''', re.VERBOSE)


class SearchQueryError(InvalidInput):
    """A query, filter or sort the search cannot run (CKAN's "Search Query Error")."""


def normalise(text: str) -> str:
    """NFKC (full-width to half-width) and lower case, so comparisons ignore width and case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class Clause:
    """`key` has one of `values` (or lies in [low, high] when `ranged`); `negate` inverts it."""

    key: str
    values: tuple[str, ...] = ()
    negate: bool = False
    ranged: bool = False
    low: str | None = None
    high: str | None = None

    def holds(self, doc: Mapping[str, Sequence[str]]) -> bool:
        have = [normalise(v) for v in doc.get(self.key, ())]
        if self.ranged:
            lo, hi = normalise(self.low or ""), normalise(self.high or "")
            hit = any((not lo or v >= lo) and (not hi or v <= hi) for v in have)
        else:
            hit = any(_value_matches(normalise(want), have) for want in self.values)
        return hit != self.negate


def _value_matches(want: str, have: Sequence[str]) -> bool:
    if want == "*":
        return bool(have)
    if want.endswith("*"):
        return any(v.startswith(want[:-1]) for v in have)
    return want in have


@dataclass(frozen=True)
class Criteria:
    """Free words (all must match) and clause groups (AND of ORs), plus the sort order."""

    words: tuple[str, ...] = ()
    groups: tuple[tuple[Clause, ...], ...] = ()
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT

    def and_(self, other: Criteria) -> Criteria:
        return Criteria(self.words + other.words, self.groups + other.groups, self.sort)


@dataclass
class Ranked:
    """One match and its relevance score (title hits count most)."""

    key: str  # the dataset code
    score: float


@dataclass
class Outcome:
    total: int
    keys: list[str]  # codes of the requested page, in order
    facets: dict[str, Counter[str]] = field(default_factory=dict)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _clause(op: str, key: str, value: str) -> Clause:
    if key not in FIELDS:
        raise SearchQueryError(f"cannot search on unknown field {key!r}", key="open_unknown_field", name=key)
    negate = op in ("-", "!")
    if value[:1] in "[{" and value[-1:] in "]}":
        parts = value[1:-1].split(" TO ")
        if len(parts) != 2:
            raise SearchQueryError(f"a range is [low TO high], not {value!r}", key="open_bad_range")
        low, high = (_unquote(p.strip()) for p in parts)
        return Clause(key, negate=negate, ranged=True, low=None if low == "*" else low,
                      high=None if high == "*" else high)
    if value.startswith("(") and value.endswith(")"):
        inner = [v for v in re.split(r"\s+(?:OR|AND)\s+|\s+", value[1:-1].strip()) if v]
        return Clause(key, tuple(_unquote(v) for v in inner), negate=negate)
    return Clause(key, (_unquote(value),), negate=negate)


def parse(expr: str) -> tuple[list[str], list[tuple[Clause, ...]]]:
    """Split a Solr-style expression into free words and clause groups (each group is an OR)."""
    words: list[str] = []
    groups: list[list[Clause]] = []
    pending_or = False
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        if expr[pos].isspace():
            pos += 1
            continue
        match = _TERM.match(expr, pos)
        if match is None or match.end() == pos:
            raise SearchQueryError(f"cannot read the query at {expr[pos:pos + 20]!r}", key="open_bad_query")
        pos = match.end()
        op, key, value = match.group("op"), match.group("key"), match.group("value")
        if not key and not op and value in ("OR", "||"):
            pending_or = bool(groups)
            continue
        if not key and not op and value in ("AND", "&&"):
            continue
        if key is None:
            if value == "*:*" or value == "*":
                continue
            words.append(_unquote(value))
            continue
        clause = _clause(op, key, value)
        if pending_or and groups:
            groups[-1].append(clause)
        else:
            groups.append([clause])
        pending_or = False
    return words, [tuple(g) for g in groups]


def parse_sort(expr: str | None) -> tuple[tuple[str, bool], ...]:
    """`"metadata_modified desc, name asc"` -> (("metadata_modified", True), ("name", False))."""
    if not expr or not expr.strip():
        return DEFAULT_SORT
    out: list[tuple[str, bool]] = []
    for part in expr.split(","):
        bits = part.split()
        if not bits:
            continue
        key, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if key not in SORT_KEYS or direction not in ("asc", "desc") or len(bits) > 2:
            raise SearchQueryError(f"cannot sort by {part.strip()!r}", key="open_bad_sort", sort=part.strip())
        out.append((key, direction == "desc"))
    return tuple(out) or DEFAULT_SORT


def _score(words: Sequence[str], doc: Mapping[str, Sequence[str]]) -> float | None:
    """None when a word is missing; else 3 per word in the title or name, 2 in a tag, 1 elsewhere."""
    title = normalise(" ".join([*doc.get("title", ()), *doc.get("name", ()), *doc.get("title_en", ())]))
    tags = normalise(" ".join(doc.get("tags", ())))
    text = normalise(" ".join(doc.get("text", ())))
    score = 0.0
    for word in (normalise(w) for w in words):
        if word in title:
            score += 3
        elif word in tags:
            score += 2
        elif word in text:
            score += 1
        else:
            return None
    return score


def _sort_value(doc: Mapping[str, Sequence[str]], key: str, score: float) -> Any:
    if key == "score":
        return score
    if key in ("num_resources", "num_tags"):
        return int((doc.get(key) or ["0"])[0])
    name = "title" if key == "title_string" else key
    return normalise((doc.get(name) or [""])[0])


def _sorter(docs: Mapping[str, Mapping[str, Sequence[str]]], key: str) -> Callable[[tuple[str, float]], Any]:
    return lambda item: _sort_value(docs[item[0]], key, item[1])


def run(docs: Mapping[str, Mapping[str, Sequence[str]]], criteria: Criteria, *, rows: int, start: int,
        facet_fields: Iterable[str] = ()) -> Outcome:
    """The codes of the matching documents for one page, their total and facet counts over all matches."""
    ranked: list[tuple[str, float]] = []
    for key, doc in docs.items():
        score = _score(criteria.words, doc)
        if score is None:
            continue
        if all(any(c.holds(doc) for c in group) for group in criteria.groups):
            ranked.append((key, score))
    for sort_key, descending in reversed((*criteria.sort, ("name", False))):
        ranked.sort(key=_sorter(docs, sort_key), reverse=descending)
    facets: dict[str, Counter[str]] = {}
    for name in facet_fields:
        counts: Counter[str] = Counter()
        for key, _ in ranked:
            counts.update(set(docs[key].get(name, ())))
        facets[name] = counts
    page = ranked[start:start + rows] if rows > 0 else []
    return Outcome(total=len(ranked), keys=[k for k, _ in page], facets=facets)
