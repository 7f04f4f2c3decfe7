"""The Seven Problem Lists (七张问题清单): a problem is found (问题发现), decomposed into tasks and assigned (任务分解),
rectified under tracking (整改跟踪), closed out (办结销号) when every task case is closed, accepted (验收确认) by the
list's keeper, evaluated from several angles (立体评价), and reviewed months later (回头看): a recurrence reopens
its task cases and sends the problem back to rectification.

Tasks are cases of the platform's closed loop (`spl.task`): the keeper dispatches them with the problem's deadline,
the departments sign, rectify and report, the keeper verifies (a red task only with evidence) and closes them. The
problem follows its tasks through the `case.*` events (`on_case_event`); its colour is its worst task's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.seven_problem_lists import config
from digigov.apps.party_governance.seven_problem_lists.case_type import TYPE_CODE
from digigov.apps.party_governance.seven_problem_lists.model import Problem, ProblemMessage, ProblemTask
from digigov.audit import service as audit
from digigov.core import bus
from digigov.core.clock import utcnow
from digigov.core.errors import Conflict, InvalidInput, NotFound
from digigov.identity import service as identity
from digigov.identity.actor import Actor
from digigov.identity.permissions import require
from digigov.platform.cases import service as cases
from digigov.platform.cases.model import Case

BEIJING = dt.timezone(dt.timedelta(hours=8))
COLOUR_RANK = {"green": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True)
class TaskSpec:
    department: str  # department code
    description: str
    due_on: dt.date | None = None  # default: the problem's deadline


def get(session: Session, actor: Actor, problem_id: int) -> Problem:
    require(actor, "spl.view")
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise NotFound(f"problem {problem_id} not found", key="spl_problem_not_found")
    return problem


def _keeper(session: Session, list_code: str, region_code: str) -> Any:
    pl = config.lists().get(list_code)
    if pl is None:
        raise InvalidInput(f"unknown list {list_code!r}", key="spl_list_unknown", list=list_code)
    return identity.get_department(session, f"{region_code}-{pl.owner_kind}")


def _number(session: Session, list_code: str, today: dt.date) -> str:
    n = int(session.scalar(select(func.count()).select_from(Problem)) or 0) + 1
    return f"WT{today:%Y%m%d}{n:05d}"


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(BEIJING).date()


def report_problem(session: Session, actor: Actor, *, list_code: str, title: str, region_code: str,
                   description: str = "", source: str = "", due_on: dt.date | None = None,
                   now: dt.datetime | None = None) -> Problem:
    """问题发现: a problem on list `list_code` in region `region_code`, kept by that list's department there."""
    now = now or utcnow()
    keeper = _keeper(session, list_code, region_code)
    require(actor, "spl.manage", keeper)
    if not title.strip():
        raise InvalidInput("a problem needs a title", key="spl_title")
    today = _today(now)
    problem = Problem(number=_number(session, list_code, today), list_code=list_code, title=title.strip()[:300],
                      description=description, source=source, region_code=region_code,
                      owner_department_id=keeper.id, discovered_on=today, due_on=due_on, state="discovered",
                      created_at=now, updated_at=now)
    session.add(problem)
    session.flush()
    audit.record(session, actor, "spl.problem.report", "spl_problem", problem.number,
                 detail={"list": list_code, "region": region_code, "title": problem.title})
    return problem


def decompose(session: Session, actor: Actor, problem_id: int, tasks: Sequence[TaskSpec], *, root_cause: str,
              now: dt.datetime | None = None) -> list[ProblemTask]:
    """任务分解: the problem's root cause and its tasks, each a case dispatched to its department."""
    now = now or utcnow()
    problem = get(session, actor, problem_id)
    require(actor, "spl.manage", problem.owner)
    if problem.state != "discovered":
        raise Conflict(f"problem {problem.number} is already decomposed", key="spl_wrong_state", state=problem.state)
    if root_cause not in config.root_causes():
        raise InvalidInput(f"unknown root cause {root_cause!r}", key="spl_root_cause", cause=root_cause)
    if not tasks:
        raise InvalidInput("a problem needs at least one task", key="spl_no_tasks")
    problem.root_cause = root_cause
    made = [_dispatch(session, actor, problem, t, now) for t in tasks]
    problem.state = "assigned"
    problem.updated_at = now
    audit.record(session, actor, "spl.problem.decompose", "spl_problem", problem.number,
                 detail={"root_cause": root_cause, "tasks": [t.case.number for t in made]})
    return made


