"""Prefilling the merged form (免填) from the data the handling departments already hold.

The people an application is about are found in the person files (一人一档) by their resident ID number
(`entities.service.resolve`). The applicant is identified first: the name they give must be the name of their
file's golden record, otherwise nothing is prefilled (the page asks them to fill the form by hand). Then, for every
prefillable field (see `merge`), the linked records of the person's file are read from the field's sources in order:
a department's own dataset, or a dataset under the department's active grant, through the grant's serving plan
(only the columns it serves in clear, only the rows its filter keeps). Each read is audited and, under a grant,
counted in the grant's daily usage, in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.warehouse import get_warehouse, ident, table_ref
from digigov.identity.actor import Actor
from digigov.platform.bundles.merge import MergedForm, Prefill
from digigov.platform.entities import normalize as nz
from digigov.platform.entities import service as entities
from digigov.platform.entities.incremental import linked
from digigov.platform.entities.linker import file_table, link_table
from digigov.platform.sharing import service as sharing
from digigov.platform.sharing.model import Grant
from digigov.platform.sharing.usage import count as count_usage
from digigov.platform.warehouse.model import Dataset


@dataclass(frozen=True)
class Prefilled:
    key: str
    subject: str
    value: str
    source: Prefill


@dataclass
class PrefillResult:
    values: dict[str, Prefilled] = field(default_factory=dict)
    verified: bool = False  # the applicant's name is their person file's
    files: dict[str, str] = field(default_factory=dict)  # subject -> person file id
    reads: int = 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


def _read(session: Session, actor: Actor, dataset: str, department_id: int, basis: str, grant_id: int | None,
          columns: set[str], records: set[int], *, purpose: str, detail: dict[str, Any],
          now: datetime) -> dict[int, dict[str, str]]:
    """Rows `records` of `dataset` as the department may read them: its own table, or the grant's plan."""
    ds = session.scalar(select(Dataset).where(Dataset.code == dataset))
    if ds is None or not ds.current_version or not records:
        return {}
    params: list[Any] = []
    grant = None
    if basis == "own":
        if ds.owner_department_id != department_id:
            return {}
        table, where, allowed = table_ref(ds.layer, f"{ds.code}__v{ds.current_version}"), "TRUE", columns
    else:
        grant = session.get(Grant, grant_id) if grant_id else None
        if grant is None or not sharing.is_active(grant, now) or grant.consumer_department_id != department_id:
            return {}
        plan = sharing.compiled_for(session, grant)
        if plan.table is None:
            return {}
        allowed = {c for c in columns if c in plan.columns and plan.rules[c] is None}
        table, where, params = plan.table, plan.where, list(plan.params)
    cols = sorted(allowed)
    if not cols:
        return {}
    wanted = ", ".join(str(int(r)) for r in sorted(records))
    sql = (f"SELECT t._record, {', '.join('t.' + ident(c) for c in cols)} FROM {table} AS t "  # noqa: S608
           f"WHERE ({where}) AND t._record IN ({wanted})")
    with get_warehouse().connect() as con:
        rows = con.execute(sql, params).fetchall()
    out = {int(r[0]): {c: _text(v) for c, v in zip(cols, r[1:], strict=True)} for r in rows}
    if grant is not None:
        count_usage(session, grant, len(out), now)
    audit.record(session, actor, "bundles.prefill", "dataset", dataset,
                 purpose=grant.purpose if grant is not None else purpose,
                 detail={**detail, "department": department_id, "basis": basis, "grant": grant_id,
                         "fields": cols, "rows": len(out)})
    return out


def _golden_name(file_id: str) -> str | None:
    with get_warehouse().connect() as con:
        if not linked(con, "person"):
            return None
        rows = con.execute(f"SELECT name FROM {file_table('person')} WHERE file_id = ?",  # noqa: S608
                           [file_id]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def _links(file_ids: list[str]) -> list[tuple[str, str, int]]:
    if not file_ids:
        return []
    marks = ", ".join("?" for _ in file_ids)
    with get_warehouse().connect() as con:
        return [(str(f), str(d), int(r)) for f, d, r in con.execute(
            f"SELECT file_id, dataset, record FROM {link_table('person')} WHERE layer = 'clean' "  # noqa: S608
            f"AND file_id IN ({marks}) ORDER BY dataset, record", file_ids).fetchall()]


def same_name(given: str, golden: str | None) -> bool:
    return golden is not None and nz.person_name(given or "") == nz.person_name(golden)


def prefill(session: Session, actor: Actor, form: MergedForm, subjects: dict[str, str], *, applicant_name: str,
            purpose: str, context: dict[str, Any] | None = None, now: datetime | None = None) -> PrefillResult:
    """The values the platform can fill in for the people in `subjects` (subject -> resident ID number), with
    where each comes from. Nothing when the applicant's name is not their file's."""
    now = now or utcnow()
    result = PrefillResult()
    for subject, number in subjects.items():
        file_id = entities.resolve("person", number) if number else None
        if file_id:
            result.files[subject] = file_id
    applicant_file = result.files.get("applicant")
    if applicant_file is None or not same_name(applicant_name, _golden_name(applicant_file)):
        return result
    result.verified = True
    records: dict[tuple[str, str], set[int]] = defaultdict(set)  # (file, dataset) -> records
    for file_id, dataset, record in _links(list(dict.fromkeys(result.files.values()))):
        records[(file_id, dataset)].add(record)
    # what to read: (dataset, department, basis, grant) -> columns and records
    plan: dict[tuple[str, int, str, int | None], tuple[set[str], set[int]]] = {}
    wanted: list[tuple[str, str, list[tuple[Prefill, set[int]]]]] = []
    for mf in form.fields:
        if not mf.prefillable or mf.subject not in result.files:
            continue
        file_id = result.files[mf.subject]
        options = []
        for src in mf.prefill:
            recs = records.get((file_id, src.dataset))
            if not recs:
                continue
            cols, recs_all = plan.setdefault((src.dataset, src.department_id, src.basis, src.grant_id), (set(), set()))
            cols.add(src.column)
            recs_all.update(recs)
            options.append((src, recs))
        if options:
            wanted.append((mf.key, mf.subject or "", options))
    detail = dict(context or {})
    read: dict[tuple[str, int, str, int | None], dict[int, dict[str, str]]] = {}
    for key, (cols, recs) in plan.items():
        dataset, dept, basis, grant_id = key
        read[key] = _read(session, actor, dataset, dept, basis, grant_id, cols, recs, purpose=purpose,
                          detail=detail, now=now)
        result.reads += 1
    for field_key, subject, options in wanted:
        for src, recs in options:
            rows = read.get((src.dataset, src.department_id, src.basis, src.grant_id), {})
            value = next((rows[r][src.column] for r in sorted(recs) if r in rows and rows[r].get(src.column)), "")
            if value:
                result.values[field_key] = Prefilled(field_key, subject, value, src)
                break
    return result
