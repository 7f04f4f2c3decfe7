"""The three lists (三张清单) and achievements (三大成果): the lists with counts by system and region, an entry with
its chain, the trace of an application from the demand it answers to the reform it drove, the achievements."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from digigov.core.http import DB, Lang
from digigov.core.i18n import register
from digigov.identity.http import CurrentActor
from digigov.platform.catalog.model import SYSTEMS
from digigov.platform.lists import service as lists
from digigov.web.pages.common import redirect, render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

register({
    "lists.title": ("三张清单", "Three lists"),
    "lists.kind.demand": ("重大需求", "Major demands"),
    "lists.kind.scenario": ("重大多跨场景", "Cross-department scenarios"),
    "lists.kind.reform": ("重大改革", "Major reforms"),
    "lists.achievements": ("三大成果", "Achievements"),
    "lists.achievement.application": ("应用成果", "Applications"),
    "lists.achievement.theory": ("理论成果", "Theory"),
    "lists.achievement.institution": ("制度成果", "Institutions"),
    "lists.by_system": ("按系统", "By system"),
    "lists.by_region": ("按地区", "By region"),
    "lists.system": ("系统", "System"),
    "lists.region": ("地区", "Region"),
    "lists.code": ("编号", "Code"),
    "lists.owner": ("牵头部门", "Lead department"),
    "lists.status": ("状态", "Status"),
    "lists.status.planned": ("谋划中", "Planned"),
    "lists.status.in_progress": ("推进中", "In progress"),
    "lists.status.done": ("已完成", "Done"),
    "lists.status.suspended": ("暂停", "Suspended"),
    "lists.due": ("计划完成", "Due"),
    "lists.trace": ("溯源：需求 → 场景 → 改革 → 成果", "Trace: demand → scenario → reform → achievements"),
    "lists.trace_app": ("应用溯源", "Trace an application"),
    "lists.applications": ("承载应用", "Applications"),
    "lists.none": ("暂无", "None"),
    "lists.issued": ("发布/施行", "Issued"),
    "lists.reference": ("文号/标准号", "Reference"),
    "lists.choose_app": ("选择应用", "Choose an application"),
    "lists.go": ("查看", "Show"),
    "system.party_governance": ("党政机关整体智治", "Party and government"),
    "system.digital_government": ("数字政府", "Digital government"),
    "system.digital_economy": ("数字经济", "Digital economy"),
    "system.digital_society": ("数字社会", "Digital society"),
    "system.rule_of_law": ("数字法治", "Digital rule of law"),
})


@router.get("/lists")
def index(request: Request, actor: CurrentActor, session: DB, lang: Lang,
          kind: Annotated[Literal["", "demand", "scenario", "reform"], Query()] = "",
          system: Annotated[str, Query(max_length=24)] = "") -> Response:
    rows = lists.entries(session, actor, kind=kind or None, system=system or None)
    return render(request, "lists_index.html", {
        "rows": rows, "counts": lists.counts(session, actor), "kind": kind, "system": system, "systems": SYSTEMS,
        "apps": lists.application_choices(session)}, actor=actor, session=session, lang=lang)


@router.get("/lists/entries/{entry_id}")
def entry_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, entry_id: Id) -> Response:
    entry, trace = lists.trace_entry(session, actor, entry_id)
    return render(request, "lists_trace.html", {"entry": entry, "trace": trace, "app": None},
                  actor=actor, session=session, lang=lang)


@router.get("/lists/applications/{resource_id}")
def application_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, resource_id: Id) -> Response:
    trace = lists.trace_application(session, actor, resource_id)
    return render(request, "lists_trace.html", {"entry": None, "trace": trace, "app": trace.applications[0]},
                  actor=actor, session=session, lang=lang)


@router.get("/lists/trace")
def trace_redirect(app: Annotated[int, Query(ge=1, le=2_147_483_647)]) -> Response:
    return redirect(f"/lists/applications/{app}")


@router.get("/lists/achievements")
def achievements_page(request: Request, actor: CurrentActor, session: DB, lang: Lang,
                      kind: Annotated[Literal["", "application", "theory", "institution"], Query()] = "") -> Response:
    return render(request, "lists_achievements.html", {
        "rows": lists.achievements(session, actor, kind=kind or None), "kind": kind},
        actor=actor, session=session, lang=lang)
