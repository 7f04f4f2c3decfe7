"""The warning task list (预警任务清单) and its closed loop as use cases.

- `sweep` runs the risk-indicator library's models (platform batch rules, one warehouse statement: runs, signals,
  `signal.raised`) and makes a task of each new signal; `on_signal` does the same for signals a scheduled run
  raised (a bus consumer), so either path gives a signal one task. A signal about a town-month (or a site-month)
  whose task was closed out already makes no new task: the facts were handled.
- `report`: a grid worker's report from the field (网格员上报) opens a task for the grid cell's town.
- Each task is a case of type `srcl.task` (case_type.py), dispatched to the county's social-governance centre for the
  town, with a deadline by severity. `accept` (签收) and `feedback` (反馈, with photos or evidence) belong to an
  official posted to the town; `verify` (核查) to an approver of a social-governance centre covering the county;
  `close_out` (销号) and `send_back` (退回重办) to the city centre. The platform refuses to verify a red or orange
  task without evidence.
- A wage-arrears task closes when the town uploads the payslip voucher (工资发放凭证) covering what was owed:
  `upload_payslip` records the town's finding, attaches the voucher, and the task is verified and closed out on it.
  Until then neither verification nor close-out is possible.
- `closure`: each area's risk-closure rate (闭环率): tasks closed out ÷ tasks raised, by county or town.

Every read of a task's evidence (other departments' data) and every decision is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from digigov.apps.rule_of_law.social_risk_closed_loop import gazetteer, library
from digigov.apps.rule_of_law.social_risk_closed_loop.case_type import APP_ID, HANDLER_KIND, SLA_WORKDAYS, TYPE_CODE
from digigov.apps.rule_of_law.social_risk_closed_loop.model import SrclGridReport, SrclPayslip, SrclPost, SrclTask
from digigov.audit.service import record
from digigov.core import workdays
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from digigov.core.i18n import register
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.cases import queries as case_queries
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case, CaseAttachment, CaseEvent
from digigov.platform.rules import service as rules
from digigov.platform.rules.model import Rule, Signal

SYSTEM = Actor(username="system:srcl", roles=frozenset({"platform_admin"}), via="system")
WAGE = "srcl.wage_arrears.site_payment"
GRID_REPORT = "grid_report"
MAX_TEXT = 2000
MAX_PHOTOS = 9
MAX_FILE = 10 * 1024 * 1024
CLOSED_DONE = ("done", "no_rating")
BEIJING = timedelta(hours=8)  # resolutions that count as closed out (销号)

register({
    "error.srcl_task_not_found": ("没有这条预警任务", "No such task"),
    "error.srcl_not_town_official": ("只有{town}的乡镇（街道）干部可以办理这条任务",
                                     "Only an official posted to {town} may handle this task"),
    "error.srcl_not_grid_worker": ("您不是网格“{grid}”的网格员", "You are not the grid worker of {grid}"),
    "error.srcl_text_required": ("请填写“{field}”（至少 4 个字）", "{field} is required (4 characters at least)"),
    "error.srcl_text_too_long": ("“{field}”过长", "{field} is too long"),
    "error.srcl_unknown_domain": ("没有风险领域“{domain}”", "No risk domain {domain}"),
    "error.srcl_unknown_severity": ("风险等级须为红、橙、黄、蓝之一", "Severity is red, orange, yellow or blue"),
    "error.srcl_too_many_photos": ("照片最多 {n} 张", "At most {n} photos"),
    "error.srcl_file_too_large": ("文件不能超过 {limit} 字节", "A file may not be over {limit} bytes"),
    "error.srcl_not_wage_task": ("这不是欠薪预警任务", "This is not a wage-arrears task"),
    "error.srcl_payslip_required": ("欠薪预警须上传工资发放凭证后销号",
                                    "A wage-arrears task closes on the payslip voucher"),
    "error.srcl_payslip_file": ("请上传工资发放凭证文件", "Attach the payslip voucher"),
    "error.srcl_payslip_amount": ("请填写凭证所示实发工资金额（元）", "Give the wages the voucher shows paid (yuan)"),
    "error.srcl_payslip_short": ("凭证所示实发 {amount} 元，不足应补发的 {required} 元",
                                 "The voucher shows {amount} yuan paid, less than the {required} yuan owed"),
    "error.srcl_task_closed": ("任务已销号", "The task is closed"),
    "error.srcl_wrong_step": ("任务当前不在“{step}”环节", "The task is not at the {step} step"),
})


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class SweepResult:
    runs: list[rules.RunResult] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)  # new tasks
    suppressed: int = 0  # signals about facts whose task was closed out already

    @property
    def errors(self) -> dict[str, str]:
        return {r.rule: r.error for r in self.runs if r.error}


OpenAt = Callable[[str], datetime]


# ---------------------------------------------------------------- signals become tasks


def app_rules(session: Session) -> list[Rule]:
    """The library's enabled batch rules as stored in the platform."""
    return rules.list_rules(session, SYSTEM, kind="sql", enabled=True, app=APP_ID)


