"""Full-text and faceted search over the catalogue (全文检索 + 分面), like a search engine.

The text indexed is `Resource.search_text`: jieba tokens joined by spaces (see `text.py`).
- SQLite: an FTS5 table `catalog_resource_fts` (external content, kept in sync by triggers created in
  the migration) matched with `MATCH` and ranked with `bm25()`.
- PostgreSQL: a GIN index on `to_tsvector('simple', search_text)` matched with `@@` and ranked with
  `ts_rank`.
Matching: resources holding every query word; when none does, those holding any (more words first);
when none does, a substring scan. Ranking: more words held, then words in the name, then the engine's
relevance (bm25 / ts_rank), then reuse. Highlights are computed in Python on the original text, so both
backends return the same HTML.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from digigov.identity.model import Department
from digigov.platform.catalog import text as textutil
from digigov.platform.catalog.labels import KIND_LABELS, SYSTEM_LABELS, TIER_LABELS, label
from digigov.platform.catalog.model import Resource

FTS_TABLE = "catalog_resource_fts"
PG_TS_CONFIG = "'simple'::regconfig"
FACETS = ("kind", "system", "department", "tier")


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Hit:
    resource: Resource
    score: float
    name_html: str
    snippet_html: str


@dataclass
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    system: str | None = None
    department_id: int | None = None
    tier: str | None = None
    region_code: str | None = None
    status: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.kind:
            out.append(Resource.kind == self.kind)
        if self.system:
            out.append(Resource.system == self.system)
        if self.department_id is not None:
            out.append(Resource.owner_department_id == self.department_id)
        if self.tier:
            out.append(Resource.tier == self.tier)
        if self.status:
            out.append(Resource.status == self.status)
        if self.region_code:
            out.append(region_clause(self.region_code))
        return out


def region_clause(code: str) -> ColumnElement[bool]:
    """Resources in region `code` or below it: 330000 = the province, 330100 = 杭州 and its counties."""
    prefix = code
    while len(prefix) > 2 and prefix.endswith("00"):
        prefix = prefix[:-2]
    if len(prefix) == 6:
        return Resource.region_code == code
    return Resource.region_code.startswith(prefix, autoescape=True)


# ---------------------------------------------------------------- matching


def fts5_query(tokens: Sequence[str], every: bool = False) -> str:
    """An FTS5 MATCH expression: all (`every`) or any of the tokens, each quoted as a phrase."""
    return (" AND " if every else " OR ").join('"' + t.replace('"', '""') + '"' for t in tokens)


def _contains(haystack: ColumnElement[str], needle: str, postgres: bool) -> ColumnElement[bool]:
    position = func.strpos if postgres else func.instr
    return position(haystack, literal(needle)) > 0


def _score(tokens: Sequence[str], relevance: ColumnElement[Any], postgres: bool, *, every: bool = False,
           haystack: ColumnElement[str] | None = None) -> ColumnElement[Any]:
    """Terms matched + a name bonus + the engine's relevance in [0, 1), scaled so each dominates the next.

    With `every`, all rows hold every term, so the terms are not counted again.
    """
    n = len(tokens)
    if every:
        term_hits: ColumnElement[Any] = literal(float(n))
    else:
        if haystack is None:
            haystack = literal(" ") + Resource.search_text + literal(" ")
            terms = [_contains(haystack, f" {t} ", postgres) for t in tokens]
        else:
            terms = [_contains(haystack, t, postgres) for t in tokens]
        term_hits = sum((case((c, 1.0), else_=0.0) for c in terms), literal(0.0))
    name = func.lower(Resource.name)
    name_hits = sum((case((_contains(name, t, postgres), 1.0), else_=0.0) for t in tokens), literal(0.0))
    return (term_hits + (name_hits * 0.5 + relevance * 0.4) / n) / n


def _matches_sqlite(tokens: Sequence[str], every: bool) -> tuple[Any, ColumnElement[Any]]:
    """The FTS5 match as a subquery (id, rank) and the relevance in [0, 1) from bm25 (lower is better)."""
    m = (
        text(f"SELECT rowid AS id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "  # noqa: S608 - constant name
             f"WHERE {FTS_TABLE} MATCH :q")
        .bindparams(q=fts5_query(tokens, every))
        .columns(id=Integer, rank=Float)
        .subquery("m")
    )
    relevance = (-m.c.rank) / (literal(1.0) - m.c.rank)
    return m, relevance


def _matches_postgres(tokens: Sequence[str], every: bool) -> tuple[Any, ColumnElement[Any]]:
    """The full-text match as a subquery (id, rank) with ts_rank normalised to [0, 1)."""
    vector = func.to_tsvector(literal_column(PG_TS_CONFIG), Resource.search_text)
    query: ColumnElement[Any] = func.plainto_tsquery(literal_column(PG_TS_CONFIG), literal(tokens[0]))
    for t in tokens[1:]:  # tsquery && is AND, || is OR
        term = func.plainto_tsquery(literal_column(PG_TS_CONFIG), literal(t))
        query = query.op("&&" if every else "||")(term)
    m = (
        select(Resource.id.label("id"), func.ts_rank(vector, query, 32).label("rank"))
        .where(vector.op("@@")(query))
        .subquery("m")
    )
    return m, m.c.rank


MODES = ("all", "any", "substring")


def _matched(session: Session, tokens: Sequence[str], filters: Filters, mode: str) -> Select[Any]:
    """Every matching resource's facet columns, reuse count and score, in one pass over the match set.

    `mode`: "all" the tokens in the index, "any" of them, or a "substring" scan for words the tokeniser
    cut differently. One pass is cheaper than a GROUP BY per facet plus a ranked page: each costs the
    same row look-ups.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    cols = (Resource.id, Resource.kind, Resource.system, Resource.owner_department_id, Resource.tier,
            Resource.reuse_count)
    if mode == "substring":
        # e.g. a single character such as 税, which the index only holds inside 税务.
        hay = func.lower(Resource.name + literal(" ") + Resource.description + literal(" ")
                         + Resource.search_text)
        score = _score(tokens, literal(0.0), postgres, haystack=hay)
        like = or_(*[hay.contains(t, autoescape=True) for t in tokens])
        return select(*cols, score.label("score")).where(like, *filters.clauses())
    every = mode == "all"
    m, relevance = (_matches_postgres if postgres else _matches_sqlite)(tokens, every)
    score = _score(tokens, relevance, postgres, every=every)
    return select(*cols, score.label("score")).join(m, m.c.id == Resource.id).where(*filters.clauses())


