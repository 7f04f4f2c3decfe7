"""Deadlines and colours (红黄绿) of cases.

Deadlines count working days on the official calendar (`digigov.core.workdays`: weekends, public
holidays and adjusted working days), or clock hours for urgent steps. Colours follow the closed-loop
convention: green while on time; red when overdue, or open and high-risk; yellow once a case that was
red has been fixed late. A red case closes only with verification evidence attached.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digigov.core import workdays
from digigov.platform.cases.model import Case
from digigov.platform.cases.types import CaseType, StepSLA

LOCAL = ZoneInfo("Asia/Shanghai")


def local_day(moment: datetime) -> date:
    """The calendar day in China of a UTC moment (case numbers and daily figures use it)."""
    return moment.astimezone(LOCAL).date()


def due(cal: workdays.Calendar, start: datetime, sla: StepSLA | None) -> datetime | None:
    if sla is None:
        return None
    if sla.hours is not None:
        return workdays.add_hours(start, sla.hours)
    if sla.workdays is not None:
        return workdays.add_workdays(cal, start, sla.workdays)
    return None


def overall_due(cal: workdays.Calendar, ct: CaseType, case: Case, start: datetime) -> datetime:
    """The case's deadline from assignment: the category's working days, else the type's default."""
    category = ct.category(case.category)
    days = category.sla_workdays if category else ct.default_workdays
    return workdays.add_workdays(cal, start, days)


def colour(case: Case, ct: CaseType, now: datetime) -> str:
    """green / red / yellow for a case at `now`: red while it is open and either past its deadline
    without an answer, or high-risk; yellow when it was answered late (or was ever overdue); else green."""
    late_open = case.responded_at is None and case.due_at is not None and now > case.due_at
    late_done = case.responded_at is not None and case.due_at is not None and case.responded_at > case.due_at
    high_risk = case.severity is not None and case.severity in ct.high_risk
    if case.is_open and (late_open or high_risk):
        return "red"
    if late_done or case.was_red:
        return "yellow"
    return "green"


def refresh(case: Case, ct: CaseType, now: datetime) -> bool:
    """Update the case's colour (and was_red); return True when it turned red just now."""
    new = colour(case, ct, now)
    turned_red = new == "red" and case.colour != "red"
    if case.responded_at is None and case.due_at is not None and now > case.due_at:
        case.was_red = True  # overdue once: it can only end yellow
    case.colour = new
    return turned_red


def reminder_due(case: Case, ct: CaseType, now: datetime) -> bool:
    return (
        case.is_open
        and not case.reminded
        and case.responded_at is None
        and case.due_at is not None
        and now < case.due_at <= now + timedelta(hours=ct.reminder_hours)
    )


def escalation_due(case: Case, ct: CaseType, now: datetime) -> bool:
    return (
        case.is_open
        and case.due_at is not None
        and case.escalation_level == 0
        and case.responded_at is None
        and now >= case.due_at + timedelta(hours=ct.escalate_after_hours)
    )
