"""Batch rules over the warehouse, and the step every rule shares: hits become signals.

`evaluate_sql` runs many rules' SELECTs in one DuckDB statement (one `UNION ALL` branch per rule, each row
as JSON), so the rules of a run share one connection, one plan and DuckDB's threads instead of a round trip
each; when the combined statement fails, each rule runs alone so the error names its rule. It runs
inside a transaction that is rolled back, with external file access turned off for the connection, so a
rule can read the warehouse's tables and nothing else, and can change nothing.

`record_hits` turns hits into signals (预警): a subject with a signal still open for the rule is updated
(last seen, hit count, evidence), otherwise a new signal is raised and `signal.raised` published on the
bus in the caller's transaction (the case engine subscribes and opens a case of the rule's type). A
subject that stops hitting keeps its open signal: people close it through its case, not the rule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from digigov.core import bus
from digigov.core.errors import NotFound
from digigov.core.warehouse import get_warehouse
from digigov.identity import service as identity
from digigov.identity.model import Department
from digigov.platform.rules import spec as specs
from digigov.platform.rules.model import SEVERITIES, Rule, Signal

MAX_ROWS = 100_000  # result rows a rule may return in one run; more is an error in the rule
EVIDENCE_ROWS = 50  # rows kept with a signal (the count keeps the rest)
EVENT_EVIDENCE = 5  # rows carried in the signal.raised event


@dataclass
class SqlResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []


@dataclass
class Hit:
    """What one subject's signal would say: taken from its rows (sql) or its events (event rules)."""

    subject_key: str
    severity: str
    title: str
    rows: list[dict[str, Any]]
    row_count: int
    department_code: str | None = None
    region_code: str | None = None


def _branch(key: int, sql: str, limit: int) -> str:
    # the rule's own SQL, checked by spec.check_sql to be one SELECT; run read-only (see evaluate_sql)
    return f"(SELECT {key} AS _rule, to_json(_q) AS _row FROM ({sql}) AS _q LIMIT {limit + 1})"  # noqa: S608


def _read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """`sql`'s rows, inside a transaction that is always rolled back."""
    con.execute("BEGIN TRANSACTION")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.execute("ROLLBACK")


def evaluate_sql(sqls: Mapping[str, str], *, limit: int = MAX_ROWS) -> dict[str, SqlResult]:
    """Each rule's result rows (as JSON-safe dicts), all rules in one statement when they all run."""
    keys = list(sqls)
    out = {k: SqlResult() for k in keys}
    if not keys:
        return out
    with get_warehouse().connect() as con:
        con.execute("SET enable_external_access = false")  # for this connection, closed after the run
        t0 = time.perf_counter()
        try:
            rows = _read_only(con, " UNION ALL ".join(_branch(i, sqls[k], limit) for i, k in enumerate(keys)))
        except duckdb.Error:
            rows = None
        if rows is not None:
            seconds = (time.perf_counter() - t0) / len(keys)
            for i, row_json in rows:
                out[keys[i]].rows.append(json.loads(row_json))
            for k in keys:
                out[k].seconds = seconds
        else:  # one rule failed: run each alone, so the error names its rule
            for i, k in enumerate(keys):
                t1 = time.perf_counter()
                try:
                    out[k].rows = [json.loads(r[1]) for r in _read_only(con, _branch(i, sqls[k], limit))]
                except duckdb.Error as exc:
                    out[k].error = str(exc).splitlines()[0][:500]
                out[k].seconds = time.perf_counter() - t1
    for res in out.values():
        if len(res.rows) > limit and res.error is None:
            res.rows, res.error = [], f"the rule returned more than {limit:,} rows; narrow its WHERE"
    return out


