"""Quality control (质量管控) as use cases: the rules a dataset answers to, the checks each load runs,
and the problem-data work items (问题数据 → 整改 → 复核) that go back to the source department.

Every committed load re-checks the dataset: a problem still present keeps (or re-opens) its item with
the new count; a problem gone closes its item (复核 passed). The department answers an item with what
it fixed (resubmitted) and the next load decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.core.warehouse import get_warehouse, table_ref
from digigov.identity.actor import Actor
from digigov.identity.permissions import can, require
from digigov.platform.quality import evaluate as engine
from digigov.platform.quality import rules as rule_defs
from digigov.platform.quality.model import QualityIssue, QualityRule
from digigov.platform.standards import registry
from digigov.platform.warehouse import governance
from digigov.platform.warehouse.model import Dataset, Load


def _stored(session: Session, ds: Dataset | None, *, enabled_only: bool) -> list[tuple[QualityRule, rule_defs.RuleDef]]:
    stmt = select(QualityRule)
    stmt = stmt.where(or_(QualityRule.dataset_id.is_(None), QualityRule.dataset_id == ds.id)) if ds else stmt
    if enabled_only:
        stmt = stmt.where(QualityRule.enabled.is_(True))
    return [(r, rule_defs.load_rules(r.definition)[0]) for r in session.scalars(stmt.order_by(QualityRule.id))]


def rules_for(session: Session, ds: Dataset) -> list[rule_defs.RuleDef]:
    """The shipped element rules, then the stored element rules and the dataset's own (enabled ones)."""
    stored = _stored(session, ds, enabled_only=False)
    overridden = {d.id for _r, d in stored}  # a stored rule, enabled or not, replaces the shipped one
    return [d for d in rule_defs.default_rules() if d.id not in overridden and d.enabled] + \
        [d for r, d in stored if r.enabled]


def _resolver(session: Session) -> Any:
    def resolve(code: str) -> str | None:
        other = session.scalar(select(Dataset).where(Dataset.code == code))
        return governance.current_table(other) if other is not None else None
    return resolve


def _context(session: Session, ds: Dataset, load: Load | None) -> engine.EvalContext:
    return engine.EvalContext(dataset=ds.code, mapping=dict(load.mapping if load else {}),
                              last_load_at=(load.finished_at if load else ds.last_load_at), now=utcnow(),
                              update_frequency=ds.update_frequency, resolve_table=_resolver(session))


def check_load(session: Session, actor: Actor, ds: Dataset, load: Load) -> list[engine.RuleResult]:
    """Run the dataset's rules over the load's new version; set scores; update the work items."""
    defs = rules_for(session, ds)
    enforced = _enforced_at_load(defs, load)
    table = governance.clean_ref(ds, int(load.version or 0))
    with get_warehouse().connect() as con:
        results = engine.evaluate(con, table, [d for d in defs if d.id not in enforced], _context(session, ds, load))
    results += _load_validity(ds, load, enforced)
    scores = engine.score(results, defs)
    ds.quality_score = round(scores.dataset, 1)
    for fld in ds.fields:
        fld.quality_score = round(scores.fields[fld.column], 1) if fld.column in scores.fields else None
    load.report = {**load.report, "quality": {
        "score": ds.quality_score, "by_kind": {k: round(v, 1) for k, v in scores.by_kind.items()},
        "results": [_result_json(r) for r in results]}}
    _update_issues(session, actor, ds, load, results, {d.id: d for d in defs})
    return results


def _enforced_at_load(defs: Sequence[rule_defs.RuleDef], load: Load) -> dict[str, str]:
    """Validity rules the load already enforced (their failures are in quarantine): rule id -> element."""
    mapped = {e for e in load.mapping.values() if e}
    out: dict[str, str] = {}
    for d in defs:
        if d.kind != "validity" or not d.element or d.element not in mapped:
            continue
        element = registry.elements().get(d.element)
        wanted = (d.params or {}).get("validator") or (element.validator if element else None)
        if element is not None and wanted == element.validator:
            out[d.id] = d.element
    return out


def _load_validity(ds: Dataset, load: Load, enforced: dict[str, str]) -> list[engine.RuleResult]:
    """Results of the enforced validity rules, counted from the load: the quarantined values failed."""
    problems: dict[str, int] = dict(load.report.get("problems", {}))
    out: list[engine.RuleResult] = []
    for rule_id, element in enforced.items():
        for column, header in zip(load.columns, load.headers, strict=True):
            if load.mapping.get(column) != element:
                continue
            failed = sum(n for k, n in problems.items() if k.startswith(header + ":") and not k.endswith(":missing"))
            fld = next((f for f in ds.fields if f.column == column), None)
            checked = (fld.non_empty if fld else 0) + failed
            out.append(engine.RuleResult(rule_id=rule_id, column=column, kind="validity", checked=checked,
                                         failed=failed, pass_rate=(1 - failed / checked) if checked else 1.0,
                                         sample_records=[], failing_sql=None, passed=failed == 0,
                                         detail="enforced at load: failing rows are in quarantine"))
    return out


