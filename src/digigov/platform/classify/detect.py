"""Content scan of a DuckDB table: what does each column hold? (分类分级字段识别)

The scan reads values, not headers, and is vectorised in DuckDB:

1. one SQL pass over the table counts, for every (column, type), the cells that full-match the type's
   pattern (``count_if(regexp_full_match(...))``), after normalising in SQL (trim, full-width to half-width);
2. for each column with pattern hits, the distinct hit values (at most ``max_distinct``, a deterministic
   hash sample) are fetched with their counts and a bit mask of the patterns they match, and the checksums
   (python-stdnum, phonenumbers, cpca) run in Python on those only. Every cell gets at most one type, the
   first in ``TYPES`` order whose pattern and checksum both pass.

``label_cells`` gives the same verdict cell by cell; the column scan is its aggregate.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

import duckdb
import pyarrow as pa

from digigov.platform.classify.names import judge_names
from digigov.platform.standards.validators import (
    CJK,
    FULL_WIDTH,
    HALF_WIDTH,
    PATTERNS,
    VALIDATORS,
    names_zhejiang_region,
    region_known,
)

DATA = Path(__file__).resolve().parent / "data"
EMPTY_TOKENS = ("", "-", "--", "—", "/", "null", "none", "nan", "n/a", "na", "无", "空", "暂无")
DEFAULT_MAX_DISTINCT = 20_000
CONTEXT_MIN = 0.3  # a context-dependent type labels a cell only when its column rate reaches this
MIN_HIT_RATE = 0.05
GRADE_HINTS = {"financial": "L3"}  # detected types that are not data elements, with their grade hint
# Share of random pattern matches that pass the check by chance (ISO 7064 mod 11-2, Luhn, mod 31). A column
# whose pattern matches pass at no more than three times this rate holds look-alikes (order numbers …).
CHANCE = {"citizen_id": 1 / 11, "bank_card": 1 / 10, "uscc": 1 / 31}


def keywords(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _contains_any(words: Iterable[str]) -> str:
    return ".*(" + "|".join(sorted(set(words), key=len, reverse=True)) + ").*"


ENTERPRISE_SUFFIXES = (
    "有限公司|公司|集团|厂|店|中心|合作社|事务所|商行|经营部|门市部|工作室|研究院|研究所|协会|超市|酒店|宾馆|药房|诊所"
    "|医院|学校|幼儿园|银行|分行|支行|农场|商店"
)


@dataclass(frozen=True)
class DetectType:
    id: str
    pattern: str
    check: Callable[[str], bool] | None  # None: the pattern is the whole test
    zh: str
    en: str
    context: bool = False  # needs its column's support before a single cell is labelled with it
    can_be_best: bool = True
    gate: str = ""  # SQL condition every pattern match satisfies ({c}: the column)


def _valid(key: str) -> Callable[[str], bool]:
    validator = VALIDATORS[key]
    return lambda value: validator(value) is None


def _region(value: str) -> bool:
    return VALIDATORS["region_code"](value) is None and region_known(value)


@cache
def types() -> tuple[DetectType, ...]:
    """Detected types in priority order (``data/types.tsv``): a cell takes the first whose pattern and check pass."""
    patterns = dict(PATTERNS)
    patterns.update(
        gender="男|女|男性|女性|未知的性别|未说明的性别",
        gender_code="[0129]",
        enterprise_name=f".*{CJK}{{2,}}.*({ENTERPRISE_SUFFIXES})(\\(.*\\))?",
        diagnosis=_contains_any(keywords("medical_terms.txt")) + r"|[A-Z]\d{2}\.\d{1,4}|[A-Z]\d{2}",
        financial=_contains_any(keywords("financial_terms.txt")),
    )
    checks: dict[str, Callable[[str], bool] | None] = {key: _valid(key) for key in VALIDATORS}
    checks.update(region_code=_region, address=None)  # addresses: cpca in batches, see label_values
    rows = [line.split("\t") for line in keywords("types.tsv")[1:]]
    return tuple(
        DetectType(key, patterns[key], checks.get(key), zh, en, context == "1", best == "1", gate)
        for key, context, best, gate, zh, en in rows
    )


def type_ids() -> list[str]:
    return [t.id for t in types()]


@dataclass
class TypeHit:
    element: str
    matched: int  # cells that match the pattern
    valid: int  # cells whose first passing type (pattern and checksum) is this one
    rate: float  # valid / non_empty
    evidence: list[str]  # up to 3 masked sample values
    why: str
    why_en: str


@dataclass
class FieldScan:
    column: str
    rows: int
    non_empty: int
    distinct: int
    hits: list[TypeHit] = field(default_factory=list)  # rate desc, rate >= 0.05
    best: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. why name-shaped values were rejected
    coincidental: list[str] = field(default_factory=list)  # checksum types that pass only at chance rate
    # the type of each distinct value the scan checked (all of them when ``complete``), reused by label_cells
    value_labels: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)
    complete: bool = field(default=False, repr=False, compare=False)

    def rate(self, element: str) -> float:
        return next((hit.rate for hit in self.hits if hit.element == element), 0.0)


def mask(value: str) -> str:
    """Keep the first 3 and last 2 characters; values of 5 characters or fewer keep only the first."""
    if len(value) > 5:
        return value[:3] + "*" * (len(value) - 5) + value[-2:]
    return value[:1] + "*" * (len(value) - 1)


# --- SQL builders --------------------------------------------------------------------------------


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(name: str) -> str:
    return name if '"' in name or "(" in name else ".".join(_ident(part) for part in name.split("."))


def _source(table: str, columns: Sequence[str]) -> str:
    """Normalised columns c0, c1, …: trimmed, full-width to half-width, placeholders such as 无 as NULL."""
    # translate() with the 95-character map is slow (~3.5 s per million cells): run it only on values that
    # hold a full-width character, which a regex finds in a fraction of that time.
    raw = "CAST({} AS VARCHAR)"
    inner = ", ".join(
        f"trim(CASE WHEN regexp_matches({raw.format(_ident(c))}, {_lit(_FULL_CLASS)}) "
        f"THEN translate({raw.format(_ident(c))}, {_lit(FULL_WIDTH)}, {_lit(HALF_WIDTH)}) "
        f"ELSE {raw.format(_ident(c))} END) AS c{i}"
        for i, c in enumerate(columns)
    )
    empties = ", ".join(_lit(token) for token in EMPTY_TOKENS)
    short = max(len(token) for token in EMPTY_TOKENS)
    outer = ", ".join(
        f"CASE WHEN length(c{i}) <= {short} AND lower(c{i}) IN ({empties}) THEN NULL ELSE c{i} END AS c{i}"
        for i in range(len(columns))
    )
    return f"SELECT {outer} FROM (SELECT {inner} FROM {_table(table)})"  # noqa: S608


_FULL_CLASS = "[\uff01-\uff5e\u3000]"


def match_sql(column: str, kind: DetectType) -> str:
    """The SQL test of one type: its regex behind its cheap gate (the gate halves the cost of the pass)."""
    test = f"regexp_full_match({column}, {_lit(kind.pattern)})"
    return f"(CASE WHEN {kind.gate.replace('{c}', column)} THEN {test} ELSE false END)" if kind.gate else test


def _mask_sql(column: str, bits: Iterable[int]) -> str:
    parts = [f"(CASE WHEN {match_sql(column, types()[b])} THEN {1 << b} ELSE 0 END)" for b in bits]
    return " + ".join(parts) if parts else "0"


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {_table(table)} LIMIT 0").description]  # noqa: S608


# --- labelling of distinct values ----------------------------------------------------------------

_ADDRESS = "address"
_PENDING = "\0pending"


@cache
def _candidates(bits: int, start: int) -> tuple[tuple[str, Callable[[str], bool] | None], ...]:
    """The (type, check) pairs to try, in order, for a value whose pattern mask is ``bits``."""
    out = []
    for index, kind in enumerate(types()[start:], start):
        if not bits >> index & 1 or (kind.id == "bank_card" and bits & 1):  # bit 0 (ID shape): not a card
            continue
        out.append((kind.id, kind.check))
        if kind.id == _ADDRESS:  # decided in batches by cpca: stop here
            break
    return tuple(out)


def _first_valid(value: str, bits: int, start: int = 0) -> str | None:
    for kind, check in _candidates(bits, start):
        if kind == _ADDRESS:
            return _PENDING
        if check is None or check(value):
            return kind
    return None


def cpca_found(values: Sequence[str]) -> list[bool]:
    """Whether cpca finds a province, city or county in each value (one batched call per 50,000), or the
    value names a current Zhejiang division (cpca's tables predate Hangzhou's 2021 redistricting)."""
    import cpca

    found: list[bool] = []
    for start in range(0, len(values), 50_000):
        frame = cpca.transform(list(values[start : start + 50_000]))
        parts = frame[["省", "市", "区"]].notna().any(axis=1)
        found.extend(bool(x) for x in parts)
    found = [ok or names_zhejiang_region(value) for ok, value in zip(found, values, strict=True)]
    return found


def label_values(values: Sequence[str], masks: Sequence[int]) -> list[str | None]:
    """The type of each (normalised) value given the bit mask of the patterns it matches."""
    labels = [_first_valid(v, m) for v, m in zip(values, masks, strict=True)]
    pending = [i for i, label in enumerate(labels) if label == _PENDING]
    if pending:
        address_bit = type_ids().index(_ADDRESS)
        for i, ok in zip(pending, cpca_found([values[i] for i in pending]), strict=True):
            labels[i] = _ADDRESS if ok else _first_valid(values[i], masks[i], address_bit + 1)
    return labels


# --- the column scan -----------------------------------------------------------------------------


def scan_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str] | None = None,
    *,
    sample_rows: int | None = None,
    threshold: float = 0.6,
    max_distinct: int = DEFAULT_MAX_DISTINCT,
    headers: Mapping[str, str] | None = None,
) -> dict[str, FieldScan]:
    """Scan the values of each column and say which types it holds (see the module docstring).

    ``headers`` maps a column to its original header when the column names are not the headers: a header
    such as 姓名 or 联系人 is context for the person-name test (by default the column name is).
    """
    cols = list(columns) if columns is not None else columns_of(con, table)
    if not cols:
        return {}
    source = _source(table, cols)
    view = None
    staged = None
    if sample_rows is None:
        # normalise once: the pass over every value and each column's distinct sample read the same text
        staged = f"_dg_scan_{id(cols):x}"
        con.execute(f"CREATE TEMP TABLE {staged} AS {source}")
        source = f"SELECT * FROM {staged}"  # noqa: S608
    if sample_rows is not None:
        view = f"_dg_scan_{id(cols):x}"
        sample = f"SELECT * FROM ({source}) USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE (7)"  # noqa: S608
        con.register(view, con.sql(sample).to_arrow_table())
        source = f"SELECT * FROM {view}"  # noqa: S608
    try:
        kinds = types()
        exprs = ["count(*)"]
        for i in range(len(cols)):
            exprs += [f"count(c{i})", f"count(DISTINCT c{i})"] + [f"count_if({match_sql(f'c{i}', k)})" for k in kinds]
        row = con.execute(f"SELECT {', '.join(exprs)} FROM ({source})").fetchall()[0]  # noqa: S608
        width = 2 + len(kinds)
        result: dict[str, FieldScan] = {}
        for i, col in enumerate(cols):
            stats = row[1 + i * width : 1 + (i + 1) * width]
            matched = dict(zip(type_ids(), stats[2:], strict=True))
            single = f"SELECT c{i} AS c0 FROM {view or staged}"  # noqa: S608
            header = (headers or {}).get(col, col)
            result[col] = _scan_column(con, single, col, header, (row[0], stats[0], stats[1]), matched, threshold,
                                       max_distinct)
            result[col].complete &= view is None  # a sample's value labels are not all of the table's values
        return result
    finally:
        if view is not None:
            con.unregister(view)
        if staged is not None:
            con.execute(f"DROP TABLE IF EXISTS {staged}")


def _scan_column(
    con: duckdb.DuckDBPyConnection,
    source: str,
    column: str,
    header: str,
    counts_: tuple[int, int, int],  # rows, non-empty, distinct
    matched: dict[str, int],
    threshold: float,
    max_distinct: int,
) -> FieldScan:
    rows, non_empty, distinct = counts_
    scan = FieldScan(column, rows, non_empty, distinct)
    bits = [b for b, kind in enumerate(types()) if matched[kind.id]]
    if not bits or not non_empty:
        return scan
    # a deterministic sample of at most max_distinct distinct values (all of them when there are fewer);
    # the patterns run again on the sample only, to give each value its bit mask
    fetched = con.execute(
        f"""SELECT v, n, {_mask_sql("v", bits)} AS m FROM (
              SELECT c0 AS v, count(*) AS n FROM ({source}) WHERE c0 IS NOT NULL GROUP BY c0
              ORDER BY hash(c0) LIMIT {int(max_distinct)})"""  # noqa: S608
    ).fetchall()
    hits = [r for r in fetched if r[2]]
    values = [r[0] for r in hits]
    counts = [int(r[1]) for r in hits]
    labels = label_values(values, [int(r[2]) for r in hits])
    scan.value_labels = dict.fromkeys((r[0] for r in fetched if not r[2]), None)
    scan.value_labels.update(zip(values, labels, strict=True))
    scan.complete = len(fetched) >= distinct
    factor = non_empty / sum(int(r[1]) for r in fetched)
    valid: Counter[str] = Counter()
    evidence: dict[str, list[str]] = {}
    for value, count, label in zip(values, counts, labels, strict=True):
        if label is not None:
            valid[label] += count
            if len(evidence.setdefault(label, [])) < 3:
                evidence[label].append(mask(value))
    name_bit = type_ids().index("person_name")
    if valid["person_name"]:
        candidates = {
            v: n
            for v, n, m, label in zip(values, counts, (r[2] for r in hits), labels, strict=True)
            if m >> name_bit & 1 and label in (None, "person_name")
        }
        verdict = judge_names(candidates, non_empty=non_empty, distinct=distinct, header=header)
        if not verdict.accepted:
            scan.notes.append(verdict.why)
            del valid["person_name"]
    for key, chance in CHANCE.items():
        passed = valid[key] * factor
        if matched[key] >= 20 and passed < 3 * chance * matched[key]:
            scan.coincidental.append(key)
            scan.notes.append(f"{passed:,.0f}/{matched[key]:,} 个{key}形式的值通过校验，接近随机水平，不认定")
            del valid[key]
    sampled_note = "" if scan.complete else f"(按 {len(fetched):,}/{distinct:,} 个不同值抽样推算)"
    for kind in types():
        count = min(non_empty, round(valid[kind.id] * factor))
        if count / non_empty >= MIN_HIT_RATE:
            why = f"{count:,}/{non_empty:,} 个值{kind.zh}{sampled_note}", f"{count:,}/{non_empty:,} values {kind.en}"
            rate, shown = round(count / non_empty, 4), evidence.get(kind.id, [])
            scan.hits.append(TypeHit(kind.id, int(matched[kind.id]), count, rate, shown, *why))
    order = type_ids()
    scan.hits.sort(key=lambda hit: (-hit.rate, order.index(hit.element)))
    best_ok = {k.id for k in types() if k.can_be_best}
    scan.best = next((h.element for h in scan.hits if h.rate >= threshold and h.element in best_ok), None)
    return scan


def scan_values(values: Sequence[str | None], header: str = "") -> FieldScan:
    """Scan one list of values (loaded into an in-memory DuckDB); ``header`` is the column name."""
    name = header or "value"
    con = duckdb.connect()
    try:
        con.register("_dg_values", pa.table({name: pa.array(list(values), pa.string())}))
        return scan_table(con, "_dg_values", [name])[name]
    finally:
        con.close()


# --- cell level ----------------------------------------------------------------------------------


def label_cells(
    con: duckdb.DuckDBPyConnection,
    table: str,
    column: str,
    *,
    scan: FieldScan | None = None,
    context: bool = True,
    method: Literal["auto", "distinct", "udf"] = "auto",
) -> list[str | None]:
    """The type of every cell of ``column``, in table order (None: no type).

    With ``context`` a context-dependent type (person names, passports, region codes, coordinates parts,
    amounts …) labels a cell only when the column scan gives it a rate of at least ``CONTEXT_MIN``; without
    it every cell is judged alone, like a per-value recogniser. ``method`` "distinct" checks each distinct
    hit once in Python, "udf" runs the checks in a vectorised (Arrow) DuckDB function over all cells (with a
    cache, so each distinct value is still checked once); both reuse what the scan already checked. "auto"
    maps the scan's labels when it checked every distinct value, else uses the UDF (faster on big columns).
    """
    if context and scan is None:
        scan = scan_table(con, table, [column])[column]
    allowed = {k.id for k in types() if not k.context or scan is None or scan.rate(k.id) >= CONTEXT_MIN}
    allowed -= set(scan.coincidental if scan else ())
    source = _source(table, [column])
    mask_all = _mask_sql("c0", range(len(types())))
    if method == "auto":
        method = "distinct" if scan is not None and scan.complete else "udf"
    if method == "udf":
        labels = _label_cells_udf(con, source, mask_all, dict(scan.value_labels) if scan else {})
    else:
        by_value = dict(scan.value_labels) if scan is not None else {}
        if scan is None or not scan.complete:  # check the distinct values the scan did not
            view = f"_dg_known_{next(_udf_ids)}"
            con.register(view, pa.table({"v": pa.array(list(by_value), pa.string())}))
            try:
                hits = con.execute(
                    f"""SELECT c0, m FROM (SELECT c0, {mask_all} AS m FROM (SELECT DISTINCT c0 FROM ({source})
                        WHERE c0 IS NOT NULL AND c0 NOT IN (SELECT v FROM {view}))) WHERE m > 0"""  # noqa: S608
                ).fetchall()
            finally:
                con.unregister(view)
            found = label_values([h[0] for h in hits], [h[1] for h in hits])
            by_value.update(zip((h[0] for h in hits), found, strict=True))
        cells = con.sql(f"SELECT c0 FROM ({source})").to_arrow_table().column(0).to_pylist()  # noqa: S608
        labels = [by_value.get(v) if v is not None else None for v in cells]
    return [label if label in allowed else None for label in labels]


def _label_cells_udf(
    con: duckdb.DuckDBPyConnection, source: str, mask_all: str, cache_: dict[str, str | None]
) -> list[str | None]:
    def udf(values: Any, masks: Any) -> pa.Array:
        vs, ms = values.to_pylist(), masks.to_pylist()
        todo = [(v, m) for v, m in zip(vs, ms, strict=True) if m and v is not None and v not in cache_]
        todo = list(dict(todo).items())
        for (v, _m), label in zip(todo, label_values([t[0] for t in todo], [t[1] for t in todo]), strict=True):
            cache_[v] = label
        return pa.array([cache_.get(v) if m else None for v, m in zip(vs, ms, strict=True)], pa.string())

    name = f"dg_label_{next(_udf_ids)}"
    con.create_function(
        name, udf, ["VARCHAR", "BIGINT"], "VARCHAR", type=cast(Any, "arrow"), null_handling=cast(Any, "special")
    )
    try:
        table = con.sql(f"SELECT {name}(c0, {mask_all}) FROM ({source})").to_arrow_table()  # noqa: S608
        return table.column(0).to_pylist()
    finally:
        con.remove_function(name)


_udf_ids = itertools.count()