def sweep(session: Session, actor: Actor, *, now: datetime | None = None, open_at: OpenAt | None = None) -> SweepResult:
    """Run every model of the library on current data and make tasks of new signals. `open_at(period)`, when given,
    dates each new task when a daily run would have raised it (a back-fill: the demo's history, a model switched on
    with months of data behind it), never after `now`."""
    require(actor, "srcl.run")
    now = now or utcnow()
    out = SweepResult()
    stored = app_rules(session)
    results = rules.evaluate(session, stored)
    for rule in stored:
        run = rules.apply_result(session, actor, rule, results[rule.code], trigger="batch", now=now)
        out.runs.append(run)
        for signal_id in run.signal_ids:
            task, made = _for_signal(session, signal_id, now, open_at)
            if task is None:
                out.suppressed += 1
            elif made:
                out.opened.append(task.id)
    return out


def on_signal(session: Session, event: Any) -> None:
    """Bus consumer of `signal.raised`: a task for a signal of the library's rules (at least once: a second delivery
    finds the task made)."""
    payload = event.payload or {}
    if library.indicator(str(payload.get("rule_code", ""))) is not None and type(payload.get("signal_id")) is int:
        task_for_signal(session, int(payload["signal_id"]))


def task_for_signal(session: Session, signal_id: int, *, now: datetime | None = None) -> SrclTask | None:
    """The task answering a signal of the library's rules, made now if new (None when the signal repeats facts
    already closed out, or is not the library's)."""
    return _for_signal(session, signal_id, now or utcnow(), None)[0]


def _subject(task_indicator: str, signal_subject: str) -> str:
    return f"srcl:{task_indicator}:{signal_subject}"[:200]


def _for_signal(session: Session, signal_id: int, now: datetime, open_at: OpenAt | None) -> tuple[SrclTask | None,
                                                                                                  bool]:
    sig = session.get(Signal, signal_id)
    ind = library.indicator(sig.rule.code) if sig is not None else None
    if sig is None or ind is None:
        return None, False
    evidence = list(sig.evidence or [])
    existing = session.scalar(select(SrclTask).where(SrclTask.signal_id == sig.id))
    if existing is not None:
        if existing.evidence != evidence:  # a later run found more (or other) rows
            existing.evidence, existing.evidence_count, existing.title = evidence, sig.evidence_count, sig.title
            existing.value = _float(evidence[0].get("value")) if evidence else existing.value
        return existing, False
    if sig.status != "open" or not evidence:
        return None, False
    subject = _subject(ind.code, sig.subject_key)
    prior = session.execute(select(SrclTask, Case).join(Case, Case.id == SrclTask.case_id)
                            .where(SrclTask.subject_key == subject).order_by(SrclTask.id.desc()).limit(1)).first()
    if prior is not None and prior[1].status == "closed" and prior[1].resolution in CLOSED_DONE:
        _close_signal(session, sig, now, f"该风险已由任务 {prior[1].number} 销号")
        return None, False
    first = evidence[0]
    town = gazetteer.town(str(first.get("town_code") or ""))
    if town is None:
        return None, False
    period = str(first.get("period") or "")[:7]
    opened = min(now, open_at(period)) if open_at is not None and period else now
    task = _open_task(session, SYSTEM, source="warning", indicator=ind.code, domain=ind.domain,
                      severity=sig.severity, town=town, period=period, subject=subject, title=sig.title,
                      value=_float(first.get("value")), evidence=evidence, evidence_count=sig.evidence_count,
                      signal_id=sig.id, description=library.description(ind), now=opened)
    return task, True


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _close_signal(session: Session, sig: Signal | None, now: datetime, note: str) -> None:
    """The platform signal a task answered closes with it (the case engine's consumer does the same when it runs),
    so the model raises a new signal if the subject hits again."""
    if sig is not None and sig.status == "open":
        sig.status, sig.closed_at = "closed", now
        record(session, SYSTEM, "signal.closed", "signal", sig.id, detail={"rule": sig.rule.code, "note": note})


