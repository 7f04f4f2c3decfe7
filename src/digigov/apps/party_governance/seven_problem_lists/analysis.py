"""Analysis across all seven lists (由治到防): problems by list, root cause, region and department; recurrence;
the on-time rectification rate; the average days to close; and the same for one quarter (the quarterly report)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from digigov.apps.party_governance.seven_problem_lists import config
from digigov.apps.party_governance.seven_problem_lists.model import Problem, ProblemTask
from digigov.apps.party_governance.seven_problem_lists.service import BEIJING
from digigov.core.errors import InvalidInput
from digigov.identity.actor import Actor
from digigov.identity.model import Region
from digigov.identity.permissions import require

CLOSED_STATES = ("closed", "accepted", "evaluated", "reviewed")


@dataclass
class Analysis:
    period: str
    start: dt.date | None
    end: dt.date | None
    problems: int = 0
    closed: int = 0
    open: int = 0
    by_list: Counter[str] = field(default_factory=Counter)
    by_root_cause: Counter[str] = field(default_factory=Counter)
    by_region: Counter[str] = field(default_factory=Counter)
    by_department: Counter[str] = field(default_factory=Counter)  # responsible departments' tasks
    by_colour: Counter[str] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)
    recurred: int = 0
    ever_closed: int = 0  # closed now, or closed once and reopened by a review
    tasks_closed: int = 0
    tasks_on_time: int = 0
    days_to_close: list[int] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        return round(self.tasks_on_time / self.tasks_closed, 4) if self.tasks_closed else None

    @property
    def recurrence_rate(self) -> float | None:
        return round(self.recurred / self.ever_closed, 4) if self.ever_closed else None

    @property
    def average_days(self) -> float | None:
        return round(sum(self.days_to_close) / len(self.days_to_close), 1) if self.days_to_close else None


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """'2026Q3' -> (2026-07-01, 2026-09-30)."""
    m = re.fullmatch(r"(20[0-9]{2})Q([1-4])", quarter)
    if not m:
        raise InvalidInput(f"not a quarter: {quarter!r} (e.g. 2026Q3)", key="spl_quarter", quarter=quarter)
    year, q = int(m[1]), int(m[2])
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def analyse(session: Session, actor: Actor, *, quarter: str | None = None) -> Analysis:
    """Everything, or the problems found in `quarter` plus those closed in it."""
    require(actor, "spl.view")
    start, end = quarter_bounds(quarter) if quarter else (None, None)
    out = Analysis(period=quarter or "all", start=start, end=end)
    regions = {r.code: r.name for r in session.scalars(select(Region))}
    for p in session.scalars(select(Problem)):
        closed_day = p.closed_at.astimezone(BEIJING).date() if p.closed_at else None
        found_in = start is None or (start <= p.discovered_on <= end)  # type: ignore[operator]
        closed_in = closed_day is not None and (start is None or start <= closed_day <= end)  # type: ignore[operator]
        if not (found_in or closed_in):
            continue
        out.problems += 1
        out.by_list[p.list_code] += 1
        out.by_root_cause[p.root_cause or "unclassified"] += 1
        out.by_region[regions.get(p.region_code, p.region_code)] += 1
        out.by_colour[p.colour] += 1
        out.by_state[p.state] += 1
        if p.state in CLOSED_STATES:
            out.closed += 1
        else:
            out.open += 1
        if p.state in CLOSED_STATES or p.recurrence_count:
            out.ever_closed += 1
        if p.recurrence_count:
            out.recurred += 1
        if closed_in and closed_day is not None:
            out.days_to_close.append((closed_day - p.discovered_on).days)
    for t in session.scalars(select(ProblemTask)):
        case = t.case
        if case.closed_at is None or case.resolution != "done":
            continue
        closed_day = case.closed_at.astimezone(BEIJING).date()
        if start is not None and not (start <= closed_day <= end):  # type: ignore[operator]
            continue
        out.tasks_closed += 1
        out.tasks_on_time += int(case.responded_at is not None and case.due_at is not None
                                 and case.responded_at <= case.due_at)
        out.by_department[t.department.name] += 1
    return out


def labels() -> dict[str, dict[str, str]]:
    """Display names (zh) of lists and root causes, for tables and charts."""
    return {"list": {c: pl.name for c, pl in config.lists().items()},
            "root_cause": {**{c: rc.name for c, rc in config.root_causes().items()}, "unclassified": "未分类"}}