def _dispatch(session: Session, actor: Actor, problem: Problem, spec: TaskSpec, now: dt.datetime,
              round_: int = 0) -> ProblemTask:
    dept = identity.get_department(session, spec.department)
    due = spec.due_on or problem.due_on or (_today(now) + dt.timedelta(days=config.lists()[problem.list_code].workdays))
    case = cases.open_case(session, actor, TYPE_CODE, title=f"{problem.title}（整改）",
                           description=spec.description or problem.description, category=problem.list_code,
                           channel="app", region_code=problem.region_code, data={"problem": problem.number},
                           subject_key=f"spl:{problem.number}", now=now)
    case.owner_department_id = problem.owner_department_id  # the keeper dispatches and verifies
    case.owner_department = problem.owner
    cases.triage(session, actor, case.id, category=problem.list_code, now=now)
    deadline = dt.datetime.combine(due, dt.time(23, 59, 59), BEIJING).astimezone(dt.UTC)
    cases.assign(session, actor, case.id, dept.id, note=spec.description, due_at=deadline, now=now)
    task = ProblemTask(problem_id=problem.id, case_id=case.id, department_id=dept.id,
                       description=spec.description, due_on=due, round=round_)
    session.add(task)
    session.flush()
    return task


def tasks(session: Session, problem: Problem) -> list[ProblemTask]:
    return list(session.scalars(select(ProblemTask).where(ProblemTask.problem_id == problem.id)
                                .order_by(ProblemTask.round, ProblemTask.id)))


def sync(session: Session, problem: Problem, now: dt.datetime | None = None) -> Problem:
    """The problem's state and colour from its current round's task cases (整改跟踪 → 办结销号)."""
    now = now or utcnow()
    current = [t for t in tasks(session, problem) if t.round == problem.recurrence_count]
    if not current:
        return problem
    colours = [t.case.colour for t in current]
    problem.colour = max(colours, key=lambda c: COLOUR_RANK.get(c, 0))
    if problem.state in ("assigned", "rectifying"):
        if all(not t.case.is_open and t.case.resolution == "done" for t in current):
            problem.state = "closed"
            problem.closed_at = max((t.case.closed_at for t in current if t.case.closed_at), default=now)
        elif any(t.case.status not in ("intake", "triaged", "assigned") for t in current):
            problem.state = "rectifying"
    problem.updated_at = now
    return problem


def on_case_event(session: Session, event: bus.Event) -> None:
    """The `case.*` consumer: a task case moved, so its problem's state and colour may have."""
    if event.payload.get("type") != TYPE_CODE:
        return
    task = session.scalar(select(ProblemTask).where(ProblemTask.case_id == int(event.payload["case_id"])))
    if task is not None:
        problem = session.get(Problem, task.problem_id)
        if problem is not None:
            sync(session, problem)


def accept(session: Session, actor: Actor, problem_id: int, *, passed: bool, note: str,
           now: dt.datetime | None = None) -> Problem:
    """验收确认 by the keeper: accepted, or sent back (every task case of the round reopened)."""
    now = now or utcnow()
    problem = get(session, actor, problem_id)
    require(actor, "spl.manage", problem.owner)
    sync(session, problem, now)
    if problem.state != "closed":
        raise Conflict(f"problem {problem.number} is not closed out", key="spl_wrong_state", state=problem.state)
    if not note.strip():
        raise InvalidInput("say what was checked", key="spl_note_required")
    if not passed:
        _reopen_round(session, actor, problem, f"验收未通过：{note}", now)
        audit.record(session, actor, "spl.problem.accept_fail", "spl_problem", problem.number, purpose=note)
        return problem
    problem.state = "accepted"
    problem.accepted_at = now
    problem.acceptance_note = note
    problem.review_due_on = _add_months(_today(now), config.follow_up_months())
    audit.record(session, actor, "spl.problem.accept", "spl_problem", problem.number, purpose=note)
    return problem


def evaluate(session: Session, actor: Actor, problem_id: int, *, self_score: float, department_score: float,
             public_score: float, note: str = "", now: dt.datetime | None = None) -> Problem:
    """立体评价: the responsible departments' own assessment, the keeper's, and the public's (1–5 each)."""
    now = now or utcnow()
    problem = get(session, actor, problem_id)
    require(actor, "spl.manage", problem.owner)
    if problem.state != "accepted":
        raise Conflict(f"problem {problem.number} is not accepted", key="spl_wrong_state", state=problem.state)
    for score in (self_score, department_score, public_score):
        if not 1 <= score <= 5:
            raise InvalidInput("scores are 1 to 5", key="spl_score_range")
    problem.score_self, problem.score_department, problem.score_public = self_score, department_score, public_score
    problem.evaluation_note = note
    problem.evaluated_at = now
    problem.state = "evaluated"
    audit.record(session, actor, "spl.problem.evaluate", "spl_problem", problem.number,
                 detail={"self": self_score, "department": department_score, "public": public_score})
    return problem


