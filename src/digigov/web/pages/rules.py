"""Early-warning pages (预警): the rules (list, add as YAML, dry run before saving or enabling, versions, runs)
and the signals they raised, with severity colours, evidence rows and the case each opened. The JSON twins
are under /api/v1/rules and /api/v1/signals.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.actor import Actor
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can
from digigov.platform.rules import schedule
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Rule
from digigov.web.i18n_rules import RULES_MESSAGES
from digigov.web.pages.common import flash, redirect, render

register(RULES_MESSAGES)  # (also merged into web.i18n; registering twice is harmless)

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
DefinitionForm = Annotated[str, Form(max_length=30_000)]
SeverityFilter = Literal["", "red", "orange", "yellow", "blue"]
StatusFilter = Literal["", "open", "closed", "dismissed"]
RuleFilter = Annotated[str, Query(max_length=80, pattern=r"^([a-z0-9][a-z0-9_.-]{0,79})?$")]

TEMPLATE = """code: example.noise_repeat
name: 同一小区噪音投诉多发
name_en: Repeated noise complaints in one community
kind: sql
severity: orange
department: column
case_type: noise_complaint
subject: community
title: "{community}：{n}起噪音投诉"
schedule: "0 2 * * *"
sql: |
  SELECT community, count(*) AS n, max(department_code) AS department_code
  FROM topic.complaints
  WHERE category = '噪音扰民' AND day >= current_date - 7
  GROUP BY community HAVING count(*) >= 3
"""


def _refused(exc: DigigovError) -> bool:
    return exc.http_status in (401, 403, 404)


def _rules_page(request: Request, actor: Actor, session: Session, lang: str, *, definition: str | None = None,
                result: rules.DryRunResult | None = None, error: str = "", status_code: int = 200) -> Response:
    items = rules.list_rules(session, actor)
    return render(
        request, "rules_list.html",
        {"rules": items, "definition": TEMPLATE if definition is None else definition, "result": result,
         "error": error, "may_manage": can(actor, "rule.manage"), "may_run": can(actor, "rule.run"),
         "next_run": {r.code: schedule.next_run(r) for r in items}},
        actor=actor, session=session, lang=lang, status_code=status_code,
    )


def _detail_page(request: Request, actor: Actor, session: Session, lang: str, rule: Rule, *,
                 definition: str | None = None, result: rules.DryRunResult | None = None, error: str = "",
                 status_code: int = 200) -> Response:
    history = rules.versions(session, actor, rule.code)
    current = next(v for v in history if v.version == rule.current_version)
    signals: list[Any] = rules.signals_of_rule(session, actor, rule.code, limit=20) if can(actor, "rule.view") else []
    return render(
        request, "rules_detail.html",
        {"rule": rule, "current": current, "spec": current.spec, "versions": history,
         "runs": rules.recent_runs(session, actor, rule.code), "signals": signals,
         "definition": current.text if definition is None else definition, "result": result, "error": error,
         "may_manage": can(actor, "rule.manage", rule), "may_run": can(actor, "rule.run", rule),
         "next_run": schedule.next_run(rule)},
        actor=actor, session=session, lang=lang, status_code=status_code,
    )


@router.get("/rules")
def rules_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    return _rules_page(request, actor, session, lang)


@router.post("/rules")
def rules_post(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, definition: DefinitionForm = "",
    action: Annotated[Literal["dry_run", "save"], Form()] = "dry_run",
) -> Response:
    try:
        with session.begin_nested():
            if action == "dry_run":
                result = rules.dry_run(session, actor, _as_text(definition))
                return _rules_page(request, actor, session, lang, definition=definition, result=result)
            rule = rules.save_rule(session, actor, _as_text(definition))
    except DigigovError as exc:
        if _refused(exc):
            raise
        return _rules_page(request, actor, session, lang, definition=definition, error=error_text(exc, lang),
                           status_code=exc.http_status)
    flash(request, translate("rules.saved", lang, rule=rule.code, version=rule.current_version), "success")
    return redirect(f"/rules/{rule.code}")


def _as_text(definition: str) -> str:
    """Form text is always a rule text (a bare word would otherwise be read as a rule code)."""
    return definition if ":" in definition or "\n" in definition else definition + "\n"


@router.get("/rules/{code}")
def rule_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: Code) -> Response:
    return _detail_page(request, actor, session, lang, rules.get_rule(session, actor, code))


@router.post("/rules/{code}")
def rule_post(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, code: Code, definition: DefinitionForm = "",
    action: Annotated[Literal["dry_run", "save", "dry_run_current"], Form()] = "dry_run",
) -> Response:
    rule = rules.get_rule(session, actor, code)
    try:
        with session.begin_nested():
            if action == "dry_run_current":
                result = rules.dry_run(session, actor, code)
                return _detail_page(request, actor, session, lang, rule, result=result)
            if action == "dry_run":
                result = rules.dry_run(session, actor, _as_text(definition))
                return _detail_page(request, actor, session, lang, rule, definition=definition, result=result)
            saved = rules.save_rule(session, actor, _as_text(definition))
    except DigigovError as exc:
        if _refused(exc):
            raise
        return _detail_page(request, actor, session, lang, rule, definition=definition,
                            error=error_text(exc, lang), status_code=exc.http_status)
    flash(request, translate("rules.saved", lang, rule=saved.code, version=saved.current_version), "success")
    return redirect(f"/rules/{saved.code}")


@router.post("/rules/{code}/run")
def rule_run(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: Code) -> Response:
    try:
        with session.begin_nested():
            result = rules.run_rule(session, actor, code)
    except DigigovError as exc:
        if _refused(exc):
            raise
        flash(request, error_text(exc, lang), "error")
        return redirect(f"/rules/{code}")
    if result.error:
        flash(request, translate("rules.run_failed", lang, rule=code, error=result.error), "error")
    else:
        flash(request, translate("rules.ran", lang, rule=code, hits=result.hits, new=result.new_signals,
                                 updated=result.updated_signals), "success")
    return redirect(f"/rules/{code}")


@router.post("/rules/{code}/{switch}")
def rule_switch(request: Request, actor: CurrentActor, session: DB, lang: Lang, code: Code,
                switch: Annotated[Literal["enable", "disable"], Path()]) -> Response:
    rule = rules.set_enabled(session, actor, code, switch == "enable")
    flash(request, translate("rules.enabled_msg" if rule.enabled else "rules.disabled_msg", lang, rule=code),
          "success")
    return redirect(f"/rules/{code}")


@router.get("/signals")
def signals_page(
    request: Request, actor: CurrentActor, session: DB, lang: Lang, severity: SeverityFilter = "",
    status: StatusFilter = "open", rule: RuleFilter = "",
) -> Response:
    items = rules.list_signals(session, actor, severity=severity or None, status=status or None, rule=rule or None)
    return render(
        request, "signals.html",
        {"signals": items, "severity": severity, "status": status, "rule": rule},
        actor=actor, session=session, lang=lang,
    )