def _result_json(r: engine.RuleResult) -> dict[str, Any]:
    return {"rule": r.rule_id, "column": r.column, "kind": r.kind, "checked": r.checked, "failed": r.failed,
            "pass_rate": round(r.pass_rate, 4), "samples": list(r.sample_records[:20]), "skipped": r.skipped,
            "failing_sql": r.failing_sql}


def _update_issues(session: Session, actor: Actor, ds: Dataset, load: Load, results: Sequence[engine.RuleResult],
                   defs: dict[str, rule_defs.RuleDef]) -> None:
    found: dict[str, dict[str, Any]] = {}
    for r in results:
        if r.skipped or not r.failed or r.failing_sql is None:
            continue  # (no SQL: enforced at load, its rows are in the quarantine items)
        d = defs.get(r.rule_id)
        column = r.column or ""
        found[f"rule:{r.rule_id}:{column}"[:200]] = {
            "kind": "rule", "rows": r.failed, "severity": d.severity if d else "medium",
            "title": f"{column}：{d.name if d else r.rule_id}" if column else (d.name if d else r.rule_id),
            "title_en": f"{column}: {d.name_en if d else r.rule_id}" if column else (d.name_en if d else r.rule_id),
            "samples": r.sample_records}
    for reason, rows in load.reasons.items():
        found[f"quarantine:{reason}"[:200]] = {
            "kind": "quarantine", "rows": rows, "severity": "high", "title": f"入库被拒：{reason}",
            "title_en": f"Quarantined on load: {reason}", "samples": []}
    existing = {i.problem: i for i in session.scalars(select(QualityIssue).where(QualityIssue.dataset_id == ds.id))}
    now = utcnow()
    for problem, info in found.items():
        issue = existing.get(problem)
        if issue is None:
            issue = QualityIssue(dataset_id=ds.id, department_id=ds.owner_department_id, problem=problem,
                                 kind=info["kind"], first_load_id=load.id, opened_at=now)
            session.add(issue)
        elif issue.state != "open":
            issue.state, issue.closed_at = "open", None  # 复核 failed: the problem is still there
        issue.title, issue.title_en = info["title"][:300], info["title_en"][:300]
        issue.severity, issue.rows, issue.last_load_id, issue.updated_at = info["severity"], info["rows"], load.id, now
        issue.sample_records = ",".join(str(x) for x in info["samples"][:50])
    for problem, issue in existing.items():
        if problem not in found and issue.state != "closed":
            issue.state, issue.closed_at, issue.updated_at, issue.rows = "closed", now, now, 0
            issue.last_load_id = load.id
    session.flush()
    audit.record(session, actor, "quality.check", "dataset", ds.code,
                 detail={"load": load.id, "score": ds.quality_score, "problems": len(found)})


# ---- rules as data --------------------------------------------------------------------------------

def list_rules(session: Session, actor: Actor, dataset: str | None = None) -> list[dict[str, Any]]:
    """Shipped and stored rules (with their state), for a dataset or for the whole platform."""
    require(actor, "standards.view")
    ds = session.scalar(select(Dataset).where(Dataset.code == dataset)) if dataset else None
    stored = _stored(session, ds, enabled_only=False)
    overridden = {d.id for _r, d in stored}
    out = [{"rule": d, "origin": "shipped", "enabled": d.enabled, "version": 1, "stored_id": None}
           for d in rule_defs.default_rules() if d.id not in overridden]
    out += [{"rule": d, "origin": "dataset" if r.dataset_id else "platform", "enabled": r.enabled,
             "version": r.version, "stored_id": r.id} for r, d in stored]
    return out


def save_rule(session: Session, actor: Actor, definition: str) -> QualityRule:
    """Add or change a rule from its YAML (one rule). New and changed rules start disabled."""
    defs = rule_defs.load_rules(definition if definition.lstrip().startswith("rules:")
                                else "rules:\n" + _indent(definition))
    if len(defs) != 1:
        raise InvalidInput("give exactly one rule", key="quality_rule_invalid", field="definition")
    d = defs[0]
    ds = governance.find_dataset(session, d.dataset) if d.dataset else None
    require(actor, "quality.rule.manage", ds if ds is not None else None)
    text = yaml.safe_dump({"rules": [d.model_dump(mode="json")]}, allow_unicode=True, sort_keys=False)
    row = session.scalar(select(QualityRule).where(QualityRule.rule_id == d.id))
    if row is None:
        row = QualityRule(rule_id=d.id, dataset_id=ds.id if ds else None, definition=text, enabled=False,
                          version=1, created_by=actor.username)
        session.add(row)
    else:
        if (row.dataset_id or None) != (ds.id if ds else None):
            raise Conflict(f"rule {d.id} belongs to another scope", key="quality_rule_scope", rule=d.id)
        row.definition, row.version, row.enabled = text, row.version + 1, False
    session.flush()
    audit.record(session, actor, "quality.rule.save", "quality_rule", d.id, detail={"version": row.version})
    return row