def _open_task(session: Session, actor: Actor, *, source: str, indicator: str, domain: str, severity: str,
               town: gazetteer.Town, period: str, subject: str, title: str, value: float | None,
               evidence: list[dict[str, Any]], evidence_count: int, description: str, now: datetime,
               signal_id: int | None = None, report_id: int | None = None, address: str = "",
               lon: float | None = None, lat: float | None = None) -> SrclTask:
    """A task: its case opened, dispatched to the county centre for the town with its deadline, and its row."""
    case_ = cases.open_case(
        session, actor, TYPE_CODE, title=title, description=description, category=domain,
        channel="signal" if source == "warning" else "app", region_code=town.county_code, street=town.name,
        address=address or f"{gazetteer.CITY_NAME}{town.county_name}{town.name}",
        lon=lon if lon is not None else town.lon, lat=lat if lat is not None else town.lat, subject_key=subject,
        severity=severity, signal_id=signal_id,
        data={"indicator": indicator, "town_code": town.code, "period": period}, now=now)
    dispatcher = cases.system()
    cases.triage(session, dispatcher, case_.id, category=domain, note="风险闭环管控自动分拨", now=now)
    due = workdays.add_workdays(cases.calendar(session), now, SLA_WORKDAYS.get(severity, SLA_WORKDAYS["yellow"]))
    cases.assign(session, dispatcher, case_.id, f"{town.county_code}-{HANDLER_KIND}", due_at=due,
                 note=f"派{town.name}办理", now=now)
    task = SrclTask(case_id=case_.id, source=source, signal_id=signal_id, report_id=report_id, indicator=indicator,
                    domain=domain, severity=severity, county_code=town.county_code, town_code=town.code,
                    period=period, subject_key=subject, title=title[:300], value=value,
                    evidence=evidence[:50], evidence_count=evidence_count, raised_at=now, due_at=due)
    session.add(task)
    session.flush()
    record(session, actor, "srcl.task.open", "srcl_task", task.id,
           detail={"case": case_.number, "indicator": indicator, "town": town.code, "period": period,
                   "severity": severity, "signal": signal_id, "report": report_id})
    return task


# ---------------------------------------------------------------- posts


def posts_of(session: Session, actor: Actor, post: str) -> list[SrclPost]:
    return list(session.scalars(select(SrclPost).where(SrclPost.username == actor.username, SrclPost.post == post)
                                .order_by(SrclPost.town_code, SrclPost.grid_code)))


def is_town_official(session: Session, actor: Actor, town_code: str) -> bool:
    return session.scalar(select(SrclPost.id).where(SrclPost.username == actor.username,
                                                    SrclPost.post == "town_official",
                                                    SrclPost.town_code == town_code).limit(1)) is not None


def _require_town_official(session: Session, actor: Actor, task: SrclTask) -> None:
    if actor.via == "system":
        return
    if not is_town_official(session, actor, task.town_code):
        raise PermissionDenied(f"{actor.username} is not posted to {task.town_code}", key="srcl_not_town_official",
                               town=gazetteer.label(task.town_code))


# ---------------------------------------------------------------- grid reports


