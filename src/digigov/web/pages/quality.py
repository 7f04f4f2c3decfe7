"""Quality pages (数据质量): the department's problem-data work items (待整改 → 已整改待复核 → 已销号) with their
sample rows and the answer form (整改说明), and the quality rules: shipped and stored, added as YAML for a dataset,
tried on its data (试运行) before they are enabled. The JSON twins are under /api/v1/quality.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can, require
from digigov.platform.quality import service as quality
from digigov.platform.quality.model import QualityIssue
from digigov.platform.warehouse import service as warehouse
from digigov.platform.warehouse.model import Dataset
from digigov.web.pages.common import flash, redirect, render
from digigov.web.pages.standards import gov_helpers

router = APIRouter(include_in_schema=False)

MAX_ID = 2_147_483_647
IssueId = Annotated[int, Path(ge=1, le=MAX_ID)]
RuleId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9_.-]+$")]
DatasetFilter = Annotated[str, Query(max_length=60, pattern=r"^([a-z][a-z0-9_]{0,59})?$")]
StateFilter = Literal["", "open", "resubmitted", "closed"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _helpers(lang: str) -> dict[str, Any]:
    helpers = gov_helpers(lang)

    def issue_title(issue: QualityIssue) -> str:
        """A quarantine item says its reason in words; a rule item has its own title in both languages."""
        if issue.kind == "quarantine":
            reason = helpers["reason_label"](issue.problem.split(":", 1)[1])
            return translate("quality.quarantined_title", lang, reason=reason)
        return str(helpers["tx"](issue.title, issue.title_en))

    return {**helpers, "issue_title": issue_title}


def _refused(exc: DigigovError) -> bool:
    return exc.http_status in (401, 403, 404)


# ---------------------------------------------------------------- work items


@router.get("/quality/issues")
def issues_page(
    request: Request, actor: CurrentActor, session: DB, lang: Lang,
    state: Annotated[StateFilter, Query()] = "", dataset: DatasetFilter = "",
) -> Response:
    items = quality.list_issues(session, actor, dataset=dataset or None, state=state or None)
    counts = {s: 0 for s in ("open", "resubmitted", "closed")}
    for i in quality.list_issues(session, actor, dataset=dataset or None):
        counts[i.state] = counts.get(i.state, 0) + 1
    return render(
        request, "quality_issues.html",
        {"items": items, "state": state, "dataset": dataset, "counts": counts, **_helpers(lang)},
        actor=actor, session=session, lang=lang,
    )


@router.get("/quality/issues/{issue_id}")
def issue_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, issue_id: IssueId) -> Response:
    issue = quality.get_issue(session, actor, issue_id)
    target = issue.dataset
    return render(
        request, "quality_issue.html",
        {"issue": issue, "may_respond": can(actor, "quality.issue.respond", target) and issue.state != "closed",
         "may_rows": warehouse.may_read_rows(actor, target), **_helpers(lang)},
        actor=actor, session=session, lang=lang,
    )


@router.get("/quality/issues/{issue_id}/rows")
def issue_rows(request: Request, actor: CurrentActor, session: DB, lang: Lang, issue_id: IssueId) -> Response:
    """The item's problem rows (htmx), for the source department; the service audits the read."""
    columns, rows = quality.issue_rows(session, actor, issue_id, limit=50)
    return render(request, "partials/quality_rows.html", {"columns": columns, "rows": rows}, lang=lang)


@router.post("/quality/issues/{issue_id}/respond")
def respond(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, issue_id: IssueId,
    response: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            quality.respond(session, actor, issue_id, response)
    except DigigovError as exc:
        if _refused(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/quality/issues/{issue_id}")
    flash(request, translate("quality.responded", lang), "success")
    return redirect(f"/quality/issues/{issue_id}")


# ---------------------------------------------------------------- rules


def _manageable(session: Session, actor: Actor) -> list[Dataset]:
    return [ds for ds in warehouse.list_datasets(session, actor) if can(actor, "quality.rule.manage", ds)]


def _template(ds: Dataset | None) -> str:
    if ds is None:
        return ""
    column = ds.fields[0].header if ds.fields else "字段名"
    return (f"id: {ds.code}.required_1\nname: {column}不为空\nname_en: Required field is present\n"
            f"kind: completeness\n"
            f"dataset: {ds.code}\nfield: {column}\nseverity: medium\n")


def _rules_page(request: Request, actor: Actor, session: Session, lang: str, *, dataset: str,
                definition: str | None = None, results: list[dict[str, Any]] | None = None, error: str = "",
                status_code: int = 200) -> Response:
    manageable = _manageable(session, actor)
    chosen = next((d for d in manageable if d.code == dataset), manageable[0] if manageable else None)
    entries = quality.list_rules(session, actor, dataset or None)
    entries.sort(key=lambda e: (e["origin"] == "shipped", e["rule"].kind, e["rule"].id))
    return render(
        request, "quality_rules.html",
        {"entries": entries, "dataset": dataset, "manageable": manageable, "chosen": chosen,
         "definition": definition if definition is not None else _template(chosen), "results": results,
         "error": error, "may_manage": {e["rule"].id: _may_manage(session, actor, e) for e in entries},
         **_helpers(lang)},
        actor=actor, session=session, lang=lang, status_code=status_code,
    )


def _may_manage(session: Session, actor: Actor, entry: dict[str, Any]) -> bool:
    if entry["stored_id"] is None:
        return False
    code = entry["rule"].dataset
    target = session.scalar(select(Dataset).where(Dataset.code == code)) if code else None
    return can(actor, "quality.rule.manage", target)


@router.get("/quality/rules")
def rules_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, dataset: DatasetFilter = "") -> Response:
    return _rules_page(request, actor, session, lang, dataset=dataset)


@router.post("/quality/rules")
def rules_post(
    request: Request, actor: CurrentActor, session: DB, lang: Lang,
    dataset: Annotated[str, Form(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]{0,59}$")],
    definition: Annotated[str, Form(max_length=20_000)] = "",
    action: Annotated[Literal["dry_run", "save"], Form()] = "dry_run",
) -> Response:
    ds = warehouse.get(session, actor, dataset)
    require(actor, "quality.rule.manage", ds)
    try:
        with session.begin_nested():
            if action == "dry_run":
                results = quality.dry_run(session, actor, dataset, definition)
                return _rules_page(request, actor, session, lang, dataset=dataset, definition=definition,
                                   results=results)
            row = quality.save_rule(session, actor, definition)
    except DigigovError as exc:
        if _refused(exc):
            raise
        return _rules_page(request, actor, session, lang, dataset=dataset, definition=definition,
                           error=error_text(exc, lang), status_code=exc.http_status)
    flash(request, translate("quality.rule_saved", lang, rule=row.rule_id), "success")
    return redirect(f"/quality/rules?dataset={dataset}")


@router.post("/quality/rules/{rule_id}/{switch}")
def rule_switch(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, rule_id: RuleId,
    switch: Annotated[Literal["enable", "disable"], Path()],
    dataset: Annotated[str, Form(max_length=60, pattern=r"^([a-z][a-z0-9_]{0,59})?$")] = "",
) -> Response:
    row = quality.set_enabled(session, actor, rule_id, switch == "enable")
    key = "quality.rule_enabled" if row.enabled else "quality.rule_disabled"
    flash(request, translate(key, lang, rule=rule_id), "success")
    return redirect(f"/quality/rules?dataset={dataset}" if dataset else "/quality/rules")