def _indent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    return "\n".join(("  - " + ln) if i == 0 else ("    " + ln) for i, ln in enumerate(lines)) + "\n"


def set_enabled(session: Session, actor: Actor, rule_id: str, enabled: bool) -> QualityRule:
    row = session.scalar(select(QualityRule).where(QualityRule.rule_id == rule_id))
    if row is None:
        raise NotFound(f"rule {rule_id} not found", key="quality_rule_not_found", rule=rule_id)
    require(actor, "quality.rule.manage", row.dataset)
    row.enabled = bool(enabled)
    audit.record(session, actor, "quality.rule.enable" if enabled else "quality.rule.disable", "quality_rule",
                 rule_id, detail={"version": row.version})
    return row


def dry_run(session: Session, actor: Actor, dataset: str, definition: str) -> list[dict[str, Any]]:
    """A rule's hits on the dataset's current data, before it is saved or enabled."""
    ds = governance.find_dataset(session, dataset)
    require(actor, "quality.rule.manage", ds)
    defs = rule_defs.load_rules(definition if definition.lstrip().startswith("rules:")
                                else "rules:\n" + _indent(definition))
    table = governance.current_table(ds)
    if table is None:
        raise Conflict(f"dataset {ds.code} has no data yet", key="dataset_empty", dataset=ds.code)
    load = governance.current_load(session, ds)
    out: list[dict[str, Any]] = []
    with get_warehouse().connect() as con:
        for d in defs:
            out += [_result_json(r) for r in engine.dry_run(con, table, d, _context(session, ds, load))]
    return out


# ---- work items -------------------------------------------------------------------------------------

def list_issues(session: Session, actor: Actor, *, dataset: str | None = None, state: str | None = None,
                limit: int = 200) -> list[QualityIssue]:
    """The items the actor may see: its department's, or its region's for the data authority."""
    stmt = select(QualityIssue).join(Dataset, Dataset.id == QualityIssue.dataset_id)
    if dataset:
        stmt = stmt.where(Dataset.code == dataset)
    if state:
        stmt = stmt.where(QualityIssue.state == state)
    if not actor.has("platform_admin") and not actor.is_data_authority:
        stmt = stmt.where(QualityIssue.department_id == (actor.department_id or -1))
    items = session.scalars(stmt.order_by(QualityIssue.state, QualityIssue.rows.desc()).limit(limit * 4)).all()
    return [i for i in items if can(actor, "quality.issue.view", _issue_target(i))][:limit]


def _issue_target(issue: QualityIssue) -> Any:
    return governance.dept_target(issue.dataset.owner)


def get_issue(session: Session, actor: Actor, issue_id: int) -> QualityIssue:
    issue = session.get(QualityIssue, issue_id)
    if issue is None:
        raise NotFound(f"quality issue {issue_id} not found", key="quality_issue_not_found", issue=str(issue_id))
    require(actor, "quality.issue.view", _issue_target(issue))
    return issue


def respond(session: Session, actor: Actor, issue_id: int, response: str) -> QualityIssue:
    """The source department says what it fixed (整改); the next load re-checks (复核)."""
    issue = get_issue(session, actor, issue_id)
    require(actor, "quality.issue.respond", _issue_target(issue))
    if issue.state == "closed":
        raise Conflict("the item is closed", key="quality_issue_closed", state=issue.state)
    text = (response or "").strip()
    if not text:
        raise InvalidInput("say what was fixed", key="quality_response_required", field="response")
    issue.response, issue.responded_by = text[:4000], actor.username
    issue.state, issue.updated_at = "resubmitted", utcnow()
    audit.record(session, actor, "quality.issue.respond", "quality_issue", issue.id, detail={"problem": issue.problem})
    return issue


def issue_rows(session: Session, actor: Actor, issue_id: int,
               limit: int = 100) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The problem rows of an item as the source department sees them (its own data, unmasked)."""
    issue = get_issue(session, actor, issue_id)
    ds = issue.dataset
    require(actor, "dataset.rows", ds)
    if not ds.current_version:
        return [], []
    limit = max(1, min(int(limit), 1000))
    with get_warehouse().connect() as con:
        if issue.kind == "quarantine":
            reason = issue.problem.split(":", 1)[1]
            quarantine = governance.quarantine_ref(ds, ds.current_version)
            cur = con.execute(f"SELECT _record, _reasons, _raw FROM {quarantine} "
                              f"WHERE _reason = ? ORDER BY _record LIMIT {limit}", [reason])
        else:
            records = [int(x) for x in issue.sample_records.split(",") if x.strip().isdigit()][:limit]
            table = table_ref(ds.layer, f"{ds.code}__v{ds.current_version}")
            cur = con.execute(f"SELECT * FROM {table} WHERE _record IN (SELECT unnest(?::BIGINT[])) ORDER BY _record",
                              [records])
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    audit.record(session, actor, "dataset.rows.read", "quality_issue", issue.id,
                 purpose="整改 problem data", detail={"dataset": ds.code, "rows": len(rows)})
    return columns, rows