def _text(value: str, name: str, *, minimum: int = 4, maximum: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise InvalidInput(f"{name} is required", key="srcl_text_required", field=name)
    if len(text) > maximum:
        raise InvalidInput(f"{name} is too long", key="srcl_text_too_long", field=name)
    return text


def _check_files(files: Sequence[Upload]) -> list[Upload]:
    kept = [f for f in files if f.filename and f.content]
    for f in kept:
        if len(f.content) > MAX_FILE:
            raise InvalidInput("file too large", key="srcl_file_too_large", limit=MAX_FILE)
    return kept


def report(session: Session, actor: Actor, *, grid_code: str, domain: str, severity: str, description: str,
           location: str, photo_names: Sequence[str] = (), photos: Sequence[Upload] = (),
           lon: float | None = None, lat: float | None = None, now: datetime | None = None) -> SrclGridReport:
    """A grid worker's report from the field: it opens a task for the grid cell's town (the photos, when uploaded,
    are attached to its case)."""
    require(actor, "srcl.report")
    now = now or utcnow()
    grid = gazetteer.grid(grid_code)
    post = session.scalar(select(SrclPost).where(SrclPost.username == actor.username, SrclPost.post == "grid_worker",
                                                 SrclPost.grid_code == grid_code).limit(1))
    if grid is None or post is None:
        raise PermissionDenied(f"{actor.username} is not the grid worker of {grid_code}", key="srcl_not_grid_worker",
                               grid=grid.name if grid else grid_code)
    dom = library.domains().get(domain)
    if dom is None:
        raise InvalidInput(f"unknown domain {domain}", key="srcl_unknown_domain", domain=domain)
    if severity not in library.SEVERITIES:
        raise InvalidInput(f"unknown severity {severity}", key="srcl_unknown_severity")
    what = _text(description, "风险描述")
    where = _text(location, "位置", minimum=2, maximum=300)
    files = _check_files(photos)
    names = [n.strip()[-200:] for n in photo_names if n and n.strip()] + [f.filename[-200:] for f in files]
    names = list(dict.fromkeys(names))
    if len(names) > MAX_PHOTOS:
        raise InvalidInput("too many photos", key="srcl_too_many_photos", n=MAX_PHOTOS)
    town = gazetteer.town(grid.town_code)
    assert town is not None
    row = SrclGridReport(grid_code=grid.code, town_code=town.code, county_code=town.county_code, domain=domain,
                         severity=severity, description=what, location=where, lon=lon, lat=lat, photos=names,
                         reporter=actor.username, reported_at=now)
    session.add(row)
    session.flush()
    evidence = [{"网格": grid.name, "风险领域": dom.name, "风险描述": what, "位置": where,
                 "现场照片": "、".join(names) or "无", "上报人": actor.display_name or actor.username,
                 "上报时间": (now + BEIJING).strftime("%Y-%m-%d %H:%M"), "town_code": town.code,
                 "period": now.strftime("%Y-%m"), "evidence_key": f"WG-{row.id}"}]
    title = f"{grid.name}：{dom.name}风险（网格上报）{what[:40]}"
    task = _open_task(session, actor, source="report", indicator=GRID_REPORT, domain=domain, severity=severity,
                      town=town, period=now.strftime("%Y-%m"), subject=f"srcl:{GRID_REPORT}:{row.id}", title=title,
                      value=None, evidence=evidence, evidence_count=1, report_id=row.id,
                      description=f"网格员{actor.display_name or actor.username}上报：{what}",
                      address=f"{gazetteer.CITY_NAME}{town.county_name}{town.name}{where}", lon=lon, lat=lat, now=now)
    row.case_id = task.case_id
    for f in files:
        cases.attach(session, actor, task.case_id, filename=f.filename, content=f.content,
                     content_type=f.content_type, kind="photo")
    record(session, actor, "srcl.report", "srcl_grid_report", row.id,
           detail={"grid": grid.code, "domain": domain, "severity": severity, "photos": len(names),
                   "task": task.id})
    return row


# ---------------------------------------------------------------- reading


@dataclass
class TaskView:
    task: SrclTask
    case: Case
    history: list[CaseEvent]
    attachments: list[CaseAttachment]
    payslips: list[SrclPayslip]
    report: SrclGridReport | None


def get(session: Session, actor: Actor, task_id: int) -> tuple[SrclTask, Case]:
    """A task and its case, if the actor may see the case (the platform's rule: its dispatcher, its handlers, the
    supervisors covering it)."""
    require(actor, "srcl.view")
    task = session.get(SrclTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", key="srcl_task_not_found")
    return task, cases.get(session, actor, task.case_id)


def read(session: Session, actor: Actor, task_id: int) -> TaskView:
    """A task with its evidence (other departments' data), its history and attachments: the read is audited."""
    task, case_ = get(session, actor, task_id)
    record(session, actor, "srcl.task.read", "srcl_task", task.id, purpose="社会治理风险闭环管控：预警任务核查处置",
           detail={"indicator": task.indicator, "evidence": task.evidence_count})
    slips = list(session.scalars(select(SrclPayslip).where(SrclPayslip.task_id == task.id).order_by(SrclPayslip.id)))
    rep = session.get(SrclGridReport, task.report_id) if task.report_id else None
    return TaskView(task, case_, case_queries.history(session, case_), case_queries.attachments(session, case_),
                    slips, rep)


@dataclass
class TaskFilter:
    county: str = ""
    town: str = ""
    domain: str = ""
    severity: str = ""
    status: str = ""  # open | closed | overdue
    source: str = ""
    indicator: str = ""
    period: str = ""
    colour: str = ""


def _filtered(f: TaskFilter) -> Select[Any]:
    stmt = cast("Select[Any]", select(SrclTask, Case)).join(Case, Case.id == SrclTask.case_id)
    for column, value in ((SrclTask.county_code, f.county), (SrclTask.town_code, f.town),
                          (SrclTask.domain, f.domain), (SrclTask.severity, f.severity), (SrclTask.source, f.source),
                          (SrclTask.indicator, f.indicator), (SrclTask.period, f.period), (Case.colour, f.colour)):
        if value:
            stmt = stmt.where(column == value)
    if f.status == "open":
        stmt = stmt.where(Case.status != "closed")
    elif f.status == "closed":
        stmt = stmt.where(Case.status == "closed")
    elif f.status == "overdue":
        stmt = stmt.where(Case.status != "closed", Case.overdue.is_(True))
    return stmt


def list_tasks(session: Session, actor: Actor, f: TaskFilter | None = None, *, limit: int = 50,
               offset: int = 0) -> tuple[list[tuple[SrclTask, Case]], int]:
    """The tasks (with their cases) the actor may see, open and red first, then the newest."""
    require(actor, "srcl.view")
    stmt = case_queries.visible_to(actor, _filtered(f or TaskFilter()))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = (Case.status == "closed", Case.colour != "red", SrclTask.raised_at.desc(), SrclTask.id.desc())
    rows = session.execute(stmt.order_by(*order).limit(min(max(limit, 1), 500)).offset(max(offset, 0))).all()
    return [(t, c) for t, c in rows], int(total)


@dataclass
class Area:
    code: str
    name: str
    name_en: str
    raised: int = 0
    closed: int = 0
    open: int = 0
    red_open: int = 0
    overdue: int = 0

    @property
    def rate(self) -> float | None:
        """闭环率: tasks closed out ÷ tasks raised (None when none was raised)."""
        return round(self.closed / self.raised, 4) if self.raised else None


def closure(session: Session, actor: Actor, *, by: str = "county", county: str = "", since: str = "",
            until: str = "") -> list[Area]:
    """Each area's risk-closure rate over the tasks about months in [since, until] (YYYY-MM, both optional):
    by county (the city's five), or by town (all of Huzhou's, or one county's)."""
    require(actor, "srcl.view")
    key = SrclTask.county_code if by == "county" else SrclTask.town_code
    closed = and_(Case.status == "closed", Case.resolution.in_(CLOSED_DONE))
    stmt = (select(key, func.count(SrclTask.id), func.sum(case((closed, 1), else_=0)),
                   func.sum(case((Case.status != "closed", 1), else_=0)),
                   func.sum(case((and_(Case.status != "closed", Case.colour == "red"), 1), else_=0)),
                   func.sum(case((and_(Case.status != "closed", Case.overdue.is_(True)), 1), else_=0)))
            .join(Case, Case.id == SrclTask.case_id).group_by(key))
    if county:
        stmt = stmt.where(SrclTask.county_code == county)
    if since:
        stmt = stmt.where(SrclTask.period >= since)
    if until:
        stmt = stmt.where(SrclTask.period <= until)
    counts = {row[0]: row[1:] for row in session.execute(stmt)}
    if by == "county":
        places = [(c, zh, en) for c, (zh, en) in gazetteer.COUNTIES.items() if not county or c == county]
    else:
        places = [(t.code, t.name, t.name_en) for t in gazetteer.towns().values()
                  if not county or t.county_code == county]
    out = []
    for code, zh, en in places:
        raised, done, still, red, late = (int(x or 0) for x in counts.get(code, (0, 0, 0, 0, 0)))
        out.append(Area(code, zh, en, raised, done, still, red, late))
    return out


def city_closure(session: Session, actor: Actor, *, since: str = "", until: str = "") -> Area:
    """The whole city's figures (the counties added up)."""
    total = Area(gazetteer.CITY, gazetteer.CITY_NAME, "Huzhou")
    for a in closure(session, actor, by="county", since=since, until=until):
        total.raised += a.raised
        total.closed += a.closed
        total.open += a.open
        total.red_open += a.red_open
        total.overdue += a.overdue
    return total


# ---------------------------------------------------------------- the loop


def _open_case(session: Session, actor: Actor, task_id: int) -> tuple[SrclTask, Case]:
    task, case_ = get(session, actor, task_id)
    if not case_.is_open:
        raise Conflict(f"task {task_id} is closed", key="srcl_task_closed")
    return task, case_


def _attach(session: Session, actor: Actor, case_id: int, files: Sequence[Upload], kind: str) -> list[int]:
    return [cases.attach(session, actor, case_id, filename=f.filename, content=f.content,
                         content_type=f.content_type, kind=kind).id for f in _check_files(files)]


def accept(session: Session, actor: Actor, task_id: int, *, now: datetime | None = None) -> Case:
    """签收: the town's official takes the task."""
    task, case_ = _open_case(session, actor, task_id)
    _require_town_official(session, actor, task)
    return cases.accept(session, actor, case_.id, now=now)


def feedback(session: Session, actor: Actor, task_id: int, *, text: str, evidence: Sequence[Upload] = (),
             now: datetime | None = None) -> Case:
    """反馈: what the town found and did, with evidence (photos, scans) attached; the task waits for verification."""
    task, case_ = _open_case(session, actor, task_id)
    _require_town_official(session, actor, task)
    answer = _text(text, "处置反馈")
    if case_.step not in ("accept", "handle"):
        raise Conflict("not waiting for feedback", key="srcl_wrong_step", step="反馈")
    attached = _attach(session, actor, case_.id, evidence, "evidence")
    cases.respond(session, actor, case_.id, answer, now=now)
    record(session, actor, "srcl.task.feedback", "srcl_task", task.id, detail={"attachments": attached})
    return case_


def _payslip_paid(session: Session, task: SrclTask) -> bool:
    return session.scalar(select(SrclPayslip.id).where(SrclPayslip.task_id == task.id).limit(1)) is not None


def verify(session: Session, actor: Actor, task_id: int, *, passed: bool, note: str = "",
           now: datetime | None = None) -> Case:
    """核查: an approver of a centre covering the county checks the feedback; failed sends it back to the town."""
    task, case_ = _open_case(session, actor, task_id)
    require(actor, "case.supervise", case_)  # a centre's approver, never the town that fed back
    if passed and task.indicator == WAGE and not _payslip_paid(session, task):
        raise Conflict("a wage task closes on the payslip", key="srcl_payslip_required")
    out = cases.verify(session, actor, case_.id, passed=passed, note=note, now=now)
    record(session, actor, "srcl.task.verify", "srcl_task", task.id, detail={"passed": passed})
    return out


def close_out(session: Session, actor: Actor, task_id: int, *, note: str = "", now: datetime | None = None) -> Case:
    """销号: the city centre closes the verified task out; its signal closes with it."""
    now = now or utcnow()
    task, case_ = _open_case(session, actor, task_id)
    if task.indicator == WAGE and not _payslip_paid(session, task):
        raise Conflict("a wage task closes on the payslip", key="srcl_payslip_required")
    if case_.step != "evaluate":
        raise Conflict("not verified", key="srcl_wrong_step", step="销号")
    cases.rate(session, actor, case_, "satisfied", comment=note or "核查属实，予以销号", now=now)
    _close_signal(session, session.get(Signal, task.signal_id) if task.signal_id else None, now,
                  f"任务 {case_.number} 销号")
    record(session, actor, "srcl.task.close", "srcl_task", task.id, detail={"case": case_.number})
    return case_


def send_back(session: Session, actor: Actor, task_id: int, *, reason: str, now: datetime | None = None) -> Case:
    """退回重办: the city centre does not accept the verified handling; the town handles it again."""
    task, case_ = _open_case(session, actor, task_id)
    why = _text(reason, "退回理由")
    if case_.step != "evaluate":
        raise Conflict("not verified", key="srcl_wrong_step", step="销号")
    cases.rate(session, actor, case_, "unsatisfied", comment=why, now=now)
    record(session, actor, "srcl.task.send_back", "srcl_task", task.id, detail={"reason": why[:200]})
    return case_


def _cents(amount: str | Decimal | float) -> int:
    try:
        value = Decimal(str(amount).replace(",", "").replace("元", "").strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("amount", key="srcl_payslip_amount", field="amount") from None
    if not value.is_finite() or value <= 0 or value > Decimal("1e11"):
        raise InvalidInput("amount", key="srcl_payslip_amount", field="amount")
    return int((value * 100).to_integral_value())


def owed_cents(task: SrclTask) -> int:
    """What the voucher must show paid: the shortfall, or the month's payroll when it was paid in full but late."""
    first = task.evidence[0] if task.evidence else {}
    short = _cents_or_zero(first.get("欠发工资_元"))
    return short if short > 0 else _cents_or_zero(first.get("应发工资_元"))


def _cents_or_zero(value: Any) -> int:
    try:
        return int((Decimal(str(value)) * 100).to_integral_value()) if value is not None else 0
    except (InvalidOperation, ValueError):
        return 0


def upload_payslip(session: Session, actor: Actor, task_id: int, *, voucher: Upload | None, amount: str | Decimal,
                   paid_on: date, workers: int = 0, finding: str = "", now: datetime | None = None) -> Case:
    """The town's official uploads the payslip voucher (工资发放凭证) of a wage-arrears task: the town's finding is
    its feedback (if it gave none yet), the voucher is attached as evidence, and when it shows at least what was owed
    the task is verified and closed out on it (销号)."""
    now = now or utcnow()
    task, case_ = _open_case(session, actor, task_id)
    if task.indicator != WAGE:
        raise Conflict("not a wage task", key="srcl_not_wage_task")
    _require_town_official(session, actor, task)
    if voucher is None or not voucher.content or not voucher.filename:
        raise InvalidInput("voucher required", key="srcl_payslip_file", field="voucher")
    _check_files([voucher])
    cents, required = _cents(amount), owed_cents(task)
    if cents < required:
        raise InvalidInput("voucher short", key="srcl_payslip_short", amount=f"{cents / 100:.2f}",
                           required=f"{required / 100:.2f}")
    if case_.step in ("accept", "handle"):
        cases.respond(session, actor, case_.id, _text(finding, "核实情况"), now=now)
    att = cases.attach(session, actor, case_.id, filename=voucher.filename, content=voucher.content,
                       content_type=voucher.content_type, kind="evidence")
    slip = SrclPayslip(task_id=task.id, attachment_id=att.id, filename=att.filename, sha256=att.sha256,
                       amount_cents=cents, workers=max(0, int(workers)), paid_on=paid_on, uploaded_by=actor.username,
                       uploaded_at=now)
    session.add(slip)
    session.flush()
    record(session, actor, "srcl.wage.payslip", "srcl_task", task.id,
           detail={"case": case_.number, "amount": f"{cents / 100:.2f}", "owed": f"{required / 100:.2f}",
                   "paid_on": paid_on.isoformat(), "sha256": att.sha256})
    who = actor.display_name or actor.username
    if case_.step == "verify":
        note = f"{who}上传工资发放凭证（实发 {cents / 100:.2f} 元，应补发 {required / 100:.2f} 元），核验通过"
        cases.verify(session, cases.system(), case_.id, passed=True, now=now, note=note)
    if case_.step == "evaluate":
        cases.rate(session, cases.system(), case_, "satisfied", comment="工资发放凭证已上传，欠薪预警销号", now=now)
        _close_signal(session, session.get(Signal, task.signal_id) if task.signal_id else None, now,
                      f"任务 {case_.number} 凭工资发放凭证销号")
    return case_