def hits_from_rows(spec: specs.RuleSpec, rows: Sequence[dict[str, Any]]) -> list[Hit]:
    """Rows grouped by the subject column into one hit each (rows without a subject are skipped)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    subject = spec.subject or ""
    for row in rows:
        value = row.get(subject)
        if value is None or value == "":
            continue
        groups.setdefault(str(value)[:200], []).append(row)
    hits = []
    for key, members in groups.items():
        first = members[0]
        if spec.severity == "column":
            found = [str(r.get("severity", "")).lower() for r in members]
            ranked = [s for s in SEVERITIES if s in found]
            severity = ranked[0] if ranked else "yellow"
        else:
            severity = spec.severity
        column_dept = str(first.get("department_code") or "") or None
        department = column_dept if spec.department == "column" else spec.department
        region = first.get("region_code")
        values = {"n": len(members), **first}
        title = specs.format_title(spec.title, values, f"{spec.name}：{key}")
        hits.append(Hit(subject_key=key, severity=severity, title=title, rows=members[:EVIDENCE_ROWS],
                        row_count=len(members), department_code=department, region_code=region_of(region)))
    return hits


def region_of(value: Any) -> str | None:
    """A GB/T 2260 region code (six digits) or None."""
    text = str(value or "")
    return text if len(text) == 6 and text.isdigit() else None


def _department(session: Session, code: str | None) -> Department | None:
    """A department by code, looked up once per session (an unknown code leaves the signal with the rule's)."""
    if not code:
        return None
    cache: dict[str, Department | None] = session.info.setdefault("rules.departments", {})
    if code not in cache:
        try:
            cache[code] = identity.get_department(session, code)
        except NotFound:
            cache[code] = None
    return cache[code]


def open_signals(session: Session, rule_id: int, subjects: Sequence[str]) -> dict[str, Signal]:
    """The rule's open signals on these subjects (pending objects of other rules need no flush first)."""
    out: dict[str, Signal] = {}
    with session.no_autoflush:
        for start in range(0, len(subjects), 500):
            chunk = list(subjects[start:start + 500])
            stmt = (select(Signal).options(lazyload(Signal.rule), lazyload(Signal.department))
                    .where(Signal.rule_id == rule_id, Signal.status == "open", Signal.subject_key.in_(chunk)))
            out.update({s.subject_key: s for s in session.scalars(stmt)})
    return out


def record_hits(session: Session, rule: Rule, version: int, rule_spec: specs.RuleSpec, hits: Sequence[Hit],
                now: datetime) -> tuple[list[Signal], list[Signal]]:
    """Hits as signals: (new signals, updated open ones). Publishes signal.raised for each new one."""
    existing = open_signals(session, rule.id, [h.subject_key for h in hits])
    new: list[Signal] = []
    updated: list[Signal] = []
    departments: dict[int, Department] = {}
    for hit in hits:
        dept = _department(session, hit.department_code) or rule.department
        region = hit.region_code or (dept.region_code if dept is not None else "")
        evidence = specs.json_safe(hit.rows[:EVIDENCE_ROWS])
        sig = existing.get(hit.subject_key)
        if sig is not None:
            sig.last_seen, sig.hit_count, sig.rule_version = now, sig.hit_count + 1, version
            sig.evidence, sig.evidence_count, sig.severity, sig.title = evidence, hit.row_count, hit.severity, hit.title
            updated.append(sig)
            continue
        sig = Signal(rule_id=rule.id, rule_version=version, subject_key=hit.subject_key, severity=hit.severity,
                     status="open", title=hit.title, department_id=dept.id if dept is not None else None,
                     region_code=region or "", first_seen=now, last_seen=now, hit_count=1,
                     evidence_count=hit.row_count, evidence=evidence)
        if dept is not None:
            departments[id(sig)] = dept
        session.add(sig)
        new.append(sig)
    session.flush()  # one batch of inserts; the new signals have their ids
    for sig in new:
        dept = departments.get(id(sig))
        evidence = sig.evidence
        bus.publish(session, "signal.raised", {
            "signal_id": sig.id, "rule_code": rule.code, "rule_name": rule.name, "severity": sig.severity,
            "subject_key": sig.subject_key, "title": sig.title, "case_type": rule_spec.case_type,
            "department_code": dept.code if dept is not None else None, "region_code": sig.region_code or None,
            "evidence_count": sig.evidence_count, "evidence": evidence[:EVENT_EVIDENCE],
        }, key=f"signal-{sig.id}")
    return new, updated
