"""Keeping the official working-day calendar (工作日): an admin enters a day or the State Council's
schedule for a year; every change is checked (`calendar.manage`) and audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from digigov.audit import service as audit
from digigov.core import workdays
from digigov.identity.actor import Actor
from digigov.identity.permissions import require


def set_day(session: Session, actor: Actor, d: date, *, workday: bool, name: str) -> None:
    """Declare `d` a working day (调休上班) or a holiday, overriding the official schedule; audited."""
    require(actor, "calendar.manage")
    before = workdays.put_override(session, d, workday=workday, name=name, by=actor.username)
    audit.record(session, actor, "calendar.set_day", "workday", d.isoformat(),
                 detail={"workday": workday, "name": name, "before": before})


def unset_day(session: Session, actor: Actor, d: date) -> bool:
    """Remove the override of `d` (the official schedule applies again); False when there was none."""
    require(actor, "calendar.manage")
    before = workdays.remove_override(session, d)
    if before is None:
        return False
    audit.record(session, actor, "calendar.unset_day", "workday", d.isoformat(), detail={"before": before})
    return True


def import_schedule(session: Session, actor: Actor, rows: list[tuple[date, bool, str]]) -> int:
    """Store a year's schedule (the State Council's notice) as overrides; the number of days written."""
    require(actor, "calendar.manage")
    checked = workdays.check_rows(rows)
    for d, workday, name in checked:
        workdays.put_override(session, d, workday=workday, name=name, by=actor.username)
    years = sorted({d.year for d, _w, _n in checked})
    audit.record(session, actor, "calendar.import", "workday", ",".join(map(str, years)), detail={
        "days": len(checked), "holidays": sum(not w for _d, w, _n in checked),
        "workdays": sum(w for _d, w, _n in checked), "years": years})
    return len(checked)


# ---------------------------------------------------------------- calendar commands