Page = list[tuple[int, float]]


def _rank_and_count(rows: Sequence[Any], limit: int,
                    offset: int) -> tuple[Page, int, dict[str, Counter[str]]]:
    """The page of (id, score) by score, reuse and id; the total; the facet counts."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for _id, kind, system, dept, tier, _reuse, _score in rows:
        counts["kind"][kind] += 1
        if system:
            counts["system"][system] += 1
        counts["department"][str(dept)] += 1
        counts["tier"][tier] += 1
    best = heapq.nsmallest(offset + limit, rows, key=lambda r: (-float(r[6] or 0.0), -r[5], r[0]))
    return [(r[0], float(r[6] or 0.0)) for r in best[offset:]], len(rows), counts


def _list_all(session: Session, filters: Filters, limit: int,
              offset: int) -> tuple[Page, int, dict[str, Counter[str]]]:
    """No words: everything that passes the filters, most reused first; facets by indexed GROUP BYs."""
    clauses = filters.clauses()
    columns = {"kind": Resource.kind, "system": Resource.system, "department": Resource.owner_department_id,
               "tier": Resource.tier}
    counts: dict[str, Counter[str]] = {}
    for name, col in columns.items():
        rows = session.execute(select(col, func.count()).where(*clauses).group_by(col)).all()
        counts[name] = Counter({str(v): int(n) for v, n in rows if v is not None})
    total = sum(counts["kind"].values())
    page = session.scalars(select(Resource.id).where(*clauses)
                           .order_by(Resource.reuse_count.desc(), Resource.id).limit(limit).offset(offset))
    return [(rid, 0.0) for rid in page], total, counts


def _facets(session: Session, counts: dict[str, Counter[str]]) -> dict[str, list[FacetValue]]:
    dept_ids = [int(d) for d in counts["department"]]
    names: dict[int, str] = {}
    if dept_ids:
        rows = session.execute(select(Department.id, Department.name).where(Department.id.in_(dept_ids)))
        names = {int(i): n for i, n in rows}
    labellers: dict[str, Callable[[str], str]] = {
        "kind": lambda v: label(KIND_LABELS, v),
        "system": lambda v: label(SYSTEM_LABELS, v),
        "department": lambda v: names.get(int(v), v),
        "tier": lambda v: label(TIER_LABELS, v),
    }
    return {
        name: [FacetValue(v, labellers[name](v), n) for v, n in sorted(c.items(), key=_by_count)]
        for name, c in counts.items()
    }


def _by_count(kv: tuple[str, int]) -> tuple[int, str]:
    return -kv[1], kv[0]


def run(session: Session, q: str, filters: Filters, *, limit: int, offset: int) -> SearchResult:
    """Match, rank, count facets and highlight: the whole search, with no permission check."""
    tokens = textutil.query_tokens(q)
    if tokens:
        # Resources holding every word; failing that, any word (more words held rank higher);
        # failing that, a substring scan.
        modes = MODES if len(tokens) > 1 else ("all", "substring")
        for mode in modes:
            rows = session.execute(_matched(session, tokens, filters, mode)).all()
            if rows:
                break
        page, total, counts = _rank_and_count(rows, limit, offset)
    else:
        page, total, counts = _list_all(session, filters, limit, offset)
    by_id = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_([p[0] for p in page])))}
    hits = [_hit(by_id[rid], score, tokens) for rid, score in page if rid in by_id]
    return SearchResult(hits=hits, total=total, facets=_facets(session, counts), tokens=tokens)


def _hit(resource: Resource, score: float, tokens: Sequence[str]) -> Hit:
    return Hit(
        resource=resource,
        score=round(score, 6),
        name_html=textutil.highlight(resource.name, tokens),
        snippet_html=textutil.snippet([resource.description, *resource.functions], tokens),
    )
