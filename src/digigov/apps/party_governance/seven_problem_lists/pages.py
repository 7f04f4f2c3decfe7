"""Pages of the Seven Problem Lists: the cockpit with every problem and its colour, a problem's page (tasks,
messages and the keeper's actions), the analysis across lists, and the quarterly report (HTML and PDF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FsPath
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from digigov.apps.party_governance.seven_problem_lists import analysis, config, report, service
from digigov.core.errors import DigigovError
from digigov.core.http import DB, Lang
from digigov.core.i18n import error_text, register, translate
from digigov.identity.http import CurrentActor
from digigov.identity.permissions import can, require
from digigov.web.pages.common import app_templates, flash, redirect, render

router = APIRouter(include_in_schema=False)
TEMPLATES = app_templates(FsPath(__file__).parent / "templates")
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Quarter = Annotated[str, Path(pattern=r"^20[0-9]{2}Q[1-4]$")]

register({
    "spl.title": ("七张问题清单", "Seven Problem Lists"),
    "spl.analysis": ("综合分析", "Analysis"),
    "spl.report": ("季度分析报告", "Quarterly report"),
    "spl.new": ("登记问题", "Report a problem"),
    "spl.list": ("清单", "List"),
    "spl.source": ("问题来源", "Found by"),
    "spl.region": ("地区", "Region"),
    "spl.keeper": ("牵头部门", "Keeper"),
    "spl.root_cause": ("问题根源", "Root cause"),
    "spl.due": ("整改期限", "Due"),
    "spl.state": ("状态", "State"),
    "spl.state.discovered": ("问题发现", "Discovered"),
    "spl.state.assigned": ("任务分解", "Assigned"),
    "spl.state.rectifying": ("整改跟踪", "Rectifying"),
    "spl.state.closed": ("办结销号", "Closed out"),
    "spl.state.accepted": ("验收确认", "Accepted"),
    "spl.state.evaluated": ("立体评价", "Evaluated"),
    "spl.state.reviewed": ("回头看", "Reviewed"),
    "spl.tasks": ("整改任务", "Tasks"),
    "spl.messages": ("督办与提醒", "Messages"),
    "spl.decompose": ("分解任务并交办", "Decompose and assign"),
    "spl.department": ("责任部门（编码）", "Department (code)"),
    "spl.task_text": ("整改要求", "What to rectify"),
    "spl.accept": ("验收", "Acceptance"),
    "spl.pass": ("验收通过", "Accept"),
    "spl.fail": ("不通过，退回整改", "Send back"),
    "spl.evaluate": ("立体评价（1–5分）", "Evaluation (1–5)"),
    "spl.score_self": ("自评", "Self"),
    "spl.score_department": ("牵头部门评", "Keeper"),
    "spl.score_public": ("群众评", "Public"),
    "spl.review": ("回头看", "Follow-up review"),
    "spl.no_recurrence": ("未反弹，销号", "No recurrence"),
    "spl.recurred": ("问题反弹，重新整改", "Recurred: reopen"),
    "spl.escalate": ("督办", "Escalate"),
    "spl.note": ("说明", "Note"),
    "spl.recurrences": ("反弹次数", "Recurrences"),
    "spl.on_time": ("按期完成率", "On time"),
    "spl.avg_days": ("平均办结天数", "Average days to close"),
    "spl.recurrence_rate": ("反弹率", "Recurrence rate"),
    "spl.problems": ("问题数", "Problems"),
    "spl.print": ("打印", "Print"),
    "spl.pdf": ("下载 PDF", "Download PDF"),
    "spl.findings": ("主要发现", "Findings"),
    "spl.done": ("已记录", "Recorded"),
    "spl.red": ("红灯（逾期）", "Red (overdue)"),
    "spl.problem": ("问题", "Problem"),
})


def _common() -> dict[str, object]:
    return {"lists": config.lists(), "causes": config.root_causes(), "quarter": analysis.quarter_of(dt.date.today())}


@router.get("/spl")
def cockpit(request: Request, actor: CurrentActor, session: DB, lang: Lang,
            list_code: Annotated[str, Query(alias="list", max_length=32)] = "",
            colour: Annotated[Literal["", "red", "yellow", "green"], Query()] = "") -> Response:
    rows = service.problems(session, actor, list_code=list_code or None, colour=colour or None)
    return render(request, "spl_cockpit.html", {
        "rows": rows, "summary": analysis.analyse(session, actor), "list_code": list_code, "colour": colour,
        **_common()}, actor=actor, session=session, lang=lang, using=TEMPLATES)


@router.post("/spl/new")
def new(request: Request, actor: CurrentActor, session: DB, lang: Lang,
        list_code: Annotated[str, Form(max_length=32)], title: Annotated[str, Form(max_length=300)],
        region_code: Annotated[str, Form(pattern=r"^[0-9]{6}$")],
        source: Annotated[str, Form(max_length=200)] = "", description: Annotated[str, Form(max_length=4000)] = "",
        due_on: Annotated[str, Form(max_length=10)] = "") -> Response:
    try:
        with session.begin_nested():
            p = service.report_problem(session, actor, list_code=list_code, title=title, region_code=region_code,
                                       source=source, description=description,
                                       due_on=dt.date.fromisoformat(due_on) if due_on else None)
    except (DigigovError, ValueError) as exc:
        if isinstance(exc, DigigovError) and exc.code == "forbidden":
            raise
        flash(request, error_text(exc, lang) if isinstance(exc, DigigovError) else str(exc), "error")
        return redirect("/spl")
    return redirect(f"/spl/problems/{p.id}")


@router.get("/spl/problems/{problem_id}")
def problem_page(request: Request, actor: CurrentActor, session: DB, lang: Lang, problem_id: Id) -> Response:
    p = service.get(session, actor, problem_id)
    return render(request, "spl_problem.html", {
        "p": p, "tasks": service.tasks(session, p), "messages": service.messages(session, p),
        "may_manage": can(actor, "spl.manage", p.owner), **_common()}, actor=actor, session=session, lang=lang,
        using=TEMPLATES)


def _act(request: Request, lang: str, problem_id: int, fn: object) -> Response:
    try:
        fn()  # type: ignore[operator]
    except DigigovError as exc:
        if exc.code == "forbidden":
            raise
        flash(request, error_text(exc, lang), "error")
    else:
        flash(request, translate("spl.done", lang), "success")
    return redirect(f"/spl/problems/{problem_id}")


@router.post("/spl/problems/{problem_id}/decompose")
def decompose(request: Request, actor: CurrentActor, session: DB, lang: Lang, problem_id: Id,
              root_cause: Annotated[str, Form(max_length=32)],
              department: Annotated[list[Annotated[str, Form(max_length=64)]], Form(max_length=10)],
              task_text: Annotated[list[Annotated[str, Form(max_length=2000)]], Form(max_length=10)]) -> Response:
    specs = [service.TaskSpec(d.strip(), t.strip()) for d, t in zip(department, task_text, strict=False) if d.strip()]

    def run() -> None:
        with session.begin_nested():
            service.decompose(session, actor, problem_id, specs, root_cause=root_cause)
    return _act(request, lang, problem_id, run)


@router.post("/spl/problems/{problem_id}/accept")
def accept(request: Request, actor: CurrentActor, session: DB, lang: Lang, problem_id: Id,
           outcome: Annotated[Literal["pass", "fail"], Form()],
           note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    def run() -> None:
        with session.begin_nested():
            service.accept(session, actor, problem_id, passed=outcome == "pass", note=note)
    return _act(request, lang, problem_id, run)


@router.post("/spl/problems/{problem_id}/evaluate")
def evaluate(request: Request, actor: CurrentActor, session: DB, lang: Lang, problem_id: Id,
             score_self: Annotated[float, Form(ge=1, le=5)], score_department: Annotated[float, Form(ge=1, le=5)],
             score_public: Annotated[float, Form(ge=1, le=5)],
             note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    def run() -> None:
        with session.begin_nested():
            service.evaluate(session, actor, problem_id, self_score=score_self, department_score=score_department,
                             public_score=score_public, note=note)
    return _act(request, lang, problem_id, run)


@router.post("/spl/problems/{problem_id}/review")
def review(request: Request, actor: CurrentActor, session: DB, lang: Lang, problem_id: Id,
           outcome: Annotated[Literal["clear", "recurred"], Form()],
           note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    def run() -> None:
        with session.begin_nested():
            service.review(session, actor, problem_id, recurred=outcome == "recurred", note=note)
    return _act(request, lang, problem_id, run)


@router.post("/spl/problems/{problem_id}/escalate")
def escalate(request: Request, actor: CurrentActor, session: DB, lang: Lang, problem_id: Id,
             note: Annotated[str, Form(min_length=1, max_length=2000)]) -> Response:
    def run() -> None:
        with session.begin_nested():
            service.escalate(session, actor, problem_id, note)
    return _act(request, lang, problem_id, run)


@router.get("/spl/analysis")
def analysis_page(request: Request, actor: CurrentActor, session: DB, lang: Lang) -> Response:
    a = analysis.analyse(session, actor)
    return render(request, "spl_report.html", {
        "a": a, "charts": [report.svg(c) for c in report.charts(a)], "summary": report.summary_lines(a),
        "findings": report.findings(a), "title": "七张问题清单 综合分析", "pdf_url": None, **_common()},
        actor=actor, session=session, lang=lang, using=TEMPLATES)


@router.get("/spl/reports/{quarter}.pdf")
def quarterly_pdf(actor: CurrentActor, session: DB, quarter: Quarter) -> Response:
    require(actor, "spl.view")
    a = analysis.analyse(session, actor, quarter=quarter)
    body = report.pdf(a, f"七张问题清单 {quarter} 季度分析报告")
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="seven-problem-lists-{quarter}.pdf"'})


@router.get("/spl/reports/{quarter}")
def quarterly(request: Request, actor: CurrentActor, session: DB, lang: Lang, quarter: Quarter) -> Response:
    a = analysis.analyse(session, actor, quarter=quarter)
    return render(request, "spl_report.html", {
        "a": a, "charts": [report.svg(c) for c in report.charts(a)], "summary": report.summary_lines(a),
        "findings": report.findings(a), "title": f"七张问题清单 {quarter} 季度分析报告",
        "pdf_url": f"/spl/reports/{quarter}.pdf", **_common()}, actor=actor, session=session, lang=lang,
        using=TEMPLATES)