def review(session: Session, actor: Actor, problem_id: int, *, recurred: bool, note: str,
           now: dt.datetime | None = None) -> Problem:
    """回头看: months after acceptance the keeper looks again; a recurrence reopens the problem (its task cases
    are reopened through the case engine's follow-up review) for a new round of rectification."""
    now = now or utcnow()
    problem = get(session, actor, problem_id)
    require(actor, "spl.manage", problem.owner)
    if problem.state not in ("accepted", "evaluated"):
        raise Conflict(f"problem {problem.number} is not due for review", key="spl_wrong_state", state=problem.state)
    if not note.strip():
        raise InvalidInput("say what the review found", key="spl_note_required")
    problem.reviewed_at = now
    if recurred:
        _reopen_round(session, actor, problem, f"回头看发现问题反弹：{note}", now)
        audit.record(session, actor, "spl.problem.recur", "spl_problem", problem.number, purpose=note)
    else:
        problem.state = "reviewed"
        audit.record(session, actor, "spl.problem.review", "spl_problem", problem.number, purpose=note)
    return problem


def _reopen_round(session: Session, actor: Actor, problem: Problem, reason: str, now: dt.datetime) -> None:
    current = [t for t in tasks(session, problem) if t.round == problem.recurrence_count]
    problem.recurrence_count += 1
    for t in current:
        cases.reopen(session, actor, t.case_id, reason, now=now)
        t.round = problem.recurrence_count  # the same case carries the new round
        _message(session, problem, "reopen", t.department_id,
                 f"【问题整改重启】{problem.number} {problem.title}：{reason}")
    problem.state = "rectifying"
    problem.closed_at = problem.accepted_at = problem.evaluated_at = None
    problem.review_due_on = None
    sync(session, problem, now)


def escalate(session: Session, actor: Actor, problem_id: int, note: str, *, now: dt.datetime | None = None) -> int:
    """督办: every open task of an overdue problem is escalated and its department's leaders told; how many."""
    now = now or utcnow()
    problem = get(session, actor, problem_id)
    require(actor, "spl.manage", problem.owner)
    sent = 0
    for t in tasks(session, problem):
        if t.round == problem.recurrence_count and t.case.is_open:
            cases.escalate(session, actor, t.case_id, note, now=now)
            _message(session, problem, "escalation", t.department_id,
                     f"【督办】{problem.number} {problem.title}：{note}（整改期限 {t.due_on}）")
            sent += 1
    audit.record(session, actor, "spl.problem.escalate", "spl_problem", problem.number, purpose=note,
                 detail={"tasks": sent})
    return sent


def escalate_overdue(session: Session, now: dt.datetime | None = None) -> int:
    """The worker's job: red problems whose open tasks have not been escalated today are escalated."""
    now = now or utcnow()
    system = Actor(username="system", roles=frozenset({"platform_admin"}), via="system")
    count = 0
    for problem in session.scalars(select(Problem).where(Problem.state.in_(("assigned", "rectifying")))):
        sync(session, problem, now)
        if problem.colour != "red":
            continue
        sent_today = session.scalar(select(func.count()).select_from(ProblemMessage).where(
            ProblemMessage.problem_id == problem.id, ProblemMessage.kind == "escalation",
            ProblemMessage.at >= now - dt.timedelta(days=1)))
        if not sent_today:
            count += escalate(session, system, problem.id, "整改逾期，系统自动督办", now=now)
    return count


def _message(session: Session, problem: Problem, kind: str, department_id: int, text: str) -> None:
    session.add(ProblemMessage(problem_id=problem.id, kind=kind, department_id=department_id, text=text))
    bus.publish(session, f"spl.{kind}", {"problem": problem.number, "department_id": department_id, "text": text})


def messages(session: Session, problem: Problem) -> list[ProblemMessage]:
    return list(session.scalars(select(ProblemMessage).where(ProblemMessage.problem_id == problem.id)
                                .order_by(ProblemMessage.at.desc(), ProblemMessage.id.desc())))


def problems(session: Session, actor: Actor, *, list_code: str | None = None, state: str | None = None,
             colour: str | None = None, limit: int = 500) -> list[Problem]:
    require(actor, "spl.view")
    q = select(Problem).order_by(Problem.discovered_on.desc(), Problem.id.desc()).limit(limit)
    if list_code:
        q = q.where(Problem.list_code == list_code)
    if state:
        q = q.where(Problem.state == state)
    if colour:
        q = q.where(Problem.colour == colour)
    return list(session.scalars(q))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def task_case(session: Session, task: ProblemTask) -> Case:
    return task.case
